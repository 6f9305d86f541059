/**
 * Workload certificates as the mesh declares them. Each Istio sidecar makes its own key and asks
 * istiod to sign it; the key algorithm and requested lifetime are the sidecar's environment
 * (https://istio.io/latest/docs/ops/configuration/traffic-management/manage-mesh-certificates/).
 * A namespace-wide ProxyConfig sets that environment (its `environmentVariables` become the
 * proxy's metadata, i.e. its env) for every pod injected in the mesh's namespaces. Without it
 * sidecars make RSA-2048 keys with 24h certificates, whatever the mesh says.
 */
import { assertNever, type MeshIR } from "../../compiler/ir.js";
import { lockedNamespaces } from "./authorization-policy.js";
import { duration, object, type Context, type IstioObject } from "./model.js";

/** istiod's default cap on a workload certificate's lifetime (MAX_WORKLOAD_CERT_TTL). */
const ISTIOD_MAX_WORKLOAD_TTL_MS = 90 * 24 * 3_600_000;

function environment(ir: MeshIR): Record<string, string> {
  const c = ir.certificates;
  switch (c.keyAlgorithm) {
    case "ecdsa-p256":
      return { ECC_CURVE: "P256", ECC_SIGNATURE_ALGORITHM: "ECDSA", SECRET_TTL: duration(c.leafLifetimeMs) };
    case "rsa-2048":
      return { SECRET_TTL: duration(c.leafLifetimeMs), WORKLOAD_RSA_KEY_SIZE: "2048" };
    default:
      return assertNever(c.keyAlgorithm, "key algorithm");
  }
}

export function proxyConfigs(ctx: Context): IstioObject[] {
  const c = ctx.ir.certificates;
  if (c.leafLifetimeMs > ISTIOD_MAX_WORKLOAD_TTL_MS) {
    ctx.report(
      "a workload certificate lifetime over 90 days",
      `istiod signs workload certificates for at most MAX_WORKLOAD_CERT_TTL (90 days unless istiod is installed with a larger value), so sidecars asking for ${duration(c.leafLifetimeMs)} get less`,
      c.span,
    );
  }
  return lockedNamespaces(ctx).map((ns) => object(ctx, "networking.istio.io/v1beta1", "ProxyConfig", "workload-certificates", ns, { environmentVariables: environment(ctx.ir) }));
}
