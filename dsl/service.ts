import type { MtlsMode, RateLimit, TrafficPolicy } from "./traffic.js";

/** Application protocol of a port. `grpc` implies HTTP/2. */
export type Protocol = "http" | "http2" | "grpc" | "tcp";

/** A port a service serves. */
export interface PortSpec {
  /**
   * The Service port callers connect to.
   * @example 9080
   */
  readonly port: number;
  /**
   * Application protocol; decides which rules (methods, paths, gRPC methods) apply.
   * @default "http"
   * @example "grpc"
   */
  readonly protocol?: Protocol;
  /**
   * The container port, when it differs from `port`.
   * @default the same as `port`
   * @example 8080
   */
  readonly targetPort?: number;
  /**
   * mTLS mode on this port only (e.g. a metrics port scraped in plaintext).
   * @default the service's mode
   * @example "permissive"
   */
  readonly mtls?: MtlsMode;
}

/** An environment variable of the workload. */
export type EnvValue = string;

/** The workload behind a service, when the mesh should also emit its Deployment. */
export interface WorkloadSpec {
  /**
   * Container image.
   * @default none: a workload without an image gets no Deployment (reported)
   * @example "docker.io/istio/examples-bookinfo-details-v1:1.20.2"
   */
  readonly image?: string;
  /**
   * Number of replicas.
   * @default 1
   * @example 3
   */
  readonly replicas?: number;
  /**
   * Environment variables.
   * @default {}
   * @example { LOG_LEVEL: "info" }
   */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /**
   * Container command (entrypoint override).
   * @default the image's entrypoint
   * @example ["/bin/server"]
   */
  readonly command?: readonly string[];
  /**
   * Container arguments.
   * @default the image's arguments
   * @example ["--port", "8080"]
   */
  readonly args?: readonly string[];
  /**
   * CPU and memory requests and limits, in Kubernetes quantities.
   * @default none
   * @example { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } }
   */
  readonly resources?: {
    /**
     * What the scheduler reserves.
     * @default none
     * @example { cpu: "100m", memory: "64Mi" }
     */
    readonly requests?: Quantities;
    /**
     * The most the container may use.
     * @default none
     * @example { memory: "128Mi" }
     */
    readonly limits?: Quantities;
  };
}

/** CPU and memory, in Kubernetes quantities. */
export interface Quantities {
  /**
   * CPU, in cores or millicores.
   * @default none
   * @example "250m"
   */
  readonly cpu?: string;
  /**
   * Memory, in bytes with a binary suffix.
   * @default none
   * @example "128Mi"
   */
  readonly memory?: string;
}

/** A version (subset) of a service: its own pods, selected by labels. */
export interface VersionSpec {
  /**
   * Pod labels that select this version, on top of `app: <service>`.
   * @default { version: "<version key>" }
   * @example { version: "v2", track: "canary" }
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The workload of this version; merged over the service's `workload`.
   * @default the service's workload
   * @example { image: "docker.io/istio/examples-bookinfo-reviews-v2:1.20.2" }
   */
  readonly workload?: WorkloadSpec;
}

/** A service of the mesh. */
export interface ServiceSpec {
  /**
   * The Kubernetes Service name.
   * @default the key the service is declared under
   * @example "reviews"
   */
  readonly name?: string;
  /**
   * Namespace of the service and its workloads.
   * @default the mesh's `namespace`
   * @example "shop"
   */
  readonly namespace?: string;
  /**
   * Service account: the workload identity that authorization and certificates use.
   * @default the service name
   * @example "bookinfo-reviews"
   */
  readonly serviceAccount?: string;
  /**
   * Ports, by name. The names are what calls refer to (`s.reviews.ports.http`).
   * @example { http: { port: 9080, protocol: "http" } }
   */
  readonly ports: { readonly [name: string]: PortSpec };
  /**
   * Versions (subsets), by name. Routes split traffic between them.
   * @default one implicit version: all pods of the service
   * @example { v1: {}, v2: {}, v3: {} }
   */
  readonly versions?: { readonly [name: string]: VersionSpec };
  /**
   * The workload, when the mesh should also emit a Deployment (one per version).
   * @default none: the workload is deployed some other way
   * @example { image: "ghcr.io/acme/cart:1.4.2", replicas: 2 }
   */
  readonly workload?: WorkloadSpec;
  /**
   * Extra labels on the Service and its pods.
   * @default {}
   * @example { team: "payments" }
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * mTLS mode of this service's inbound traffic.
   * @default the mesh default (`defaults.mtls`)
   * @example "permissive"
   */
  readonly mtls?: MtlsMode;
  /**
   * How callers' proxies talk to this service: timeouts, retries, circuit breaking, outlier
   * detection, connection pool, load balancing.
   * @default the mesh defaults
   * @example { outlierDetection: { consecutiveErrors: 5 } }
   */
  readonly traffic?: TrafficPolicy;
  /**
   * Local rate limit on this service's inbound requests.
   * @default none
   * @example { requests: 100, per: "second", burst: 20 }
   */
  readonly rateLimit?: RateLimit;
}

/**
 * Protocol of an external host. With `tls` the caller's app speaks TLS itself and the mesh passes
 * it through by SNI. With `https`, Istio and Linkerd also expect the app to speak TLS; the envoy
 * target's sidecars originate TLS themselves (apps there dial a local port, so they cannot).
 */
export type ExternalProtocol = "http" | "https" | "tls" | "grpc" | "tcp";

/** A port of an external host. */
export interface ExternalPortSpec {
  /**
   * Port number.
   * @example 443
   */
  readonly port: number;
  /**
   * Protocol.
   * @default "https" on 443, else "tcp"
   * @example "tls"
   */
  readonly protocol?: ExternalProtocol;
}

/** A host outside the mesh that services may call (egress). */
export interface ExternalSpec {
  /**
   * DNS name of the host.
   * @example "api.stripe.com"
   */
  readonly host: string;
  /**
   * Ports, by name.
   * @default { https: { port: 443, protocol: "https" } }
   * @example { https: { port: 443, protocol: "tls" } }
   */
  readonly ports?: { readonly [name: string]: ExternalPortSpec };
  /**
   * Destination-side policy when calling the host.
   * @default the mesh defaults
   * @example { timeout: "5s" }
   */
  readonly traffic?: TrafficPolicy;
}
