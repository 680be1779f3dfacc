/* Generated from schemas/cli-output.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

import type { BoardState } from './board-state.js';
import type { Plan } from './plan.js';

/**
 * What `copro plan --json` and `copro status --json` print on stdout: one JSON document of the same shape whatever the number of boards (`boards` always a list, one entry per board), or, when the command fails before it has a result, an `error` (the one-line summary also goes to stderr). `copro apply --json` prints events instead (schemas/events.schema.json), its errors as an `error` event.
 */
export type CliOutput = PlanOutput | StatusOutput | ErrorOutput;

export interface PlanOutput {
  schemaVersion: 1;
  command: 'plan';
  /**
   * One entry per board planned, in the order they were read (one entry with `--state`).
   */
  boards: BoardPlan[];
}
export interface BoardPlan {
  /**
   * The board's serial number as the tool reports it (upper-case); with `--state`, the snapshot's file name.
   */
  board: string;
  plan: Plan;
}
export interface StatusOutput {
  schemaVersion: 1;
  command: 'status';
  boards: BoardStatus[];
}
export interface BoardStatus {
  /**
   * The board's serial number (upper-case), or the serial port for UART.
   */
  board: string;
  state: BoardState;
  /**
   * What the manifest would change (only when a manifest was given).
   */
  plan?: Plan;
}
export interface ErrorOutput {
  schemaVersion: 1;
  /**
   * The subcommand that failed (`copro` when none was recognised).
   */
  command: string;
  error: CliErrorInfo;
}
export interface CliErrorInfo {
  /**
   * The exit code's meaning (docs/exit-codes.md).
   */
  kind: 'board-failed' | 'refused' | 'invalid-input' | 'environment' | 'not-confirmed' | 'internal' | 'interrupted';
  /**
   * The process's exit code.
   */
  exitCode: number;
  /**
   * What went wrong, as on stderr, without the `copro:` prefix.
   */
  message: string;
  /**
   * What to do about it, as the `  remedy:` line on stderr says.
   */
  remedy?: string;
  /**
   * Manifest errors, one per problem, at their file, line and column.
   */
  issues?: {
    file: string;
    line: number;
    column: number;
    message: string;
    /**
     * What to do about it.
     */
    remedy?: string;
  }[];
}
