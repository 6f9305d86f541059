/** The registry of targets, in the order `--target all` runs them. */
import { certsTarget } from "./certs/index.js";
import { envoyTarget } from "./envoy/index.js";
import { irTarget } from "./ir/index.js";
import { istioTarget } from "./istio/index.js";
import { kubernetesTarget } from "./kubernetes/index.js";
import { linkerdTarget } from "./linkerd/index.js";
import type { Target } from "./target.js";

export const targets: readonly Target[] = [kubernetesTarget, certsTarget, envoyTarget, istioTarget, linkerdTarget, irTarget];

export function targetNamed(name: string): Target | undefined {
  return targets.find((t) => t.name === name);
}

export type { Target, TargetOptions, TargetResult } from "./target.js";
