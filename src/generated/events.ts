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
    | 'run-finished'
    | 'error';
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
      /**
       * While an image is written: the bytes written so far and the image's size (the text output shows "writing 45 % (110/244 KB)").
       */
      bytes?: {
        done: number;
        total: number;
      };
      fusState?: string;
      message?: string;
    }
  | {
      type?: 'step-finished';
      step: number;
      kind: string;
      durationMs: number;
      /**
       * The read-back values the step was verified against. Empty ({}) when the step could not be verified by read-back (see `verification`).
       */
      verified: {};
      /**
       * How the step was judged. `read-back`: the board, read again, shows what the step expects. `not-verifiable`: an irreversible step with no read-out on this connection (anti-rollback over USB DFU, UART or SWD): judged by the tool's explicit success and the FUS state afterwards, reported as "done, not verifiable by read-back", never as verified. Absent in events of copro versions before it was added: read as `read-back`.
       */
      verification?: 'read-back' | 'not-verifiable';
      /**
       * With `not-verifiable`: what could not be read back, and why.
       */
      unverifiable?: string;
      /**
       * With `not-verifiable`: what the read after the step showed (FUS version and state, CPU2, stack), not proof of the step.
       */
      observed?: {};
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
      /**
       * Steps of this run that were done but cannot be verified by read-back (titles). A board with any is never reported as verified.
       */
      notVerifiable?: string[];
      /**
       * Over SWD, after a failure or a run that stopped after reading: what copro tried to put back of what CubeProgrammer's FUS operator took (option bytes, the application), what a read-back confirmed, and what it could not restore.
       */
      recovery?: {
        tried: string[];
        restored: string[];
        failed: string[];
      };
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
  | {
      type?: 'error';
      kind: 'board-failed' | 'refused' | 'invalid-input' | 'environment' | 'not-confirmed' | 'internal' | 'interrupted';
      exitCode: number;
      message: string;
      issues?: {
        file: string;
        line: number;
        column: number;
        message: string;
        remedy?: string;
      }[];
      remedy?: string;
    }
);
