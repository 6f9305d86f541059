import type { Duration, LongDuration } from "./duration.js";
import type { AnyServiceHandle, ExternalMap, PolicyFn, ServicesMap } from "./policy.js";
import type { MtlsMode, TrafficPolicy } from "./traffic.js";

/** Mesh-wide defaults, applied wherever a service or call says nothing. */
export interface MeshDefaults {
  /**
   * mTLS mode of every service.
   * @default "strict"
   * @example "permissive"
   */
  readonly mtls?: MtlsMode;
  /**
   * Egress: `registry-only` lets workloads reach only declared services and external hosts;
   * `allow-any` leaves egress open.
   * @default "registry-only"
   * @example "allow-any"
   */
  readonly egress?: "registry-only" | "allow-any";
  /**
   * Default traffic policy of every destination.
   * @default {}
   * @example { timeout: "15s", retries: { attempts: 2, on: ["5xx", "reset"] } }
   */
  readonly traffic?: TrafficPolicy;
}

/** The mesh's certificate authority. */
export interface CertificateSpec {
  /**
   * Key algorithm of the CA and of workload certificates.
   * @default "ecdsa-p256"
   * @example "rsa-2048"
   */
  readonly keyAlgorithm?: "ecdsa-p256" | "rsa-2048";
  /**
   * Lifetime of the root CA (trust anchor).
   * @default "3650d" (10 years)
   * @example "1825d"
   */
  readonly rootLifetime?: LongDuration;
  /**
   * Lifetime of the intermediate CA (Istio's `cacerts`, Linkerd's identity issuer).
   * @default "365d"
   * @example "90d"
   */
  readonly intermediateLifetime?: LongDuration;
  /**
   * Who issues workload certificates: meshc itself (keys kept in the state folder, Secrets
   * written only with `--include-secrets`), or cert-manager in the cluster (a CA Issuer and one
   * `Certificate` per identity: no workload key ever leaves the cluster).
   * @default "meshc"
   * @example "cert-manager"
   */
  readonly issuer?: "meshc" | "cert-manager";
  /**
   * Lifetime of workload certificates.
   * @default "24h"
   * @example "72h"
   */
  readonly leafLifetime?: LongDuration;
}

/** The first argument of {@link defineMesh}. */
export interface MeshSpec<S extends ServicesMap, X extends ExternalMap> {
  /**
   * Name of the mesh (a DNS label); used in generated names and labels.
   * @example "bookinfo"
   */
  readonly name: string;
  /**
   * Default namespace of services.
   * @default "default"
   * @example "bookinfo"
   */
  readonly namespace?: string;
  /**
   * SPIFFE trust domain: identities are `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`.
   * @default "cluster.local"
   * @example "prod.acme.com"
   */
  readonly trustDomain?: string;
  /**
   * The cluster's DNS domain (the kubelet's `--cluster-domain`): services are reached as
   * `<name>.<namespace>.svc.<clusterDomain>`. Change it only for a cluster set up with another domain.
   * @default "cluster.local"
   * @example "k8s.internal"
   */
  readonly clusterDomain?: string;
  /**
   * Mesh-wide defaults.
   * @default {}
   * @example { mtls: "strict", egress: "registry-only", traffic: { timeout: "15s" } }
   */
  readonly defaults?: MeshDefaults;
  /**
   * The certificate authority.
   * @default ECDSA P-256; root 10 years, intermediate 1 year, workloads 24 hours
   * @example { leafLifetime: "48h" }
   */
  readonly certificates?: CertificateSpec;
  /**
   * The services, by name. Compose teams' files with spreads: `{ ...payments, ...catalog }`.
   * @example { details: { ports: { http: { port: 9080 } } } }
   */
  readonly services: S;
  /**
   * External hosts services may call (egress), by name.
   * @default {}
   * @example { stripe: { host: "api.stripe.com" } }
   */
  readonly external?: X;
}

const meshBrand = Symbol.for("meshc.mesh");


/** A mesh, as returned by {@link defineMesh}. `export default` it from `mesh.ts`. */
export interface Mesh<S extends ServicesMap = ServicesMap, X extends ExternalMap = ExternalMap> {
  /** Marks a value made by `defineMesh`. @example true */
  readonly [meshBrand]: true;
  /**
   * The first argument of `defineMesh`.
   * @example { name: "bookinfo", services: { … } }
   */
  readonly spec: MeshSpec<S, X>;
  /**
   * The policy functions, in order.
   * @example [(s) => ({ calls: [...] })]
   */
  readonly policies: readonly PolicyFn<S, X>[];
}

/**
 * Defines the mesh. The first argument declares services and external hosts; each further
 * argument is a policy: a function that receives typed handles (`s.details.ports.http`) and
 * returns the allowed calls, routes and ingress entry points.
 *
 * @example
 * export default defineMesh(
 *   { name: "bookinfo", services: { details: { ports: { http: { port: 9080 } } }, … } },
 *   (s) => ({ calls: [{ from: s.productpage, to: s.details.ports.http, methods: ["GET"] }] }),
 * );
 */
// The policies' types are `NoInfer`: the mesh's type comes from the spec alone, which lets
// `meshc check --watch` re-check only the entry after an edit of its policies (load/shape.ts).
export function defineMesh<S extends ServicesMap, X extends ExternalMap = {}>(
  spec: MeshSpec<S, X>,
  ...policies: readonly PolicyFn<NoInfer<S>, NoInfer<X>>[]
): Mesh<S, X> {
  return { [meshBrand]: true, spec, policies };
}

/**
 * A policy declared apart from `defineMesh`, typically in a team's own file. Give it the type of
 * the mesh's services (and external hosts) so its handles are checked. Its type is then fixed by
 * those type arguments, so `meshc check --watch` re-checks only this file after an edit inside
 * the function (its single signature is what makes that sound: keep it single).
 *
 * @example
 * import type { Services } from "../mesh.js";
 * export const reviewsPolicy = policy<Services>((s) => ({ calls: [...] }));
 */
export function policy<S extends ServicesMap, X extends ExternalMap = {}>(fn: PolicyFn<S, X>): PolicyFn<S, X> {
  return fn;
}

/**
 * A group of services, typically one team's file; spread groups into `defineMesh({ services })`.
 * It only checks the declarations' types and returns them unchanged.
 *
 * @example export const reviews = services({ reviews: { ports: { http: { port: 9080 } } } });
 */
export function services<S extends ServicesMap>(group: S): S {
  return group;
}

/** A group of external hosts; the counterpart of {@link services}. */
export function external<X extends ExternalMap>(group: X): X {
  return group;
}

/** Every authenticated workload of the mesh, for `from` in a call. A wildcard: prefer listing callers. */
export const anyService: AnyServiceHandle = Object.freeze({ kind: "any" });

/** True when `value` was made by {@link defineMesh}. */
export function isMesh(value: unknown): value is Mesh {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[meshBrand] === true;
}

export type { Duration };
