/** PEM (RFC 7468) encoding with 64-column lines and LF endings, so output is byte-stable. */
import { PkiError } from "./errors.js";

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * All PEM blocks in `text`, in order. Text between blocks is ignored (openssl writes such
 * explanatory text). Errors never quote the input: it may be a private key.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = m;
    if (label !== endLabel) throw new PkiError(`PEM block "${label}" ends with "${endLabel}"`);
    const compact = body!.replace(/\s+/g, "");
    if (compact.includes(":")) throw new PkiError(`PEM block "${label}" has headers (encrypted keys are not supported)`);
    if (!BASE64_BODY.test(compact) || compact.length % 4 !== 0) throw new PkiError(`PEM block "${label}" is not valid base64`);
    blocks.push({ label: label!, der: Buffer.from(compact, "base64") });
  }
  return blocks;
}

/** Exactly one block with the given label (or one of several accepted labels). */
export function decodePem(text: string, labels: string | readonly string[]): PemBlock {
  const accepted = typeof labels === "string" ? [labels] : labels;
  const blocks = decodePemBlocks(text);
  const matching = blocks.filter((b) => accepted.includes(b.label));
  if (matching.length !== 1) {
    const want = accepted.map((l) => `"${l}"`).join(" or ");
    throw new PkiError(`expected exactly one PEM ${want} block, found ${matching.length} (of ${blocks.length} blocks)`);
  }
  return matching[0]!;
}
