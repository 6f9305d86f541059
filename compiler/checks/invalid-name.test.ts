import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { invalidName } from "./invalid-name.js";

describe("InvalidName", () => {
  it("flags names Kubernetes would reject", () => {
    expectDiagnostics(
      invalidName,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "Shop", services: {
        api_v1: { ports: { HTTP: { port: 80 } } },
        web: { serviceAccount: "Web!", ports: { http: { port: 80 } }, versions: { "V1": {} }, labels: { team: "a b" } },
      } }, (s) => ({ ingress: [{ name: "public", gateway: { serviceAccount: "Gate!" }, routes: [{ to: s.web.ports.http }] }] }));
      `,
      [
        { code: "MESH107", severity: "error", message: `Mesh name "Shop" is not a valid Kubernetes name: use only lower-case letters, digits and '-', starting and ending with a letter or digit.`, line: 2 },
        { code: "MESH107", severity: "error", message: `Service account "api_v1" is not a valid Kubernetes name: use only lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit.`, line: 3 },
        { code: "MESH107", severity: "error", message: `Service name "api_v1" is not a valid Kubernetes name: use only lower-case letters, digits and '-', starting and ending with a letter or digit.`, line: 3 },
        { code: "MESH107", severity: "error", message: `Port name "HTTP" is not a valid Kubernetes name: port names use lower-case letters, digits and single '-', starting and ending with a letter or digit.`, line: 3 },
        { code: "MESH107", severity: "error", message: `Service account "Web!" is not a valid Kubernetes name: use only lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit.`, line: 4 },
        { code: "MESH107", severity: "error", message: `Version name "V1" is not a valid Kubernetes name: use only lower-case letters, digits and '-', starting and ending with a letter or digit.`, line: 4 },
        { code: "MESH107", severity: "error", message: `Label "team" value "a b" is not a valid Kubernetes name: label values use letters, digits, '-', '_' and '.', starting and ending with a letter or digit.`, line: 4 },
        { code: "MESH107", severity: "error", message: `Gateway service account "Gate!" is not a valid Kubernetes name: use only lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit.`, line: 5 },
      ],
    );
  });

  it("accepts DNS-1123 names, IANA port names and valid labels", () => {
    expectDiagnostics(
      invalidName,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "shop", trustDomain: "prod.example.com", services: {
        "api-v1": { serviceAccount: "shop.api", ports: { "http-alt": { port: 80 } }, versions: { v1: { labels: { "app.kubernetes.io/version": "1.2_3" } } } },
      } }, (s) => ({ ingress: [{ name: "public", routes: [{ to: s["api-v1"].ports["http-alt"] }] }] }));
      `,
      [],
    );
  });
});
