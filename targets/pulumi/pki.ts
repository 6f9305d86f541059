/**
 * The mesh's certificate authority, kept in Pulumi state: `@pulumi/tls` keys and certificates,
 * whose private keys Pulumi stores encrypted as secrets. Nothing here is random on a second
 * `pulumi up`: keys are created once and kept; a certificate is re-issued (with the same key)
 * only when it enters its renewal window, on the first `pulumi up` after that.
 *
 * - root: self-signed, the mesh's trust anchor;
 * - mesh intermediate: signs workload certificates, and is Istio's plug-in CA (istiod signs with it);
 * - Linkerd issuer: the intermediate Linkerd's identity controller signs with, named as Linkerd requires;
 * - leaves: one per workload identity whose certificate Secret a deployed workload mounts (the
 *   Envoy target's sidecars). Istio and Linkerd issue their own short-lived leaves.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertNever, type CertificatesIR, type Identity } from "../../compiler/ir.js";
import { linkerdIssuerName } from "../conventions.js";

const HOUR_MS = 3_600_000;

/** Issuing CA material: a certificate and its private key (a secret), PEM. */
export interface IssuerPem {
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;
}

export interface MeshPkiArgs {
  /** The mesh's name, for certificate subjects. */
  readonly mesh: string;
  /** The mesh's trust domain: Linkerd's issuer is named after it. */
  readonly trustDomain: string;
  /** Key algorithm and lifetimes (the mesh's `certificates`). */
  readonly certificates: Pick<CertificatesIR, "keyAlgorithm" | "rootLifetimeMs" | "intermediateLifetimeMs" | "leafLifetimeMs">;
  /** Issue the mesh intermediate (Istio's plug-in CA). Implied by `workloads`. */
  readonly intermediate?: boolean;
  /** Issue Linkerd's identity issuer. Always ECDSA P-256: the only key Linkerd's identity controller accepts. */
  readonly linkerdIssuer?: boolean;
  /** Identities to issue workload certificates for (SPIFFE ID as URI SAN). */
  readonly workloads?: readonly Identity[];
}

type KeyAlgorithm = MeshPkiArgs["certificates"]["keyAlgorithm"];

/** Whole hours, at least one: `@pulumi/tls` counts validity in hours. */
export function lifetimeHours(ms: number): number {
  return Math.max(1, Math.floor(ms / HOUR_MS));
}

/**
 * Hours before expiry at which a certificate is re-issued: a third of its lifetime for CAs, half
 * for leaves. Renewal happens on a `pulumi up`, so leaves get the wider window: a stack updated
 * at least every half leaf lifetime never serves an expired certificate.
 */
export function earlyRenewalHours(ms: number, kind: "ca" | "leaf"): number {
  return Math.floor(lifetimeHours(ms) / (kind === "ca" ? 3 : 2));
}

function keyArgs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
  switch (algorithm) {
    case "ecdsa-p256":
      return { algorithm: "ECDSA", ecdsaCurve: "P256" };
    case "rsa-2048":
      return { algorithm: "RSA", rsaBits: 2048 };
    default:
      return assertNever(algorithm, "key algorithm");
  }
}

const CA_USES = ["cert_signing", "crl_signing", "digital_signature"];
const LEAF_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];

/**
 * The mesh PKI as a component. Its children's logical names depend only on the mesh (and the
 * identity, for leaves), so the same mesh keeps the same keys across runs.
 */
export class MeshPki extends pulumi.ComponentResource {
  /** The root certificate (public): what every workload and control plane trusts. */
  readonly rootCertPem: pulumi.Output<string>;
  /** The mesh intermediate: Istio's plug-in CA and the issuer of workload leaves, when asked for. */
  readonly intermediate?: IssuerPem;
  /** Linkerd's identity issuer, when asked for. */
  readonly linkerdIssuer?: IssuerPem;
  /** Workload certificates by SPIFFE ID; `certPem` is the leaf followed by the intermediate. */
  readonly leaves: ReadonlyMap<string, IssuerPem>;

