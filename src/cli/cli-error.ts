/** An error the CLI turns into a message and an exit code (no stack trace). No dependencies: main.ts imports it at start-up. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** What to do about it: printed as `  remedy: ...` (the one remedy word every copro message uses). */
    readonly remedy?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
