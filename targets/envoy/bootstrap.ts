/**
 * Complete static Envoy bootstraps: one per service (its sidecar) and one per ingress gateway.
 * Each is built from the workload's own edges only.
 */
import type { IngressIR, ServiceIR } from "../../compiler/ir.js";
import { extension, FILTER, sdsFile, sdsSecretConfig, socketAddress, typed, TYPE, workloadSdsSecrets, type Json } from "./envoy-api.js";
import { inboundResources } from "./inbound.js";
import { callConstraints, hasConstraints, portKey, upstreamsOf, type MeshIndex, type Reporter, type Upstream } from "./model.js";
import {
  ADMIN_PORT,
  assignOutboundPorts,
  externalUpstreamKey,
  GATEWAY_PORT_OFFSET,
  HEALTH_PATH,
  HEALTH_PORT,
  INGRESS_CERT_DIR,
  PRIVILEGED_PORT_LIMIT,
  reservedPorts,
  SDS_INGRESS_CERT,
  SDS_MESH_CA,
  SDS_WORKLOAD_CERT,
  serviceHost,
  serviceUpstreamKey,
} from "./naming.js";
import { outboundListener } from "./outbound.js";
import { ClusterRegistry, httpRoutes, outboundHttpFilters, type Caller } from "./routes.js";

/** An SDS resource file shipped next to the bootstrap. */
export interface SdsFile {
  readonly file: string;
  readonly content: Json;
}

/** An upstream and the local port the app dials for it. */
export interface LocalUpstream {
  readonly key: string;
  readonly port: number;
  readonly upstream: Upstream;
}

export interface WorkloadConfig {
  readonly bootstrap: Json;
  readonly sds: readonly SdsFile[];
  /** The destinations the workload's clusters reach, for its egress NetworkPolicy. */
  readonly destinations: ClusterRegistry["destinations"];
}

export interface SidecarConfig extends WorkloadConfig {
  readonly upstreams: readonly LocalUpstream[];
}

function healthListener(): Json {
  return {
    name: "health",
    address: socketAddress("0.0.0.0", HEALTH_PORT),
    filter_chains: [
      {
        filters: [
          extension(FILTER.hcm, TYPE.hcm, {
            stat_prefix: "health",
            route_config: {
              name: "health",
              virtual_hosts: [{ name: "health", domains: ["*"], routes: [{ match: { path: HEALTH_PATH }, direct_response: { status: 200 } }] }],
            },
            http_filters: [extension(FILTER.router, TYPE.router)],
          }),
        ],
      },
    ],
  };
}

function bootstrap(node: string, listeners: Json[], clusters: Json[]): Json {
  return {
    node: { id: node, cluster: node },
    // Only the pod itself (kubectl port-forward, exec) reaches the admin API.
    admin: { address: socketAddress("127.0.0.1", ADMIN_PORT) },
    static_resources: { listeners, clusters },
  };
}

function workloadSds(): SdsFile[] {
  const { cert, ca } = workloadSdsSecrets();
  return [
    { file: SDS_WORKLOAD_CERT.file, content: sdsFile(cert) },
    { file: SDS_MESH_CA.file, content: sdsFile(ca) },
  ];
}

function upstreamKey(u: Upstream): string {
  return u.kind === "service" ? serviceUpstreamKey(u.service, u.port) : externalUpstreamKey(u.external, u.port);
}

/** Whether an upstream is plain bytes to the sidecar (no requests to check). */
function isConnectionLevel(u: Upstream): boolean {
  return u.kind === "service" ? u.port.protocol === "tcp" : u.port.protocol === "tcp" || u.port.protocol === "tls";
}

/**
 * On a connection-level upstream a call's methods, paths and gRPC methods cannot be checked, so
 * (as on the callee's side) such a call allows nothing; an upstream left with no call is dropped.
 */
function connectionLevel(u: Upstream, reporter: Reporter): Upstream[] {
  if (!isConnectionLevel(u)) return [u];
  const calls = u.calls.filter((c) => {
    if (!hasConstraints(callConstraints(c))) return true;
    const what = u.kind === "service" ? `"${u.service.id}" port "${u.port.name}"` : `external host "${u.external.host}" port "${u.port.name}" (${u.port.protocol})`;
    reporter.unsupported(
      "request conditions on a TCP port",
      `${what} is ${u.port.protocol === "tls" ? "TLS passed through" : "plain TCP"}: methods, paths and gRPC methods cannot be checked, so this call allows nothing`,
      c.span,
    );
    return false;
  });
  return calls.length > 0 ? [{ ...u, calls }] : [];
}

