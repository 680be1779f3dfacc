/** Turns any error into the message a person needs and copro's documented exit code. */
import { EXIT } from './exit-codes.js';

/** Driver error codes that say the environment is wrong (no tool, no board, an interface that cannot do it): exit 5, in every command. */
export const ENVIRONMENT_ERROR_CODES: readonly string[] = ['NO_TARGET', 'UNSUPPORTED', 'NOT_FOUND', 'TOOL_NOT_FOUND', 'BOARD_LOCKED'];

/** How to report a bug: said with every internal error, never a stack trace unless asked for. */
export const REPORT_BUG = 'this is a bug in copro: please report it with the command you ran and the output of `copro version`';

export interface DescribedError {
  /** What stderr shows. */
  text: string;
  exitCode: number;
  /** The message without prefix, for `--json` (schemas/cli-output.schema.json). */
  message: string;
  remedy?: string;
  issues?: { file: string; line: number; column: number; message: string; remedy?: string }[];
}

export function describeError(e: unknown, opts: { debug?: boolean } = {}): DescribedError {
  const err = e as Error & { code?: string; issues?: unknown[]; details?: { logFile?: string; remedy?: string } };
  switch (err?.name) {
    case 'ManifestError': {
      const issues = (err.issues ?? []) as { file: string; line: number; column: number; message: string; hint?: string }[];
      const text = issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}${i.hint ? `\n  remedy: ${i.hint}` : ''}`).join('\n');
      return { text: `${text || err.message}\ncopro: error: the manifest is invalid; nothing was done.\n`, exitCode: EXIT.INVALID_INPUT, message: `the manifest is invalid; nothing was done: ${err.message}`, issues: issues.map((i) => ({ file: i.file, line: i.line, column: i.column, message: i.message, ...(i.hint ? { remedy: i.hint } : {}) })) };
    }
    case 'ImageCheckError':
    case 'FooterError':
    case 'SchemaValidationError':
    case 'LockMismatchError':
    case 'LockError':
      return { text: `copro: error: ${err.message}\n`, exitCode: EXIT.INVALID_INPUT, message: err.message };
    case 'BoardLockedError':
      return { text: `copro: error: ${err.message}\n`, exitCode: EXIT.ENVIRONMENT, message: err.message };
    case 'DriverError': {
      const env = ENVIRONMENT_ERROR_CODES.includes(err.code ?? '');
      const extra = [err.details?.remedy ? `  remedy: ${err.details.remedy}` : '', err.details?.logFile ? `  transcript: ${err.details.logFile}` : ''].filter(Boolean).join('\n');
      return { text: `copro: error: ${err.message}\n${extra ? extra + '\n' : ''}`, exitCode: env ? EXIT.ENVIRONMENT : EXIT.BOARD_FAILED, message: err.message, ...(err.details?.remedy ? { remedy: err.details.remedy } : {}) };
    }
    default:
      return { text: internalErrorText(e, opts.debug === true), exitCode: EXIT.INTERNAL, message: `internal error: ${e instanceof Error ? e.message : String(e)}`, remedy: REPORT_BUG };
  }
}

export function internalErrorText(e: unknown, debug: boolean): string {
  const err = e as Error | undefined;
  const what = err instanceof Error ? err.message : String(e);
  const detail = debug && err instanceof Error && err.stack ? `\n${err.stack}` : '\n  (run again with --debug to see where it happened)';
  return `copro: error: internal error: ${what}\n  remedy: ${REPORT_BUG}${detail}\n`;
}
