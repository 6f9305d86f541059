import type { Duration } from "./duration.js";
import type { Fault, RetryPolicy } from "./traffic.js";
import type { ExternalSpec, ServiceSpec } from "./service.js";

/** HTTP methods a call may be limited to. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "CONNECT" | "TRACE";

/**
 * A request path: exact (`"/api/orders"`) or a prefix ending in `*` (`"/static/*"`).
 * @example "/productpage"
 * @example "/api/v1/*"
 */
export type PathPattern = `/${string}`;

/**
 * A gRPC method as `package.Service/Method`, or `package.Service/*` for every method.
 * @example "hipstershop.CartService/GetCart"
 * @example "hipstershop.CartService/*"
 */
export type GrpcMethod = `${string}/${string}`;

/** A reference to a service, handed to policy functions as `s.<name>`. */
export interface ServiceHandle {
  /**
   * What the handle refers to.
   * @example "service"
   */
  readonly kind: "service";
  /**
   * The key the service is declared under.
   * @example "reviews"
   */
  readonly name: string;
}

/** A reference to one port of a service or external host: `s.<name>.ports.<port>`. */
export interface PortHandle {
  /**
   * What the handle refers to.
   * @example "port"
   */
  readonly kind: "port";
  /**
   * The key the service (or external host) is declared under.
   * @example "reviews"
   */
  readonly service: string;
  /**
   * The port's key.
   * @example "http"
   */
  readonly port: string;
}

/** Any authenticated workload of the mesh; for `from` in a call. Use sparingly: it is a wildcard. */
export interface AnyServiceHandle {
  /**
   * What the handle refers to.
   * @example "any"
   */
  readonly kind: "any";
}

/** The handle of a declared service: its name and typed ports. */
export interface ServiceHandleOf<P extends string> extends ServiceHandle {
  /**
   * The service's ports, by name.
   * @example s.reviews.ports.http
   */
  readonly ports: { readonly [K in P]: PortHandle };
}

/** The handle of a declared external host. */
export interface ExternalHandleOf<P extends string> {
  /**
   * What the handle refers to.
   * @example "external"
   */
  readonly kind: "external";
  /**
   * The key the host is declared under.
   * @example "stripe"
   */
  readonly name: string;
  /**
   * The host's ports, by name.
   * @example s.stripe.ports.https
   */
  readonly ports: { readonly [K in P]: PortHandle };
}

/** The port names of a service spec. */
export type PortsOf<T> = T extends { readonly ports: infer P } ? keyof P & string : never;
/** The version names of a service spec. */
export type VersionsOf<T> = T extends { readonly versions?: infer V } ? (V extends object ? keyof V & string : never) : never;
type ExternalPortsOf<T> = T extends { readonly ports: infer P } ? (P extends object ? keyof P & string : "https") : "https";

/** The handles a policy function receives: one per service and external host. */
export type Handles<S, X = {}> = { readonly [K in keyof S & string]: ServiceHandleOf<PortsOf<S[K]>> } & {
  readonly [K in keyof X & string]: ExternalHandleOf<ExternalPortsOf<X[K]>>;
};

/** An allowed call: who may call which port, and how. Everything not allowed is denied. */
export interface CallSpec {
  /**
   * The caller, several callers, or `anyService` (every authenticated workload).
   * @example s.productpage
   * @example [s.frontend, s.checkout]
   */
  readonly from: ServiceHandle | AnyServiceHandle | readonly ServiceHandle[];
  /**
   * The port called.
   * @example s.details.ports.http
   */
  readonly to: PortHandle;
  /**
   * HTTP methods allowed (HTTP ports only).
   * @default every method
   * @example ["GET", "HEAD"]
   */
  readonly methods?: readonly HttpMethod[];
  /**
   * Paths allowed (HTTP ports only).
   * @default every path
   * @example ["/reviews/*"]
   */
  readonly paths?: readonly PathPattern[];
  /**
   * gRPC methods allowed (gRPC ports only).
   * @default every method
   * @example ["hipstershop.CartService/GetCart", "hipstershop.CartService/AddItem"]
   */
  readonly grpcMethods?: readonly GrpcMethod[];
  /**
   * Request timeout for this call.
   * @default the callee's `traffic.timeout`, else the mesh default
   * @example "2s"
   */
  readonly timeout?: Duration;
  /**
   * Retries for this call.
   * @default the callee's `traffic.retries`, else the mesh default
   * @example { attempts: 2, perTryTimeout: "500ms", on: ["5xx", "reset"] }
   */
  readonly retries?: RetryPolicy;
}