  constructor(name: string, args: MeshPkiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("meshc:index:MeshPki", name, {}, opts);
    const c = args.certificates;
    const child = { parent: this };
    // Keys are handed on as explicit secrets: @pulumi/tls marks its own outputs secret, and the
    // explicit wrap keeps them secret wherever they flow (and is what the mock tests can see).
    const key = (id: string, algorithm: KeyAlgorithm) => pulumi.secret(new tls.PrivateKey(`${name}-${id}-key`, keyArgs(algorithm), child).privateKeyPem);
    const subject = (commonName: string) => ({ commonName, organization: args.mesh });

    const rootKey = key("root", c.keyAlgorithm);
    const root = new tls.SelfSignedCert(
      `${name}-root`,
      {
        privateKeyPem: rootKey,
        subject: subject(`${args.mesh} root CA`),
        isCaCertificate: true,
        setSubjectKeyId: true,
        allowedUses: CA_USES,
        validityPeriodHours: lifetimeHours(c.rootLifetimeMs),
        earlyRenewalHours: earlyRenewalHours(c.rootLifetimeMs, "ca"),
      },
      child,
    );
    this.rootCertPem = root.certPem;

    const intermediate = (id: string, commonName: string, algorithm: KeyAlgorithm, dnsNames?: string[]): IssuerPem => {
      const keyPem = key(id, algorithm);
      const csr = new tls.CertRequest(`${name}-${id}-csr`, { privateKeyPem: keyPem, subject: subject(commonName), ...(dnsNames ? { dnsNames } : {}) }, child);
      const cert = new tls.LocallySignedCert(
        `${name}-${id}`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: rootKey,
          caCertPem: root.certPem,
          isCaCertificate: true,
          // It signs workload certificates, never another CA.
          maxPathLength: 0,
          setSubjectKeyId: true,
          allowedUses: CA_USES,
          validityPeriodHours: lifetimeHours(c.intermediateLifetimeMs),
          earlyRenewalHours: earlyRenewalHours(c.intermediateLifetimeMs, "ca"),
        },
        child,
      );
      return { certPem: cert.certPem, keyPem };
    };

    const workloads = args.workloads ?? [];
    const meshIntermediate = args.intermediate || workloads.length > 0 ? intermediate("intermediate", `${args.mesh} intermediate CA`, c.keyAlgorithm) : undefined;
    if (meshIntermediate) this.intermediate = meshIntermediate;
    // Linkerd's identity controller checks the issuer's DNS SAN, not only its CN.
    const issuerName = linkerdIssuerName(args.trustDomain);
    if (args.linkerdIssuer) this.linkerdIssuer = intermediate("linkerd-issuer", issuerName, "ecdsa-p256", [issuerName]);

    const leaves = new Map<string, IssuerPem>();
    for (const identity of workloads) {
      if (!meshIntermediate) break;
      const id = `leaf/${identity.namespace}/${identity.serviceAccount}`;
      const keyPem = key(id, c.keyAlgorithm);
      const csr = new tls.CertRequest(`${name}-${id}-csr`, { privateKeyPem: keyPem, subject: { organization: args.mesh }, uris: [identity.spiffeId] }, child);
      const cert = new tls.LocallySignedCert(
        `${name}-${id}`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: meshIntermediate.keyPem,
          caCertPem: meshIntermediate.certPem,
          allowedUses: LEAF_USES,
          validityPeriodHours: lifetimeHours(c.leafLifetimeMs),
          earlyRenewalHours: earlyRenewalHours(c.leafLifetimeMs, "leaf"),
        },
        child,
      );
      leaves.set(identity.spiffeId, { certPem: pulumi.concat(cert.certPem, meshIntermediate.certPem), keyPem });
    }
    this.leaves = leaves;
    this.registerOutputs({ rootCertPem: this.rootCertPem });
  }
}
