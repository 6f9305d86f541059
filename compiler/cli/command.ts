import { parseArgs } from "node:util";
import { UsageError, type Io } from "./io.js";

/** A CLI command: its help text and what it does. Returns the exit code. */
export interface Command {
  readonly name: string;
  /** Full `--help` text. */
  readonly help: string;
  readonly run: (argv: readonly string[], io: Io) => Promise<number> | number;
}

interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}

type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]?: T[K]["type"] extends "string" ? (T[K]["multiple"] extends true ? string[] : string) : boolean;
} & { help?: boolean };

/** node:util parseArgs, with parse errors turned into usage errors (exit 2, no stack). */
export function parse<const T extends Record<string, OptionSpec>>(argv: readonly string[], options: T): { values: Values<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    return parsed as unknown as { values: Values<T>; positionals: string[] };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
}

/** `--target a --target b,c` → ["a", "b", "c"]. */
export function listOption(values: string | string[] | undefined): string[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}
