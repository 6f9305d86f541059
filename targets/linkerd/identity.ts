/**
 * Linkerd's identity: the trust anchor every proxy verifies peers against, and the issuer
 * certificate the identity controller signs workload certificates with. Linkerd installed with
 * `identity.externalCA=true` and `identity.issuer.scheme=kubernetes.io/tls` reads both from
 * objects in its namespace instead of generating them:
 * - ConfigMap `linkerd-identity-trust-roots`, key `ca-bundle.crt`: the trust anchors (public);
 * - Secret `linkerd-identity-issuer` (type `kubernetes.io/tls`): `tls.crt`, `tls.key`, `ca.crt`.
 * https://linkerd.io/2-edge/tasks/automatically-rotating-control-plane-tls-credentials/
 *
 * The PKI itself belongs to the certificate target; it reaches this target through
 * {@link LinkerdIdentityProvider}, so the Linkerd target stays a pure function of what it is given.
 */
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { MeshIR } from "../../compiler/ir.js";
import { LINKERD_NAMESPACE } from "../conventions.js";
import type { TargetOptions } from "../target.js";
import { type Context, type KubeObject, meta } from "./context.js";

export const TRUST_ROOTS_CONFIGMAP = "linkerd-identity-trust-roots";
export const ISSUER_SECRET = "linkerd-identity-issuer";

/** The PEM material Linkerd's identity needs from the mesh's CA. */
export interface LinkerdIdentityMaterial {
  /** The trust anchor(s): the mesh's root certificate(s), PEM. */
  readonly trustAnchorsPem: string;
  /**
   * The identity issuer: an intermediate CA whose subject is `identity.linkerd.<trust domain>`
   * (see `linkerdIssuerName` in targets/conventions.ts), signed by the trust anchor.
   */
  readonly issuer: {
    readonly certificatePem: string;
    /** Private key, PEM. Written only into an artifact marked sensitive, and only with `includeSecrets`. */
    readonly privateKeyPem: string;
  };
}

/**
 * Supplies the identity material for a mesh: the seam through which the certificate target's PKI
 * reaches Linkerd. It may read or create CA state under `options.stateDir`.
 */
export type LinkerdIdentityProvider = (ir: MeshIR, options: TargetOptions) => { readonly material?: LinkerdIdentityMaterial; readonly diagnostics: readonly Diagnostic[] };

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The trust-roots ConfigMap, and the issuer Secret when secrets are to be written. */
export function identityObjects(ctx: Context, material: LinkerdIdentityMaterial, options: TargetOptions): { objects: KubeObject[]; secrets: KubeObject[] } {
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(ctx, TRUST_ROOTS_CONFIGMAP, LINKERD_NAMESPACE), data: { "ca-bundle.crt": material.trustAnchorsPem } },
  ];
  const secrets: KubeObject[] = options.includeSecrets
    ? [
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: meta(ctx, ISSUER_SECRET, LINKERD_NAMESPACE),
          type: "kubernetes.io/tls",
          data: { "ca.crt": b64(material.trustAnchorsPem), "tls.crt": b64(material.issuer.certificatePem), "tls.key": b64(material.issuer.privateKeyPem) },
        },
      ]
    : [];
  return { objects, secrets };
}
