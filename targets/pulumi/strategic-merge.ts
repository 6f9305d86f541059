/**
 * Kubernetes strategic-merge-patch semantics, for the fields meshc's patches touch: maps merge
 * key by key (`null` deletes), lists of named things merge by their merge key, every other list
 * and every scalar is replaced. This is what `kubectl patch --type strategic` does with the merge
 * keys of the core API types (see `patchMergeKey` in k8s.io/api), so a patch folded in here gives
 * the object `kubectl` would have produced.
 */

/** `patchMergeKey` of the list fields that have one in Pod, Container, and Service specs. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  env: "name",
  imagePullSecrets: "name",
  resourceClaims: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
};

/** `ports` is keyed by `containerPort` in a Container and by `port` in a ServiceSpec. */
function mergeKeyOf(field: string, items: readonly unknown[]): string | undefined {
  if (field !== "ports") return MERGE_KEYS[field];
  const first = items.find(isRecord);
  if (!first) return undefined;
  return "containerPort" in first ? "containerPort" : "port" in first ? "port" : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns `base` with `patch` applied; neither argument is modified. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[field];
      continue;
    }
    const current = out[field];
    if (Array.isArray(value) && Array.isArray(current)) {
      const key = mergeKeyOf(field, [...current, ...value]);
      out[field] = key === undefined ? value : mergeList(current, value, key);
    } else if (isRecord(value) && isRecord(current)) {
      out[field] = strategicMerge(current, value);
    } else {
      out[field] = value;
    }
  }
  return out;
}

/** Items of the patch merge into the base item with the same key; new ones are appended in patch order. */
function mergeList(base: readonly unknown[], patch: readonly unknown[], key: string): unknown[] {
  const out = [...base];
  for (const item of patch) {
    const id = isRecord(item) ? item[key] : undefined;
    const at = id === undefined ? -1 : out.findIndex((b) => isRecord(b) && b[key] === id);
    if (at < 0) out.push(item);
    else out[at] = strategicMerge(out[at], item);
  }
  return out;
}
