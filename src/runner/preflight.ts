/**
 * Before the first board operation: every image a plan will write is re-read from disk and its sha256
 * checked against the plan (a file that changed between plan and apply, or was tampered with, is
 * refused with expected and actual sha256, and nothing on the board is touched).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Plan, Step } from '../planner/types.js';

export class ImageCheckError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
    this.name = 'ImageCheckError';
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Checks one step's image; returns the verified bytes' path. */
export async function checkStepImage(step: Step): Promise<string | undefined> {
  const img = step.image;
  if (!img) return undefined;
  if (!img.path && img.nameTakenBy) {
    // The file under ST's name is there but holds another image: refused (never replaced by a stand-in).
    const t = img.nameTakenBy;
    throw new ImageCheckError(
      `step ${step.n}: ${t.path} is named like ST's ${img.name} (${img.kind === 'stack' ? (img.stackType ?? 'stack') : img.kind.toUpperCase()} ${img.version}) but holds ${t.what}: expected sha256 ${img.sha256}, actual ${t.sha256}. Nothing was written to the board.`,
      step.n,
      img.sha256,
      t.sha256,
    );
  }
  if (!img.path) {
    throw new ImageCheckError(
      `step ${step.n}: ${img.name} (${img.version}) is not on this machine; run \`copro fetch\` first`,
      step.n,
    );
  }
  let actual: string;
  try {
    actual = await sha256OfFile(img.path);
  } catch (e) {
    throw new ImageCheckError(`step ${step.n}: cannot read ${img.path}: ${(e as Error).message}`, step.n);
  }
  if (actual !== img.sha256) {
    throw new ImageCheckError(
      `step ${step.n}: ${img.path} changed since it was planned: expected sha256 ${img.sha256}, found ${actual}. Nothing was written to the board.`,
      step.n,
      img.sha256,
      actual,
    );
  }
  return img.path;
}

export async function preflight(plan: Plan): Promise<void> {
  for (const step of plan.steps) await checkStepImage(step);
}