/** The sidecar of a service: inbound listeners for its ports, outbound ones for what it calls. */
export function sidecarConfig(index: MeshIndex, service: ServiceIR, reporter: Reporter): SidecarConfig {
  const reserved = reservedPorts(service);
  for (const port of service.ports) {
    if (reserved.includes(port.targetPort)) {
      reporter.unsupported(
        "an app port the sidecar uses",
        `"${service.id}" port "${port.name}" has container port ${port.targetPort}, which the sidecar binds itself (admin ${ADMIN_PORT}, health ${HEALTH_PORT}, inbound ${reserved.slice(2).join(", ") || "none"})`,
        port.fieldSpans.targetPort ?? port.span,
      );
    }
  }
  const upstreams = upstreamsOf(index, service).flatMap((u) => connectionLevel(u, reporter));
  const ports = assignOutboundPorts(
    upstreams.map(upstreamKey),
    [...reserved, ...service.ports.map((p) => p.targetPort)],
  );
  const registry = new ClusterRegistry(index, reporter);
  const caller: Caller = { rewriteHost: true };
  const local: LocalUpstream[] = upstreams.map((upstream) => {
    const key = upstreamKey(upstream);
    return { key, port: ports.get(key)!, upstream };
  });
  const outbound = local.map((u) => outboundListener(index, registry, reporter, caller, service, u.upstream, u.port));
  const inbound = inboundResources(index, service, reporter);
  return {
    bootstrap: bootstrap(serviceHost(service), [healthListener(), ...inbound.listeners, ...outbound], [...inbound.clusters, ...registry.build()]),
    sds: workloadSds(),
    upstreams: local,
    destinations: registry.destinations,
  };
}

/** The port the gateway's Envoy binds: unprivileged, so it runs as a non-root user with no capability. */
export function gatewayListenPort(ingress: IngressIR): number {
  return ingress.port < PRIVILEGED_PORT_LIMIT ? ingress.port + GATEWAY_PORT_OFFSET : ingress.port;
}

/** An ingress gateway: the entry point's hosts and routes, with mTLS to the mesh as the gateway's identity. */
export function gatewayConfig(index: MeshIndex, ingress: IngressIR, reporter: Reporter): WorkloadConfig {
  const registry = new ClusterRegistry(index, reporter);
  const caller: Caller = { rewriteHost: false };
  const routes: Json[] = [];
  let usesFault = false;
  ingress.routes.forEach((r, i) => {
    const service = index.services.get(r.to.service);
    const port = service?.ports.find((p) => p.name === r.to.port);
    if (!service || !port) return;
    if (port.protocol === "tcp") {
      reporter.unsupported("an ingress route to a TCP port", `the gateway serves HTTP; "${service.id}" port "${port.name}" is plain TCP`, r.span);
      return;
    }
    const table = httpRoutes(
      registry,
      reporter,
      caller,
      { kind: "service", dest: { service, port } },
      index.routes.get(portKey(service.id, port.name)),
      [
        {
          label: `route-${i}`,
          constraints: { ...(r.methods ? { methods: r.methods } : {}), ...(r.paths ? { paths: r.paths } : {}) },
          policy: { ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}), ...(r.retries ? { retries: r.retries } : {}) },
        },
      ],
    );
    routes.push(...table.routes);
    usesFault ||= table.usesFault;
  });
  const hcm = extension(FILTER.hcm, TYPE.hcm, {
    stat_prefix: `ingress_${ingress.name}`,
    route_config: { name: `ingress|${ingress.name}`, virtual_hosts: [{ name: ingress.name, domains: [...ingress.hosts], routes }] },
    http_filters: outboundHttpFilters(usesFault),
    // The edge: the client address is the peer's, and Host may carry the public port.
    use_remote_address: true,
    strip_any_host_port: true,
    normalize_path: true,
    merge_slashes: true,
  });
  const tls = ingress.tls
    ? {
        transport_socket: {
          name: FILTER.tls,
          typed_config: typed(TYPE.downstreamTls, {
            common_tls_context: { tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_INGRESS_CERT)], alpn_protocols: ["h2", "http/1.1"] },
          }),
        },
      }
    : {};
  const listener = { name: `ingress|${ingress.name}`, address: socketAddress("0.0.0.0", gatewayListenPort(ingress)), filter_chains: [{ filters: [hcm], ...tls }] };
  const sds = workloadSds();
  if (ingress.tls) {
    sds.push({
      file: SDS_INGRESS_CERT.file,
      content: sdsFile({
        name: SDS_INGRESS_CERT.name,
        tls_certificate: {
          certificate_chain: { filename: `${INGRESS_CERT_DIR}/tls.crt` },
          private_key: { filename: `${INGRESS_CERT_DIR}/tls.key` },
          watched_directory: { path: INGRESS_CERT_DIR },
        },
      }),
    });
  }
  return {
    bootstrap: bootstrap(`${ingress.name}-gateway.${ingress.gateway.namespace}`, [healthListener(), listener], registry.build()),
    sds,
    destinations: registry.destinations,
  };
}
