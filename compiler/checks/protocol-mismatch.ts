// Protocol mismatch
// Request rules match what the port's protocol carries: HTTP methods and paths on HTTP ports, gRPC methods on gRPC (or HTTP/2) ports, and no request rules on TCP or TLS ports.
// See: https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
import type { Span } from "../ir.js";
import type { Check } from "./check.js";
import { spanKey } from "./support/edges.js";

type Carries = "http" | "grpc" | "opaque";

/** What a proxy can see of the requests on a port of this protocol. */
function carries(protocol: string): Carries {
  if (protocol === "http") return "http";
  if (protocol === "grpc") return "grpc";
  if (protocol === "http2") return "http"; // HTTP/2 carries both; gRPC methods are checked apart
  return "opaque"; // tcp, tls, and https the caller's app encrypts itself
}

const OPAQUE = "the proxy sees only connections there, not requests, so it cannot enforce them";

export const protocolMismatch: Check = {
  name: "ProtocolMismatch",
  run({ ir, services, keyOf }, report) {
    const seen = new Set<string>();
    const flag = (what: string, rule: string, port: string, service: string, protocol: string, why: string, span: Span) => {
      // A call with several callers is one declaration: report it once.
      const key = `${spanKey(span)}:${rule}`;
      if (seen.has(key)) return;
      seen.add(key);
      report("ProtocolMismatch", { what, rule, port, service, protocol, why }, span);
    };
    for (const call of ir.calls) {
      if (!call.protocol) continue; // an unresolved port is another check's
      const kind = carries(call.protocol);
      const service = call.to.kind === "service" ? keyOf(call.to.service) : call.to.external;
      const at = (field: string) => call.fieldSpans[field] ?? call.span;
      const httpWhy =
        kind === "grpc" ? "every gRPC request is a POST to /package.Service/Method, so restrict gRPC methods with `grpcMethods` instead" : OPAQUE;
      if (call.methods && kind !== "http") flag("The call", "HTTP methods", call.to.port, service, call.protocol, httpWhy, at("methods"));
      if (call.paths && kind !== "http") flag("The call", "HTTP paths", call.to.port, service, call.protocol, httpWhy, at("paths"));
      if (call.grpcMethods && call.protocol !== "grpc" && call.protocol !== "http2") {
        const why = kind === "http" ? "gRPC needs HTTP/2; declare the port's protocol as grpc" : OPAQUE;
        flag("The call", "gRPC methods", call.to.port, service, call.protocol, why, at("grpcMethods"));
      }
    }
    for (const route of ir.routes) {
      const port = services.get(route.service)?.ports.find((p) => p.name === route.port);
      if (!port || port.protocol !== "tcp") continue;
      const why = "a TCP port carries connections, not requests";
      route.rules.forEach((rule, i) => {
        const what = `Rule ${i + 1} of the route "${keyOf(route.service)}:${route.port}"`;
        if (rule.match) flag(what, "request matches", port.name, keyOf(route.service), "tcp", why, rule.fieldSpans.match ?? rule.span);
        if (rule.retries) flag(what, "HTTP retries", port.name, keyOf(route.service), "tcp", why, rule.retries.span);
        if (rule.fault) flag(what, "fault injection", port.name, keyOf(route.service), "tcp", why, rule.fault.span);
      });
    }
    for (const ingress of ir.ingresses) {
      for (const r of ingress.routes) {
        const port = services.get(r.to.service)?.ports.find((p) => p.name === r.to.port);
        if (port?.protocol !== "tcp") continue;
        flag(`Ingress "${ingress.name}"`, "HTTP routing", port.name, keyOf(r.to.service), "tcp", "the gateway forwards HTTP requests, which a TCP port does not serve", r.fieldSpans.to ?? r.span);
      }
    }
  },
};
