// The repository's Pulumi program (Pulumi.yaml → program.ts) under the mock runtime: stack config
// in, resources and outputs out, and a user's mistakes reported the way `meshc check` reports them.
import fs from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { Io } from "../../compiler/cli/io.js";
import { main } from "../../compiler/cli/main.js";
import { example, repoRoot, scratch } from "../../test/helpers/mesh.js";
import { reveal, startMocks } from "./__fixtures__/mocks.js";
import { deployableTargets, MeshDeploymentError } from "./build.js";
import program from "./program.js";

/** Runs the program with the given stack config; resolves to its registrations and outputs. */
async function up(config: Record<string, string>) {
  const run = await startMocks();
  pulumi.runtime.setAllConfig(config);
  const outputs: Record<string, unknown> = await program();
  const values = Object.fromEntries(
    await Promise.all(Object.entries(outputs).map(async ([k, v]) => [k, pulumi.Output.isInstance(v) ? await new Promise((r) => (v as pulumi.Output<unknown>).apply(r)) : v] as const)),
  );
  await run.settle();
  return { registrations: run.registrations, outputs: values };
}

/** What `meshc check <file>` prints. */
async function check(file: string): Promise<string> {
  let stdout = "";
  const io: Io = { stdout: (t) => void (stdout += t), stderr: () => {}, cwd: repoRoot, env: {}, isTty: false };
  await main(["check", file], io);
  return stdout.trimEnd();
}

/** The program's failure: a RunError (Pulumi prints its message without a stack trace). */
async function failure(config: Record<string, string>): Promise<{ message: string; registered: number }> {
  const run = await startMocks();
  pulumi.runtime.setAllConfig(config);
  try {
    await program();
  } catch (error) {
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(MeshDeploymentError);
    await run.settle();
    return { message: (error as Error).message, registered: run.registrations.length };
  }
  throw new Error("the program did not fail");
}

describe("the Pulumi program", () => {
  it("deploys the mesh the stack config names, in the namespace it names", async () => {
    expect(process.cwd()).toBe(repoRoot);
    const { registrations, outputs } = await up({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernetes", "meshc:namespace": "bookinfo-dev" });
    const objects = registrations.filter((r) => r.type.startsWith("kubernetes:")).map((r) => reveal(r.inputs) as { kind: string; metadata: { name: string; namespace?: string } });
    expect(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name)).toEqual(["bookinfo-dev"]);
    expect(new Set(objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata.namespace))).toEqual(new Set(["bookinfo-dev"]));
    expect(registrations.filter((r) => r.type === "meshc:index:MeshDeployment").map((r) => r.name)).toEqual(["mesh"]);
    expect(outputs.target).toBe("kubernetes");
    expect(Object.keys(outputs.services as object)).toEqual(["bookinfo-dev/details", "bookinfo-dev/productpage", "bookinfo-dev/ratings", "bookinfo-dev/reviews"]);
    expect(outputs.identities).toContain("spiffe://cluster.local/ns/bookinfo-dev/sa/bookinfo-reviews");
    expect(outputs.namespaces).toEqual(["bookinfo-dev"]);
    expect(outputs.resourceCounts).toMatchObject({ Namespace: 1, "Deployment.apps": 6, ServiceAccount: 4, Service: 4 });
    expect(outputs.warnings).toBe("");
  });

  it("reads the options from stack config", async () => {
    const { registrations } = await up({
      "meshc:mesh": "examples/bookinfo/mesh.ts",
      "meshc:target": "kubernetes",
      "meshc:exclude": '["NetworkPolicy.networking.k8s.io", "Deployment.apps"]',
      "meshc:renderYamlToDirectory": "rendered",
      "meshc:namespaceLabels": '{"istio-injection": "enabled"}',
    });
    const namespace = registrations.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
    expect((reveal(namespace.inputs) as { metadata: { labels: object } }).metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "meshc",
      "istio-injection": "enabled",
      "meshc.dev/mesh": "bookinfo",
    });
    const kinds = new Set(registrations.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type));
    expect([...kinds].sort()).toEqual(["kubernetes:core/v1:Namespace", "kubernetes:core/v1:Service", "kubernetes:core/v1:ServiceAccount"]);
    expect(registrations.find((r) => r.type === "pulumi:providers:kubernetes")?.inputs).toMatchObject({ renderYamlToDirectory: "rendered" });
  });
});

describe("bad stack config fails the program with meshc's diagnostics, not a stack trace", () => {
  it("a missing mesh file: MESH001, as meshc check prints it", async () => {
    const { message, registered } = await failure({ "meshc:mesh": "examples/nope/mesh.ts", "meshc:target": "kubernetes" });
    const cli = await check("examples/nope/mesh.ts");
    expect(cli).toContain("error MESH001");
    expect(message).toBe(`examples/nope/mesh.ts cannot be deployed:\n\n${cli}`);
    expect(registered).toBe(0);
  });

  it("an unknown target, with the names it could be", async () => {
    const names = deployableTargets().map((t) => t.name);
    expect(names).toContain("kubernetes");
    const { message, registered } = await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernets" });
    expect(message).toBe(`unknown target "kubernets"; use one of ${names.join(", ")}. Did you mean "kubernetes"?`);
    expect(registered).toBe(0);
    const certs = await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "certs" });
    expect(certs.message).toBe(`the certs target is not deployed through Pulumi: the deployment issues the mesh's certificates itself, keys in Pulumi state (\`certificates\`); use one of ${names.join(", ")}.`);
  });

  it("a mesh with errors: every diagnostic, located, with its code frame", async () => {
    const source = fs.readFileSync(example("bookinfo"), "utf8").replace('to: "v2" }', 'to: "v4" }').replace("to: s.details.ports.http,", "to: s.detials.ports.http,");
    const s = scratch({ "mesh.ts": source });
    try {
      const file = path.relative(repoRoot, s.file("mesh.ts"));
      const { message, registered } = await failure({ "meshc:mesh": file, "meshc:target": "kubernetes" });
      const cli = await check(file);
      expect(cli).toMatch(/mesh\.ts:\d+:\d+ - error TS2551: Property 'detials' does not exist/);
      expect(message).toBe(`${file} cannot be deployed:\n\n${cli}`);
      expect(message).not.toMatch(/^\s+at /m);
      expect(registered).toBe(0);
    } finally {
      s.dispose();
    }
  });

  it("missing or mistyped keys, by name", async () => {
    expect((await failure({ "meshc:target": "istio" })).message).toBe("Missing stack config meshc:mesh; set it with `pulumi config set meshc:mesh examples/bookinfo/mesh.ts`.");
    expect((await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts" })).message).toBe("Missing stack config meshc:target; set it with `pulumi config set meshc:target istio`.");
    expect((await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernetes", "meshc:workloads": "yes" })).message).toBe('meshc:workloads must be true or false, not "yes".');
    expect((await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernetes", "meshc:exclude": "NetworkPolicy" })).message).toMatch(/^meshc:exclude must be a list of kinds/);
    expect((await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernetes", "meshc:namespaceLabels": '["a"]' })).message).toMatch(/^meshc:namespaceLabels must be an object/);
    expect((await failure({ "meshc:mesh": "examples/bookinfo/mesh.ts", "meshc:target": "kubernetes", "meshc:namespace": "Bookinfo_Dev" })).message).toMatch(
      /^namespace "Bookinfo_Dev" is not a Kubernetes namespace name/,
    );
  });
});
