/**
 * What a target's evaluator implements to be compared with the intent oracle, and the comparison.
 *
 * An evaluator decides probes from the target's generated objects only, never from the IR. It is
 * handed the probe in two forms: the probe itself (ids, for messages and bookkeeping) and the
 * concrete request a real client would send: who (SPIFFE id, service account, pod labels and
 * namespace of the calling workload, or a plaintext client), where (the Kubernetes Service name,
 * namespace, port number), and what (method, path, headers). Those are facts about the network,
 * not about mesh.ts; an evaluator that decides from them and the generated objects is decided
 * by the target's own semantics.
 */
import type { Artifact } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { HttpMethod, MeshIR, Protocol, Span } from "../../compiler/ir.js";
import { callerIdentity, decide, decideConnection, indexMesh, spansAtStake, type Decision, type OracleIndex, type Probe } from "./intent.js";
import { describeProbe, UNKNOWN_SERVICE_ACCOUNT } from "./probes.js";

/** The calling workload as the network sees it. */
export type ConcreteSource =
  | {
      readonly kind: "workload";
      readonly namespace: string;
      readonly serviceAccount: string;
      /** `spiffe://<trust-domain>/ns/<ns>/sa/<sa>` */
      readonly spiffeId: string;
      /** `<trust-domain>/ns/<ns>/sa/<sa>` (Istio's principal form). */
      readonly principal: string;
      /** The calling pod's labels. */
      readonly labels: Readonly<Record<string, string>>;
    }
  | {
      /** No sidecar, no identity: a pod with these labels, outside the mesh's declared services. */
      readonly kind: "plaintext";
      readonly namespace: string;
      readonly labels: Readonly<Record<string, string>>;
    };

