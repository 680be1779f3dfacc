/* Generated from schemas/events.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * One line of `copro apply --json`: newline-delimited JSON events, one object per line.
 */
export type CoproEvent = {
  type:
    | 'run-started'
    | 'plan'
    | 'step-started'
    | 'step-progress'
    | 'step-finished'
    | 'step-failed'
    | 'board-finished'
    | 'run-finished';
  /**
   * ISO 8601.
   */
  time: string;
  /**
   * Board serial number (or `-` for run-level events).
   */
  board: string;
} & (
  | {
      type?: 'run-started';
      manifest?: string;
      boards: string[];
      driver: string;
      dryRun: boolean;
    }
  | {
      type?: 'plan';
      status: 'up-to-date' | 'changes' | 'refused';
      steps: number;
      plan: {};
    }
  | {
      type?: 'step-started';
      step: number;
      kind: string;
      title: string;
    }
  | {
      type?: 'step-progress';
      step: number;
      phase: string;
      percent?: number;
      fusState?: string;
      message?: string;
    }
  | {
      type?: 'step-finished';
      step: number;
      kind: string;
      durationMs: number;
      /**
       * The read-back values the step was verified against.
       */
      verified: {};
    }
  | {
      type?: 'step-failed';
      step: number;
      kind: string;
      durationMs?: number;
      error: string;
      code: string;
      mismatches?: {
        field: string;
        expected: unknown;
        actual: unknown;
      }[];
      logFile?: string;
    }
  | {
      type?: 'board-finished';
      result: 'provisioned' | 'up-to-date' | 'refused' | 'failed' | 'planned' | 'interrupted';
      uid64?: string;
      fus?: string;
      stack?: string;
      durationMs: number;
      error?: string;
      logFile?: string;
    }
  | {
      type?: 'run-finished';
      exitCode: number;
      boards: {
        total: number;
        ok: number;
        failed: number;
      };
      durationMs: number;
    }
);
