/**
 * Small builders for the Envoy v3 JSON the target writes: typed_config wrappers, durations,
 * percentages, matchers and TLS contexts. Field names are the protos' snake_case names, which
 * Envoy's JSON/YAML loader accepts; the tests decode every config strictly against the protos.
 */
import { assertNever, type PathMatchIR, type StringMatchIR } from "../../compiler/ir.js";
import { CONFIG_DIR, SDS_MESH_CA, SDS_WORKLOAD_CERT, WORKLOAD_CERT_DIR } from "./naming.js";

/** A JSON object of an Envoy config. */
export type Json = { [key: string]: unknown };

export const TYPE = {
  hcm: "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  tcpProxy: "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  networkRbac: "envoy.extensions.filters.network.rbac.v3.RBAC",
  httpRbac: "envoy.extensions.filters.http.rbac.v3.RBAC",
  router: "envoy.extensions.filters.http.router.v3.Router",
  fault: "envoy.extensions.filters.http.fault.v3.HTTPFault",
  localRateLimit: "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
  tlsInspector: "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
  downstreamTls: "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  upstreamTls: "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
  secret: "envoy.extensions.transport_sockets.tls.v3.Secret",
  httpProtocolOptions: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
  previousHosts: "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
} as const;

/** Filter names: the names `typed_per_filter_config` keys refer to. */
export const FILTER = {
  hcm: "envoy.filters.network.http_connection_manager",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  networkRbac: "envoy.filters.network.rbac",
  httpRbac: "envoy.filters.http.rbac",
  router: "envoy.filters.http.router",
  fault: "envoy.filters.http.fault",
  localRateLimit: "envoy.filters.http.local_ratelimit",
  tlsInspector: "envoy.filters.listener.tls_inspector",
  tls: "envoy.transport_sockets.tls",
} as const;

export function typed(type: string, body: Json = {}): Json {
  return { "@type": `type.googleapis.com/${type}`, ...body };
}

export function extension(name: string, type: string, body: Json = {}): Json {
  return { name, typed_config: typed(type, body) };
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

/** Milliseconds as a protobuf JSON Duration (`"1.5s"`), exact to the nanosecond. */
export function duration(ms: number): string {
  const nanos = Math.round(ms * 1e6);
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos % 1e9;
  return fraction === 0 ? `${seconds}s` : `${seconds}.${String(fraction).padStart(9, "0").replace(/0+$/, "")}s`;
}

/** A percentage as a FractionalPercent, with the coarsest denominator that represents it exactly. */
export function fractionalPercent(percent: number): Json {
  const exact = (scale: number) => Math.abs(percent * scale - Math.round(percent * scale)) < 1e-9;
  if (exact(1)) return { numerator: Math.round(percent), denominator: "HUNDRED" };
  if (exact(100)) return { numerator: Math.round(percent * 100), denominator: "TEN_THOUSAND" };
  return { numerator: Math.round(percent * 10_000), denominator: "MILLION" };
}

export function stringMatcher(m: StringMatchIR): Json {
  switch (m.kind) {
    case "exact":
      return { exact: m.value };
    case "prefix":
      return { prefix: m.value };
    case "regex":
      // RE2, matched against the whole value, like Istio's `regex`.
      return { safe_regex: { regex: m.value } };
    default:
      return assertNever(m, "string match");
  }
}

export function pathMatcher(p: PathMatchIR): Json {
  switch (p.kind) {
    case "exact":
      return { exact: p.value };
    case "prefix":
      return { prefix: p.value };
    default:
      return assertNever(p, "path match");
  }
}

/** File-based SDS: Envoy re-reads the referenced files when the Secret volume is updated. */
function sdsConfig(file: string): Json {
  return { path_config_source: { path: `${CONFIG_DIR}/${file}` }, resource_api_version: "V3" };
}

export function sdsSecretConfig(secret: { readonly name: string; readonly file: string }): Json {
  return { name: secret.name, sds_config: sdsConfig(secret.file) };
}

/** The contents of a file-based SDS resource file (a DiscoveryResponse holding one Secret). */
export function sdsFile(secret: Json): Json {
  return { resources: [typed(TYPE.secret, secret)] };
}

/** The workload's certificate and key, and the mesh root, from the mounted certificate Secret. */
export function workloadSdsSecrets(): { cert: Json; ca: Json } {
  return {
    cert: {
      name: SDS_WORKLOAD_CERT.name,
      tls_certificate: {
        certificate_chain: { filename: `${WORKLOAD_CERT_DIR}/tls.crt` },
        private_key: { filename: `${WORKLOAD_CERT_DIR}/tls.key` },
        // Kubernetes swaps a Secret volume's `..data` symlink on update; watching the directory
        // reloads certificate and key together, so short-lived leaves rotate without a restart.
        watched_directory: { path: WORKLOAD_CERT_DIR },
      },
    },
    ca: {
      name: SDS_MESH_CA.name,
      validation_context: { trusted_ca: { filename: `${WORKLOAD_CERT_DIR}/ca.crt` }, watched_directory: { path: WORKLOAD_CERT_DIR } },
    },
  };
}

/** Inbound mTLS: the workload certificate, and a client certificate chaining to the mesh root. */
export function meshDownstreamTls(): Json {
  return {
    name: FILTER.tls,
    typed_config: typed(TYPE.downstreamTls, {
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
        validation_context_sds_secret_config: sdsSecretConfig(SDS_MESH_CA),
      },
      require_client_certificate: true,
    }),
  };
}

/** Outbound mTLS: present the workload certificate, accept only the callee's SPIFFE id. */
export function meshUpstreamTls(spiffeId: string): Json {
  return {
    name: FILTER.tls,
    typed_config: typed(TYPE.upstreamTls, {
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: "URI", matcher: { exact: spiffeId } }] },
          validation_context_sds_secret_config: sdsSecretConfig(SDS_MESH_CA),
        },
      },
    }),
  };
}
