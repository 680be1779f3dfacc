/**
 * copro.lock: the exact images (by content) a project's plans may use, like a package lock
 * (schemas/lock.schema.json, lockVersion 2). Keyed by sha256, with the family and kind of each image, so
 * the two different FUS 1.2.0 images coexist and manifests for different families share one folder.
 * A plan image whose content is not pinned, while the lock pins other content for the same family, kind,
 * stack type and version, is a mismatch (unless both are ST's published images: ST ships two FUS 1.2.0).
 * lockVersion 1 files (pinned by kind/type/version only) are still read, and rewritten as version 2 the
 * next time copro pins an image.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { assertValid } from '../schemas.js';
import type { CoproLock, LockEntry } from '../generated/lock.js';
import { findCatalogImage } from './catalog.js';
import type { AvailableImage } from './types.js';

export type { CoproLock, LockEntry };

export class LockError extends Error {
  constructor(
    readonly code: 'MISSING' | 'INVALID' | 'UNREADABLE',
    message: string,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

type Family = LockEntry['families'][number];

export function lockEntryOf(image: AvailableImage): LockEntry {
  const id = image.identity;
  const sha256 = id.standInFor ?? id.sha256;
  const record = findCatalogImage(sha256);
  return {
    sha256,
    families: [...(record?.families ?? id.families)].sort() as Family[],
    kind: id.kind,
    stackType: id.stackType ?? null,
    version: id.version,
    size: id.size,
    name: image.name,
    st: record !== undefined,
  };
}

function sortEntries(entries: readonly LockEntry[]): LockEntry[] {
  const bySha = new Map<string, LockEntry>();
  for (const e of entries) if (!bySha.has(e.sha256)) bySha.set(e.sha256, e);
  const key = (e: LockEntry) => [e.families.join(','), e.kind, e.stackType ?? '', e.version.split('.').map((n) => n.padStart(4, '0')).join('.'), e.name, e.sha256].join('\u0000');
  return [...bySha.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Writes the lock atomically (temp file + rename): a reader never sees half a lock. */
export async function writeLock(file: string, entries: readonly LockEntry[]): Promise<CoproLock> {
  const lock = assertValid<CoproLock>('lock', { lockVersion: 2, images: sortEntries(entries) }, 'copro.lock');
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, JSON.stringify(lock, null, 2) + '\n');
  await rename(tmp, file);
  return lock;
}

const REMEDY = 'fix it, or delete it and run `copro apply` again to pin the images anew (review the diff before committing it)';

/** A lockVersion 1 entry: pinned by kind, stack type and version, without the family. */
function upgradeV1(value: unknown, file: string): CoproLock {
  const images = (value as { images?: unknown }).images;
  const ok = (e: unknown): e is { name: string; sha256: string; size: number; version: string; kind: LockEntry['kind']; stackType: string | null } => {
    const x = e as Record<string, unknown>;
    return typeof x === 'object' && x !== null && typeof x.name === 'string' && typeof x.sha256 === 'string' && /^[0-9a-f]{64}$/.test(x.sha256) && typeof x.size === 'number' && typeof x.version === 'string' && ['fus', 'stack', 'safeboot', 'other'].includes(x.kind as string);
  };
  if (!Array.isArray(images) || !images.every(ok)) throw new LockError('INVALID', `${file} is a lockVersion 1 copro.lock with a malformed entry: ${REMEDY}`);
  return {
    lockVersion: 2,
    images: images.map((e) => {
      const record = findCatalogImage(e.sha256);
      return { sha256: e.sha256, families: [...(record?.families ?? [])].sort() as Family[], kind: e.kind, stackType: e.stackType ?? null, version: e.version, size: e.size, name: e.name, st: record !== undefined };
    }),
  };
}

export interface ReadLock {
  lock: CoproLock;
  /** Set when the file is in an older format (read, and rewritten as lockVersion 2 on the next pin). */
  upgradedFrom?: 1;
}

/** Reads copro.lock; every failure is a LockError naming the file and what to do (never a stack trace). */
export async function readLockFile(file: string): Promise<ReadLock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LockError('MISSING', `no lock file at ${file}`);
    if (code === 'EISDIR') throw new LockError('UNREADABLE', `${file} is a folder, not copro's lock file: remove it (copro writes copro.lock itself on the next apply)`);
    throw new LockError('UNREADABLE', `cannot read ${file} (${code ?? (e as Error).message}): fix its permissions, or remove it and run \`copro apply\` again to pin the images anew`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LockError('INVALID', `${file} is not JSON (${(e as Error).message}): ${REMEDY}`);
  }
  if (typeof value === 'object' && value !== null && (value as { lockVersion?: unknown }).lockVersion === 1) return { lock: upgradeV1(value, file), upgradedFrom: 1 };
  try {
    return { lock: assertValid<CoproLock>('lock', value, file) };
  } catch (e) {
    throw new LockError('INVALID', `${(e as Error).message}\n${file}: ${REMEDY}`);
  }
}

