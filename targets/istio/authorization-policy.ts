/**
 * AuthorizationPolicy: an allow-nothing policy per namespace, then one ALLOW policy per callee
 * workload listing who may call which of its ports, and how.
 *
 * Semantics relied on (https://istio.io/latest/docs/reference/config/security/authorization-policy/):
 * a workload selected by any ALLOW policy is denied every request no ALLOW policy matches, and
 * `spec: {}` selects every workload of its namespace and matches nothing. `to.operation.ports`
 * is the port the workload's proxy receives on: the container (target) port, not the Service port.
 * Methods and paths are HTTP-only: in an ALLOW rule on a TCP port they make the rule match nothing.
 */
import { assertNever, compareIds, type HttpMethod, type IngressIR, type PathMatchIR, type PortIR, type ServiceIR, type Span } from "../../compiler/ir.js";
import { callPaths } from "./match.js";
import { SECURITY, isRequestProtocol, object, sortedUnique, type Context, type IstioObject } from "./model.js";

/** Who may send what to one port: the unit rules are merged from. */
interface Grant {
  readonly principals: readonly string[];
  readonly port: number;
  readonly methods?: readonly HttpMethod[];
  readonly paths?: readonly string[];
}

/** The name of the namespace-wide default-deny policy. */
export const ALLOW_NOTHING = "allow-nothing";

/** Istio's path pattern for an IR path: exact as is, a prefix as `<prefix>*`. */
export function pathPattern(p: PathMatchIR): string {
  return p.kind === "exact" ? p.value : `${p.value}*`;
}

/** The namespaces that hold services: each gets an allow-nothing policy. Gateway-only namespaces are not ours to lock. */
export function lockedNamespaces(ctx: Context): string[] {
  return sortedUnique(ctx.ir.services.map((s) => s.namespace));
}

export function authorizationPolicies(ctx: Context): IstioObject[] {
  const out: IstioObject[] = [];
  for (const ns of lockedNamespaces(ctx)) out.push(object(ctx, SECURITY, "AuthorizationPolicy", ALLOW_NOTHING, ns, {}));
  for (const service of ctx.ir.services) {
    const rules = [...renderRules(grantsFor(ctx, service)), ...plaintextRules(ctx, service)];
    if (rules.length === 0) continue;
    out.push(
      object(ctx, SECURITY, "AuthorizationPolicy", service.name, service.namespace, {
        selector: { matchLabels: { ...service.selector } },
        action: "ALLOW",
        rules,
      }),
    );
  }
  out.push(...gatewayPolicies(ctx));
  for (const call of ctx.ir.calls) {
    if (call.to.kind !== "external" || (!call.methods && !call.paths && !call.grpcMethods)) continue;
    ctx.report(
      "request restrictions on a call to an external host",
      `Istio authorizes a request where it is received, and "${call.to.external}" runs no sidecar; the caller's Sidecar lets it reach the host, but not only with the declared methods and paths (that would take an egress gateway)`,
      call.fieldSpans.methods ?? call.fieldSpans.paths ?? call.fieldSpans.grpcMethods ?? call.span,
    );
  }
  return out;
}

function grantsFor(ctx: Context, service: ServiceIR): Grant[] {
  const grants: Grant[] = [];
  const portNamed = (name: string) => service.ports.find((p) => p.name === name);
  const add = (port: PortIR, principal: string, methods: readonly HttpMethod[] | undefined, paths: readonly PathMatchIR[] | undefined, span: Span) => {
    const restricted = methods !== undefined || paths !== undefined;
    if (!isRequestProtocol(port.protocol) && restricted) {
      ctx.report(
        "methods or paths on a TCP port",
        `port "${port.name}" of "${service.key}" is TCP; Istio authorizes TCP connections by identity and port only (an ALLOW rule with HTTP fields never matches TCP traffic), so the rule allows the whole port`,
        span,
      );
    }
    // A port without mTLS is open to every request (see plaintextRules): no grant to write.
    if (port.mtls === "disabled") return;
    const l7 = isRequestProtocol(port.protocol);
    grants.push({
      principals: [principal],
      port: port.targetPort,
      ...(l7 && methods ? { methods } : {}),
      ...(l7 && paths ? { paths: sortedUnique(paths.map(pathPattern)) } : {}),
    });
  };

  for (const call of ctx.index.callsToService(service.id)) {
    if (call.to.kind !== "service") continue;
    const port = portNamed(call.to.port);
    if (!port) continue;
    add(port, principalOf(ctx, call.from), call.methods, callPaths(call), call.span);
  }
  for (const { ingress, route } of ctx.index.ingressTo(service.id)) {
    const port = portNamed(route.to.port);
    if (port) add(port, ingress.gateway.identity.principal, route.methods, route.paths, route.span);
  }
  // A mirror is sent by the proxy of whoever called the mirrored port, under that caller's
  // identity: the mesh asked for the copy, so the mirror target admits the same requests.
  for (const { route, rule } of ctx.index.mirrorsInto(service.id)) {
    const mirror = rule.mirror;
    if (!mirror || mirror.to.kind !== "service" || !(mirror.percent > 0)) continue;
    const port = portNamed(mirror.to.port);
    if (!port) continue;
    for (const call of ctx.index.callsToPort(route.service, route.port)) {
      add(port, principalOf(ctx, call.from), call.methods, callPaths(call), mirror.span);
    }
    for (const { ingress, route: r } of ctx.index.ingressToPort(route.service, route.port)) {
      add(port, ingress.gateway.identity.principal, r.methods, r.paths, mirror.span);
    }
  }
  return grants;
}

