/**
 * Ingress: an Istio Gateway on the gateway workload, and a VirtualService bound to it with the
 * entry point's routes.
 *
 * The Gateway selects the pods the IR names (`ingress.gateway.selector`), and the authorization
 * policies admit `ingress.gateway.identity`: both describe one workload, e.g. the one
 * `helm install public-gateway istio/gateway -n <namespace>` creates (pods labelled
 * `app: public-gateway`, service account `public-gateway`).
 *
 * A service's route rules apply to traffic from the gateway too: the gateway's proxy picks the
 * version itself, so each entry route is written once per rule of its destination port.
 */
import type { IngressIR } from "../../compiler/ir.js";
import { intersect, requestMatch, ruleMatch } from "./match.js";
import { NETWORKING, object, type Context, type IstioObject, type RequestPolicy } from "./model.js";
import { renderHttpRoute, withCatchAll } from "./virtual-service.js";

/** The name of the VirtualService holding an entry point's routes. */
export function gatewayVirtualServiceName(ingress: IngressIR): string {
  return `ingress-${ingress.name}`;
}

export function gateways(ctx: Context): IstioObject[] {
  const out: IstioObject[] = [];
  const routes = new Map(ctx.ir.routes.map((r) => [r.id, r]));
  for (const ingress of ctx.ir.ingresses) {
    const ns = ingress.gateway.namespace;
    const protocol = ingress.protocol === "https" ? "HTTPS" : "HTTP";
    out.push(
      object(ctx, NETWORKING, "Gateway", ingress.name, ns, {
        selector: { ...ingress.gateway.selector },
        servers: [
          {
            port: { number: ingress.port, name: ingress.protocol, protocol },
            hosts: [...ingress.hosts],
            ...(ingress.tls ? { tls: { mode: "SIMPLE", credentialName: ingress.tls.secretName } } : {}),
          },
        ],
      }),
    );

    const http: Record<string, unknown>[] = [];
    for (const entry of ingress.routes) {
      const service = ctx.services.get(entry.to.service);
      const port = service?.ports.find((p) => p.name === entry.to.port);
      if (!service || !port) continue;
      const route = routes.get(`${service.id}:${port.name}`);
      const entryMatch = requestMatch(entry.paths, entry.methods);
      const entryPolicy: RequestPolicy = { ...(entry.timeoutMs !== undefined ? { timeoutMs: entry.timeoutMs } : {}), ...(entry.retries ? { retries: entry.retries } : {}) };
      for (const rule of withCatchAll(route?.rules ?? [], route?.span ?? entry.span)) {
        const m = intersect(entryMatch, ruleMatch(rule.match));
        if (m.length === 0) continue;
        const policy: RequestPolicy = {
          ...((rule.timeoutMs ?? entryPolicy.timeoutMs) !== undefined ? { timeoutMs: rule.timeoutMs ?? entryPolicy.timeoutMs } : {}),
          ...((rule.retries ?? entryPolicy.retries) ? { retries: rule.retries ?? entryPolicy.retries } : {}),
        };
        http.push(renderHttpRoute(ctx, service, port, rule, m, policy));
      }
    }
    if (http.length === 0) continue;
    out.push(
      object(ctx, NETWORKING, "VirtualService", gatewayVirtualServiceName(ingress), ns, {
        hosts: [...ingress.hosts],
        gateways: [ingress.name],
        http,
      }),
    );
  }
  return out;
}