/** A string match on a header. */
export type StringMatch =
  | {
      /** @example "jason" */
      readonly exact: string;
    }
  | {
      /** @example "Mozilla/" */
      readonly prefix: string;
    }
  | {
      /** RE2 syntax. @example "^(jason|ana)$" */
      readonly regex: string;
    };

/** What a route rule matches. All conditions must hold. */
export interface RouteMatch {
  /**
   * Header conditions.
   * @default any headers
   * @example { "end-user": { exact: "jason" } }
   */
  readonly headers?: { readonly [name: string]: StringMatch };
  /**
   * Paths (exact, or prefix with a trailing `*`); any of them matches.
   * @default any path
   * @example ["/api/v2/*"]
   */
  readonly paths?: readonly PathPattern[];
  /**
   * HTTP methods; any of them matches.
   * @default any method
   * @example ["GET"]
   */
  readonly methods?: readonly HttpMethod[];
}

/** Mirror (shadow) a share of a route's traffic. Responses of the mirror are discarded. */
export type MirrorSpec<V extends string> =
  | {
      /**
       * A version of the same service.
       * @example "v2"
       */
      readonly version: V;
      /**
       * Percentage of requests mirrored.
       * @default 100
       * @example 10
       */
      readonly percent?: number;
    }
  | {
      /**
       * Another service's port.
       * @example s.reviewsShadow.ports.http
       */
      readonly to: PortHandle;
      /**
       * Percentage of requests mirrored.
       * @default 100
       * @example 10
       */
      readonly percent?: number;
    };

/** A version and its share of a split. */
export interface WeightedVersion<V extends string> {
  /**
   * The version.
   * @example "v1"
   */
  readonly version: V;
  /**
   * Share of requests, in percent.
   * @example 50
   */
  readonly weight: number;
}

/** One rule of a route. Rules are tried in order; a rule without `match` is the catch-all. */
export interface RouteRule<V extends string> {
  /**
   * The condition; omit it for the catch-all, which must come last.
   * @default matches every request
   * @example { headers: { "end-user": { exact: "jason" } } }
   */
  readonly match?: RouteMatch;
  /**
   * Where the rule sends traffic: one version, or a weighted split between versions in percent
   * (weights sum to 100).
   * @default every version, balanced by the proxy
   * @example "v2"
   * @example [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }]
   */
  readonly to?: V | readonly WeightedVersion<V>[];
  /**
   * Request timeout on this rule, for every caller.
   * @default the call's timeout
   * @example "1s"
   */
  readonly timeout?: Duration;
  /**
   * Retries on this rule, for every caller.
   * @default the call's retries
   * @example { attempts: 3, on: ["5xx"] }
   */
  readonly retries?: RetryPolicy;
  /**
   * Fault injection.
   * @default none
   * @example { delay: { fixed: "7s", percent: 100 } }
   */
  readonly fault?: Fault;
  /**
   * Mirror the traffic this rule matches.
   * @default none
   * @example { version: "v3", percent: 10 }
   */
  readonly mirror?: MirrorSpec<V>;
}

/** Routes, by service and then port: `{ reviews: { http: [rule, …] } }`. */
export type Routes<S> = {
  readonly [K in keyof S]?: { readonly [P in PortsOf<S[K]>]?: readonly RouteRule<VersionsOf<S[K]>>[] };
};

/** A route of an ingress entry point. */
export interface IngressRoute {
  /**
   * Paths routed (exact, or prefix with a trailing `*`).
   * @default every path
   * @example ["/productpage", "/static/*"]
   */
  readonly paths?: readonly PathPattern[];
  /**
   * HTTP methods allowed.
   * @default every method
   * @example ["GET", "POST"]
   */
  readonly methods?: readonly HttpMethod[];
  /**
   * The destination port.
   * @example s.productpage.ports.http
   */
  readonly to: PortHandle;
  /**
   * Request timeout.
   * @default the destination's `traffic.timeout`, else the mesh default
   * @example "10s"
   */
  readonly timeout?: Duration;
  /**
   * Retries.
   * @default the destination's `traffic.retries`, else the mesh default
   * @example { attempts: 1 }
   */
  readonly retries?: RetryPolicy;
}

