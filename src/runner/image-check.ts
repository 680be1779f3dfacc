/**
 * The image check right before a step writes: the planned image's bytes are read again and their sha256
 * compared with the plan (a file that changed between plan and apply, or was tampered with, is refused with
 * expected and actual sha256, and nothing on the board is touched). No Node imports: how a path is read and
 * hashed is given (preflight.ts: the file system; a browser page: the dropped file's bytes).
 */
import type { Step } from '../planner/types.js';

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

/** The checked bytes, where the driver reads them, until `dispose`. */
export interface VerifiedImage {
  path: string;
  dispose: () => Promise<void>;
}

/** Lowercase hex sha256 of the bytes behind a path (throws when it cannot be read). */
export type Sha256OfPath = (path: string) => Promise<string>;

/** Checks one step's image; returns the verified bytes' path. */
export async function checkStepImageWith(step: Step, sha256OfPath: Sha256OfPath): Promise<string | undefined> {
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
    actual = await sha256OfPath(img.path);
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

