import type { Artifact } from "../compiler/artifact.js";
import { diagnostic } from "../compiler/codes.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { MeshIR, Span } from "../compiler/ir.js";

export interface TargetOptions {
  /** Where persistent state (the CA) lives; outside `out/`. */
  readonly stateDir: string;
  /** Write Secret manifests holding private keys into the output (off by default). */
  readonly includeSecrets?: boolean;
  /** The clock, injectable so certificate validity is reproducible in tests. */
  readonly now?: Date;
  /**
   * The targets built together in this run (e.g. kubernetes with istio), so one target can make
   * room for another: the kubernetes target lets sidecars reach their control plane.
   */
  readonly targets?: readonly string[];
}

export interface TargetResult {
  readonly artifacts: readonly Artifact[];
  readonly diagnostics: readonly Diagnostic[];
}

/** A target: a pure function of the IR (plus the CA state for certificates). */
export interface Target {
  readonly name: string;
  readonly description: string;
  /** False for debugging targets that `--target all` leaves out. */
  readonly inAll?: boolean;
  readonly run: (ir: MeshIR, options: TargetOptions) => TargetResult;
}

/** The one path for "this target cannot express that": a MESH200 at the line in mesh.ts. */
export function unsupported(target: string, feature: string, detail: string, span: Span | undefined): Diagnostic {
  return diagnostic("UnsupportedFeature", { target, feature, detail }, span, { target });
}

/**
 * What a target's exception means to the user: a certificate authority problem (the PKI throws
 * `PkiError`s naming the file and the fix) is theirs to act on; anything else is a bug in meshc.
 */
export function targetFailure(error: unknown, target: string, ir: MeshIR): Diagnostic {
  if (error instanceof Error && error.name === "PkiError") {
    return diagnostic("CertificateState", { detail: error.message }, ir.certificates.span, { target });
  }
  const text = error instanceof Error ? `${error.message}${process.env.MESHC_DEBUG ? `\n${error.stack}` : ""}` : String(error);
  return diagnostic("InternalError", { error: text }, undefined, { target });
}
