/**
 * How much copro says (docs/cli.md, "How much copro says"): `--quiet` keeps stdout to the result in its
 * shortest form and stderr to errors and warnings; `--verbose` adds, on stderr, what copro does underneath
 * (each driver operation, each STM32_Programmer_CLI command line, each HTTP request) with timings. Set once per
 * run, from the command line, before the command's action runs.
 */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

let level: Verbosity = 'normal';
let t0 = performance.now();

export function setVerbosity(v: Verbosity): void {
  level = v;
  t0 = performance.now();
}

export function verbosity(): Verbosity {
  return level;
}

export const isQuiet = (): boolean => level === 'quiet';
export const isVerbose = (): boolean => level === 'verbose';

/** Seconds since the run started, as `+1.234s`. */
export function sinceStart(now = performance.now()): string {
  return `+${((now - t0) / 1000).toFixed(3)}s`;
}

/** A note for a person on stderr (`copro: ...`); left out with --quiet. Errors and warnings never go through here. */
export function note(line: string): void {
  if (level !== 'quiet') process.stderr.write(`copro: ${line}\n`);
}

/** --verbose only: one line on stderr with the time since the run started. */
export function trace(line: string): void {
  if (level === 'verbose') process.stderr.write(`copro: ${sinceStart()} ${line}\n`);
}

/** `1.234 s` from milliseconds. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
