/**
 * copro.lock at apply time: the images the plans will write are pinned on first use, and a later file
 * with other content for the same image (kind, stack type, version) is refused unless --update-lock,
 * so CI provisions byte-identical firmware every time. A stand-in pins the ST image it stands for.
 */
import { existsSync } from 'node:fs';
import { readLock, writeLock, checkAgainstLock, lockEntryOf, type LockEntry } from '../images/lock.js';
import type { AvailableImage } from '../images/types.js';
import type { Plan } from '../planner/types.js';

export class LockMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockMismatchError';
  }
}

export function imagesUsedBy(plans: readonly Plan[], images: readonly AvailableImage[]): AvailableImage[] {
  const wanted = new Set(plans.flatMap((p) => p.steps.map((s) => s.image?.sha256).filter((x): x is string => x !== undefined)));
  const seen = new Set<string>();
  return images.filter((i) => wanted.has(i.identity.sha256) && !seen.has(i.identity.sha256) && (seen.add(i.identity.sha256), true));
}

/** Returns a note for the person (what was pinned), or throws LockMismatchError before anything is touched. */
export async function checkPlansAgainstLock(lockPath: string, plans: readonly Plan[], images: readonly AvailableImage[], opts: { update: boolean }): Promise<string | undefined> {
  const used = imagesUsedBy(plans, images);
  if (used.length === 0) return undefined;
  if (!existsSync(lockPath)) {
    await writeLock(lockPath, used.map(lockEntryOf));
    return `wrote ${lockPath}: pinned ${used.length} image(s) by sha256`;
  }
  const lock = await readLock(lockPath);
  const mismatches = checkAgainstLock(used, lock);
  const differs = mismatches.filter((m) => m.code === 'SHA256_DIFFERS');
  if (differs.length && !opts.update) {
    throw new LockMismatchError(`images differ from ${lockPath} (nothing was touched; pass --update-lock to accept them on purpose):\n  ${differs.map((m) => `${m.message} (expected ${m.expected}, actual ${m.actual})`).join('\n  ')}`);
  }
  if (mismatches.length === 0) return undefined;
  const replaced = new Set(differs.map((m) => m.name));
  const entries: LockEntry[] = [...lock.images.filter((e) => !(opts.update && replaced.has(e.name))), ...used.filter((i) => mismatches.some((m) => m.name === i.name)).map(lockEntryOf)];
  await writeLock(lockPath, entries);
  return `updated ${lockPath}: ${mismatches.map((m) => `${m.code === 'NOT_LOCKED' ? 'pinned' : 'replaced'} ${m.name}`).join(', ')}`;
}
