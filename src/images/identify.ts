/**
 * Identify an image by its content, in Node: hashing with node:crypto and reading files (the identification
 * itself is identify-core.ts, which a browser page uses with WebCrypto).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import './catalog.js';
import type { ImageIdentity } from './types.js';
import { identityFromBytes } from './identify-core.js';

export { catalogIdentity, identityFromBytes } from './identify-core.js';

/** Identify bytes already in memory. Throws FooterError for an unknown file without a valid trailer. */
export function identifyBytes(bytes: Uint8Array, fileName?: string): ImageIdentity {
  return identityFromBytes(bytes, createHash('sha256').update(bytes).digest('hex'), fileName);
}

/** Files up to this size are read in one go; bigger ones are streamed (no ST image comes close). */
const WHOLE_FILE_LIMIT = 16 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/**
 * Identify a file: one read, hashed and parsed from the same buffer (the throughput goal is 0.7x of
 * sha256sum). Files too big to be an ST image are streamed, keeping only their tail for the footer.
 */
export async function identifyFile(file: string): Promise<ImageIdentity> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size <= WHOLE_FILE_LIMIT) {
      const bytes = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(bytes, got, size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return identifyBytes(got === size ? bytes : bytes.subarray(0, got), file);
    }
    const hash = createHash('sha256');
    const buf = new Uint8Array(CHUNK);
    const tailSize = 4096;
    let tail = new Uint8Array(0);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      const joined = new Uint8Array(Math.min(tail.length + bytesRead, tailSize));
      const fromChunk = Math.min(bytesRead, joined.length);
      joined.set(tail.subarray(tail.length - (joined.length - fromChunk)), 0);
      joined.set(chunk.subarray(bytesRead - fromChunk), joined.length - fromChunk);
      tail = joined;
      pos += bytesRead;
    }
    const sha256 = hash.digest('hex');
    return identifyLargeTail(tail, pos, sha256, file);
  } finally {
    await fh.close();
  }
}

/** A file bigger than any ST image (never in the catalog, never a stand-in): its footer is parsed from the tail. */
function identifyLargeTail(tail: Uint8Array, size: number, sha256: string, file: string): ImageIdentity {
  const id = identityFromBytes(tail, sha256, file, size - tail.length);
  id.warnings.push(`${size} bytes: far bigger than any coprocessor image (at most a few hundred KiB)`);
  return id;
}
