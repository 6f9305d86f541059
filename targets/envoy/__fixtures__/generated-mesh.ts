/**
 * Meshes built as IR directly (a 1,000-service mesh.ts would spend minutes in the type checker):
 * `n` services named `svc-0000`…, each calling the next `fanOut` services (wrapping around), so
 * every service has the same fan-out and fan-in and every name the same length.
 */
import type { CallIR, MeshIR, ServiceIR, Span } from "../../../compiler/ir.js";
import { compareIds } from "../../../compiler/ir.js";

const span = (line: number): Span => ({ file: "mesh.ts", line, column: 1, endLine: line, endColumn: 2 });

export const serviceName = (i: number) => `svc-${String(i).padStart(4, "0")}`;

export function generatedMesh(n: number, fanOut: number): MeshIR {
  const ns = "scale";
  const services: ServiceIR[] = [];
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    const principal = `cluster.local/ns/${ns}/sa/${name}`;
    services.push({
      id: `${ns}/${name}`,
      key: name,
      name,
      namespace: ns,
      serviceAccount: name,
      identity: { namespace: ns, serviceAccount: name, principal, spiffeId: `spiffe://${principal}` },
      labels: {},
      selector: { app: name },
      ports: [{ name: "http", port: 8080, targetPort: 8080, protocol: "http", mtls: "strict", span: span(i + 1), fieldSpans: {} }],
      versions: [],
      workload: { image: "example/app:1", replicas: 1, env: [] },
      mtls: "strict",
      traffic: {
        timeoutMs: 5000,
        outlierDetection: { consecutiveErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, span: span(i + 1), fieldSpans: {} },
        loadBalancer: { kind: "round-robin", declared: false },
      },
      span: span(i + 1),
      fieldSpans: {},
    });
  }
  const calls: CallIR[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 1; k <= fanOut; k++) {
      const from = services[i]!;
      const to = services[(i + k) % n]!;
      calls.push({
        id: `${from.id}->${to.id}:http`,
        from: { kind: "service", service: from.id },
        to: { kind: "service", service: to.id, port: "http" },
        protocol: "http",
        methods: ["GET", "POST"],
        paths: [{ kind: "prefix", value: "/api/" }],
        timeoutMs: 2000,
        retries: { attempts: 2, perTryTimeoutMs: 500, on: ["5xx", "reset"], span: span(n + 1), fieldSpans: {} },
        span: span(n + calls.length + 1),
        fieldSpans: {},
      });
    }
  }
  calls.sort((a, b) => compareIds(a.id, b.id));
  return {
    name: "scale",
    trustDomain: "cluster.local",
    clusterDomain: "cluster.local",
    namespace: ns,
    namespaces: [ns],
    mtls: "strict",
    egress: "registry-only",
    certificates: { keyAlgorithm: "ecdsa-p256", issuer: "meshc", rootLifetimeMs: 1, intermediateLifetimeMs: 1, leafLifetimeMs: 1, span: span(1) },
    services,
    external: [],
    identities: services.map((s) => ({ ...s.identity, services: [s.id] })),
    calls,
    routes: [],
    ingresses: [],
    span: span(1),
    fieldSpans: {},
  };
}