/** An entry point from outside the mesh. */
export interface IngressSpec {
  /**
   * Name of the entry point (a DNS label).
   * @example "public"
   */
  readonly name: string;
  /**
   * Port the gateway listens on.
   * @default 80, or 443 with `tls`
   * @example 8080
   */
  readonly port?: number;
  /**
   * Host names served.
   * @default ["*"]
   * @example ["shop.example.com"]
   */
  readonly hosts?: readonly string[];
  /**
   * Terminate TLS with the certificate in this Kubernetes Secret (in the gateway's namespace).
   * @default plaintext HTTP
   * @example { secretName: "shop-example-com-tls" }
   */
  readonly tls?: {
    /**
     * The Secret (type kubernetes.io/tls) holding the certificate and key.
     * @example "shop-example-com-tls"
     */
    readonly secretName: string;
  };
  /**
   * The gateway workload: where it runs, its identity, its pod labels and the container port it
   * listens on. meshc configures and authorizes the gateway; deploying it is the mesh's job
   * (e.g. Istio's ingress gateway chart).
   * @default namespace: the mesh's namespace; serviceAccount: "<name>-gateway";
   * labels: { app: "<name>-gateway" }; targetPort: the same as `port`
   * @example { namespace: "istio-ingress", serviceAccount: "istio-ingressgateway", labels: { istio: "ingressgateway" }, targetPort: 8080 }
   */
  readonly gateway?: {
    /**
     * Where the gateway runs.
     * @default the mesh's namespace
     * @example "istio-ingress"
     */
    readonly namespace?: string;
    /**
     * The gateway's identity.
     * @default "<ingress name>-gateway"
     * @example "istio-ingressgateway"
     */
    readonly serviceAccount?: string;
    /**
     * The gateway pods' labels (its selector).
     * @default { app: "<ingress name>-gateway" }
     * @example { istio: "ingressgateway" }
     */
    readonly labels?: { readonly [name: string]: string };
    /**
     * The container port the gateway listens on behind `port`.
     * @default the same as `port`
     * @example 8080
     */
    readonly targetPort?: number;
  };
  /**
   * Routes, tried in order.
   * @example [{ paths: ["/productpage"], to: s.productpage.ports.http }]
   */
  readonly routes: readonly IngressRoute[];
}

/**
 * A list of calls: any array of {@link CallSpec}. The tuple member is there for speed: against a
 * tuple type TypeScript checks an array literal element by element, while against a plain array
 * type alone it first computes the union of all element types with subtype reduction, which is
 * quadratic in the number of distinct calls and fails with TS2590 ("union type too complex")
 * past about a thousand of them in one literal.
 */
export type CallList = readonly CallSpec[] | readonly [CallSpec, ...CallSpec[]];

/** What a policy function returns: calls, routes and ingress entry points. */
export interface Policy<S = {}> {
  /**
   * Allowed calls. The mesh is default-deny: a call not listed here is refused.
   * @default []
   * @example [{ from: s.productpage, to: s.details.ports.http, methods: ["GET"] }]
   */
  readonly calls?: CallList;
  /**
   * Routes of a service's ports: matches, weighted splits, faults, mirroring.
   * @default {} (each port goes to all its versions)
   * @example { reviews: { http: [{ to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }] }] } }
   */
  readonly routes?: Routes<S>;
  /**
   * Entry points from outside the mesh.
   * @default []
   * @example [{ name: "public", routes: [{ paths: ["/*"], to: s.frontend.ports.http }] }]
   */
  readonly ingress?: readonly IngressSpec[];
}

/** A policy function: receives typed handles, returns a {@link Policy}. */
export type PolicyFn<S, X = {}> = (s: Handles<S, X>) => Policy<S>;

/** A services map, as declared in `defineMesh({ services })`. */
export type ServicesMap = { readonly [name: string]: ServiceSpec };
/** An external hosts map, as declared in `defineMesh({ external })`. */
export type ExternalMap = { readonly [name: string]: ExternalSpec };
