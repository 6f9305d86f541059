/**
 * meshc's certificate-issuing core: keys, CA and workload certificates, PEM, and the persistent
 * CA state directory. Knows nothing about the mesh IR; the certs target wraps it.
 */
export { PkiError } from "./errors.js";
export { encodePem, decodePem, decodePemBlocks, type PemBlock } from "./pem.js";
export { generateKeyPair, KEY_ALGORITHMS, type KeyAlgorithm, type KeyPair } from "./keys.js";
export type { DistinguishedName } from "./x509.js";
export { parseCertificate, type CertificateInfo, type KeyUsageName } from "./parse.js";
export {
  CaCredential,
  createCa,
  createIntermediate,
  createRoot,
  meshCa,
  DEFAULT_INTERMEDIATE_LIFETIME_MS,
  DEFAULT_ROOT_LIFETIME_MS,
  isDnsName,
  type CaOptions,
  type IntermediateOptions,
  type MeshCa,
  type RootOptions,
} from "./ca.js";
export {
  issueLeaf,
  issueLeaves,
  issueLeafCertificate,
  type IssuedLeaf,
  type LeafForKeyOptions,
  type LeafOptions,
  type LeafRequest,
  type LeafValidity,
} from "./leaf.js";
export { validateSpiffeId, workloadSpiffeId } from "./spiffe.js";
export {
  loadOrCreateCa,
  readCredential,
  rotateIntermediate,
  withStateDir,
  writeAtomic,
  STATE_FILES,
  type LoadedCa,
  type RotateOptions,
  type StateOptions,
} from "./state.js";
