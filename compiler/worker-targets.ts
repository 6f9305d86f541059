/**
 * The targets a build's worker thread takes (see build.ts), and how the worker loads each: its
 * folder's module alone, not the registry of all targets (~90 ms against ~250 ms). The imports are
 * written out, rather than made from the name, so that the CLI's bundle (`dist/bundle/`) carries
 * them; nothing is loaded until the worker asks.
 *
 * Envoy only: it is the largest target by far (its configs are ~27 kB per proxy, two thirds of the
 * bytes a build writes), and the others together take about as long on the main thread.
 */
export const WORKER_TARGETS: Readonly<Record<string, () => Promise<Record<string, unknown>>>> = {
  envoy: () => import("../targets/envoy/index.js"),
};
