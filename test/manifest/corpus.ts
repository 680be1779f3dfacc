/** The bad-manifest corpus (test/manifest/bad/) and its table of expected issues, shared by the loader and CLI tests. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const CORPUS_DIR = path.join(import.meta.dirname, 'bad');

export interface Expected {
  code: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
}

const table = JSON.parse(await readFile(path.join(CORPUS_DIR, 'expected.json'), 'utf8')) as Record<string, Expected | Expected[] | string>;

/** [file, expected issue(s)] for every manifest of the corpus (keys starting with `$` are comments). */
export const corpusEntries = Object.entries(table).filter(([k]) => !k.startsWith('$')) as [string, Expected | Expected[]][];
