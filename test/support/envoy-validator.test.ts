import fc from "fast-check";
import protojson from "protobufjs/ext/protojson.js";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEnvoyProtos } from "./envoy-protos/load.js";
import {
  envoyProtoInfo,
  formatEnvoyIssues,
  unenforcedValidateRules,
  validateEnvoyBootstrap,
  validateEnvoyMessage,
  type EnvoyIssue,
} from "./envoy-validator.js";
import { sidecarBootstrap, T } from "./envoy-validator.fixture.js";

// Loading ~320 proto files takes ~0.6 s alone and several times that on a busy machine;
// done once here so no single test's timeout has to absorb it.
beforeAll(() => {
  envoyProtoInfo();
}, 60_000);

const HCM_IN = "$.static_resources.listeners[0].filter_chains[0].filters[0].typed_config";
const ROUTE_OUT =
  "$.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route";

function mutated(mutate: (config: Record<string, any>) => void): Record<string, any> {
  const config = sidecarBootstrap();
  mutate(config);
  return config;
}

function expectIssue(issues: EnvoyIssue[], path: string, message: RegExp): void {
  const match = issues.find((issue) => issue.path === path && message.test(issue.message));
  expect(match, `expected an issue at ${path} matching ${message}; got:\n${formatEnvoyIssues(issues)}`).toBeDefined();
}

describe("validateEnvoyBootstrap on a realistic sidecar", () => {
  // The first validation also makes protobufjs generate its codecs for the protojson backstop.
  it("accepts the sidecar bootstrap with zero issues", { timeout: 30_000 }, () => {
    const issues = validateEnvoyBootstrap(sidecarBootstrap());
    expect(formatEnvoyIssues(issues)).toBe("");
  });

  it("accepts lowerCamelCase JSON names and decimal-string integers like protobuf's JSON parser", () => {
    const config = mutated((c) => {
      const cluster = c.static_resources.clusters[0];
      cluster.connectTimeout = cluster.connect_timeout;
      delete cluster.connect_timeout;
      cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = "8080";
    });
    expect(formatEnvoyIssues(validateEnvoyBootstrap(config))).toBe("");
  });
});

