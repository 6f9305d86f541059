/**
 * Namespaces, ServiceAccounts, Services and Deployments: the core objects a mesh's workloads run
 * as. Typed with kubernetes-models' interfaces (type-only imports, so the CLI does not load its
 * validators at run time) so a misspelt field is a compile error.
 */
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IContainer, INamespace, IService, IServiceAccount, IServicePort } from "kubernetes-models/v1";
import { assertNever, compareIds, type IdentityIR, type MeshIR, type Protocol, type ServiceIR, type VersionIR, type WorkloadIR } from "../../compiler/ir.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { deploymentName, managedLabels } from "../conventions.js";
import { unsupported } from "../target.js";

/** A Kubernetes object with the metadata every generated object has. */
export type Named<T extends { metadata?: unknown }> = T & { metadata: NonNullable<T["metadata"]> & { name: string } };

/** The target's name, as written in diagnostics and artifact paths. */
export const TARGET = "kubernetes";

/** Label maps with sorted keys: the YAML does not depend on how the labels were merged. */
export function sortedLabels(...maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const m of maps) Object.assign(merged, m);
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => compareIds(a, b)));
}

export function namespaceObject(ir: MeshIR, name: string): Named<INamespace> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: sortedLabels(managedLabels(ir)) } };
}

export function serviceAccountObject(ir: MeshIR, identity: IdentityIR): Named<IServiceAccount> {
  // automountServiceAccountToken stays at the cluster default: the IR does not say whether a
  // workload talks to the API server, and older Linkerd proxies read the mounted token.
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: identity.serviceAccount, namespace: identity.namespace, labels: sortedLabels(managedLabels(ir)) },
  };
}

/**
 * `appProtocol` per mesh protocol. gRPC is HTTP/2 without TLS on the wire, and
 * `kubernetes.io/h2c` is the one value every consumer agrees on: it is a Kubernetes standard
 * application protocol (KEP-3726), Gateway API's backend protocol selection tests it
 * (HTTPRouteBackendProtocolH2C) while `grpc` is implementation-specific there (Envoy Gateway
 * honours it only behind a compatibility flag), and Istio maps it to HTTP2, the same proxying
 * it gives `grpc`. Linkerd detects the protocol and ignores the field. `tcp` tells Istio not to
 * sniff, which server-first protocols need.
 */
export function appProtocol(protocol: Protocol): string {
  switch (protocol) {
    case "http":
      return "http";
    case "http2":
    case "grpc":
      return "kubernetes.io/h2c";
    case "tcp":
      return "tcp";
    default:
      return assertNever(protocol, "protocol");
  }
}

/** The Service of a mesh service, or undefined when it has no ports (nothing to address). */
export function serviceObject(ir: MeshIR, service: ServiceIR): Named<IService> | undefined {
  if (service.ports.length === 0) return undefined;
  const ports: IServicePort[] = service.ports.map((p) => ({
    name: p.name,
    port: p.port,
    targetPort: p.targetPort,
    protocol: "TCP",
    appProtocol: appProtocol(p.protocol),
  }));
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: service.name, namespace: service.namespace, labels: sortedLabels(managedLabels(ir), service.labels, service.selector) },
    spec: { selector: sortedLabels(service.selector), ports },
  };
}

/**
 * One Deployment per version with a workload, or one for an unversioned service with a workload.
 * A workload without an image cannot run: it is reported, not emitted.
 */
export function deploymentObjects(ir: MeshIR, service: ServiceIR): { deployments: Named<IDeployment>[]; diagnostics: Diagnostic[] } {
  const deployments: Named<IDeployment>[] = [];
  const diagnostics: Diagnostic[] = [];
  const units: { version?: VersionIR; workload: WorkloadIR; selector: Readonly<Record<string, string>>; span: ServiceIR["span"] }[] = [];
  if (service.versions.length > 0) {
    for (const v of service.versions) if (v.workload) units.push({ version: v, workload: v.workload, selector: v.selector, span: v.span });
  } else if (service.workload) {
    units.push({ workload: service.workload, selector: service.selector, span: service.fieldSpans.workload ?? service.span });
  }
  for (const u of units) {
    const name = deploymentName(service, u.version);
    if (u.workload.image === undefined) {
      diagnostics.push(
        unsupported(TARGET, "a workload without an image", `the Deployment "${name}" of service "${service.id}" needs a container image; none is generated`, u.span),
      );
      continue;
    }
    deployments.push(deployment(ir, service, name, u.workload, u.workload.image, u.selector));
  }
  return { deployments, diagnostics };
}

function deployment(ir: MeshIR, service: ServiceIR, name: string, w: WorkloadIR, image: string, selector: Readonly<Record<string, string>>): Named<IDeployment> {
  // Two Service ports may share a container port; the container declares it once.
  const seen = new Set<number>();
  const ports = service.ports.filter((p) => (seen.has(p.targetPort) ? false : (seen.add(p.targetPort), true)));
  const container: IContainer = {
    name: service.name,
    image,
    ...(w.command ? { command: [...w.command] } : {}),
    ...(w.args ? { args: [...w.args] } : {}),
    ...(ports.length > 0 ? { ports: ports.map((p) => ({ name: p.name, containerPort: p.targetPort, protocol: "TCP" as const })) } : {}),
    ...(w.env.length > 0 ? { env: w.env.map((e) => ({ name: e.name, value: e.value })) } : {}),
    ...(w.resources ? { resources: resources(w.resources) } : {}),
    // Only what cannot break an image meshc did not build: no_new_privs stops setuid binaries
    // from gaining privileges, and an image that starts as root and drops to a user (redis,
    // nginx) still may. runAsNonRoot, a read-only root filesystem and dropping ALL capabilities
    // would each stop such public images (and the mesh has no field saying an image is ready).
    securityContext: { allowPrivilegeEscalation: false },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: service.namespace, labels: sortedLabels(managedLabels(ir), service.labels, selector) },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: sortedLabels(selector) },
      template: {
        metadata: { labels: sortedLabels(service.labels, selector) },
        spec: {
          serviceAccountName: service.serviceAccount,
          // The container runtime's default seccomp profile (what Docker always applied); the
          // Pod Security "restricted" level asks for it and ordinary applications never notice.
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [container],
        },
      },
    },
  };
}

function resources(r: NonNullable<WorkloadIR["resources"]>): NonNullable<IContainer["resources"]> {
  const quantities = (q: { readonly cpu?: string; readonly memory?: string } | undefined) =>
    q ? { ...(q.cpu !== undefined ? { cpu: q.cpu } : {}), ...(q.memory !== undefined ? { memory: q.memory } : {}) } : undefined;
  const requests = quantities(r.requests);
  const limits = quantities(r.limits);
  return { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
}
