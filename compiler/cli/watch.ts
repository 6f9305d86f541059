import fs from "node:fs";
import path from "node:path";
import { compileMesh, type CompileResult } from "../compile.js";
import { createLoadCache, disposeLoadCache } from "../load/index.js";

export interface WatchOptions {
  /** Stops watching; the promise returned by {@link watchMesh} then resolves. */
  readonly signal: AbortSignal;
  /** Quiet period after a change before checking, so an editor's burst of writes is one check. */
  readonly debounceMs?: number;
}

/**
 * Checks a mesh, then again each time one of its files changes, until the signal aborts. The
 * compiler's state is kept between checks: unchanged files are neither parsed, transpiled nor
 * (when an edit cannot affect them) type-checked again.
 *
 * Folders are watched rather than files, so editors that save by writing a new file and renaming
 * it over the old one (vim, JetBrains) are still seen.
 */
export function watchMesh(entry: string, onResult: (result: CompileResult, elapsedMs: number) => void, options: WatchOptions): Promise<void> {
  const cache = createLoadCache();
  const watchers = new Map<string, fs.FSWatcher>();
  let files = new Set<string>([path.resolve(entry)]);
  let timer: NodeJS.Timeout | undefined;

  const check = () => {
    timer = undefined;
    if (options.signal.aborted) return;
    const t0 = performance.now();
    const result = compileMesh(entry, { cache });
    const elapsed = performance.now() - t0;
    // Until the mesh type-checks once, only the entry is known.
    if (result.files) files = new Set([path.resolve(entry), ...result.files]);
    syncWatchers();
    onResult(result, elapsed);
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, options.debounceMs ?? 50);
  };

  const syncWatchers = () => {
    const dirs = new Set([...files].map((f) => path.dirname(f)));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, (_event, name) => {
          // Without a name the platform could not say which file changed: check to be safe.
          if (!name || files.has(path.join(dir, name.toString()))) schedule();
        });
        watcher.on("error", () => {
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, watcher);
      } catch {
        // The folder is gone (a deleted import); the next check reports the missing file.
      }
    }
  };

  return new Promise((resolve) => {
    const stop = () => {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
      disposeLoadCache(cache);
      resolve();
    };
    if (options.signal.aborted) return stop();
    options.signal.addEventListener("abort", stop, { once: true });
    check();
  });
}