describe("validateEnvoyBootstrap rejects", () => {
  it("an unknown top-level field", () => {
    const issues = validateEnvoyBootstrap(mutated((c) => (c.static_resource = {})));
    expectIssue(issues, "$.static_resource", /unknown field "static_resource" in envoy\.config\.bootstrap\.v3\.Bootstrap.*did you mean "static_resources"/);
  });

  it("an unknown field nested inside typed_config Anys (HCM, then the router inside it)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const hcm = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
        hcm.stat_prefixes = "x";
        hcm.http_filters[3].typed_config.dynamic_stat = true;
      }),
    );
    expectIssue(issues, `${HCM_IN}.stat_prefixes`, /unknown field "stat_prefixes" in envoy\.extensions\.filters\.network\.http_connection_manager\.v3\.HttpConnectionManager/);
    expectIssue(issues, `${HCM_IN}.http_filters[3].typed_config.dynamic_stat`, /unknown field "dynamic_stat" in envoy\.extensions\.filters\.http\.router\.v3\.Router/);
  });

  it("a wrong JSON type (a non-numeric string, a boolean) where uint32 is expected", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.admin.address.socket_address.port_value = "admin";
        c.static_resources.clusters[2].circuit_breakers.thresholds[0].max_connections = true;
      }),
    );
    expectIssue(issues, "$.admin.address.socket_address.port_value", /expected an integer \(uint32\), got string "admin"/);
    expectIssue(issues, "$.static_resources.clusters[2].circuit_breakers.thresholds[0].max_connections", /expected an integer \(uint32\), got boolean true/);
  });

  it("an integer outside the uint32 range and a fractional one", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.admin.address.socket_address.port_value = 2 ** 32;
        c.static_resources.clusters[2].circuit_breakers.thresholds[0].max_requests = 1.5;
      }),
    );
    expectIssue(issues, "$.admin.address.socket_address.port_value", /4294967296 is out of range for uint32/);
    expectIssue(issues, "$.static_resources.clusters[2].circuit_breakers.thresholds[0].max_requests", /expected an integer \(uint32\), got number 1\.5/);
  });

  it("an unknown @type, and a @type without the type.googleapis.com/ prefix", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const filters = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
        filters[0].typed_config["@type"] = `${T}envoy.extensions.filters.http.fault.v3.HttpFault`;
        filters[3].typed_config["@type"] = "envoy.extensions.filters.http.router.v3.Router";
      }),
    );
    expectIssue(issues, `${HCM_IN}.http_filters[0].typed_config["@type"]`, /unknown "@type" .*HttpFault.*no message/);
    expectIssue(issues, `${HCM_IN}.http_filters[3].typed_config["@type"]`, /must start with "type\.googleapis\.com\/"/);
  });

  it("a typed_config without @type", () => {
    const issues = validateEnvoyBootstrap(mutated((c) => delete c.admin.access_log[0].typed_config["@type"]));
    expectIssue(issues, "$.admin.access_log[0].typed_config", /Any without "@type"/);
  });

  it("an invalid enum name, and a non-canonical (lower-case) one", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.static_resources.clusters[2].lb_policy = "LEAST_REQUESTS";
        c.static_resources.clusters[3].lb_policy = "least_request";
      }),
    );
    expectIssue(issues, "$.static_resources.clusters[2].lb_policy", /unknown envoy\.config\.cluster\.v3\.Cluster\.LbPolicy value "LEAST_REQUESTS"/);
    expectIssue(issues, "$.static_resources.clusters[3].lb_policy", /"least_request" is not the canonical spelling of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy\.LEAST_REQUEST/);
  });

  it("an enum number that is not defined (PGV enum.defined_only)", () => {
    const issues = validateEnvoyBootstrap(mutated((c) => (c.static_resources.clusters[2].lb_policy = 42)));
    expectIssue(issues, "$.static_resources.clusters[2].lb_policy", /42 is not a defined value of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy \[enum\.defined_only\]/);
  });

  it("an empty or missing cluster name (PGV string.min_len)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.static_resources.clusters[0].name = "";
        delete c.static_resources.clusters[1].name;
      }),
    );
    expectIssue(issues, "$.static_resources.clusters[0].name", /"" must be at least 1 character\(s\) long \[string\.min_len\]/);
    expectIssue(issues, "$.static_resources.clusters[1].name", /unset, and its proto3 default fails: "" must be at least 1 character\(s\) long \[string\.min_len\]/);
  });

  it("durations that must be > 0 (PGV duration.gt), and a malformed duration", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.static_resources.clusters[0].connect_timeout = "0s";
        c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.token_bucket.fill_interval = "0s";
        c.static_resources.clusters[1].connect_timeout = "250ms";
      }),
    );
    expectIssue(issues, "$.static_resources.clusters[0].connect_timeout", /0s must be greater than 0s \[duration\.gt\]/);
    expectIssue(issues, `${HCM_IN}.http_filters[1].typed_config.token_bucket.fill_interval`, /0s must be greater than 0s \[duration\.gt\]/);
    expectIssue(issues, "$.static_resources.clusters[1].connect_timeout", /expected a duration string like "1\.5s".*"250ms"/);
  });

  it("numeric bounds on plain and wrapped values (PGV uint32.gte/lt, double.lte)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const hcm = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
        hcm.http_filters[0].typed_config.abort.http_status = 99;
        c.static_resources.clusters[2].circuit_breakers.thresholds[0].retry_budget.budget_percent.value = 120;
      }),
    );
    expectIssue(issues, `${HCM_IN}.http_filters[0].typed_config.abort.http_status`, /99 must be at least 200 \[uint32\.gte\]/);
    expectIssue(issues, "$.static_resources.clusters[2].circuit_breakers.thresholds[0].retry_budget.budget_percent.value", /120 must be at most 100 \[double\.lte\]/);
  });

  it("missing required messages and unset required oneofs (PGV message.required, oneof required)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const hcm = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
        delete hcm.http_filters[1].typed_config.token_bucket.fill_interval;
        delete hcm.route_config;
      }),
    );
    expectIssue(issues, `${HCM_IN}.http_filters[1].typed_config.token_bucket.fill_interval`, /fill_interval is required \[duration\.required\]/);
    expectIssue(issues, HCM_IN, /one of rds, route_config, scoped_routes.* must be set \[oneof route_specifier/);
  });

  it("two members of one oneof", () => {
    const issues = validateEnvoyBootstrap(mutated((c) => (c.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route.cluster = "x")));
    expectIssue(issues, ROUTE_OUT, /oneof envoy\.config\.route\.v3\.RouteAction\.cluster_specifier allows one member, but 2 are set: cluster, weighted_clusters/);
  });

  it("an empty repeated field with min_items and an invalid SAN matcher type (PGV repeated.min_items, enum not_in)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const rbac = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[2].typed_config;
        rbac.rules.policies["allow-frontend"].principals = [];
        const ctx = c.static_resources.clusters[2].transport_socket.typed_config.common_tls_context;
        ctx.validation_context.match_typed_subject_alt_names[0].san_type = "SAN_TYPE_UNSPECIFIED";
      }),
    );
    expectIssue(issues, `${HCM_IN}.http_filters[2].typed_config.rules.policies["allow-frontend"].principals`, /has 0 item\(s\); at least 1 required \[repeated\.min_items\]/);
    expectIssue(
      issues,
      "$.static_resources.clusters[2].transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names[0].san_type",
      /SAN_TYPE_UNSPECIFIED \(0\) must not be one of SAN_TYPE_UNSPECIFIED \(0\) \[enum\.not_in\]/,
    );
  });

  it("a header name that is not an RFC 7230 token (PGV well_known_regex)", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        const lrl = c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config;
        lrl.response_headers_to_add[0].header.key = "x-rate limit\n";
      }),
    );
    expectIssue(issues, `${HCM_IN}.http_filters[1].typed_config.response_headers_to_add[0].header.key`, /is not an HTTP header name.*\[string\.well_known_regex\]/);
  });

  it("deprecated fields unless allowDeprecated", () => {
    const config = mutated((c) => (c.static_resources.clusters[0].http2_protocol_options = {}));
    expectIssue(validateEnvoyBootstrap(config), "$.static_resources.clusters[0].http2_protocol_options", /Cluster\.http2_protocol_options is deprecated since API 3\.0/);
    expect(formatEnvoyIssues(validateEnvoyBootstrap(config, { allowDeprecated: true }))).toBe("");
  });

  it("disallowed_by_default fields and enum values even with allowDeprecated", () => {
    const zipkin = { collector_cluster: "zipkin", collector_endpoint: "/api/v2/spans", collector_endpoint_version: "DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE" };
    expectIssue(
      validateEnvoyMessage("envoy.config.trace.v3.ZipkinConfig", zipkin, { allowDeprecated: true }),
      "$.collector_endpoint_version",
      /CollectorEndpointVersion\.DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE is disallowed by default/,
    );
    expectIssue(
      validateEnvoyMessage("envoy.config.trace.v3.DynamicOtConfig", { library: "/usr/lib/libtracer.so" }, { allowDeprecated: true }),
      "$.library",
      /DynamicOtConfig\.library is disallowed by default/,
    );
  });

  it("both spellings of one field", () => {
    const issues = validateEnvoyBootstrap(mutated((c) => (c.static_resources.clusters[0].connectTimeout = "1s")));
    expectIssue(issues, "$.static_resources.clusters[0].connectTimeout", /"connectTimeout" and "connect_timeout" both set envoy\.config\.cluster\.v3\.Cluster\.connect_timeout/);
  });

  it("values JSON cannot carry", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.static_resources.clusters[2].circuit_breakers.thresholds[0].retry_budget.budget_percent.value = Number.NaN;
        c.node.metadata = { build: 1n };
        c.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains = ["payments", undefined];
      }),
    );
    expectIssue(issues, "$.static_resources.clusters[2].circuit_breakers.thresholds[0].retry_budget.budget_percent.value", /NaN cannot be written as a JSON number; use the string "NaN"/);
    expectIssue(issues, "$.node.metadata.build", /BigInt 1n/);
    expectIssue(issues, "$.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains[1]", /undefined element/);
  });

  it("reports every issue in one pass rather than stopping at the first", () => {
    const issues = validateEnvoyBootstrap(
      mutated((c) => {
        c.bogus = 1;
        c.static_resources.clusters[0].name = "";
        c.static_resources.clusters[2].lb_policy = "NOPE";
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["$.bogus", "$.static_resources.clusters[0].name", "$.static_resources.clusters[2].lb_policy"]),
    );
  });
});

