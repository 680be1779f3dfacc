/**
 * Download ST images from their pinned URLs (the catalog's rawUrl, fixed to a release commit) and keep
 * only bytes whose sha256 is the catalog's. Streams to `<name>.part` next to the destination, resumes a
 * partial download with an HTTP Range request when the server allows it, verifies, then renames
 * atomically. Files already present with the right sha256 are left alone (idempotent).
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rename, rm, mkdir, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { currentName, type CatalogImage } from './catalog.js';

export type FetchErrorCode = 'SHA256_MISMATCH' | 'HTTP_STATUS' | 'NETWORK';

export class FetchError extends Error {
  constructor(
    readonly code: FetchErrorCode,
    message: string,
    readonly url: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export type FetchRecord = Pick<CatalogImage, 'sha256' | 'size' | 'rawUrl' | 'latestRelease' | 'names'>;

export interface FetchProgress {
  sha256: string;
  name: string;
  received: number;
  total: number;
}

export interface FetchOptions {
  /** Images go to `<destDir>/<latestRelease>/<ST's current name>`. */
  destDir: string;
  /** Defaults to the global fetch (Node 20). */
  fetchImpl?: typeof fetch;
  /** A mirror: maps a record to the URL to download from (default: its pinned rawUrl). */
  urlFor?: (record: FetchRecord) => string;
  onProgress?: (p: FetchProgress) => void;
}

export interface FetchResult {
  sha256: string;
  path: string;
  /** present: already there with the right sha256; downloaded; resumed: a `.part` was continued. */
  status: 'present' | 'downloaded' | 'resumed';
}

export function fetchDestination(record: FetchRecord, destDir: string): string {
  return path.join(destDir, record.latestRelease, currentName(record));
}

async function hashFile(file: string, hash: Hash = createHash('sha256')): Promise<Hash> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash;
}

async function sizeOf(file: string): Promise<number | undefined> {
  return (await stat(file).catch(() => undefined))?.size;
}

async function fetchOne(record: FetchRecord, opts: FetchOptions): Promise<FetchResult> {
  const dest = fetchDestination(record, opts.destDir);
  if ((await sizeOf(dest)) === record.size && (await hashFile(dest)).digest('hex') === record.sha256) {
    return { sha256: record.sha256, path: dest, status: 'present' };
  }
  await mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const url = opts.urlFor ? opts.urlFor(record) : record.rawUrl;
  const doFetch = opts.fetchImpl ?? fetch;
  const name = path.basename(dest);

  let have = (await sizeOf(part)) ?? 0;
  if (have >= record.size) {
    await rm(part, { force: true });
    have = 0;
  }
  let response: Response;
  try {
    response = await doFetch(url, have > 0 ? { headers: { Range: `bytes=${have}-` } } : {});
  } catch (e) {
    throw new FetchError('NETWORK', `cannot download ${url}: ${causeOf(e)}`, url);
  }
  // 206 from the byte we asked: continue the .part; anything else: start over.
  const resumed = have > 0 && response.status === 206 && (response.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`);
  if (!resumed && response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchError('HTTP_STATUS', `cannot download ${url}: HTTP ${response.status} ${response.statusText}`, url);
  }
  const hash = resumed ? await hashFile(part) : createHash('sha256');
  let received = resumed ? have : 0;
  const fh = await open(part, resumed ? 'a' : 'w');
  try {
    if (response.body) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        await fh.write(chunk);
        received += chunk.length;
        opts.onProgress?.({ sha256: record.sha256, name, received, total: record.size });
      }
    }
    await fh.sync();
  } catch (e) {
    // Network trouble mid-way: keep the .part, the next run resumes it.
    throw new FetchError('NETWORK', `download of ${url} interrupted after ${received} bytes: ${causeOf(e)}`, url);
  } finally {
    await fh.close();
  }
  const actual = hash.digest('hex');
  if (actual !== record.sha256) {
    await rm(part, { force: true });
    throw new FetchError(
      'SHA256_MISMATCH',
      `${url}: downloaded ${received} bytes with sha256 ${actual}, expected ${record.sha256} (${record.size} bytes); deleted, nothing installed`,
      url,
      record.sha256,
      actual,
    );
  }
  await rename(part, dest);
  return { sha256: record.sha256, path: dest, status: resumed ? 'resumed' : 'downloaded' };
}

/** "fetch failed" says nothing by itself: add its causes (ECONNREFUSED, ENOTFOUND, a timeout...). */
export function causeOf(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const err = cur as { message?: string; code?: string; cause?: unknown };
    const text = [err.code, err.message].filter(Boolean).join(' ');
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    cur = err.cause;
  }
  return parts.join(': ') || String(e);
}

/** Downloads each record in turn; stops at the first failure (a FetchError naming expected/actual). */
export async function fetchImages(records: readonly FetchRecord[], opts: FetchOptions): Promise<FetchResult[]> {
  const results: FetchResult[] = [];
  for (const r of records) results.push(await fetchOne(r, opts));
  return results;
}
