import { diagnostic, type CatalogueName } from "../codes.js";
import type { Diagnostic, RelatedInfo } from "../diagnostics.js";
import type { ExternalIR, MeshIR, ServiceId, ServiceIR, Span } from "../ir.js";

/** What a check sees: the IR plus lookups every check would otherwise rebuild. */
export interface CheckContext {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  readonly external: ReadonlyMap<string, ExternalIR>;
  /** The name the user wrote for a service id (its declaration key, or the id's name part if undeclared). */
  keyOf(id: ServiceId): string;
}

export type Report = <N extends CatalogueName>(
  name: N,
  params: Parameters<(typeof import("../codes.js").catalogue)[N]["message"]>[0],
  span: Span | undefined,
  extra?: { related?: readonly RelatedInfo[]; severity?: Diagnostic["severity"] },
) => void;

/** One invariant of a mesh, with the catalogue entry it reports. */
export interface Check {
  /** The catalogue entry this check reports. */
  readonly name: CatalogueName;
  readonly run: (ctx: CheckContext, report: Report) => void;
}

export function checkContext(ir: MeshIR): CheckContext {
  const services = new Map(ir.services.map((s) => [s.id, s]));
  return {
    ir,
    services,
    external: new Map(ir.external.map((x) => [x.id, x])),
    keyOf: (id) => services.get(id)?.key ?? id.slice(id.indexOf("/") + 1),
  };
}

/** Runs checks in order and collects their diagnostics. */
export function runChecks(ir: MeshIR, checks: readonly Check[]): Diagnostic[] {
  const ctx = checkContext(ir);
  const out: Diagnostic[] = [];
  for (const check of checks) {
    const report: Report = (name, params, span, extra) => out.push(diagnostic(name, params as never, span, extra));
    check.run(ctx, report);
  }
  return out;
}