describe("validateEnvoyMessage", () => {
  it("validates the config a TypedStruct names, as Envoy unpacks it", () => {
    const filter = (value: Record<string, unknown>) => ({
      name: "envoy.filters.http.router",
      typed_config: { "@type": `${T}xds.type.v3.TypedStruct`, type_url: `${T}envoy.extensions.filters.http.router.v3.Router`, value },
    });
    const type = "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter";
    expect(validateEnvoyMessage(type, filter({ suppress_envoy_headers: true }))).toEqual([]);
    expectIssue(validateEnvoyMessage(type, filter({ suppress_envoy_headers: "yes" })), "$.typed_config.value.suppress_envoy_headers", /expected true or false/);
  });

  it("handles well-known types embedded in an Any under `value`", () => {
    const type = "envoy.config.core.v3.TypedExtensionConfig";
    const config = (value: unknown) => ({ name: "x", typed_config: { "@type": `${T}google.protobuf.Duration`, value } });
    expect(validateEnvoyMessage(type, config("2s"))).toEqual([]);
    expectIssue(validateEnvoyMessage(type, config(2)), "$.typed_config.value", /expected a duration string/);
  });

  it("accepts Struct content of any JSON shape but not non-JSON values", () => {
    const type = "envoy.config.core.v3.Metadata";
    expect(validateEnvoyMessage(type, { filter_metadata: { "meshc.io": { a: [1, "x", null, { b: true }] } } })).toEqual([]);
    expectIssue(validateEnvoyMessage(type, { filter_metadata: { "meshc.io": { when: new Date(0) } } }), '$.filter_metadata["meshc.io"].when', /expected a JSON value, got a Date object/);
  });

  it("rejects a type name that is not a loaded message", () => {
    expect(() => validateEnvoyMessage("envoy.config.cluster.v3.Clusterz", {})).toThrow(/not a message type/);
  });
});

