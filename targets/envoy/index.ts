import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import { diagnostic } from "../../compiler/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, type MeshIR, type Span } from "../../compiler/ir.js";
import type { Target, TargetResult } from "../target.js";
import { gatewayConfig, sidecarConfig } from "./bootstrap.js";
import {
  configFiles,
  configHash,
  configMapObject,
  deploymentsOf,
  gatewayName,
  gatewayObjects,
  inboundPolicy,
  meshServices,
  outboundPolicy,
  servicePatch,
  sidecarPatch,
} from "./kubernetes.js";
import { indexMesh, Reporter } from "./model.js";
import { configMapName, TARGET } from "./naming.js";

type Json = { [key: string]: unknown };
interface Named {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
}

function run(ir: MeshIR): TargetResult {
  const index = indexMesh(ir);
  const reporter = new Reporter();
  const diagnostics: Diagnostic[] = [];
  const artifacts: Artifact[] = [];
  const seen = new Map<string, Span>();
  const emit = (artifact: Artifact, object: Named, span: Span) => {
    const first = seen.get(artifact.path);
    if (first) {
      diagnostics.push(
        diagnostic("DuplicateName", { kind: `generated ${object.kind}`, name: object.metadata.name }, span, {
          related: [{ message: `The other ${object.kind} named "${object.metadata.name}" comes from here.`, span: first }],
          target: TARGET,
        }),
      );
      return;
    }
    seen.set(artifact.path, span);
    artifacts.push(artifact);
  };
  const object = (o: Named, span: Span) => emit(kubernetesArtifact(TARGET, o as Named & { metadata: { name: string } }), o, span);
  // Patches are not resources: they live apart, out of the kustomization (a namespace's in one
  // patches.yaml), applied with kustomize `patches:` or `kubectl apply --server-side` (see README).
  const patch = (o: Json & Named, span: Span) =>
    emit({ path: `${TARGET}/${o.metadata.namespace}/patches/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`, yaml: o, patch: true }, o, span);

  // The headless Services share the cluster with the kubernetes target's Services.
  const declared = new Map(ir.services.map((s) => [`${s.namespace}/${s.name}`, s.span]));
  const headless = (s: Named, span: Span) => {
    const clash = declared.get(`${s.metadata.namespace}/${s.metadata.name}`);
    if (clash) {
      diagnostics.push(
        diagnostic("DuplicateName", { kind: "Service", name: s.metadata.name }, span, {
          related: [{ message: `The sidecars' headless Service "${s.metadata.name}" would replace the Service of the service declared here.`, span: clash }],
          target: TARGET,
        }),
      );
    }
    if (s.metadata.name.length > 63) {
      reporter.unsupported("a Service name longer than 63 characters", `the headless Service "${s.metadata.name}" exceeds the DNS label limit; shorten the service's name`, span);
    }
    object(s, span);
  };

  for (const service of ir.services) {
    const config = sidecarConfig(index, service, reporter);
    const files = configFiles(config);
    const hash = configHash(files);
    object(configMapObject(ir, configMapName(service), service.namespace, files), service.span);
    for (const d of deploymentsOf(service)) patch(sidecarPatch(service, d.name, config, hash) as Json & Named, d.version?.span ?? service.span);
    if (service.ports.length > 0) {
      patch(servicePatch(service) as Json & Named, service.span);
      for (const s of meshServices(ir, index, service)) headless(s, service.span);
      object(inboundPolicy(ir, index, service), service.span);
    }
    if (ir.egress === "registry-only") object(outboundPolicy(ir, service.name, service.namespace, service.selector, config.destinations), service.span);
  }

  for (const ingress of ir.ingresses) {
    const config = gatewayConfig(index, ingress, reporter);
    const files = configFiles(config);
    const name = gatewayName(ingress);
    object(configMapObject(ir, `${name}-envoy`, ingress.gateway.namespace, files), ingress.span);
    for (const o of gatewayObjects(ir, ingress, configHash(files))) object(o, ingress.span);
    if (ir.egress === "registry-only") object(outboundPolicy(ir, name, ingress.gateway.namespace, ingress.gateway.selector, config.destinations), ingress.span);
  }

  if (ir.egress === "registry-only") {
    const called = new Set(ir.calls.flatMap((c) => (c.to.kind === "external" ? [c.to.external] : [])));
    for (const external of ir.external.filter((x) => called.has(x.id))) {
      reporter.unsupported(
        "registry-only egress by host name",
        `a NetworkPolicy cannot name "${external.host}", so its callers' pods may open port ${[...new Set(external.ports.map((p) => p.port))].sort((a, b) => a - b).join(", ")} to any address; an app that dials around its sidecar is not held to the host`,
        external.span,
      );
    }
  }

  return { artifacts: artifacts.sort((a, b) => compareIds(a.path, b.path)), diagnostics: [...diagnostics, ...reporter.diagnostics] };
}

/** Static Envoy sidecars and gateways: meshc as the control plane, no xDS server. */
export const envoyTarget: Target = {
  name: TARGET,
  description: "Static Envoy v3 sidecar and gateway configs (ConfigMaps), sidecar patches, headless Services and NetworkPolicies",
  run: (ir) => run(ir),
};
