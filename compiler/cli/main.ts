import { readFileSync } from "node:fs";
import { buildCommand } from "./commands/build.js";
import { certsCommand } from "./commands/certs.js";
import { checkCommand } from "./commands/check.js";
import { diffCommand } from "./commands/diff.js";
import { graphCommand } from "./commands/graph.js";
import type { Command } from "./command.js";
import { processIo, UsageError, type Io } from "./io.js";

/** Every command; later features add theirs here. */
export const commands: Command[] = [checkCommand, buildCommand, diffCommand, graphCommand, certsCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
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
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`meshc: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`meshc ${name}: ${error.message}\nRun \`meshc ${name} --help\` for usage.\n`);
      return 2;
    }
    const detail = error instanceof Error ? error.message : String(error);
    io.stderr(`meshc ${name}: internal error (a bug in meshc, please report it): ${detail}\n`);
    if (io.env.MESHC_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return 2;
  }
}
