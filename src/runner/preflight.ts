/**
 * Before the first board operation: every image a plan will write is re-read from disk and its sha256
 * checked against the plan (a file that changed between plan and apply, or was tampered with, is
 * refused with expected and actual sha256, and nothing on the board is touched).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Plan, Step } from '../planner/types.js';
import { checkStepImageWith } from './image-check.js';

export { ImageCheckError } from './image-check.js';

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
