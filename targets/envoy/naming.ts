/**
 * The envoy target's conventions: the ports the sidecar owns, where its files live, how its
 * clusters and listeners are named, and the addresses apps dial. README.md explains why; this
 * file is the one place the numbers live, so the bootstrap, the Kubernetes objects and the
 * evaluator cannot drift apart.
 */
import { createHash } from "node:crypto";
import type { ExternalIR, ExternalPortIR, PortIR, ServiceIR } from "../../compiler/ir.js";

export const TARGET = "envoy";

/** A concrete release, never a floating tag: the same mesh.ts must deploy the same proxy. */
export const ENVOY_IMAGE = "envoyproxy/envoy:v1.32.3";
/** The `envoy` user of the official image; the sidecar runs as it, never as root. */
export const ENVOY_UID = 101;

/** Admin interface, bound to 127.0.0.1 only. */
export const ADMIN_PORT = 15000;
/** Readiness: `GET /healthz/ready` answers 200 once the listeners are up (kubelet probes it). */
export const HEALTH_PORT = 15021;
export const HEALTH_PATH = "/healthz/ready";
/** The inbound listener of a service's i-th port (ports sorted by name) is `INBOUND_PORT_BASE + i`. */
export const INBOUND_PORT_BASE = 15100;
/** Outbound listeners (127.0.0.1 only) take ports in [OUTBOUND_PORT_MIN, OUTBOUND_PORT_MAX]. */
export const OUTBOUND_PORT_MIN = 20000;
export const OUTBOUND_PORT_MAX = 29999;
/** Service ports below this are exposed by the gateway on `port + GATEWAY_PORT_OFFSET` (no root needed). */
export const PRIVILEGED_PORT_LIMIT = 1024;
export const GATEWAY_PORT_OFFSET = 8000;

export const CONFIG_DIR = "/etc/envoy";
export const BOOTSTRAP_FILE = "envoy.yaml";
export const WORKLOAD_CERT_DIR = "/var/run/secrets/meshc/workload";
export const INGRESS_CERT_DIR = "/var/run/secrets/meshc/ingress";
/** System trust store of the Envoy image (Ubuntu's ca-certificates), for TLS to external hosts. */
export const SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

/** File-based SDS resources (one secret per file, as Envoy's SDS requires). */
export const SDS_WORKLOAD_CERT = { name: "workload-cert", file: "sds-workload-cert.yaml" } as const;
export const SDS_MESH_CA = { name: "mesh-ca", file: "sds-mesh-ca.yaml" } as const;
export const SDS_INGRESS_CERT = { name: "ingress-cert", file: "sds-ingress-cert.yaml" } as const;

/** Pod-template annotations the sidecar patch sets. */
export const UPSTREAMS_ANNOTATION = "meshc.dev/envoy-upstreams";
export const CONFIG_HASH_ANNOTATION = "meshc.dev/envoy-config-sha256";

/** `<name>.<namespace>`: how listeners, clusters and stats name a service. */
export function serviceHost(service: ServiceIR): string {
  return `${service.name}.${service.namespace}`;
}

/** The sidecar's ConfigMap: one per service, since every version of a service gets the same config. */
export function configMapName(service: ServiceIR): string {
  return `${service.name}-envoy`;
}

/** The headless Service whose DNS name resolves to every ready pod of a service (all versions). */
export function meshServiceName(service: ServiceIR): string {
  return `${service.name}-mesh`;
}

export function dnsName(serviceName: string, namespace: string, clusterDomain: string): string {
  return `${serviceName}.${namespace}.svc.${clusterDomain}`;
}

/** The inbound listener port of a service port: fixed by the port's position among the service's ports. */
export function inboundPort(service: ServiceIR, port: PortIR): number {
  return INBOUND_PORT_BASE + service.ports.findIndex((p) => p.name === port.name);
}

/** Ports the sidecar itself binds in a workload's network namespace, apart from outbound ones. */
export function reservedPorts(service: ServiceIR | undefined): number[] {
  return [ADMIN_PORT, HEALTH_PORT, ...(service ? service.ports.map((p) => inboundPort(service, p)) : [])];
}

export function inboundClusterName(port: PortIR): string {
  return `inbound|${port.targetPort}||`;
}

/** Istio's spelling (`outbound|<port>|<subset>|<host>`), which Envoy operators already read fluently. */
export function outboundClusterName(service: ServiceIR, port: PortIR, version: string | undefined): string {
  return `outbound|${port.port}|${version ?? ""}|${serviceHost(service)}`;
}

export function externalClusterName(external: ExternalIR, port: ExternalPortIR): string {
  return `outbound|${port.port}||${external.host}`;
}

/** The key of an upstream in a workload's address book: what the app asks for. */
export function serviceUpstreamKey(service: ServiceIR, port: PortIR): string {
  return `${serviceHost(service)}:${port.name}`;
}

export function externalUpstreamKey(external: ExternalIR, port: ExternalPortIR): string {
  return `${external.host}:${port.name}`;
}

/**
 * Assigns each upstream of one workload its local port on 127.0.0.1. The port is derived from the
 * upstream's key alone, so it is the same in every workload that calls it and does not move when
 * unrelated upstreams come and go; a clash (with another upstream, the app's own ports or the
 * sidecar's) moves the later key, in sorted order, to the next free port.
 */
export function assignOutboundPorts(keys: readonly string[], taken: readonly number[]): Map<string, number> {
  const span = OUTBOUND_PORT_MAX - OUTBOUND_PORT_MIN + 1;
  const used = new Set(taken);
  const out = new Map<string, number>();
  for (const key of [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const digest = createHash("sha256").update(key).digest();
    let offset = digest.readUInt32BE(0) % span;
    for (let tries = 0; tries < span && used.has(OUTBOUND_PORT_MIN + offset); tries++) offset = (offset + 1) % span;
    const port = OUTBOUND_PORT_MIN + offset;
    used.add(port);
    out.set(key, port);
  }
  return out;
}
