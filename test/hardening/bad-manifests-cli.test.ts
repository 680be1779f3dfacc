/**
 * Issue 9: every bad manifest of test/manifest/bad/ through `copro apply <file> --simulate`, as a user
 * would run it: exit code 4, each expected `file:line:column: message` on stderr, the "nothing was done"
 * line, and the simulated board byte-identical before and after (not even read). The corpus is copied into
 * a throw-away project whose root is the corpus folder, as the loader-level test loads it
 * (projectRoot = bad/), so `../` paths escape the project exactly as there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CORPUS_DIR, corpusEntries } from '../manifest/corpus.js';
import { resetBoard } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { MAX_MANIFEST_BYTES } from '../../src/manifest/index.js';
import { SERIAL, boardBytes, makeProject, runCli, type Project } from './helpers.js';
import { countTests, recordSummary } from './summary.js';

const CORPUS = CORPUS_DIR;
const entries = corpusEntries;

let project: Project;
let bad: string;
let before: string;

beforeAll(async () => {
  project = await makeProject('copro-bad-cli-');
  // <tmp>/a/b/bad/ with the package.json in bad/: the corpus folder is the project root, and the `../../..`
  // of path-outside-project.yaml still lands inside the temp folder, never on this machine's files.
  bad = path.join(project.root, 'a', 'b', 'bad');
  await cp(CORPUS, bad, { recursive: true });
  await writeFile(path.join(bad, 'package.json'), '{}\n');
  await resetBoard(project.simDir, undefined, SERIAL);
  before = await boardBytes(project.simDir);
});

// eslint-disable-next-line no-empty-pattern -- vitest passes the finished file as the second argument
afterAll(async ({}, file) => {
  const n = countTests(file);
  const line = `bad manifests: ${entries.length + 2} manifests through copro apply, ${n.passed} of ${n.total} checks held (exit 4, file:line:column, board untouched), ${n.failed} failed`;
  console.log(line);
  recordSummary('bad manifests', line);
  await project.cleanup();
});

async function applyBad(file: string) {
  return runCli(['apply', file, '--simulate', '--yes', '--no-color'], { cwd: project.root, env: { COPRO_SIM_DIR: project.simDir } });
}

describe('copro apply on every bad manifest of the corpus', () => {
  it('covers at least 40 bad manifests', () => expect(entries.length).toBeGreaterThanOrEqual(40));

  it.each(entries)('%s: exit 4, file:line:column: message, board untouched', async (file, expected) => {
    const abs = path.join(bad, file);
    const r = await applyBad(abs);
    expect(r.code, r.stderr).toBe(EXIT.INVALID_INPUT);
    const shown = path.relative(project.root, abs);
    for (const w of Array.isArray(expected) ? expected : [expected]) {
      // The compiler-style position, then the message on the same line.
      const line = r.stderr.split('\n').find((l) => l.startsWith(`${shown}:${w.line}:${w.column}: `));
      expect(line, `no "${shown}:${w.line}:${w.column}: " line in:\n${r.stderr}`).toBeDefined();
      expect(line).toContain(w.message);
      if (w.hint) expect(r.stderr.split('\n').filter((l) => l.startsWith('  remedy: ')).join('\n')).toContain(w.hint);
    }
    expect(r.stderr).toContain('copro: error: the manifest is invalid; nothing was done.');
    expect(r.stdout).not.toMatch(/Board .*->|provisioned/);
    expect(await boardBytes(project.simDir)).toBe(before);
    // No state was created for a run that never started: no board lock, no transcript.
    expect(await readdir(path.join(project.root, '.copro')).catch(() => [])).not.toContain('locks');
  });

  it('a manifest over 1 MiB: exit 4 at 1:1, board untouched', async () => {
    const file = await project.write('a/b/bad/huge.yaml', 'version: 1\n' + '# padding\n'.repeat(Math.ceil(MAX_MANIFEST_BYTES / 10) + 1));
    const r = await applyBad(file);
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.stderr).toMatch(new RegExp(`^${path.relative(project.root, file).replace(/[.]/g, '\\.')}:1:1: .*limit is 1048576`, 'm'));
    expect(await boardBytes(project.simDir)).toBe(before);
  });

  it('a manifest that does not exist: exit 4 naming the path, board untouched', async () => {
    const r = await applyBad(path.join(bad, 'no-such-manifest.yaml'));
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.stderr).toContain(`no manifest at ${path.join(bad, 'no-such-manifest.yaml')}`);
    expect(await boardBytes(project.simDir)).toBe(before);
  });

  it('the corpus files are what the loader test checks (no drift between the two tests)', async () => {
    const files = (await readdir(bad)).filter((f) => f.endsWith('.yaml') && f !== 'huge.yaml').sort();
    expect(entries.map(([f]) => f).sort()).toEqual(files);
  });
});