/**
 * Plaintext clients. A permissive or disabled port accepts plaintext, and the mesh means it: such a
 * client (a scraper without a sidecar, say) has no identity for a grant to name, so it is admitted
 * for every request on the port. On a permissive port `notPrincipals: ["*"]` is exactly that
 * client (a peer without a certificate), while callers with an identity still need their grants.
 * On a disabled port nobody presents a certificate, callers with an identity included: the port
 * is open to every request, and the grants naming identities there cannot be enforced.
 */
function plaintextRules(ctx: Context, service: ServiceIR): Record<string, unknown>[] {
  const ports = (mode: PortIR["mtls"]) => service.ports.filter((p) => p.mtls === mode);
  const numbers = (list: readonly PortIR[]) => sortedUnique(list.map((p) => String(p.targetPort))).sort((a, b) => Number(a) - Number(b));
  const out: Record<string, unknown>[] = [];
  const permissive = ports("permissive");
  if (permissive.length > 0) out.push({ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { ports: numbers(permissive) } }] });
  const disabled = ports("disabled");
  for (const port of disabled) {
    ctx.report(
      "caller identities on a port without mTLS",
      `port "${port.name}" of "${service.key}" has mtls "disabled", so no caller presents a certificate or a principal; Istio cannot tell the declared callers from others there, and the port admits every request`,
      port.fieldSpans.mtls ?? service.fieldSpans.mtls ?? port.span,
    );
  }
  if (disabled.length > 0) out.push({ to: [{ operation: { ports: numbers(disabled) } }] });
  return out;
}

/**
 * `anyService` is `principals: ["*"]`: Istio matches it against any non-empty peer principal,
 * i.e. any caller that presented a mesh certificate. Plaintext callers have no principal and are
 * refused even on a PERMISSIVE port, which is what "any authenticated workload" means.
 */
function principalOf(ctx: Context, from: { kind: "service"; service: string } | { kind: "any" }): string {
  switch (from.kind) {
    case "any":
      return "*";
    case "service":
      return ctx.services.get(from.service)?.identity.principal ?? from.service;
    default:
      return assertNever(from, "caller");
  }
}

function operationKey(g: Pick<Grant, "methods" | "paths">): string {
  return JSON.stringify([g.methods ?? null, g.paths ?? null]);
}

/**
 * Merges grants the way one writes them by hand: callers allowed the same requests on the same
 * port share a rule, and a rule allowed on several ports lists them together.
 */
function renderRules(grants: readonly Grant[]): Record<string, unknown>[] {
  const byOperation = new Map<string, { port: number; methods?: readonly HttpMethod[]; paths?: readonly string[]; principals: Set<string> }>();
  for (const g of grants) {
    const key = `${g.port}|${operationKey(g)}`;
    const entry = byOperation.get(key) ?? { port: g.port, ...(g.methods ? { methods: g.methods } : {}), ...(g.paths ? { paths: g.paths } : {}), principals: new Set<string>() };
    for (const p of g.principals) entry.principals.add(p);
    byOperation.set(key, entry);
  }
  const byRule = new Map<string, { principals: string[]; methods?: readonly HttpMethod[]; paths?: readonly string[]; ports: Set<number> }>();
  for (const e of byOperation.values()) {
    // "*" already admits every authenticated principal.
    const principals = e.principals.has("*") ? ["*"] : sortedUnique(e.principals);
    const key = `${JSON.stringify(principals)}|${operationKey(e)}`;
    const rule = byRule.get(key) ?? { principals, ...(e.methods ? { methods: e.methods } : {}), ...(e.paths ? { paths: e.paths } : {}), ports: new Set<number>() };
    rule.ports.add(e.port);
    byRule.set(key, rule);
  }
  return [...byRule.values()]
    .map((r) => {
      const ports = [...r.ports].sort((a, b) => a - b).map(String);
      return {
        sort: `${r.principals.join(",")}|${ports.join(",")}|${operationKey(r)}`,
        rule: {
          from: [{ source: { principals: r.principals } }],
          to: [{ operation: { ports, ...(r.methods ? { methods: [...r.methods] } : {}), ...(r.paths ? { paths: [...r.paths] } : {}) } }],
        },
      };
    })
    .sort((a, b) => compareIds(a.sort, b.sort))
    .map((r) => r.rule);
}

/** The name of the policy that opens an ingress gateway to its entry points. */
export function gatewayPolicyName(ingress: IngressIR): string {
  return `ingress-${ingress.name}`;
}

/**
 * An allow-nothing policy selects every workload of its namespace, the ingress gateway's pods
 * included when they share it, which would refuse every request from outside. Where that is the
 * case the gateway gets an ALLOW policy for exactly the requests its entry points route, on its
 * listener's container port. A gateway in a namespace without services is left alone: it may
 * serve other teams' hosts.
 */
function gatewayPolicies(ctx: Context): IstioObject[] {
  const locked = new Set(lockedNamespaces(ctx));
  const out: IstioObject[] = [];
  for (const ingress of ctx.ir.ingresses) {
    if (!locked.has(ingress.gateway.namespace)) continue;
    const rules = ingress.routes.map((r) => {
      const operation = {
        ports: [String(ingress.targetPort)],
        ...(r.methods ? { methods: [...r.methods] } : {}),
        ...(r.paths ? { paths: sortedUnique(r.paths.map(pathPattern)) } : {}),
      };
      return { to: [{ operation }] };
    });
    const unique = [...new Map(rules.map((r) => [JSON.stringify(r), r])).values()];
    out.push(
      object(ctx, SECURITY, "AuthorizationPolicy", gatewayPolicyName(ingress), ingress.gateway.namespace, {
        selector: { matchLabels: { ...ingress.gateway.selector } },
        action: "ALLOW",
        rules: unique,
      }),
    );
  }
  return out;
}
