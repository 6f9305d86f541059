/**
 * The Kubernetes side of the envoy target: the ConfigMap holding each bootstrap, the patches that
 * add the sidecar to a Deployment and point the Service at it, the headless Services the
 * sidecars resolve, NetworkPolicies for the sidecar's ports, and the ingress gateways.
 * Typed with kubernetes-models' interfaces (type-only: nothing is loaded at run time).
 */
import { createHash } from "node:crypto";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { INetworkPolicy, INetworkPolicyEgressRule, INetworkPolicyIngressRule, INetworkPolicyPeer, INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1";
import type { IConfigMap, IContainer, IService, IServiceAccount, IServicePort, IVolume } from "kubernetes-models/v1";
import { assertNever, compareIds, type IngressIR, type MeshIR, type ServiceIR, type VersionIR } from "../../compiler/ir.js";
import { stringifyYaml, type YamlStyle } from "../../compiler/yaml.js";
import { deploymentName, managedLabels, versionServiceName, workloadCertSecretName } from "../conventions.js";
import type { SidecarConfig, WorkloadConfig } from "./bootstrap.js";
import { gatewayListenPort } from "./bootstrap.js";
import type { Json } from "./envoy-api.js";
import { admissions, hasConstraints, portKey, type MeshIndex, type Peer } from "./model.js";
import {
  BOOTSTRAP_FILE,
  CONFIG_DIR,
  CONFIG_HASH_ANNOTATION,
  configMapName,
  ENVOY_IMAGE,
  ENVOY_UID,
  HEALTH_PATH,
  HEALTH_PORT,
  inboundPort,
  INGRESS_CERT_DIR,
  meshServiceName,
  UPSTREAMS_ANNOTATION,
  WORKLOAD_CERT_DIR,
} from "./naming.js";

type Named<T extends { metadata?: unknown }> = T & { metadata: NonNullable<T["metadata"]> & { name: string; namespace: string } };

/** The label the API server puts on every namespace (Kubernetes ≥ 1.21): its own name. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
const DNS_PEER: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};
const CONFIG_VOLUME = "envoy-config";
const CERT_VOLUME = "envoy-workload-cert";
const INGRESS_CERT_VOLUME = "envoy-ingress-cert";

function sortedRecord(...maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const m of maps) Object.assign(merged, m);
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => compareIds(a, b)));
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const ENVOY_YAML_STYLE: YamlStyle = { quoteStrings: { plainKeys: PLAIN_KEY } };

/**
 * Envoy's YAML loader is yaml-cpp, which still reads YAML 1.1 (`on`, `yes`, `0777` are not
 * strings there): every string value, and every key that is not a plain identifier (RBAC policy
 * names, `@type`), is double-quoted so both parsers read the same document.
 */
export function envoyYaml(document: Json): string {
  // compiler/yaml.ts prints exactly what `yaml` would with these settings, several times faster
  // (most of this target's time went into `yaml`'s node tree).
  return stringifyYaml(document, ENVOY_YAML_STYLE);
}

/** The files of a workload's ConfigMap: the bootstrap and its SDS resource files. */
export function configFiles(config: WorkloadConfig): Record<string, string> {
  const files: Record<string, string> = { [BOOTSTRAP_FILE]: envoyYaml(config.bootstrap) };
  for (const s of config.sds) files[s.file] = envoyYaml(s.content);
  return sortedRecord(files);
}

export function configMapObject(ir: MeshIR, name: string, namespace: string, files: Record<string, string>): Named<IConfigMap> {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels: sortedRecord(managedLabels(ir)) }, data: files };
}

/** Static config is read once: a changed ConfigMap must roll the pods, so its hash goes on the pod template. */
export function configHash(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const [name, text] of Object.entries(files)) h.update(name).update("\0").update(text).update("\0");
  return h.digest("hex");
}

function envoyContainer(ports: readonly number[], extraMounts: NonNullable<IContainer["volumeMounts"]>): IContainer {
  const probe = { httpGet: { path: HEALTH_PATH, port: HEALTH_PORT } };
  return {
    name: "envoy",
    image: ENVOY_IMAGE,
    // The image's entrypoint script switches users; running the binary as its user directly needs no root.
    command: ["envoy"],
    args: ["--config-path", `${CONFIG_DIR}/${BOOTSTRAP_FILE}`, "--disable-hot-restart"],
    ports: [...ports, HEALTH_PORT].map((containerPort) => ({ containerPort, protocol: "TCP" })),
    startupProbe: { ...probe, periodSeconds: 1, failureThreshold: 60 },
    readinessProbe: { ...probe, periodSeconds: 5 },
    resources: { requests: { cpu: "100m", memory: "128Mi" } },
    securityContext: {
      runAsUser: ENVOY_UID,
      runAsGroup: ENVOY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
      { name: CERT_VOLUME, mountPath: WORKLOAD_CERT_DIR, readOnly: true },
      ...extraMounts,
    ],
  };
}

