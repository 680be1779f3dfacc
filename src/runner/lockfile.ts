/**
 * copro.lock at apply time: the images the plans will write are pinned on first use, and a later file
 * with other content for the same image (family, kind, stack type, version) is refused unless --update-lock,
 * so CI provisions byte-identical firmware every time. A stand-in pins the ST image it stands for.
 */
import { reconcileLock, writeLock } from '../images/lock.js';
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

/**
 * Returns a note for the person (what was pinned), or throws LockMismatchError before anything is touched.
 * `dryRun`: the same check, nothing written.
 */
export async function checkPlansAgainstLock(lockPath: string, plans: readonly Plan[], images: readonly AvailableImage[], opts: { update: boolean; dryRun?: boolean }): Promise<string | undefined> {
  const used = imagesUsedBy(plans, images);
  if (used.length === 0) return undefined;
  const r = await reconcileLock(lockPath, used, opts);
  if (r.differs.length) {
    throw new LockMismatchError(`images differ from ${lockPath} (nothing was touched; pass --update-lock to accept them on purpose):\n  ${r.differs.map((m) => `${m.message} (expected ${m.expected}, actual ${m.actual})`).join('\n  ')}`);
  }
  if (r.write && !opts.dryRun) await writeLock(lockPath, r.write);
  return r.note;
}
