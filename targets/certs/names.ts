/** Names the certs target and its helpers share; the workload Secret's name is in ../conventions.ts. */
import type { MeshIR } from "../../compiler/ir.js";
import type { DistinguishedName } from "./pki/index.js";
import { linkerdIssuerName } from "../conventions.js";

export { linkerdIssuerName };

export const TARGET = "certs";

/** ConfigMap with the mesh's root certificate (`ca.crt`), in every namespace with a workload identity. */
export function trustBundleName(ir: MeshIR): string {
  return `${ir.name}-trust-bundle`;
}

/** cert-manager mode: the CA `Issuer` in each namespace, and the Secret holding its intermediate. */
export function certManagerIssuerName(ir: MeshIR): string {
  return `${ir.name}-mesh-ca`;
}

/**
 * The name Linkerd's identity controller requires of its issuer: `identity.<control-plane
 * namespace>.<trust domain>`, checked against the certificate's DNS SANs.
 */

/** RFC 5280's upper bound for a common name. */
const MAX_COMMON_NAME = 64;

/** `<mesh> <role>`, shortening the mesh name when the whole would exceed a common name's 64 characters. */
function commonName(mesh: string, role: string): string {
  const room = MAX_COMMON_NAME - role.length - 1;
  return `${mesh.length > room ? mesh.slice(0, room) : mesh} ${role}`;
}

export function rootSubject(ir: MeshIR): DistinguishedName {
  return { organization: ir.name, commonName: commonName(ir.name, "Root CA") };
}

export function intermediateSubject(ir: MeshIR): DistinguishedName {
  return { organization: ir.name, commonName: commonName(ir.name, "Intermediate CA") };
}

/** Linkerd reads the DNS SAN, not the subject; a trust domain too long for a CN still gets a non-empty subject. */
export function linkerdIssuerSubject(ir: MeshIR): DistinguishedName {
  const name = linkerdIssuerName(ir.trustDomain);
  return name.length <= MAX_COMMON_NAME ? { commonName: name } : { organization: ir.name, commonName: commonName(ir.name, "Linkerd identity issuer") };
}
