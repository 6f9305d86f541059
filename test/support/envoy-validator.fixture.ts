/**
 * A realistic meshc-style sidecar bootstrap, shared by the validator's tests: mTLS
 * inbound with RBAC, fault injection and local rate limiting; an outbound canary split
 * with retries and mirroring; upstream mTLS clusters with SAN matching, circuit
 * breakers, outlier detection and explicit HTTP/2.
 */
export const T = "type.googleapis.com/";
const SPIFFE = "spiffe://cluster.local/ns/shop";
const certs = () => ({
  tls_certificates: [
    {
      certificate_chain: { filename: "/etc/meshc/certs/cert-chain.pem" },
      private_key: { filename: "/etc/meshc/certs/key.pem" },
    },
  ],
  tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
});

const HUNDRED = (numerator: number) => ({ numerator, denominator: "HUNDRED" });

function tls(name: string, typedConfig: Record<string, unknown>) {
  return { name: "envoy.transport_sockets.tls", typed_config: { "@type": `${T}envoy.extensions.transport_sockets.tls.v3.${name}`, ...typedConfig } };
}

function endpoint(address: string, port: number) {
  return { endpoint: { address: { socket_address: { address, port_value: port } } } };
}

function outboundCluster(name: string, host: string, sa: string) {
  return {
    name,
    type: "STRICT_DNS",
    connect_timeout: "1s",
    lb_policy: "LEAST_REQUEST",
    dns_lookup_family: "V4_ONLY",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [endpoint(host, 8443)] }] },
    transport_socket: tls("UpstreamTlsContext", {
      sni: host,
      common_tls_context: {
        ...certs(),
        alpn_protocols: ["h2"],
        validation_context: {
          trusted_ca: { filename: "/etc/meshc/certs/root-cert.pem" },
          match_typed_subject_alt_names: [{ san_type: "URI", matcher: { exact: `${SPIFFE}/sa/${sa}` } }],
        },
      },
    }),
    circuit_breakers: {
      thresholds: [
        {
          priority: "DEFAULT",
          max_connections: 1024,
          max_pending_requests: 256,
          max_requests: 1024,
          max_retries: 3,
          retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 3 },
        },
      ],
    },
    outlier_detection: {
      consecutive_5xx: 5,
      interval: "10s",
      base_ejection_time: "30s",
      max_ejection_percent: 50,
      enforcing_consecutive_5xx: 100,
    },
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
        common_http_protocol_options: { idle_timeout: "300s" },
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 128 } },
      },
    },
  };
}

