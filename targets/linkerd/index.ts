/**
 * The Linkerd target (Linkerd 2.16+; egress control and rate limits need 2.17+): namespace
 * annotations (injection, default-deny inbound policy), a Server per service port with its
 * authorizations and per-route HTTPRoutes/GRPCRoutes, client-side timeouts, retries and failure
 * accrual, GAMMA routes for splits and matches, local rate limits, EgressNetwork egress control,
 * and, when a PKI is supplied, the identity trust anchor and issuer. Everything else the mesh
 * declares and Linkerd cannot express is a MESH200 at its line. See README.md beside this file.
 */
import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import { diagnostic } from "../../compiler/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, type MeshIR } from "../../compiler/ir.js";
import { linkerdIdentity } from "../certs/material.js";
import { namespaceObject, serviceObject, sortedLabels } from "../kubernetes/workloads.js";
import type { Target, TargetOptions, TargetResult } from "../target.js";
import { authorization, servers } from "./authorization.js";
import { createContext, type KubeObject, sortKeys } from "./context.js";
import { egress } from "./egress.js";
import { identityObjects, type LinkerdIdentityProvider } from "./identity.js";
import { linkerdDuration, TARGET } from "./names.js";
import { connectTimeout, traffic } from "./traffic.js";

export type { LinkerdIdentityMaterial, LinkerdIdentityProvider } from "./identity.js";

export interface LinkerdTargetOptions {
  /**
   * Where the identity trust anchor and issuer come from (the certificate target's PKI). Without
   * it, no identity objects are written and Linkerd keeps the identity it was installed with.
   */
  readonly identity?: LinkerdIdentityProvider;
}

/** Builds the Linkerd target; the registered one takes its identity from the certs target's CA. */
export function createLinkerdTarget(options: LinkerdTargetOptions = {}): Target {
  return {
    name: TARGET,
    description: "Linkerd policy (Servers, AuthorizationPolicies, per-route HTTPRoutes/GRPCRoutes), GAMMA routes, retries, timeouts, rate limits and egress",
    run: (ir, targetOptions) => run(ir, targetOptions, options),
  };
}

export const linkerdTarget: Target = createLinkerdTarget({ identity: linkerdIdentity });

function run(ir: MeshIR, targetOptions: TargetOptions, options: LinkerdTargetOptions): TargetResult {
  const ctx = createContext(ir);
  const diagnostics: Diagnostic[] = [];
  const all = servers(ctx);
  const policy = authorization(ctx, all);
  const client = traffic(ctx, all);
  const connect = connectTimeout(ctx);

  const namespaces: KubeObject[] = ir.namespaces.map((ns) => {
    const base = namespaceObject(ir, ns);
    return {
      ...base,
      metadata: {
        ...base.metadata,
        annotations: sortKeys({
          "linkerd.io/inject": "enabled",
          // meshc meshes are default-deny: a port no Server selects refuses every connection.
          "config.linkerd.io/default-inbound-policy": "deny",
          ...(connect !== undefined ? { "config.linkerd.io/proxy-outbound-connect-timeout": linkerdDuration(connect) } : {}),
        }),
      },
    } as KubeObject;
  });

  const services: KubeObject[] = [];
  for (const service of ir.services) {
    const annotations = client.serviceAnnotations.get(service.id) ?? {};
    const base = serviceObject(ir, service);
    if (!base || Object.keys(annotations).length === 0) continue;
    services.push({ ...base, metadata: { ...base.metadata, labels: sortedLabels(base.metadata.labels ?? {}), annotations: sortKeys(annotations) } } as KubeObject);
  }

  const objects: KubeObject[] = [...namespaces, ...services, ...policy, ...client.objects, ...egress(ctx)];
  let secrets: KubeObject[] = [];
  if (options.identity) {
    const supplied = options.identity(ir, targetOptions);
    diagnostics.push(...supplied.diagnostics);
    if (supplied.material) {
      const id = identityObjects(ctx, supplied.material, targetOptions);
      objects.push(...id.objects);
      secrets = id.secrets;
    }
  }

  const artifacts: Artifact[] = [];
  const seen = new Set<string>();
  const add = (object: KubeObject, sensitive: boolean) => {
    const artifact = kubernetesArtifact(TARGET, object, sensitive ? { sensitive: true } : {});
    if (seen.has(artifact.path)) {
      // Generated names join declared ones (a version Service "<service>-<version>", say), so a
      // declaration can collide with a generated object; the second would overwrite the first.
      diagnostics.push(diagnostic("DuplicateName", { kind: `generated ${object.kind}`, name: object.metadata.name }, ir.fieldSpans.services ?? ir.span, { target: TARGET }));
      return;
    }
    seen.add(artifact.path);
    artifacts.push(artifact);
  };
  for (const o of objects) add(o, false);
  for (const o of secrets) add(o, true);
  artifacts.sort((a, b) => compareIds(a.path, b.path));
  return { artifacts, diagnostics: [...ctx.diagnostics(), ...diagnostics] };
}