export async function readLock(file: string): Promise<CoproLock> {
  return (await readLockFile(file)).lock;
}

export interface LockMismatch {
  /** NOT_LOCKED: this content is not pinned (and nothing conflicts); SHA256_DIFFERS: other content is pinned for the same image. */
  code: 'NOT_LOCKED' | 'SHA256_DIFFERS';
  name: string;
  path?: string;
  expected?: string;
  actual: string;
  message: string;
}

const overlap = (a: readonly string[], b: readonly string[]) => a.length === 0 || b.length === 0 || a.some((x) => b.includes(x));

/**
 * Checks the images a plan uses against the lock, by content. A stand-in matches the entry of the image it
 * stands for.
 */
export function checkAgainstLock(images: readonly AvailableImage[], lock: CoproLock): LockMismatch[] {
  const out: LockMismatch[] = [];
  const pinned = new Set(lock.images.map((e) => e.sha256));
  for (const image of images) {
    const entry = lockEntryOf(image);
    if (pinned.has(entry.sha256)) continue;
    const what = `${entry.kind === 'stack' ? (entry.stackType ?? 'stack') : entry.kind === 'fus' ? 'FUS' : entry.kind} ${entry.version}${entry.families.length ? ` for ${entry.families.join('/')}` : ''}`;
    const where = image.path ?? image.name;
    // Two different ST images of the same version (FUS 1.2.0 for 0.5.3 and for 1.x) are both legitimate.
    // Whether an entry is ST's is looked up in the catalog, never taken from the file's `st` field.
    const isSt = (sha: string) => findCatalogImage(sha) !== undefined;
    const conflicts = lock.images.filter(
      (e) => e.kind === entry.kind && (e.stackType ?? null) === entry.stackType && e.version === entry.version && overlap(e.families, entry.families) && !(isSt(e.sha256) && isSt(entry.sha256)),
    );
    if (conflicts.length === 0) {
      out.push({ code: 'NOT_LOCKED', name: image.name, path: image.path, actual: entry.sha256, message: `${where}: ${what} (sha256 ${entry.sha256}) is not in copro.lock` });
      continue;
    }
    const expected = (conflicts.find((e) => e.name === image.name) ?? conflicts[0])!.sha256;
    out.push({ code: 'SHA256_DIFFERS', name: image.name, path: image.path, expected, actual: entry.sha256, message: `${where}: ${what} has sha256 ${entry.sha256}, copro.lock pins ${expected}` });
  }
  return out;
}

/**
 * The lock after this run: the plans' images checked against `lockPath` (pinned on first use). Throws
 * LockMismatchError-worthy text via `differs` when other content is pinned (unless `update`); never writes
 * with `dryRun`. Returns the entries to write (undefined: nothing to write) and a note for the person.
 */
export async function reconcileLock(
  lockPath: string,
  used: readonly AvailableImage[],
  opts: { update: boolean; dryRun?: boolean },
): Promise<{ differs: LockMismatch[]; write?: LockEntry[]; note?: string }> {
  let read: ReadLock;
  try {
    read = await readLockFile(lockPath);
  } catch (e) {
    if (e instanceof LockError && e.code === 'MISSING') {
      return { differs: [], write: used.map(lockEntryOf), note: `${opts.dryRun ? 'would write' : 'wrote'} ${lockPath}: pinned ${used.length} image(s) by sha256` };
    }
    throw e;
  }
  const mismatches = checkAgainstLock(used, read.lock);
  const differs = mismatches.filter((m) => m.code === 'SHA256_DIFFERS');
  if (differs.length && !opts.update) return { differs };
  const upgrade = read.upgradedFrom === 1 ? ` (converted from lockVersion 1, pinned by version only, to lockVersion 2, pinned by content with family and kind)` : '';
  if (mismatches.length === 0 && !upgrade) return { differs: [] };
  if (mismatches.length === 0) {
    return { differs: [], write: read.lock.images, note: `${opts.dryRun ? 'would update' : 'updated'} ${lockPath}${upgrade}` };
  }
  const replaced = new Set(differs.map((m) => m.expected));
  const entries = [...read.lock.images.filter((e) => !(opts.update && replaced.has(e.sha256))), ...used.filter((i) => mismatches.some((m) => m.actual === lockEntryOf(i).sha256)).map(lockEntryOf)];
  return {
    differs: [],
    write: entries,
    note: `${opts.dryRun ? 'would update' : 'updated'} ${lockPath}${upgrade}: ${mismatches.map((m) => `${m.code === 'NOT_LOCKED' ? 'pinned' : 'replaced'} ${m.name}`).join(', ')}`,
  };
}
