/**
 * Deterministic simulated stand-ins for catalog images. ST's .bin files cannot ship with copro
 * (license SLA0044), yet the simulator and the tests need files that behave like them: same size, same
 * image footer and signature footer (so identify, install addresses and the FUS rules see the real
 * facts), with a payload of pseudo-random bytes. The 64-byte signature slot holds a copro marker and a
 * digest instead of ST's signature, so a stand-in is never mistaken for an ST image and a flipped byte
 * is detected. Only the simulator accepts stand-ins.
 *
 * Layout (size = the real image's size):
 *   [payload: PRNG bytes seeded by the record's sha256][image footer 20 B][stand-in blob 64 B][signature footer 20 B]
 * Stand-in blob: "COPRO-SIMULATED" (15 B), format 0x01, digest (32 B), record sha256 prefix (16 B).
 * digest = sha256(bytes[0, size-84) || bytes[size-20, size) || record sha256 (32 B)).
 * For the v1.5.0 FUS with no valid trailer (AN5185 image footer) the image-footer slot is payload too and the
 * last 20 bytes are the recorded (invalid) ones, so the stand-in is still recognisable.
 */
import { bytesFromHex, SIGNATURE_FOOTER_SIZE, IMAGE_FOOTER_SIZE, SIGNATURE_SIZE } from './footer.js';
import { loadCatalog, type CatalogImage } from './catalog-core.js';
import { sha256, toHex } from '../domain/sha256.js';

export const STAND_IN_MARKER = 'COPRO-SIMULATED';
const MARKER_BYTES = new TextEncoder().encode(STAND_IN_MARKER);
const FORMAT = 0x01;
const BLOB_SIZE = SIGNATURE_SIZE;
const DIGEST_AT = MARKER_BYTES.length + 1;
const PREFIX_AT = DIGEST_AT + 32;
const PREFIX_LEN = BLOB_SIZE - PREFIX_AT; // 16 bytes of the record's sha256
/** The smallest stand-in: blob + signature footer + a few payload bytes. */
const MIN_SIZE = BLOB_SIZE + SIGNATURE_FOOTER_SIZE + IMAGE_FOOTER_SIZE;

/** xoshiro128**: a small, fast, well-mixed PRNG; seeded from the sha256 so every stand-in is reproducible. */
function fillPseudoRandom(out: Uint8Array, seedHex: string): void {
  const seed = bytesFromHex(seedHex.slice(0, 32));
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  let a = view.getUint32(0, true) | 1;
  let b = view.getUint32(4, true);
  let c = view.getUint32(8, true);
  let d = view.getUint32(12, true);
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  for (let i = 0; i < out.length; i += 4) {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    out[i] = r & 0xff;
    if (i + 1 < out.length) out[i + 1] = (r >>> 8) & 0xff;
    if (i + 2 < out.length) out[i + 2] = (r >>> 16) & 0xff;
    if (i + 3 < out.length) out[i + 3] = (r >>> 24) & 0xff;
  }
}

function digestOf(bytes: Uint8Array, recordSha256: string): Uint8Array {
  const size = bytes.length;
  return sha256(bytes.subarray(0, size - SIGNATURE_FOOTER_SIZE - BLOB_SIZE), bytes.subarray(size - SIGNATURE_FOOTER_SIZE), bytesFromHex(recordSha256));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A stand-in for a catalog image: the real size and footers, simulated payload and signature. */
export function makeStandIn(record: CatalogImage): Uint8Array {
  if (record.size < MIN_SIZE) throw new Error(`cannot make a stand-in for ${record.sha256}: ${record.size} bytes is too small`);
  const out = new Uint8Array(record.size);
  fillPseudoRandom(out, record.sha256);
  const sigFooterAt = record.size - SIGNATURE_FOOTER_SIZE;
  const blobAt = sigFooterAt - BLOB_SIZE;
  out.set(bytesFromHex(record.footer.signatureFooterHex), sigFooterAt);
  if (record.footer.valid && record.footer.imageFooterHex) out.set(bytesFromHex(record.footer.imageFooterHex), blobAt - IMAGE_FOOTER_SIZE);
  out.set(MARKER_BYTES, blobAt);
  out[blobAt + MARKER_BYTES.length] = FORMAT;
  out.set(bytesFromHex(record.sha256).subarray(0, PREFIX_LEN), blobAt + PREFIX_AT);
  out.set(digestOf(out, record.sha256), blobAt + DIGEST_AT);
  return out;
}

function blobOffset(bytes: Uint8Array): number | undefined {
  const at = bytes.length - SIGNATURE_FOOTER_SIZE - BLOB_SIZE;
  return bytes.length >= MIN_SIZE ? at : undefined;
}

/** True when the signature slot carries the stand-in marker, even if the rest was tampered with. */
export function hasStandInMarker(bytes: Uint8Array): boolean {
  const at = blobOffset(bytes);
  if (at === undefined) return false;
  for (let i = 0; i < MARKER_BYTES.length; i++) if (bytes[at + i] !== MARKER_BYTES[i]) return false;
  return true;
}

let byPrefix: Map<string, CatalogImage[]> | undefined;
function recordsWithPrefix(prefixHex: string): CatalogImage[] {
  if (!byPrefix) {
    byPrefix = new Map();
    for (const r of loadCatalog().images) {
      const p = r.sha256.slice(0, PREFIX_LEN * 2);
      byPrefix.set(p, [...(byPrefix.get(p) ?? []), r]);
    }
  }
  return byPrefix.get(prefixHex) ?? [];
}

/**
 * The catalog image a stand-in was made for, by its marker, record prefix and size, even when its content
 * was modified since (the intact stand-in is then `makeStandIn` of it); undefined when none fits.
 */
export function standInRecordOf(bytes: Uint8Array): CatalogImage | undefined {
  if (!hasStandInMarker(bytes)) return undefined;
  const at = blobOffset(bytes)!;
  return recordsWithPrefix(toHex(bytes.subarray(at + PREFIX_AT, at + BLOB_SIZE))).find((r) => r.size === bytes.length);
}

/**
 * `{ standInFor: <catalog sha256> }` for an intact stand-in; undefined when the bytes are not a stand-in,
 * or a stand-in whose digest, size or footers no longer match its record (tampered or corrupt).
 */
export function verifyStandIn(bytes: Uint8Array): { standInFor: string } | undefined {
  if (!hasStandInMarker(bytes)) return undefined;
  const at = blobOffset(bytes)!;
  if (bytes[at + MARKER_BYTES.length] !== FORMAT) return undefined;
  const prefix = toHex(bytes.subarray(at + PREFIX_AT, at + BLOB_SIZE));
  const stored = bytes.subarray(at + DIGEST_AT, at + DIGEST_AT + 32);
  for (const record of recordsWithPrefix(prefix)) {
    if (record.size !== bytes.length) continue;
    if (equalBytes(digestOf(bytes, record.sha256), stored)) return { standInFor: record.sha256 };
  }
  return undefined;
}
