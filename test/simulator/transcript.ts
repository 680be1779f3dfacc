/** Reading the transcript fixtures and comparing the fake CLI's output with them. */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../fake-cubeprogrammer/main.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

/** The lines of a fixture (after its `# ---` header), exactly as copied from the transcript. */
export function fixture(name: string): string[] {
  const text = readFileSync(path.join(FIXTURES, name), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('# ---') + 1;
  const body = lines.slice(start);
  if (body.at(-1) === '') body.pop(); // the file's final newline
  return body;
}

export interface NormaliseOptions {
  /** The forum collapsed runs of spaces and dropped blank lines: compare that way. */
  collapsed?: boolean;
  /** Leading spaces every fixture line carries (rst indentation). */
  dedent?: number;
}

const BAR = /^(\[=+\]|█+|±+)(\s*[0-9]+%)?$/;

/**
 * Normalises what transcripts cannot pin down: trailing whitespace, progress bars (platform-dependent, and
 * dropped by some copies), elapsed times; optionally collapsed whitespace and dropped blank lines.
 */
export function normalise(lines: readonly string[], o: NormaliseOptions = {}): string[] {
  return lines
    .map((l) => (o.dedent ? l.replace(new RegExp(`^ {0,${o.dedent}}`), '') : l))
    .map((l) => l.replace(/\s+$/, ''))
    .map((l) => (BAR.test(l.trim()) ? '' : l))
    .map((l) => l.replace(/(Time elapsed during download operation: )[0-9:.]+/, '$1<t>'))
    .map((l) => (o.collapsed ? l.replace(/\s+/g, ' ').trim() : l))
    .filter((l) => !o.collapsed || l !== '');
}

/** Index where `needle` occurs as a contiguous run of lines in `hay`, or -1. */
export function indexOfLines(hay: readonly string[], needle: readonly string[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export interface FakeRun {
  code: number;
  lines: string[];
  text: string;
}

/** Runs the fake CLI in process against a board folder. */
export async function runFake(dir: string, argv: string[], version: string, platform: 'windows' | 'linux' = 'windows'): Promise<FakeRun> {
  let text = '';
  const code = await main(argv, {
    stdout: (t) => {
      text += t;
    },
    env: { ...process.env, COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: version, COPRO_FAKE_CLI_PLATFORM: platform },
    cwd: dir,
  });
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { code, lines, text };
}

export function tempDir(prefix = 'copro-sim-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}
