import { describe, expect, it } from "vitest";
import { strategicMerge } from "./strategic-merge.js";

describe("strategicMerge", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels: { app: "web" }, annotations: { a: "1" } },
        spec: {
          containers: [{ name: "app", image: "web:1", ports: [{ containerPort: 8080, name: "http" }], args: ["--x"] }],
          volumes: [{ name: "data", emptyDir: {} }],
        },
      },
    },
  };

  it("merges named lists by their merge key and appends new items", () => {
    const patch = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        template: {
          metadata: { annotations: { b: "2" } },
          spec: {
            initContainers: [{ name: "envoy", image: "envoy:1", restartPolicy: "Always" }],
            containers: [{ name: "app", ports: [{ containerPort: 8080, protocol: "TCP" }, { containerPort: 9901 }], args: ["--y"] }],
            volumes: [{ name: "envoy-config", configMap: { name: "web-envoy" } }],
          },
        },
      },
    };
    expect(strategicMerge(deployment, patch)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: "web" }, annotations: { a: "1", b: "2" } },
          spec: {
            // args has no merge key: replaced, as kubectl does.
            containers: [{ name: "app", image: "web:1", ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }, { containerPort: 9901 }], args: ["--y"] }],
            volumes: [{ name: "data", emptyDir: {} }, { name: "envoy-config", configMap: { name: "web-envoy" } }],
            initContainers: [{ name: "envoy", image: "envoy:1", restartPolicy: "Always" }],
          },
        },
      },
    });
  });

  it("keys Service ports by port, deletes on null, and leaves its inputs alone", () => {
    const service = { spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }], selector: { app: "web", old: "x" } } };
    const before = JSON.stringify(service);
    const merged = strategicMerge(service, { spec: { ports: [{ port: 80, targetPort: 15006 }], selector: { old: null } } });
    expect(merged).toEqual({ spec: { ports: [{ name: "http", port: 80, targetPort: 15006 }], selector: { app: "web" } } });
    expect(JSON.stringify(service)).toBe(before);
  });
});
