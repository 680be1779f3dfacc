/**
 * `--json` output: one document per command, of one shape whatever the number of boards
 * (schemas/cli-output.schema.json), and errors as JSON too (with a one-line human summary on stderr).
 * No dependencies beyond exit-codes: main.ts uses it on the error path.
 */
import { EXIT } from './exit-codes.js';
import type { CliErrorInfo, ErrorOutput } from '../generated/cli-output.js';

const KIND: Record<number, CliErrorInfo['kind']> = {
  [EXIT.BOARD_FAILED]: 'board-failed',
  [EXIT.REFUSED]: 'refused',
  [EXIT.INVALID_INPUT]: 'invalid-input',
  [EXIT.ENVIRONMENT]: 'environment',
  [EXIT.NOT_CONFIRMED]: 'not-confirmed',
  [EXIT.INTERRUPTED]: 'interrupted',
};

export function errorKind(exitCode: number): CliErrorInfo['kind'] {
  return KIND[exitCode] ?? 'internal';
}

/** `--json` anywhere on the command line (an error may come before commander has parsed it). */
export function jsonRequested(argv: readonly string[]): boolean {
  return argv.slice(2).includes('--json');
}

/** The subcommand named on the command line (global options may come first), or `copro`. */
export function commandOf(argv: readonly string[]): string {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (GLOBAL_WITH_VALUE.includes(a)) i++; // its value is not the command
    else if (!a.startsWith('-')) return a;
  }
  return 'copro';
}

/** The global options that take a value (`copro --serial X plan`): src/cli/main.ts. */
const GLOBAL_WITH_VALUE = ['--serial', '--port', '--cubeprogrammer'];

export function writeJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

/**
 * An error in `--json` mode: `copro apply --json` prints NDJSON events, so its error is one `error` event
 * (schemas/events.schema.json); every other command prints an ErrorOutput document.
 */
export function writeJsonError(argv: readonly string[], error: CliErrorInfo): void {
  const command = commandOf(argv);
  if (command === 'apply') process.stdout.write(JSON.stringify({ type: 'error', time: new Date().toISOString(), board: '-', ...error }) + '\n');
  else writeJson({ schemaVersion: 1, command, error } satisfies ErrorOutput);
}

/** The one line a person reading stderr gets in `--json` mode: the first line of the message and the exit code's meaning. */
export function oneLineSummary(error: CliErrorInfo): string {
  const first = error.message.split('\n').find((l) => l.trim() !== '') ?? error.kind;
  return `copro: error: ${first.replace(/^copro: (error: )?/, '')} (exit ${error.exitCode}, ${error.kind}; details in the JSON on stdout)\n`;
}