describe("proto loading and PGV coverage", () => {
  it("loads the v3 config/extension protos from @grpc/grpc-js-xds, skipping only those with unshipped imports", () => {
    const info = envoyProtoInfo();
    expect(info.fileCount).toBeGreaterThan(250);
    expect(info.skipped.map((s) => s.file).sort()).toEqual([
      "envoy/config/trace/v3/opencensus.proto",
      "envoy/config/trace/v3/trace.proto",
      "envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto",
    ]);
  });

  it("enforces every PGV rule kind that appears in the loaded protos", () => {
    expect(unenforcedValidateRules()).toEqual([]);
  });
});

/** Replacement values aimed at the edges of proto3 JSON parsing. */
const EDGE_VALUES: readonly unknown[] = [
  "", "x", "12", " 12", "1.5", "1e3", "1e400", "-0", "+5", "NaN", "Infinity", "DEFAULT", "HUNDRED", "ALLOW",
  "least_request", "1s", "-1s", "1.0000000001s", "1.5S", "AAAA", "AA=", "A", "fooBar", "foo_bar",
  "2020-02-30T00:00:00Z", "2020-01-01T00:00:00Z", "\ud800", 0, -1, 1.5, 2 ** 32, 2 ** 31, -(2 ** 31) - 1,
  2 ** 53 + 2, 1e40, -0, true, false, null, [], [1], ["x"], [null], [{}], {}, { foo: 1 },
  { "@type": `${T}envoy.extensions.filters.http.router.v3.Router` },
  { "@type": `${T}google.protobuf.Duration`, value: "1s" },
  { "@type": `${T}google.protobuf.Struct`, value: { a: 1 } },
  { "@type": `${T}google.protobuf.Empty` },
  { exact: "x" },
];

type Edit = { at: number; op: "replace" | "delete" | "respell"; value: unknown };

function nodePaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      nodePaths(child, path, out);
    }
  }
  return out;
}

function applyEdit(config: Record<string, any>, paths: (string | number)[][], edit: Edit): void {
  const path = paths[edit.at % paths.length];
  if (!path) return;
  let parent: any = config;
  for (const key of path.slice(0, -1)) parent = parent?.[key];
  if (parent === null || typeof parent !== "object") return;
  const key = path[path.length - 1] as string | number;
  if (edit.op === "delete" && !Array.isArray(parent)) delete parent[key];
  else if (edit.op === "respell" && typeof key === "string") {
    // The lowerCamelCase twin of a field that may still be present under its .proto name.
    parent[key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = structuredClone(edit.value);
  } else parent[key] = structuredClone(edit.value);
}

describe("the walker alone", () => {
  it("rejects every random corruption of the sidecar that protobufjs protojson rejects", { timeout: 60_000 }, () => {
    const bootstrap = loadEnvoyProtos().root.lookupType("envoy.config.bootstrap.v3.Bootstrap");
    const paths = nodePaths(sidecarBootstrap());
    const edit = fc.record({
      at: fc.nat(),
      op: fc.constantFrom("replace", "delete", "respell"),
      value: fc.oneof(fc.constantFrom(...EDGE_VALUES), fc.jsonValue({ maxDepth: 2 })),
    }) as fc.Arbitrary<Edit>;
    let protojsonRejections = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const config = sidecarBootstrap();
        for (const e of edits) applyEdit(config, paths, e);
        try {
          protojson.fromJson(bootstrap, JSON.parse(JSON.stringify(config)) as unknown);
          return true;
        } catch {
          protojsonRejections++;
        }
        const issues = validateEnvoyBootstrap(config, { protojsonCrossCheck: false, allowDeprecated: true });
        return issues.length > 0;
      }),
      { numRuns: 300, seed: 0x6d657368 },
    );
    // Guards against the property passing only because no corruption ever mattered.
    expect(protojsonRejections).toBeGreaterThan(100);
  });
});
