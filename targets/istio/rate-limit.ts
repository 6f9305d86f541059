/**
 * Local rate limits. Istio has no rate-limit API; the way its own docs do it
 * (https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/#local-rate-limit) is an
 * EnvoyFilter adding Envoy's local_ratelimit HTTP filter to the workload's inbound listeners.
 * That is what an operator writes by hand, so meshc writes it too rather than drop the limit.
 *
 * The filter goes just before the router, i.e. after authorization: requests the mesh refuses
 * do not spend the tokens of the callers it admits. Each replica's proxy keeps its own bucket,
 * as the IR's rate limit says.
 */
import type { ServiceIR } from "../../compiler/ir.js";
import { NETWORKING_ALPHA, isRequestProtocol, object, type Context, type IstioObject } from "./model.js";

/** The Envoy HTTP filter an EnvoyFilter inserts for a service's rate limit (exported for validation against Envoy's protos). */
export function localRateLimitFilter(service: ServiceIR): Record<string, unknown> | undefined {
  const limit = service.rateLimit;
  if (!limit) return undefined;
  const enabled = (key: string) => ({ runtime_key: key, default_value: { numerator: 100, denominator: "HUNDRED" } });
  return {
    name: "envoy.filters.http.local_ratelimit",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      stat_prefix: "http_local_rate_limiter",
      // A full bucket holds the steady rate plus the burst; it refills at the steady rate.
      token_bucket: { max_tokens: limit.requests + limit.burst, tokens_per_fill: limit.requests, fill_interval: `${limit.windowMs / 1000}s` },
      // Both default to 0%: without them the filter is installed but does nothing.
      filter_enabled: enabled("local_rate_limit_enabled"),
      filter_enforced: enabled("local_rate_limit_enforced"),
    },
  };
}

export function rateLimitFilters(ctx: Context): IstioObject[] {
  const out: IstioObject[] = [];
  for (const service of ctx.ir.services) {
    const filter = localRateLimitFilter(service);
    if (!filter || !service.rateLimit) continue;
    const tcp = service.ports.filter((p) => !isRequestProtocol(p.protocol));
    if (tcp.length > 0) {
      ctx.report(
        "a rate limit on a TCP port",
        `Envoy's local rate limit counts HTTP requests; port${tcp.length > 1 ? "s" : ""} ${tcp.map((p) => `"${p.name}"`).join(", ")} of "${service.key}" carr${tcp.length > 1 ? "y" : "ies"} TCP and ${tcp.length > 1 ? "are" : "is"} not limited`,
        service.rateLimit.span,
      );
    }
    if (tcp.length === service.ports.length) continue;
    out.push(
      object(ctx, NETWORKING_ALPHA, "EnvoyFilter", `${service.name}-local-ratelimit`, service.namespace, {
        workloadSelector: { labels: { ...service.selector } },
        configPatches: [
          {
            applyTo: "HTTP_FILTER",
            match: {
              context: "SIDECAR_INBOUND",
              listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager", subFilter: { name: "envoy.filters.http.router" } } } },
            },
            patch: { operation: "INSERT_BEFORE", value: filter },
          },
        ],
      }),
    );
  }
  return out;
}