function envoyVolumes(configMap: string, certSecret: string): IVolume[] {
  return [
    { name: CONFIG_VOLUME, configMap: { name: configMap } },
    // Only the envoy container mounts this volume, so readable-by-all stays inside it; the
    // envoy user (101) is not the files' owner and the pod's fsGroup is the app's business.
    { name: CERT_VOLUME, secret: { secretName: certSecret, defaultMode: 0o444 } },
  ];
}

/** The Deployments a service runs as: one per version, or one. */
export function deploymentsOf(service: ServiceIR): { name: string; version?: VersionIR }[] {
  return service.versions.length > 0 ? service.versions.map((v) => ({ name: deploymentName(service, v), version: v })) : [{ name: deploymentName(service) }];
}

/**
 * A strategic-merge patch (also a valid server-side-apply patch) adding the sidecar to one
 * Deployment: Envoy as a native sidecar (an init container with `restartPolicy: Always`,
 * Kubernetes ≥ 1.29), so it is ready before the app starts and outlives it.
 */
export function sidecarPatch(service: ServiceIR, deployment: string, config: SidecarConfig, hash: string): Json {
  const upstreams = sortedRecord(Object.fromEntries(config.upstreams.map((u) => [u.key, `127.0.0.1:${u.port}`])));
  const container: IContainer = { ...envoyContainer(service.ports.map((p) => inboundPort(service, p)), []), restartPolicy: "Always" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: deployment, namespace: service.namespace },
    spec: {
      template: {
        metadata: {
          annotations: sortedRecord({ [CONFIG_HASH_ANNOTATION]: hash, [UPSTREAMS_ANNOTATION]: JSON.stringify(upstreams) }),
        },
        spec: {
          initContainers: [container],
          volumes: envoyVolumes(configMapName(service), workloadCertSecretName(service.identity)),
        },
      },
    },
  };
}

/** Points the Service's ports at the sidecar's inbound listeners (merge key: port, protocol). */
export function servicePatch(service: ServiceIR): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: service.name, namespace: service.namespace },
    spec: { ports: service.ports.map((p) => ({ port: p.port, protocol: "TCP", targetPort: inboundPort(service, p) })) },
  };
}

function headlessService(ir: MeshIR, service: ServiceIR, name: string, selector: Readonly<Record<string, string>>): Named<IService> {
  const ports: IServicePort[] = service.ports.map((p) => ({ name: p.name, port: p.port, targetPort: inboundPort(service, p), protocol: "TCP" }));
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: service.namespace, labels: sortedRecord(managedLabels(ir), service.labels) },
    // Headless: DNS answers with every ready pod, so the callers' Envoys balance, eject and hash
    // per pod. Through a ClusterIP they would see one address and outlier detection would eject
    // the whole service.
    spec: { clusterIP: "None", selector: sortedRecord(selector), ports },
  };
}

/** The versions of a service that some route sends to or mirrors to. */
export function routedVersions(index: MeshIndex, service: ServiceIR): VersionIR[] {
  const names = new Set<string>();
  for (const port of service.ports) {
    for (const rule of index.routes.get(portKey(service.id, port.name))?.rules ?? []) {
      for (const d of rule.destinations) names.add(d.version);
      if (rule.mirror?.to.kind === "version") names.add(rule.mirror.to.version);
    }
  }
  return service.versions.filter((v) => names.has(v.name));
}

/** The headless Services a service's callers resolve: every pod, and each routed version. */
export function meshServices(ir: MeshIR, index: MeshIndex, service: ServiceIR): Named<IService>[] {
  if (service.ports.length === 0) return [];
  return [
    headlessService(ir, service, meshServiceName(service), service.selector),
    ...routedVersions(index, service).map((v) => headlessService(ir, service, versionServiceName(service, v), v.selector)),
  ];
}

function peerSelectors(ir: MeshIR, peer: Peer): { key: string; peers: INetworkPolicyPeer[] } {
  const at = (ns: string, selector: Readonly<Record<string, string>>): INetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } },
    podSelector: { matchLabels: sortedRecord(selector) },
  });
  switch (peer.kind) {
    case "service":
      return { key: `service:${peer.service.id}`, peers: [at(peer.service.namespace, peer.service.selector)] };
    case "gateway":
      return { key: `gateway:${peer.ingress.name}`, peers: [at(peer.ingress.gateway.namespace, peer.ingress.gateway.selector)] };
    case "any":
      // Envoy checks that the caller is of the mesh; L4 admits the mesh's namespaces.
      return { key: "any", peers: ir.namespaces.map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } } })) };
    default:
      return assertNever(peer, "peer");
  }
}

/**
 * Admits, at L4, the workloads Envoy's RBAC admits, on the sidecar's inbound ports. It also
 * isolates the pods: the app's own port is no longer reachable around the sidecar.
 */
