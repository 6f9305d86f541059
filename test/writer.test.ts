// The writer: deterministic bytes, objects bundled per namespace (or one per file), a
// kustomization per target, a manifest with hashes, secrets 0600 and apart from other objects,
// and an atomic swap so a failed write never leaves a half-written out/.
import { createHash } from "node:crypto";
import fs from "node:fs";
import YAML from "yaml";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Artifact } from "../compiler/artifact.js";
import { renderOutput, unsafeOutDir, writeOutput } from "../compiler/writer.js";

const tmp: string[] = [];
const dir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-writer-"));
  tmp.push(d);
  return d;
};
afterEach(() => tmp.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const artifacts: Artifact[] = [
  { path: "istio/shop/peerauthentication-default.yaml", yaml: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "shop" } }, kubernetes: true },
  { path: "certs/shop/secret-web-mesh-cert.yaml", yaml: { apiVersion: "v1", kind: "Secret", metadata: { name: "web-mesh-cert" }, stringData: { "tls.key": "KEY" } }, kubernetes: true, sensitive: true },
  { path: "certs/root.pem", text: "-----BEGIN CERTIFICATE-----\n" },
];

// A namespace with several objects, one of them holding a key.
const shop: Artifact[] = [
  { path: "linkerd/shop/server-web-http.yaml", yaml: { apiVersion: "policy.linkerd.io/v1beta3", kind: "Server", metadata: { name: "web-http", namespace: "shop" } }, kubernetes: true },
  { path: "linkerd/shop/authorizationpolicy-web-http.yaml", yaml: { apiVersion: "policy.linkerd.io/v1alpha1", kind: "AuthorizationPolicy", metadata: { name: "web-http", namespace: "shop" } }, kubernetes: true },
  { path: "linkerd/_cluster/namespace-shop.yaml", yaml: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }, kubernetes: true },
  { path: "linkerd/shop/secret-issuer.yaml", yaml: { apiVersion: "v1", kind: "Secret", metadata: { name: "issuer", namespace: "shop" }, stringData: { "tls.key": "KEY" } }, kubernetes: true, sensitive: true },
  { path: "linkerd/shop/patches/service-web.yaml", yaml: { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" } }, patch: true },
  { path: "linkerd/shop/patches/deployment-web.yaml", yaml: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" } }, patch: true },
];

describe("the writer", () => {
  it("renders a kustomization per target and a manifest of sha256s", () => {
    const files = renderOutput(artifacts);
    expect(files.map((f) => f.path)).toEqual([
      "certs/kustomization.yaml",
      "certs/root.pem",
      "certs/shop/secrets.yaml",
      "istio/kustomization.yaml",
      "istio/shop/resources.yaml",
      "manifest.json",
    ]);
    expect(files[3]!.data.toString()).toBe("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - shop/resources.yaml\n");
    const manifest = JSON.parse(files.at(-1)!.data.toString()) as { files: { path: string; sha256: string; sensitive?: boolean }[] };
    for (const entry of manifest.files) {
      const f = files.find((x) => x.path === entry.path)!;
      expect(entry.sha256).toBe(createHash("sha256").update(f.data).digest("hex"));
    }
    expect(manifest.files.filter((f) => f.sensitive).map((f) => f.path)).toEqual(["certs/shop/secrets.yaml"]);
  });

  it("bundles a namespace's objects in one file, in kind-name order, keys apart", () => {
    const files = new Map(renderOutput(shop).map((f) => [f.path, f]));
    expect([...files.keys()]).toEqual([
      "linkerd/_cluster/resources.yaml",
      "linkerd/kustomization.yaml",
      "linkerd/shop/patches.yaml",
      "linkerd/shop/resources.yaml",
      "linkerd/shop/secrets.yaml",
      "manifest.json",
    ]);
    const docs = YAML.parseAllDocuments(files.get("linkerd/shop/resources.yaml")!.data.toString()).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(["AuthorizationPolicy", "Server"]);
    expect(files.get("linkerd/shop/resources.yaml")!.data.toString()).not.toContain("KEY");
    expect(files.get("linkerd/shop/secrets.yaml")!.sensitive).toBe(true);
    expect(YAML.parse(files.get("linkerd/kustomization.yaml")!.data.toString()).resources).toEqual(["_cluster/resources.yaml", "shop/resources.yaml", "shop/secrets.yaml"]);
    // Patches are not resources: out of the kustomization, a namespace's together in patches.yaml.
    const patches = YAML.parseAllDocuments(files.get("linkerd/shop/patches.yaml")!.data.toString()).map((d) => d.toJS() as { kind: string });
    expect(patches.map((d) => d.kind)).toEqual(["Deployment", "Service"]);
    // The same documents as the one-file-per-object layout, byte for byte.
    const objects = renderOutput(shop, { layout: "object" });
    expect(objects.map((f) => f.path)).toContain("linkerd/shop/server-web-http.yaml");
    const joined = ["authorizationpolicy-web-http", "server-web-http"].map((n) => objects.find((f) => f.path === `linkerd/shop/${n}.yaml`)!.data.toString()).join("---\n");
    expect(files.get("linkerd/shop/resources.yaml")!.data.toString()).toBe(joined);
    const patchFiles = ["deployment-web", "service-web"].map((n) => objects.find((f) => f.path === `linkerd/shop/patches/${n}.yaml`)!.data.toString());
    expect(files.get("linkerd/shop/patches.yaml")!.data.toString()).toBe(patchFiles.join("---\n"));
  });

  it("refuses an artifact at the path a bundle takes", () => {
    expect(() => renderOutput([...shop, { path: "linkerd/shop/resources.yaml", text: "x" }])).toThrow(/same path linkerd\/shop\/resources.yaml/);
    expect(() => renderOutput([{ path: "linkerd/shop/resources.yaml", text: "x" }, ...shop])).toThrow(/same path/);
    expect(() => renderOutput([...shop, { path: "linkerd/shop/patches.yaml", text: "x" }])).toThrow(/same path linkerd\/shop\/patches.yaml/);
    expect(() => renderOutput([...shop, { path: "linkerd/shop/resources.yaml", text: "x" }], { layout: "object" })).not.toThrow();
  });

  it("is deterministic whatever the artifact order", () => {
    const a = renderOutput(artifacts);
    const b = renderOutput([...artifacts].reverse());
    expect(b.map((f) => [f.path, f.data.toString()])).toEqual(a.map((f) => [f.path, f.data.toString()]));
  });

  it("writes sensitive files 0600 and replaces a previous output atomically", () => {
    const out = path.join(dir(), "out");
    writeOutput(out, artifacts);
    expect(fs.statSync(path.join(out, "certs/shop/secrets.yaml")).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(out, "certs/root.pem")).mode & 0o777).toBe(0o644);
    expect(fs.statSync(path.join(out, "istio/shop/resources.yaml")).mode & 0o777).toBe(0o644);
    writeOutput(out, artifacts.slice(0, 1));
    expect(fs.existsSync(path.join(out, "certs"))).toBe(false);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["out"]);
  });

  it("links the unchanged files of the previous output instead of writing them again", () => {
    const out = path.join(dir(), "out");
    writeOutput(out, artifacts);
    const ino = (p: string) => fs.statSync(path.join(out, p)).ino;
    const before = { pem: ino("certs/root.pem"), secret: ino("certs/shop/secrets.yaml"), peer: ino("istio/shop/resources.yaml") };
    // A hand edit of the same length must not survive the rebuild.
    fs.writeFileSync(path.join(out, "istio/shop/resources.yaml"), fs.readFileSync(path.join(out, "istio/shop/resources.yaml"), "utf8").replace("shop", "shoq"));
    const changed: Artifact = { path: "certs/root.pem", text: "-----BEGIN CERTIFICATE-----\nother\n" };
    writeOutput(out, [artifacts[0]!, artifacts[1]!, changed]);
    expect(ino("certs/shop/secrets.yaml")).toBe(before.secret);
    expect(fs.statSync(path.join(out, "certs/shop/secrets.yaml")).mode & 0o777).toBe(0o600);
    expect(ino("certs/root.pem")).not.toBe(before.pem);
    expect(fs.readFileSync(path.join(out, "certs/root.pem"), "utf8")).toBe(changed.text);
    expect(fs.readFileSync(path.join(out, "istio/shop/resources.yaml"), "utf8")).toContain("namespace: shop\n");
    expect(ino("istio/shop/resources.yaml")).not.toBe(before.peer);
    expect(fs.statSync(path.join(out, "certs/shop/secrets.yaml")).nlink).toBe(1);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["out"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { files: { path: string; sha256: string }[] };
    for (const entry of manifest.files) expect(createHash("sha256").update(fs.readFileSync(path.join(out, entry.path))).digest("hex")).toBe(entry.sha256);
  });

  it("writes one file per object with layout: object", () => {
    const out = path.join(dir(), "out");
    writeOutput(out, artifacts, { layout: "object" });
    expect(fs.statSync(path.join(out, "certs/shop/secret-web-mesh-cert.yaml")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(out, "istio/kustomization.yaml"), "utf8")).toContain("  - shop/peerauthentication-default.yaml\n");
  });

  it("leaves the previous output untouched when rendering fails", () => {
    const out = path.join(dir(), "out");
    writeOutput(out, artifacts);
    const before = fs.readFileSync(path.join(out, "manifest.json"), "utf8");
    expect(() => writeOutput(out, [...artifacts, artifacts[0]!])).toThrow(/same path/);
    expect(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).toBe(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["out"]);
  });

  it("refuses to replace a folder it did not write", () => {
    const d = dir();
    fs.writeFileSync(path.join(d, "notes.txt"), "mine");
    expect(unsafeOutDir(d)).toMatch(/not written by meshc/);
    expect(unsafeOutDir(path.join(d, "missing"))).toBeUndefined();
  });
});
