import { meshcPackage } from "../package.js";
import { warmTranspiler } from "../load/transpiler.js";
import type { Command } from "./command.js";
import { isUsageError, processIo, type Io } from "./io.js";

/**
 * Every command, loaded when it runs: `meshc check` has no use for the targets (and the X.509,
 * YAML and protobuf libraries behind them), and loading everything cost ~0.3 s of each run.
 */
const commands: readonly { readonly name: string; readonly summary: string; readonly load: () => Promise<Command> }[] = [
  { name: "check", summary: "Type-check and analyse a mesh; report problems", load: async () => (await import("./commands/check.js")).checkCommand },
  { name: "build", summary: "Compile a mesh into out/ (Kubernetes, certificates, Envoy, Istio, Linkerd)", load: async () => (await import("./commands/build.js")).buildCommand },
  { name: "diff", summary: "Compare two versions of a mesh in terms of policy (for pull requests)", load: async () => (await import("./commands/diff.js")).diffCommand },
  { name: "graph", summary: "Draw the mesh: services by namespace, allowed calls (Mermaid, DOT, SVG, HTML)", load: async () => (await import("./commands/graph.js")).graphCommand },
  { name: "certs", summary: "Create, rotate and inspect the mesh's certificate authority (init, rotate, show)", load: async () => (await import("./commands/certs.js")).certsCommand },
];

function version(): string {
  return meshcPackage().version;
}

function usage(): string {
  return `Usage: meshc <command> [options]

Compile a typed mesh.ts into Envoy, Istio, Linkerd, Kubernetes and certificates.

Commands:
${commands.map((c) => `  ${c.name.padEnd(8)}  ${c.summary}`).join("\n")}

Run \`meshc <command> --help\` for a command's options.
`;
}

/** Runs the CLI; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(version() + "\n");
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`meshc: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  // Every command runs a mesh: esbuild starts on another thread while the command's modules load.
  // Not for `build`: the CLI's bundle runs it from dist/, whose loader has a transpiler of its own
  // (bundle.ts), and starts it itself.
  if (entry.name !== "build" && !rest.includes("--help") && !rest.includes("-h")) warmTranspiler();
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr(`meshc ${name}: ${error.message}\nRun \`meshc ${name} --help\` for usage.\n`);
      return 2;
    }
    const detail = error instanceof Error ? error.message : String(error);
    io.stderr(`meshc ${name}: internal error (a bug in meshc, please report it): ${detail}\n`);
    if (io.env.MESHC_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return 2;
  }
}