export function inboundPolicy(ir: MeshIR, index: MeshIndex, service: ServiceIR): Named<INetworkPolicy> {
  const ingress: INetworkPolicyIngressRule[] = [];
  for (const port of service.ports) {
    const peers = new Map<string, INetworkPolicyPeer[]>();
    for (const a of admissions(index, service, port)) {
      // Envoy cannot check request conditions on a TCP port and denies such an allow: so does L4.
      if (port.protocol === "tcp" && hasConstraints(a.constraints)) continue;
      const p = peerSelectors(ir, a.peer);
      peers.set(p.key, p.peers);
    }
    const ports: INetworkPolicyPort[] = [{ port: inboundPort(service, port), protocol: "TCP" }];
    // A port that accepts plaintext admits clients without a sidecar, from anywhere.
    if (port.mtls !== "strict") ingress.push({ ports });
    else if (peers.size > 0) ingress.push({ from: [...peers.entries()].sort(([a], [b]) => compareIds(a, b)).flatMap(([, p]) => p), ports });
  }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `envoy-inbound-${service.name}`, namespace: service.namespace, labels: sortedRecord(managedLabels(ir)) },
    spec: { podSelector: { matchLabels: sortedRecord(service.selector) }, policyTypes: ["Ingress"], ingress },
  };
}

/**
 * With `egress: "registry-only"`: what the sidecar's clusters reach (callee pods on their
 * sidecar ports, external hosts on their ports), and DNS. NetworkPolicy cannot name a host, so an
 * external port is open to every address.
 */
export function outboundPolicy(
  ir: MeshIR,
  name: string,
  namespace: string,
  selector: Readonly<Record<string, string>>,
  destinations: WorkloadConfig["destinations"],
): Named<INetworkPolicy> {
  const egress: INetworkPolicyEgressRule[] = [
    {
      to: [DNS_PEER],
      ports: [
        { port: 53, protocol: "UDP" },
        { port: 53, protocol: "TCP" },
      ],
    },
  ];
  for (const d of destinations.services) {
    egress.push({ to: peerSelectors(ir, { kind: "service", service: d.service }).peers, ports: [{ port: inboundPort(d.service, d.port), protocol: "TCP" }] });
  }
  const externalPorts = [...new Set(destinations.externals.map((x) => x.port.port))].sort((a, b) => a - b);
  if (externalPorts.length > 0) egress.push({ ports: externalPorts.map((port) => ({ port, protocol: "TCP" })) });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `envoy-outbound-${name}`, namespace, labels: sortedRecord(managedLabels(ir)) },
    spec: { podSelector: { matchLabels: sortedRecord(selector) }, policyTypes: ["Egress"], egress },
  };
}

export function gatewayName(ingress: IngressIR): string {
  return `${ingress.name}-gateway`;
}

/** The gateway's own workload: nobody else deploys it for a mesh without a control plane. */
export function gatewayObjects(ir: MeshIR, ingress: IngressIR, hash: string): Named<IServiceAccount | IDeployment | IService | INetworkPolicy>[] {
  const ns = ingress.gateway.namespace;
  const name = gatewayName(ingress);
  const labels = sortedRecord(managedLabels(ir), ingress.gateway.selector);
  const listen = gatewayListenPort(ingress);
  const container = envoyContainer(
    [listen],
    ingress.tls ? [{ name: INGRESS_CERT_VOLUME, mountPath: INGRESS_CERT_DIR, readOnly: true }] : [],
  );
  const volumes = [
    ...envoyVolumes(`${name}-envoy`, workloadCertSecretName(ingress.gateway.identity)),
    ...(ingress.tls ? [{ name: INGRESS_CERT_VOLUME, secret: { secretName: ingress.tls.secretName, defaultMode: 0o444 } }] : []),
  ];
  const account: Named<IServiceAccount> = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: ingress.gateway.serviceAccount, namespace: ns, labels: sortedRecord(managedLabels(ir)) },
  };
  const deployment: Named<IDeployment> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: sortedRecord(ingress.gateway.selector) },
      template: {
        metadata: { labels: sortedRecord(ingress.gateway.selector), annotations: { [CONFIG_HASH_ANNOTATION]: hash } },
        spec: {
          serviceAccountName: ingress.gateway.serviceAccount,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [container],
          volumes,
        },
      },
    },
  };
  const service: Named<IService> = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, labels },
    spec: {
      type: "LoadBalancer",
      selector: sortedRecord(ingress.gateway.selector),
      ports: [{ name: ingress.protocol, port: ingress.port, targetPort: listen, protocol: "TCP" }],
    },
  };
  const inbound: Named<INetworkPolicy> = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `envoy-inbound-${name}`, namespace: ns, labels: sortedRecord(managedLabels(ir)) },
    // The entry point is public: any source, on the listener only.
    spec: { podSelector: { matchLabels: sortedRecord(ingress.gateway.selector) }, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: listen, protocol: "TCP" }] }] },
  };
  return [account, deployment, service, inbound];
}