/** The concrete request (or connection) a probe stands for. */
export interface ConcreteRequest {
  readonly source: ConcreteSource;
  readonly destination: {
    /** The Kubernetes Service called. */
    readonly service: string;
    readonly namespace: string;
    /** `<service>.<namespace>.svc.cluster.local` */
    readonly host: string;
    /** The Service port the client connects to. */
    readonly port: number;
    /** The container port the request reaches on the pod. */
    readonly targetPort: number;
    /** Labels of the destination's pods (one set per version; one set when there are none). */
    readonly pods: readonly Readonly<Record<string, string>>[];
  };
  readonly protocol: Protocol;
  /** For gRPC: `POST`. Absent on TCP. */
  readonly method?: HttpMethod;
  /** For gRPC: `/package.Service/Method`. Absent on TCP. */
  readonly path?: string;
  readonly grpcMethod?: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A target's decision. `route` fields left undefined are not compared. */
export interface TargetDecision {
  readonly allowed: boolean;
  readonly reason?: string;
  readonly route?: {
    /** The versions and weights, or `"all"` when the target does not pin versions. */
    readonly destinations?: readonly { readonly version: string; readonly weight: number }[] | "all";
    /** `null`: no timeout. */
    readonly timeoutMs?: number | null;
    /** `null`: no retries. */
    readonly retries?: { readonly attempts: number; readonly perTryTimeoutMs?: number } | null;
  };
}

export interface TargetEvaluator {
  /** The target's name, as in targets/index.ts: MESH2xx diagnostics of this target excuse mismatches. */
  readonly target: string;
  /**
   * `request` (default): decides requests (L7) and is compared with the oracle's decision.
   * `connection`: decides connections only (L3/L4, e.g. NetworkPolicy) and is compared with
   * the oracle's connection decision (some request of the caller on that port is allowed).
   */
  readonly layer?: "request" | "connection";
  /**
   * `identity` (default): tells callers apart by their identity, like the DSL.
   * `workload`: by pod labels (NetworkPolicy), so a service sharing another's identity is not
   * admitted by that other's grants.
   */
  readonly subjects?: "identity" | "workload";
  /** Decides one probe, or says it cannot (a plaintext client for an evaluator that cannot place one, say). */
  decide(probe: Probe, request: ConcreteRequest): TargetDecision | "unsupported";
}

/** What a target produced for a mesh: what a plug-in builds its evaluator from. */
export interface TargetOutput {
  readonly target: string;
  readonly artifacts: readonly Artifact[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every target's artifacts, by target name, for evaluators that need another target's objects (Services, Deployments). */
  readonly all: ReadonlyMap<string, readonly Artifact[]>;
}

/**
 * How a target's evaluator plugs into the equivalence suite: export it as `oraclePlugin` from
 * `test/evaluators/<name>.ts` (see test/oracle/equivalence.test.ts).
 */
export interface EvaluatorPlugin {
  /** The target's name, as in targets/index.ts. */
  readonly target: string;
  /** The targets whose output the evaluator reads (its own, plus e.g. "kubernetes"). */
  readonly needs?: readonly string[];
  /** Builds an evaluator from the targets' output (never from the IR). */
  evaluator(output: TargetOutput): TargetEvaluator;
}

/** The concrete request of a probe. */
export function concreteRequest(ir: MeshIR, probe: Probe, index: OracleIndex = indexMesh(ir)): ConcreteRequest {
  const callee = index.services.get(probe.callee);
  const port = callee?.ports.find((p) => p.name === probe.port);
  if (!callee || !port) throw new Error(`probe of an undeclared port: ${describeProbe(probe)}`);
  const grpc = probe.grpcMethod !== undefined;
  return {
    source: sourceOf(ir, index, probe.caller),
    destination: {
      service: callee.name,
      namespace: callee.namespace,
      host: `${callee.name}.${callee.namespace}.svc.${ir.clusterDomain}`,
      port: port.port,
      targetPort: port.targetPort,
      pods: callee.versions.length > 0 ? callee.versions.map((v) => ({ ...callee.labels, ...v.selector })) : [{ ...callee.labels, ...callee.selector }],
    },
    protocol: port.protocol,
    ...(grpc ? { method: "POST" as const, path: `/${probe.grpcMethod}`, grpcMethod: probe.grpcMethod } : {}),
    ...(!grpc && probe.method !== undefined ? { method: probe.method } : {}),
    ...(!grpc && probe.path !== undefined ? { path: probe.path } : {}),
    headers: { ...(probe.headers ?? {}) },
  };
}

function sourceOf(ir: MeshIR, index: OracleIndex, caller: Probe["caller"]): ConcreteSource {
  switch (caller.kind) {
    case "service": {
      const s = index.services.get(caller.service)!;
      // A caller with versions runs as pods of its first version.
      const labels = { ...s.labels, ...(s.versions[0]?.selector ?? s.selector) };
      return { kind: "workload", namespace: s.namespace, serviceAccount: s.serviceAccount, spiffeId: s.identity.spiffeId, principal: s.identity.principal, labels };
    }
    case "ingress": {
      const g = index.ingresses.get(caller.ingress)!.gateway;
      return { kind: "workload", namespace: g.namespace, serviceAccount: g.serviceAccount, spiffeId: g.identity.spiffeId, principal: g.identity.principal, labels: { ...g.selector } };
    }
    case "identity": {
      const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(caller.spiffeId);
      const namespace = m?.[2] ?? ir.namespace;
      const serviceAccount = m?.[3] ?? UNKNOWN_SERVICE_ACCOUNT;
      return {
        kind: "workload",
        namespace,
        serviceAccount,
        spiffeId: caller.spiffeId,
        principal: caller.spiffeId.replace(/^spiffe:\/\//, ""),
        labels: { app: serviceAccount },
      };
    }
    case "plaintext":
      return { kind: "plaintext", namespace: ir.namespace, labels: { app: "meshc-probe-plaintext" } };
  }
}

export type Aspect = "allowed" | "destinations" | "timeout" | "retries";

export interface Mismatch {
  readonly probe: Probe;
  readonly aspect: Aspect;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly oracle: Decision;
  readonly target: TargetDecision;
  /** The MESH2xx that excuses it, if any. */
  readonly excusedBy?: Diagnostic;
}

export interface Comparison {
  readonly target: string;
  /** Probes handed to the evaluator (after connection-level de-duplication). */
  readonly probes: number;
  readonly unsupported: number;
  /** Unexcused mismatches: each one is a bug in the target or its evaluator. */
  readonly mismatches: readonly Mismatch[];
  /** Mismatches a MESH2xx of the target covers. */
  readonly excused: readonly Mismatch[];
}

const isTargetLimit = (d: Diagnostic, target: string) => /^MESH2\d\d$/.test(d.code) && (d.target === undefined || d.target === target) && d.span !== undefined;

function within(inner: Span, outer: Span): boolean {
  if (inner.file !== outer.file) return false;
  const before = (l1: number, c1: number, l2: number, c2: number) => l1 < l2 || (l1 === l2 && c1 <= c2);
  return before(outer.line, outer.column, inner.line, inner.column) && before(inner.endLine, inner.endColumn, outer.endLine, outer.endColumn);
}

/**
 * Compares an evaluator with the oracle on every probe. A mismatch is excused only by a MESH2xx
 * of that target located within a declaration at stake for the probe (a call or ingress route to
 * the port, the port, its mTLS mode, a mirror into it; for routing, the port's route and rules,
 * the callee's traffic policy and the mesh defaults): the target said it cannot express it.
 */
export function compareWithOracle(ir: MeshIR, evaluator: TargetEvaluator, probes: readonly Probe[], diagnostics: readonly Diagnostic[]): Comparison {
  const index = indexMesh(ir);
  const limits = diagnostics.filter((d) => isTargetLimit(d, evaluator.target));
  const mismatches: Mismatch[] = [];
  const excused: Mismatch[] = [];
  let asked = 0;
  let unsupported = 0;
  const seen = new Set<string>();
  for (const probe of probes) {
    let oracle: Decision;
    if (evaluator.layer === "connection") {
      const key = JSON.stringify([probe.caller, probe.callee, probe.port]);
      if (seen.has(key)) continue;
      seen.add(key);
      oracle = decideConnection(index, probe.caller, probe.callee, probe.port);
    } else {
      oracle = decide(index, probe);
    }
    asked++;
    const actual = evaluator.decide(probe, concreteRequest(ir, probe, index));
    if (actual === "unsupported") {
      unsupported++;
      continue;
    }
    const expectedAllowed = evaluator.subjects === "workload" && oracle.viaSharedIdentity && callerIdentity(index, probe.caller) !== undefined ? false : oracle.allowed;
    const found: Omit<Mismatch, "excusedBy">[] = [];
    if (actual.allowed !== expectedAllowed) {
      found.push({ probe, aspect: "allowed", expected: expectedAllowed, actual: actual.allowed, oracle, target: actual });
    } else if (actual.allowed && oracle.route && actual.route) {
      const r = oracle.route;
      const t = actual.route;
      if (t.destinations !== undefined && normalizeSplit(t.destinations) !== normalizeSplit(r.destinations)) {
        found.push({ probe, aspect: "destinations", expected: r.destinations, actual: t.destinations, oracle, target: actual });
      }
      if (t.timeoutMs !== undefined && !r.ambiguous && (t.timeoutMs ?? undefined) !== r.timeoutMs) {
        found.push({ probe, aspect: "timeout", expected: r.timeoutMs ?? null, actual: t.timeoutMs, oracle, target: actual });
      }
      if (t.retries !== undefined && !r.ambiguous) {
        const want = r.retries && r.retries.attempts > 0 ? { attempts: r.retries.attempts, perTryTimeoutMs: r.retries.perTryTimeoutMs } : null;
        const got = t.retries && t.retries.attempts > 0 ? { attempts: t.retries.attempts, perTryTimeoutMs: t.retries.perTryTimeoutMs } : null;
        if (JSON.stringify(want) !== JSON.stringify(got)) found.push({ probe, aspect: "retries", expected: want, actual: got, oracle, target: actual });
      }
    }
    for (const m of found) {
      const stake = spansAtStake(index, probe, m.aspect === "allowed" ? "allowed" : "route");
      const excuse = limits.find((d) => stake.some((s) => within(d.span!, s)));
      if (excuse) excused.push({ ...m, excusedBy: excuse });
      else mismatches.push(m);
    }
  }
  return { target: evaluator.target, probes: asked, unsupported, mismatches, excused };
}

/** Weights by version, zero weights dropped, in a stable text form. */
function normalizeSplit(d: readonly { version: string; weight: number }[] | "all"): string {
  if (d === "all") return "all";
  const sums = new Map<string, number>();
  for (const { version, weight } of d) if (weight > 0) sums.set(version, (sums.get(version) ?? 0) + weight);
  return JSON.stringify([...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One line per mismatch, for test failures. */
export function describeMismatch(m: Mismatch): string {
  return `${describeProbe(m.probe)}: ${m.aspect} expected ${JSON.stringify(m.expected)}, target says ${JSON.stringify(m.actual)} (oracle: ${m.oracle.reason}${m.target.reason ? `; target: ${m.target.reason}` : ""})`;
}

/** The oracle as an evaluator: a reference for the comparison itself (and the base of deliberately wrong ones in tests). */
export function oracleEvaluator(ir: MeshIR, target = "oracle"): TargetEvaluator {
  const index = indexMesh(ir);
  return {
    target,
    decide(probe) {
      const d = decide(index, probe);
      return {
        allowed: d.allowed,
        reason: d.reason,
        ...(d.route
          ? {
              route: {
                destinations: d.route.destinations,
                timeoutMs: d.route.timeoutMs ?? null,
                retries: d.route.retries ? { attempts: d.route.retries.attempts, ...(d.route.retries.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: d.route.retries.perTryTimeoutMs } : {}) } : null,
              },
            }
          : {}),
      };
    },
  };
}
