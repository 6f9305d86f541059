/** Types of generate.mjs (plain JavaScript, so `npm run bench` needs nothing but Node). */

export type Layout = "single" | "teams";

export interface MeshOptions {
  /** Number of services, at least 10. */
  readonly services: number;
  /** One mesh.ts, or a mesh.ts composing one file per team. */
  readonly layout: Layout;
}

export const MAX_TEAMS: number;
/** The service whose proxy is measured for "Envoy bytes per proxy". */
export const PROBE_SERVICE: string;
/** The exact text of the probe service's first call, which the watch benchmark edits. */
export const PROBE_CALL: string;
/** The exact text ending the probe service's workload line (`replicas: 2`), which the watch benchmark also edits. */
export const PROBE_REPLICAS: string;

export function serviceName(i: number): string;
export function teamCount(n: number): number;
/** The files of the mesh, by `/`-separated path relative to its folder; the entry is `mesh.ts`. */
export function generateMesh(options: MeshOptions): Record<string, string>;
/** Writes the mesh into `dir` (replacing it) and returns the entry's absolute path. */
export function writeMesh(dir: string, options: MeshOptions): string;
/** The file, relative to the mesh folder, holding {@link PROBE_CALL}. */
export function probeFile(options: MeshOptions): string;
