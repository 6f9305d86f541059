/**
 * Every failure of the PKI library. Messages name files and fields, never their contents: the
 * inputs include private keys, and error messages end up in CI logs.
 */
export class PkiError extends Error {
  override readonly name = "PkiError";
}
