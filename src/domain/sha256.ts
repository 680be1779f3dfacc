/**
 * SHA-256 without Node: @noble/hashes (audited, no dependencies), synchronous, so the pure modules a browser
 * page also runs (stand-ins, the FUS-side image view, identify) can hash where they are called. Node code
 * that hashes whole files keeps node:crypto (faster for large inputs).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha256Hex(...parts: (Uint8Array | string)[]): string {
  return bytesToHex(sha256(...parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p))));
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}
