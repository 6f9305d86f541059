/**
 * A duration written the way Envoy, Istio and Linkerd users already write them: a number and a
 * unit. A malformed duration such as `"5 seconds"` does not type-check.
 *
 * @example "250ms"
 * @example "2s"
 * @example "1.5m"
 */
export type Duration = `${number}ms` | `${number}s` | `${number}m` | `${number}h`;

/**
 * A long duration, for certificate lifetimes: {@link Duration} plus days.
 *
 * @example "87600h"
 * @example "365d"
 */
export type LongDuration = Duration | `${number}d`;

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a {@link Duration} or {@link LongDuration} into milliseconds, or `undefined` when the
 * text is not a duration. Used by the compiler; exported so tools can share one definition.
 */
export function parseDuration(text: string): number | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * units[m[2]!]!);
}

/** Formats milliseconds as the shortest exact duration (`1500` → `"1500ms"`, `2000` → `"2s"`). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