/** The sidecar of `checkout` in namespace `shop`; a fresh object on every call, so tests can mutate it. */
export function sidecarBootstrap(): Record<string, any> {
  return {
    node: { id: "sidecar~10.1.2.3~checkout-7d9f8b-abcde.shop~shop.svc.cluster.local", cluster: "checkout.shop" },
    admin: {
      address: { socket_address: { address: "127.0.0.1", port_value: 15000 } },
      access_log: [
        { name: "envoy.access_loggers.stdout", typed_config: { "@type": `${T}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog` } },
      ],
    },
    static_resources: {
      listeners: [
        {
          name: "inbound_15006",
          traffic_direction: "INBOUND",
          address: { socket_address: { address: "0.0.0.0", port_value: 15006 } },
          listener_filters: [
            { name: "envoy.filters.listener.original_dst", typed_config: { "@type": `${T}envoy.extensions.filters.listener.original_dst.v3.OriginalDst` } },
            { name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } },
          ],
          filter_chains: [
            {
              filter_chain_match: { destination_port: 8080, transport_protocol: "tls" },
              transport_socket: tls("DownstreamTlsContext", {
                require_client_certificate: true,
                common_tls_context: {
                  ...certs(),
                  alpn_protocols: ["h2", "http/1.1"],
                  validation_context: {
                    trusted_ca: { filename: "/etc/meshc/certs/root-cert.pem" },
                    match_typed_subject_alt_names: [{ san_type: "URI", matcher: { prefix: "spiffe://cluster.local/" } }],
                  },
                },
              }),
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
                    stat_prefix: "inbound_8080",
                    codec_type: "AUTO",
                    forward_client_cert_details: "SANITIZE_SET",
                    set_current_client_cert_details: { uri: true },
                    route_config: {
                      name: "inbound|8080",
                      virtual_hosts: [
                        { name: "inbound|http|8080", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "inbound|8080", timeout: "0s" } }] },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.fault",
                        typed_config: {
                          "@type": `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`,
                          delay: { fixed_delay: "0.25s", percentage: HUNDRED(5) },
                          abort: { http_status: 503, percentage: HUNDRED(1) },
                        },
                      },
                      {
                        name: "envoy.filters.http.local_ratelimit",
                        typed_config: {
                          "@type": `${T}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`,
                          stat_prefix: "http_local_rate_limiter",
                          token_bucket: { max_tokens: 200, tokens_per_fill: 100, fill_interval: "1s" },
                          filter_enabled: { runtime_key: "local_rate_limit_enabled", default_value: HUNDRED(100) },
                          filter_enforced: { runtime_key: "local_rate_limit_enforced", default_value: HUNDRED(100) },
                          response_headers_to_add: [{ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "x-local-rate-limit", value: "true" } }],
                        },
                      },
                      {
                        name: "envoy.filters.http.rbac",
                        typed_config: {
                          "@type": `${T}envoy.extensions.filters.http.rbac.v3.RBAC`,
                          rules: {
                            action: "ALLOW",
                            policies: {
                              "allow-frontend": {
                                permissions: [{ and_rules: { rules: [{ header: { name: ":method", string_match: { exact: "GET" } } }, { url_path: { path: { prefix: "/api/" } } }] } }],
                                principals: [{ authenticated: { principal_name: { exact: `${SPIFFE}/sa/frontend` } } }],
                              },
                            },
                          },
                        },
                      },
                      { name: "envoy.filters.http.router", typed_config: { "@type": `${T}envoy.extensions.filters.http.router.v3.Router` } },
                    ],
                    access_log: [
                      {
                        name: "envoy.access_loggers.file",
                        typed_config: {
                          "@type": `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`,
                          path: "/dev/stdout",
                          log_format: { json_format: { start: "%START_TIME%", code: "%RESPONSE_CODE%", peer: "%DOWNSTREAM_PEER_URI_SAN%" } },
                        },
                      },
                    ],
                  },
                },
              ],
            },
            {
              filter_chain_match: { destination_port: 5432 },
              filters: [
                {
                  name: "envoy.filters.network.rbac",
                  typed_config: {
                    "@type": `${T}envoy.extensions.filters.network.rbac.v3.RBAC`,
                    stat_prefix: "inbound_tcp_5432",
                    rules: { action: "DENY", policies: { "deny-all-but-mesh": { permissions: [{ any: true }], principals: [{ not_id: { authenticated: { principal_name: { prefix: "spiffe://cluster.local/" } } } }] } } },
                  },
                },
                {
                  name: "envoy.filters.network.tcp_proxy",
                  typed_config: { "@type": `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`, stat_prefix: "inbound_tcp_5432", cluster: "inbound|5432", idle_timeout: "3600s" },
                },
              ],
            },
          ],
        },
        {
          name: "outbound_15001",
          traffic_direction: "OUTBOUND",
          address: { socket_address: { address: "127.0.0.1", port_value: 15001 } },
          listener_filters: [
            { name: "envoy.filters.listener.http_inspector", typed_config: { "@type": `${T}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector` } },
          ],
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
                    stat_prefix: "outbound_http",
                    route_config: {
                      name: "outbound",
                      virtual_hosts: [
                        {
                          name: "payments.shop.svc.cluster.local:80",
                          domains: ["payments", "payments.shop", "payments.shop.svc.cluster.local"],
                          routes: [
                            {
                              name: "payments-canary",
                              match: { prefix: "/", headers: [{ name: "x-canary", present_match: true }] },
                              route: { cluster: "outbound|80|v2|payments.shop.svc.cluster.local", timeout: "2s" },
                            },
                            {
                              name: "payments-default",
                              match: { prefix: "/" },
                              route: {
                                weighted_clusters: {
                                  clusters: [
                                    { name: "outbound|80|v1|payments.shop.svc.cluster.local", weight: 90 },
                                    { name: "outbound|80|v2|payments.shop.svc.cluster.local", weight: 10 },
                                  ],
                                },
                                timeout: "3s",
                                retry_policy: {
                                  retry_on: "5xx,reset,connect-failure,retriable-status-codes",
                                  retriable_status_codes: [503],
                                  num_retries: 2,
                                  per_try_timeout: "1s",
                                  retry_back_off: { base_interval: "0.025s", max_interval: "0.25s" },
                                  retry_host_predicate: [
                                    { name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate` } },
                                  ],
                                  host_selection_retry_max_attempts: "3",
                                },
                                request_mirror_policies: [
                                  { cluster: "outbound|80||payments-shadow.shop.svc.cluster.local", runtime_fraction: { default_value: HUNDRED(10) } },
                                ],
                              },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": `${T}envoy.extensions.filters.http.router.v3.Router`, suppress_envoy_headers: true } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "inbound|8080",
          type: "STATIC",
          connect_timeout: "0.25s",
          load_assignment: { cluster_name: "inbound|8080", endpoints: [{ lb_endpoints: [endpoint("127.0.0.1", 8080)] }] },
        },
        {
          name: "inbound|5432",
          type: "STATIC",
          connect_timeout: "0.25s",
          load_assignment: { cluster_name: "inbound|5432", endpoints: [{ lb_endpoints: [endpoint("127.0.0.1", 5432)] }] },
        },
        outboundCluster("outbound|80|v1|payments.shop.svc.cluster.local", "payments-v1.shop.svc.cluster.local", "payments"),
        outboundCluster("outbound|80|v2|payments.shop.svc.cluster.local", "payments-v2.shop.svc.cluster.local", "payments"),
        outboundCluster("outbound|80||payments-shadow.shop.svc.cluster.local", "payments-shadow.shop.svc.cluster.local", "payments-shadow"),
        { name: "passthrough", type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED", connect_timeout: "1s" },
      ],
    },
  };
}
