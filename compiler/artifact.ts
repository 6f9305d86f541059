/**
 * What targets produce: files as data. Targets never touch the disk; the writer serialises and
 * writes artifacts deterministically.
 */
export type Artifact =
  | {
      /** Path under `out/`, `/`-separated, e.g. `istio/bookinfo/authorizationpolicy-ratings.yaml`. */
      readonly path: string;
      /** A Kubernetes object (or any document), written as YAML. */
      readonly yaml: unknown;
      /** Marks a Kubernetes object the target's kustomization.yaml should list. */
      readonly kubernetes?: boolean;
      /**
       * Marks a strategic-merge patch of the object it names (Envoy's sidecar patches): not a
       * resource, so out of kustomization.yaml. Its path is `<folder>/patches/<kind>-<name>.yaml`;
       * the namespace layout bundles a folder's patches into `<folder>/patches.yaml`.
       */
      readonly patch?: boolean;
      /** Holds private key material: written 0600, flagged in manifest.json. */
      readonly sensitive?: boolean;
    }
  | {
      readonly path: string;
      /** Written as indented JSON with a trailing newline. */
      readonly json: unknown;
      readonly sensitive?: boolean;
    }
  | {
      readonly path: string;
      readonly text: string;
      readonly sensitive?: boolean;
    };

/** A Kubernetes object as targets emit it (its spec is the target's business). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** The YAML artifact of one Kubernetes object at `<target>/<namespace>/<kind>-<name>.yaml`. */
export function kubernetesArtifact(target: string, object: { kind: string; metadata: { name: string; namespace?: string } }, options: { sensitive?: boolean } = {}): Artifact {
  const ns = object.metadata.namespace ?? "_cluster";
  return { path: `${target}/${ns}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`, yaml: object, kubernetes: true, ...(options.sensitive ? { sensitive: true } : {}) };
}
