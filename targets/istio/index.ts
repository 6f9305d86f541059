/**
 * The Istio target (sidecar mode): security.istio.io/v1 and networking.istio.io/v1 objects that
 * enforce the mesh's identities, allowed calls and traffic policy, written under
 * `out/istio/<namespace>/` and applied with `kubectl apply -k out/istio`.
 */
import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, type MeshIR } from "../../compiler/ir.js";
import { istioPluginCa } from "../certs/material.js";
import { namespaceObject, sortedLabels } from "../kubernetes/workloads.js";
import type { Target, TargetOptions } from "../target.js";
import { authorizationPolicies } from "./authorization-policy.js";
import { cacertsSecret, type IstioPluginCa } from "./cacerts.js";
import { destinationRules } from "./destination-rule.js";
import { externalExports, externalNames, serviceEntries, sidecars } from "./egress.js";
import { gateways } from "./gateway.js";
import { TARGET, createContext, type IstioObject } from "./model.js";
import { peerAuthentications } from "./peer-authentication.js";
import { proxyConfigs } from "./proxy-config.js";
import { rateLimitFilters } from "./rate-limit.js";
import { virtualServices } from "./virtual-service.js";

export type { IstioPluginCa } from "./cacerts.js";
export type { IstioObject } from "./model.js";

/** What the Istio target takes besides the IR. */
export interface IstioTargetInputs {
  /**
   * The mesh CA for Istio's plug-in CA Secret (`istio-system/cacerts`), usually from the
   * certificate target's state. Without it, or without `includeSecrets`, no Secret is written
   * and istiod keeps its own self-signed CA.
   */
  readonly pluginCa?: (ir: MeshIR, options: TargetOptions) => IstioPluginCa | undefined;
}

/** Every Istio object for a mesh, in a stable order, plus what Istio cannot express. */
export function istioObjects(ir: MeshIR): { objects: IstioObject[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const ctx = createContext(ir, diagnostics);
  const names = externalNames(ctx);
  const exports = externalExports(ctx);
  const objects = [
    ...peerAuthentications(ctx),
    ...authorizationPolicies(ctx),
    ...destinationRules(ctx, names, exports),
    ...virtualServices(ctx, names, exports),
    ...sidecars(ctx),
    ...serviceEntries(ctx, names, exports),
    ...gateways(ctx),
    ...rateLimitFilters(ctx),
    ...proxyConfigs(ctx),
  ];
  return { objects, diagnostics };
}

/**
 * The mesh's namespaces labelled for sidecar injection: without a sidecar, none of the policies
 * above applies to a pod. The kubernetes target's Namespace plus the label, so applying both
 * targets in either order converges.
 */
function injectedNamespaces(ir: MeshIR) {
  return ir.namespaces.map((ns) => {
    const base = namespaceObject(ir, ns);
    return { ...base, metadata: { ...base.metadata, labels: sortedLabels({ ...base.metadata.labels, "istio-injection": "enabled" }) } };
  });
}

export function createIstioTarget(inputs: IstioTargetInputs = {}): Target {
  return {
    name: TARGET,
    description: "Istio (sidecar mode): PeerAuthentication, AuthorizationPolicy, DestinationRule, VirtualService, Sidecar, ServiceEntry, Gateway, ProxyConfig",
    run(ir, options) {
      const { objects, diagnostics } = istioObjects(ir);
      const artifacts: Artifact[] = [...injectedNamespaces(ir), ...objects].map((o) => kubernetesArtifact(TARGET, o));
      const ca = options.includeSecrets ? inputs.pluginCa?.(ir, options) : undefined;
      if (ca) artifacts.push(kubernetesArtifact(TARGET, cacertsSecret(ir, ca), { sensitive: true }));
      return { artifacts: artifacts.sort((a, b) => compareIds(a.path, b.path)), diagnostics };
    },
  };
}

/** The Istio target as registered: the plug-in CA comes from the certificate target's state folder. */
export const istioTarget: Target = createIstioTarget({ pluginCa: istioPluginCa });
