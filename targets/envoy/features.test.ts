import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { MeshIR } from "../../compiler/ir.js";
import { compileSource } from "../../test/helpers/mesh.js";
import { evaluateListener } from "../../test/evaluators/envoy.js";
import { envoyProtoInfo, formatEnvoyIssues, validateEnvoyBootstrap } from "../../test/support/envoy-validator.js";
import { configMaps } from "./__fixtures__/examples.js";
import { edgeMesh } from "./__fixtures__/edge.js";
import { mismatches } from "./__fixtures__/intent.js";
import { envoyTarget } from "./index.js";
import { UPSTREAMS_ANNOTATION } from "./naming.js";

describe("envoy target on a mesh that uses what the examples do not", () => {
  let ir: MeshIR;
  let result: ReturnType<typeof envoyTarget.run>;
  beforeAll(() => {
    envoyProtoInfo();
    const compiled = compileSource(edgeMesh);
    ir = compiled.ir!;
    result = envoyTarget.run(ir, { stateDir: "/nonexistent" });
  });
  const boot = (name: string) => configMaps(result.artifacts).get(name)!["envoy.yaml"];
  const listener = (b: any, name: string) => b.static_resources.listeners.find((l: any) => l.name === name);
  const cluster = (b: any, name: string) => b.static_resources.clusters.find((c: any) => c.name === name);

  it("writes bootstraps the Envoy v3 protos decode strictly", () => {
    for (const [cm, files] of configMaps(result.artifacts)) expect(formatEnvoyIssues(validateEnvoyBootstrap(files["envoy.yaml"])), cm).toBe("");
  });

  it("reports, as MESH200, exactly what it cannot express", () => {
    const lines = result.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message}`).sort();
    expect(lines).toMatchInlineSnapshot(`
      [
        "MESH200 12:9 envoy cannot express one rate limit shared by several ports: Envoy keeps a token bucket per listener, so each HTTP port of "shop/web" gets 10 requests per minute of its own",
        "MESH200 31:7 envoy cannot express registry-only egress by host name: a NetworkPolicy cannot name "api.stripe.com", so its callers' pods may open port 443 to any address; an app that dials around its sidecar is not held to the host",
        "MESH200 32:7 envoy cannot express registry-only egress by host name: a NetworkPolicy cannot name "legacy.example.com", so its callers' pods may open port 80, 5432, 8443, 9000 to any address; an app that dials around its sidecar is not held to the host",
        "MESH200 58:140 envoy cannot express a retry budget's minRetriesPerSecond: Envoy's retry_budget keeps 25% of active requests as retries and at least 10 concurrent retries (min_retry_concurrency), not 10 retries per second",
        "MESH200 58:140 envoy cannot express different retry budgets towards one destination: Envoy keeps one retry budget per upstream cluster; "outbound|5000|v2|orders.shop" keeps 10% (min 10), not 25% (min 10)",
        "MESH200 66:7 envoy cannot express request conditions on a TCP port: "shop/cache" port "redis" is plain TCP: methods, paths and gRPC methods cannot be checked, so this call allows nothing",
        "MESH200 77:56 envoy cannot express a retry budget's minRetriesPerSecond: Envoy's retry_budget keeps 10% of active requests as retries and at least 10 concurrent retries (min_retry_concurrency), not 10 retries per second",
      ]
    `);
  });

  it("agrees with the mesh on every probe", () => {
    const { lines, probes } = mismatches(ir, result.artifacts);
    expect(lines).toEqual([]);
    expect(probes).toBeGreaterThan(1000);
  });

  it("originates TLS to an https host (SNI and DNS SAN are the host's, the system's CAs), and passes tls, tcp and grpc through as declared", () => {
    const orders = boot("shop/orders-envoy");
    const stripe = cluster(orders, "outbound|443||api.stripe.com");
    expect(stripe.type).toBe("LOGICAL_DNS");
    expect(stripe.transport_socket.typed_config).toMatchObject({
      sni: "api.stripe.com",
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: "/etc/ssl/certs/ca-certificates.crt" },
          match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "api.stripe.com" } }],
        },
      },
    });
    expect(listener(orders, "outbound|api.stripe.com:https").filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route).toMatchObject({
      host_rewrite_literal: "api.stripe.com",
      timeout: "2s",
    });
    // The app does TLS itself on a `tls` port: bytes pass through untouched.
    expect(cluster(orders, "outbound|8443||legacy.example.com").transport_socket).toBeUndefined();
    expect(listener(orders, "outbound|legacy.example.com:secure").filter_chains[0].filters[0].name).toBe("envoy.filters.network.tcp_proxy");
    expect(listener(orders, "outbound|legacy.example.com:db").filter_chains[0].filters[0].name).toBe("envoy.filters.network.tcp_proxy");
    expect(cluster(orders, "outbound|9000||legacy.example.com").typed_extension_protocol_options).toBeDefined();
    // Nothing else is reachable: no passthrough, no original-destination cluster.
    expect(orders.static_resources.clusters.map((c: any) => c.type)).not.toContain("ORIGINAL_DST");
  });

  it("checks a call's methods on an external host itself: nothing on the other side will", () => {
    const orders = boot("shop/orders-envoy");
    const port = listener(orders, "outbound|legacy.example.com:web").address.socket_address.port_value;
    const get = evaluateListener(orders, "127.0.0.1", port, { tls: false }, { method: "GET", path: "/x" });
    expect(get.allowed && get.result).toMatchObject({ kind: "route", clusters: [{ name: "outbound|80||legacy.example.com", weight: 100 }] });
    expect(evaluateListener(orders, "127.0.0.1", port, { tls: false }, { method: "POST", path: "/x" })).toEqual({ allowed: false, reason: "direct response 403" });
  });

  it("leaves out a call whose request conditions a TCP port cannot check, on both sides", () => {
    const patch = result.artifacts.find((a) => a.path === "envoy/shop/patches/deployment-api.yaml") as { yaml: any };
    expect(Object.keys(JSON.parse(patch.yaml.spec.template.metadata.annotations[UPSTREAMS_ANNOTATION]))).not.toContain("cache.shop:redis");
    const rbac = listener(boot("shop/cache-envoy"), "inbound|redis").filter_chains[0].filters[0].typed_config;
    expect(Object.keys(rbac.rules.policies)).toEqual(["call:shop/orders->shop/cache:redis", "call:shop/web->shop/cache:redis"]);
  });

  it("gives every workload an upstream for a call from any service, and admits the whole trust domain", () => {
    for (const [cm, files] of configMaps(result.artifacts)) {
      if (cm.startsWith("edge/")) continue;
      expect(listener(files["envoy.yaml"], "outbound|auth.payments:grpc"), cm).toBeDefined();
    }
    const rbac = listener(boot("payments/auth-envoy"), "inbound|grpc").filter_chains[0].filters[0].typed_config.http_filters[0].typed_config;
    expect(Object.values(rbac.rules.policies)).toEqual([{ permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { prefix: "spiffe://cluster.local/" } } }] }]);
  });

  it("applies each call's own timeout and retries when calls on one edge differ", () => {
    const routes = listener(boot("shop/web-envoy"), "outbound|orders.shop:grpc").filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    expect(routes.map((r: any) => [r.match.path ?? r.match.prefix, r.route.timeout])).toEqual([
      ["/shop.Orders/Get", "1s"],
      ["/shop.Orders/Get", "1s"],
      ["/shop.Orders/", "10s"],
      ["/shop.Orders/", "10s"],
    ]);
  });

  it("carries the destination's pool, breakers, hashing and the retry budget on its clusters", () => {
    const c = cluster(boot("shop/web-envoy"), "outbound|5000|v1|orders.shop");
    expect(c).toMatchObject({
      connect_timeout: "0.25s",
      lb_policy: "RING_HASH",
      circuit_breakers: { thresholds: [{ priority: "DEFAULT", max_requests: 50, max_retries: 5, retry_budget: { budget_percent: { value: 10 }, min_retry_concurrency: 10 } }] },
    });
    expect(c.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]).toMatchObject({
      common_http_protocol_options: { idle_timeout: "300s", max_requests_per_connection: 100 },
      explicit_http_config: { http2_protocol_options: {} },
    });
    expect(cluster(boot("shop/web-envoy"), "outbound|8080||api.shop").lb_policy).toBe("LEAST_REQUEST");
  });

  it("accepts plaintext and mTLS on a permissive port, in two filter chains behind the TLS inspector", () => {
    const metrics = listener(boot("shop/web-envoy"), "inbound|metrics");
    expect(metrics.listener_filters.map((f: any) => f.name)).toEqual(["envoy.filters.listener.tls_inspector"]);
    expect(metrics.filter_chains.map((c: any) => [c.filter_chain_match.transport_protocol, c.transport_socket !== undefined])).toEqual([
      ["tls", true],
      ["raw_buffer", false],
    ]);
  });

  it("runs a TLS gateway on an unprivileged port behind the Service's public one, serving only its hosts", () => {
    const gateway = boot("edge/public-gateway-envoy");
    const l = listener(gateway, "ingress|public");
    expect(l.address.socket_address.port_value).toBe(8443);
    expect(l.filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe("ingress-cert");
    expect(l.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains).toEqual(["shop.example.com"]);
    const service = result.artifacts.find((a) => a.path === "envoy/edge/service-public-gateway.yaml") as { yaml: any };
    expect(service.yaml.spec.ports).toEqual([{ name: "https", port: 443, targetPort: 8443, protocol: "TCP" }]);
  });

  it("publishes each workload's local upstream addresses, stable across workloads", () => {
    const book = (path: string) => {
      const patch = result.artifacts.find((a) => a.path === path) as { yaml: any };
      return JSON.parse(patch.yaml.spec.template.metadata.annotations[UPSTREAMS_ANNOTATION]) as Record<string, string>;
    };
    const web = book("envoy/shop/patches/deployment-web.yaml");
    const orders = book("envoy/shop/patches/deployment-orders-v1.yaml");
    expect(Object.keys(web)).toEqual(["api.shop:http", "auth.payments:grpc", "cache.shop:redis", "orders.shop:grpc", "web.shop:metrics"]);
    expect(web["cache.shop:redis"]).toBe(orders["cache.shop:redis"]);
    for (const address of Object.values(web)) expect(address).toMatch(/^127\.0\.0\.1:2\d{4}$/);
    expect(YAML.stringify(web)).not.toContain(":8080");
  });
});
