/**
 * Before the first board operation: every image a plan will write is re-read from disk and its sha256
 * checked against the plan (a file that changed between plan and apply, or was tampered with, is
 * refused with expected and actual sha256, and nothing on the board is touched).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Plan, Step } from '../planner/types.js';
import { checkStepImageWith } from './image-check.js';

export { ImageCheckError } from './image-check.js';
import { ImageCheckError } from './image-check.js';

export async function sha256OfFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Checks one step's image on disk; returns the verified bytes' path. */
export async function checkStepImage(step: Step): Promise<string | undefined> {
  return checkStepImageWith(step, sha256OfFile);
}

export async function preflight(plan: Plan): Promise<void> {
  for (const step of plan.steps) await checkStepImage(step);
}

/**
 * The bytes that were checked are the bytes written: the image is read once, its sha256 checked against the plan,
 * and exactly those bytes are handed to the driver as a private, read-only copy (0400 in a fresh 0700 folder under
 * the system temp dir, keeping the file's name, which the tools print). A file swapped or changed after the check
 * cannot reach the board. `dispose` removes the folder.
 */
export async function privateVerifiedCopy(step: Step): Promise<{ path: string; dispose: () => Promise<void> } | undefined> {
  const original = await checkStepImage(step);
  if (original === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(original);
  } catch (e) {
    throw new ImageCheckError(`step ${step.n}: cannot read ${original}: ${(e as Error).message}`, step.n);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== step.image!.sha256) {
    throw new ImageCheckError(`step ${step.n}: ${original} changed while it was checked: expected sha256 ${step.image!.sha256}, found ${actual}. Nothing was written to the board.`, step.n, step.image!.sha256, actual);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'copro-image-')); // created 0700
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    const copy = path.join(dir, path.basename(original));
    await writeFile(copy, bytes, { mode: 0o400, flag: 'wx' });
    await chmod(copy, 0o400);
    return { path: copy, dispose };
  } catch (e) {
    await dispose();
    throw new ImageCheckError(`step ${step.n}: cannot make a private copy of ${original}: ${(e as Error).message}`, step.n);
  }
}
