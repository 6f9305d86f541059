/** Test helpers: reading the certs target's artifacts back, and judging certificates with openssl. */
import fs from "node:fs";
import path from "node:path";
import type { Artifact } from "../../../compiler/artifact.js";
import { serialize } from "../../../compiler/writer.js";
import { openssl, tempDir } from "../pki/__fixtures__/openssl.js";
import { decodePemBlocks, encodePem, parseCertificate } from "../pki/index.js";

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
};

export const objects = (artifacts: readonly Artifact[]): KubeObject[] => artifacts.flatMap((a) => ("yaml" in a ? [a.yaml as KubeObject] : []));
export const textOf = (artifacts: readonly Artifact[], p: string): string => {
  const a = artifacts.find((x) => x.path === p);
  if (!a || !("text" in a)) throw new Error(`no text artifact ${p}`);
  return a.text;
};

/** Every artifact as the writer writes it, with a path header: what the golden files hold. */
export const golden = (artifacts: readonly Artifact[]): string => artifacts.map((a) => `# ${a.path}${"sensitive" in a && a.sensitive ? " (sensitive)" : ""}\n${serialize(a).toString("utf8")}`).join("---\n");

/** A Secret's data, base64-decoded. */
export function secretData(o: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** Each PEM block of `text` as a line saying what it is: stable where the bytes are random. */
export function describePem(text: string): string {
  return decodePemBlocks(text)
    .map((b) => {
      if (b.label !== "CERTIFICATE") return `<${b.label}>`;
      const c = parseCertificate(encodePem("CERTIFICATE", b.der));
      const one = (s: string) => s.split("\n").filter(Boolean).join(", ");
      const sans = [...c.uris.map((u) => `URI:${u}`), ...c.dnsNames.map((d) => `DNS:${d}`)];
      return `<CERTIFICATE subject="${one(c.subject)}" issuer="${one(c.issuer)}"${sans.length ? ` san=${sans.join(",")}` : ""} notBefore=${c.notBefore.toISOString()} notAfter=${c.notAfter.toISOString()} key=${c.publicKeyType}${c.isCA ? " CA" : ""}>`;
    })
    .join("\n");
}

/** The sensitive artifacts with their Secret data decoded and every PEM block described: the shape, not the bytes. */
export function secretsShape(artifacts: readonly Artifact[]): string {
  return objects(artifacts.filter((a) => "sensitive" in a && a.sensitive))
    .map((o) => {
      const data = Object.entries(secretData(o)).map(([k, v]) => `  ${k}:\n${describePem(v).replace(/^/gm, "    ")}`);
      return `# ${o.metadata.namespace}/${o.kind}/${o.metadata.name} (${o.type})\n${data.join("\n")}\n`;
    })
    .join("");
}

/** Files in a fresh temporary directory (removed by `cleanup`). */
export class Workdir {
  readonly dir = tempDir("meshc-certs-verify-");
  write(files: Record<string, string>): this {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, name), text);
    return this;
  }
  openssl(args: readonly string[]) {
    return openssl(args, this.dir);
  }
  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** openssl pins: certificates here are valid around the injected clock, not the wall clock. */
export const attime = (at: Date) => ["-attime", String(Math.floor(at.getTime() / 1000))];
