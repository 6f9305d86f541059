/** SPIFFE IDs as the SPIFFE-ID and X509-SVID specifications define them. */
import { PkiError } from "./errors.js";

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN_BYTES = 255;

/**
 * Throws unless `id` is a workload SPIFFE ID: `spiffe://<trust-domain>/<path>` with a lower-case
 * trust domain, a non-empty path of non-empty segments that are not `.` or `..`, no query,
 * fragment, port, user info or percent-encoding. (The spec also allows an empty path, but only
 * for the trust domain itself, which is never a workload SVID.)
 */
export function validateSpiffeId(id: string): void {
  const fail = (why: string): never => {
    throw new PkiError(`invalid SPIFFE ID ${JSON.stringify(id.length > 200 ? id.slice(0, 200) + "…" : id)}: ${why}`);
  };
  if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) fail(`longer than ${MAX_ID_BYTES} bytes`);
  if (!id.startsWith("spiffe://")) fail('must start with "spiffe://" (lower-case scheme)');
  const rest = id.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (trustDomain.length === 0) fail("empty trust domain");
  if (trustDomain.length > MAX_TRUST_DOMAIN_BYTES) fail(`trust domain longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`);
  if (!TRUST_DOMAIN.test(trustDomain)) fail("trust domain may only contain a-z, 0-9, '.', '-' and '_'");
  if (slash < 0 || slash === rest.length - 1) fail("a workload ID needs a path (and no trailing '/')");
  for (const segment of rest.slice(slash + 1).split("/")) {
    if (segment.length === 0) fail("empty path segment");
    if (segment === "." || segment === "..") fail("'.' and '..' path segments are not allowed");
    if (!SEGMENT.test(segment)) fail("path segments may only contain a-z, A-Z, 0-9, '.', '-' and '_'");
  }
}

/** The ID Istio gives a Kubernetes service account: `spiffe://<td>/ns/<ns>/sa/<sa>`. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  const id = `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  validateSpiffeId(id);
  return id;
}
