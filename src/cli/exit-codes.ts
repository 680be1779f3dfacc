/**
 * copro's exit codes, documented in the README. 2 is reserved for "changes planned" (opt-in with
 * `--detailed-exitcode`, as `terraform plan`), so no error ever exits 2; invalid input (4) is distinct
 * from a failure on the board (1).
 */
export const EXIT = {
  /** Success; with --detailed-exitcode: nothing to do. */
  OK: 0,
  /** A step failed or could not be verified on a board (for fleets: at least one board). */
  BOARD_FAILED: 1,
  /** Only with --detailed-exitcode: the plan has changes. */
  CHANGES: 2,
  /** The planner refused: the target cannot be reached safely from this state (nothing was touched). */
  REFUSED: 3,
  /** Invalid input: manifest, snapshot, image or lock file (nothing was touched). */
  INVALID_INPUT: 4,
  /** Environment: STM32CubeProgrammer not found, no board found, the board is locked by another copro. */
  ENVIRONMENT: 5,
  /** Irreversible steps were not confirmed (answer no, or no TTY without --yes). */
  NOT_CONFIRMED: 6,
  /** A bug in copro itself. */
  INTERNAL: 70,
  /** Interrupted (Ctrl-C / SIGTERM): the next `copro apply` re-reads the board and continues. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
