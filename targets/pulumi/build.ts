/**
 * Compiling a mesh for a deployment: compile, optionally move the default namespace, run the
 * targets. The same steps as `buildMesh` (nothing is written to disk), split open because the
 * namespace moves between compiling and running the targets.
 */
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../../compiler/artifact.js";
import { compileMesh } from "../../compiler/compile.js";
import { hasErrors, sortDiagnostics, suggestion, type Diagnostic } from "../../compiler/diagnostics.js";
import { formatText } from "../../compiler/format/text.js";
import type { MeshIR } from "../../compiler/ir.js";
import { targets as registry, type Target } from "../index.js";
import { createIstioTarget } from "../istio/index.js";
import { createLinkerdTarget } from "../linkerd/index.js";
import { targetFailure } from "../target.js";
import { moveDefaultNamespace } from "./namespace.js";

/** The target whose Namespaces, ServiceAccounts, Services and Deployments the mesh targets build on. */
export const WORKLOADS_TARGET = "kubernetes";
/** Certificates come from the Pulumi PKI (keys in Pulumi state), never from meshc's certs target. */
export const CERTS_TARGET = "certs";

/**
 * Targets a MeshDeployment accepts: the registered ones `--target all` runs, except the certs
 * target, which the deployment's PKI replaces.
 */
export function deployableTargets(): Target[] {
  return registry.filter((t) => t.inAll !== false && t.name !== CERTS_TARGET);
}

/**
 * A mesh that cannot be deployed: its diagnostics printed the way `meshc check` prints them. A
 * Pulumi `RunError`, so `pulumi up` shows the message without a stack trace.
 */
export class MeshDeploymentError extends pulumi.RunError {
  constructor(
    message: string,
    /** The diagnostics behind the message (empty for a configuration mistake). */
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
    this.name = "MeshDeploymentError";
  }
}

const DNS1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface BuildRequest {
  /** Path of the mesh.ts, relative to `cwd`. */
  readonly mesh: string;
  readonly target: string;
  /** Also run the kubernetes target (the objects mesh targets assume exist). */
  readonly workloads: boolean;
  /** Moves the mesh's default namespace. */
  readonly namespace?: string;
  /** Warnings fail the deployment, as with `meshc build --strict`. */
  readonly strict: boolean;
  /** Where relative paths start and what diagnostics are printed relative to. */
  readonly cwd: string;
}

export interface MeshBuild {
  readonly ir: MeshIR;
  /** The targets that ran, in registry order. */
  readonly targets: readonly string[];
  /** In target order. */
  readonly artifacts: readonly Artifact[];
  /** Warnings and notes (a build with errors throws). */
  readonly diagnostics: readonly Diagnostic[];
  /** The mesh's root folder: what diagnostic spans are relative to. */
  readonly root: string;
}

/** The targets a request runs, in registry order; throws on a target name that cannot be deployed. */
export function targetsFor(request: Pick<BuildRequest, "target" | "workloads">): Target[] {
  const deployable = deployableTargets();
  const chosen = deployable.find((t) => t.name === request.target);
  if (!chosen) {
    const names = deployable.map((t) => t.name).join(", ");
    if (request.target === CERTS_TARGET) {
      throw new MeshDeploymentError(`the certs target is not deployed through Pulumi: the deployment issues the mesh's certificates itself, keys in Pulumi state (\`certificates\`); use one of ${names}.`);
    }
    throw new MeshDeploymentError(`unknown target "${request.target}"; use one of ${names}.${suggestion(request.target, deployable.map((t) => t.name))}`);
  }
  const names = new Set([chosen.name, ...(request.workloads ? [WORKLOADS_TARGET] : [])]);
  // Through Pulumi the mesh's CA lives in Pulumi state (MeshPki), not in meshc's state folder:
  // the mesh targets run without the certs target's material.
  return registry.filter((t) => names.has(t.name)).map((t) => (t.name === "linkerd" ? createLinkerdTarget() : t.name === "istio" ? createIstioTarget() : t));
}

/** Compiles the mesh and runs the targets; throws a MeshDeploymentError when the mesh has errors. */
export function buildForDeployment(request: BuildRequest): MeshBuild {
  const chosen = targetsFor(request);
  if (request.namespace !== undefined && !DNS1123_LABEL.test(request.namespace)) {
    throw new MeshDeploymentError(`namespace "${request.namespace}" is not a Kubernetes namespace name (lower-case letters, digits and "-", at most 63 characters).`);
  }
  const entry = path.resolve(request.cwd, request.mesh);
  const compiled = compileMesh(entry);
  const diagnostics: Diagnostic[] = [...compiled.diagnostics];
  const report = () => formatText(sortDiagnostics(diagnostics), { root: compiled.sources.root, cwd: request.cwd, color: false });
  const fail = () => new MeshDeploymentError(`${request.mesh} cannot be deployed:\n\n${report()}`, sortDiagnostics(diagnostics));
  if (!compiled.ir || hasErrors(diagnostics, request.strict)) throw fail();
  const ir = request.namespace !== undefined ? moveDefaultNamespace(compiled.ir, request.namespace) : compiled.ir;
  const artifacts: Artifact[] = [];
  const stateDir = path.join(compiled.sources.root, ".meshc");
  for (const target of chosen) {
    try {
      const result = target.run(ir, { stateDir, targets: chosen.map((t) => t.name) });
      artifacts.push(...result.artifacts);
      diagnostics.push(...result.diagnostics);
    } catch (error) {
      diagnostics.push(targetFailure(error, target.name, ir));
    }
  }
  if (hasErrors(diagnostics, request.strict)) throw fail();
  return {
    ir,
    targets: chosen.map((t) => t.name),
    artifacts,
    diagnostics: sortDiagnostics(diagnostics),
    root: compiled.sources.root,
  };
}
