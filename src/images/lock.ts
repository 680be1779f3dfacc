/**
 * copro.lock: the exact images (by sha256) a project's plans may use, like a package lock
 * (schemas/lock.schema.json). A plan image whose content differs from its pin is a mismatch.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { assertValid } from '../schemas.js';
import type { CoproLock, LockEntry } from '../generated/lock.js';
import type { AvailableImage } from './types.js';

export type { CoproLock, LockEntry };

export class LockError extends Error {
  constructor(
    readonly code: 'MISSING' | 'INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

export function lockEntryOf(image: AvailableImage): LockEntry {
  const id = image.identity;
  return { name: image.name, sha256: id.standInFor ?? id.sha256, size: id.size, version: id.version, kind: id.kind, stackType: id.stackType ?? null };
}

function sortEntries(entries: readonly LockEntry[]): LockEntry[] {
  const bySha = new Map<string, LockEntry>();
  for (const e of entries) if (!bySha.has(e.sha256)) bySha.set(e.sha256, e);
  const key = (e: LockEntry) => [e.kind, e.stackType ?? '', e.name, e.version.split('.').map((n) => n.padStart(4, '0')).join('.'), e.sha256].join('\u0000');
  return [...bySha.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Writes the lock atomically (temp file + rename): a reader never sees half a lock. */
export async function writeLock(file: string, entries: readonly LockEntry[]): Promise<CoproLock> {
  const lock = assertValid<CoproLock>('lock', { lockVersion: 1, images: sortEntries(entries) }, 'copro.lock');
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, JSON.stringify(lock, null, 2) + '\n');
  await rename(tmp, file);
  return lock;
}

export async function readLock(file: string): Promise<CoproLock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LockError('MISSING', `no lock file at ${file}`);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LockError('INVALID', `${file} is not JSON: ${(e as Error).message}`);
  }
  try {
    return assertValid<CoproLock>('lock', value, file);
  } catch (e) {
    throw new LockError('INVALID', (e as Error).message);
  }
}

export interface LockMismatch {
  /** NOT_LOCKED: no entry for this kind/type/version; SHA256_DIFFERS: entries exist, none with this content. */
  code: 'NOT_LOCKED' | 'SHA256_DIFFERS';
  name: string;
  path?: string;
  expected?: string;
  actual: string;
  message: string;
}

/**
 * Checks the images a plan uses against the lock. An image matches an entry of the same kind, stack
 * type and version by sha256 (a stand-in matches the entry of the image it stands in for).
 */
export function checkAgainstLock(images: readonly AvailableImage[], lock: CoproLock): LockMismatch[] {
  const out: LockMismatch[] = [];
  for (const image of images) {
    const id = image.identity;
    const same = lock.images.filter((e) => e.kind === id.kind && (e.stackType ?? undefined) === (id.stackType ?? undefined) && e.version === id.version);
    const content = id.standInFor ?? id.sha256;
    const what = `${id.kind === 'stack' ? (id.stackType ?? 'stack') : id.kind} ${id.version}`;
    const where = image.path ?? image.name;
    if (same.length === 0) {
      out.push({ code: 'NOT_LOCKED', name: image.name, path: image.path, actual: content, message: `${where}: ${what} is not in copro.lock (re-create copro.lock to pin it)` });
    } else if (!same.some((e) => e.sha256 === content)) {
      const expected = (same.find((e) => e.name === image.name) ?? same[0])!.sha256;
      out.push({
        code: 'SHA256_DIFFERS',
        name: image.name,
        path: image.path,
        expected,
        actual: content,
        message: `${where}: ${what} has sha256 ${content}, copro.lock pins ${expected}`,
      });
    }
  }
  return out;
}
