/**
 * Streams: stdout carries only the result; errors and warnings go to stderr with one prefix (`copro: error:` /
 * `copro: warning:`, or a compiler-style `file:line:column:` for a manifest) and one remedy word (`  remedy:`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK_START, ROOT, makeProject, removeProjects, type Project } from './helpers.js';

let p: Project;
let manifest: string;
let typo: string;

beforeAll(async () => {
  p = await makeProject();
  manifest = await p.useManifest(QUICK_START);
  await p.copro(['sim', 'reset']);
  typo = await p.useManifest(QUICK_START, (t) => t.replace('type: BLE_Stack_full', 'type: BLE_Stack_ful'), 'typo.yaml');
});
afterAll(removeProjects);

/** Every stderr line is a prefixed error/warning, a location line, a remedy, or an indented continuation. */
function checkStderr(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines.length, 'an error says something on stderr').toBeGreaterThan(0);
  expect(lines[0]).toMatch(/^(copro: error: |[^\s:]+:\d+:\d+: )/);
  for (const l of lines) expect(l).toMatch(/^(copro: (error|warning): |[^\s:]+:\d+:\d+: | {2}\S)/);
  // One remedy word: never hint:, fix:, try: (as other tools mix them).
  expect(stderr).not.toMatch(/^\s*(hint|fix|try|help|suggestion):/im);
}

describe('errors: stderr only, one prefix, one remedy word', () => {
  it.each([
    ['a missing manifest', () => ['plan', 'missing.yaml'], 4, true],
    ['an invalid manifest', () => ['plan', typo, '--simulate'], 4, true],
    ['an unknown option', () => ['plan', manifest, '--no-such-option'], 4, true],
    ['a serial no simulated board has', () => ['plan', manifest, '--simulate', '--serial', 'NOSUCH'], 5, true],
    ['a blank --serial', () => ['apply', manifest, '--simulate', '--serial', ','], 4, true],
    ['an unknown shell', () => ['completion', 'tcsh'], 4, true],
    ['an unknown sim fault', () => ['sim', 'fault', 'lightning'], 4, false],
  ] as const)('%s', async (_what, args, code, remedy) => {
    const r = await p.copro([...args()]);
    expect(r.exitCode, r.all).toBe(code);
    expect(r.stdout, 'stdout is for results only').toBe('');
    checkStderr(r.stderr);
    if (remedy) expect(r.stderr).toMatch(/^ {2}remedy: \S/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a warning is `copro: warning:` on stderr, the result on stdout', async () => {
    await p.copro(['sim', 'reset', '--count', '2']);
    const serials = await p.boards();
    const r = await p.copro(['status', '--simulate', '--serial', serials.join(','), '--save', 'snap.json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toMatch(/^copro: warning: --save writes the first board only/m);
    expect(r.stdout).toMatch(/^FUS /m);
    expect(r.stdout).not.toMatch(/warning/);
    await p.copro(['sim', 'reset', '--count', '1']);
  });
});

describe('results: stdout only, nothing on stderr', () => {
  it.each([
    ['plan', () => ['plan', manifest, '--simulate'], /Update FUS 0\.5\.3 -> 1\.2\.0/],
    ['plan --json', () => ['plan', manifest, '--simulate', '--json'], /"command": "plan"/],
    ['status', () => ['status', '--simulate'], /^FUS +0\.5\.3/m],
    ['identify --json', () => ['identify', path.join(ROOT, 'package.json'), '--json'], /\[/],
  ] as const)('%s', async (_what, args, result) => {
    const r = await p.copro([...args()]);
    expect(r.stdout).toMatch(result);
    expect(r.stderr).toBe('');
  });
});

describe('the source keeps to it', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const cli = files(path.join(ROOT, 'src', 'cli'));

  it('no console.log / console.error / console.warn in src/ (output goes through process.stdout / stderr on purpose)', () => {
    const offenders = files(path.join(ROOT, 'src')).filter((f) => /\bconsole\.(log|error|warn|info)\(/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('every message src/cli writes to stderr starts with `copro:`', () => {
    const bad: string[] = [];
    for (const f of cli) {
      for (const m of readFileSync(f, 'utf8').matchAll(/process\.stderr\.write\(\s*(['`])(.{0,30})/g)) {
        if (!/^\\?n?copro: /.test(m[2]!)) bad.push(`${path.relative(ROOT, f)}: ${m[2]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the remedy word is `remedy:` in every message src/cli and src/manifest print', () => {
    const text = [...cli, ...files(path.join(ROOT, 'src', 'manifest'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text).not.toMatch(/[`'"]\s*(\\n)?\s*(hint|fix|try):\s/);
  });
});
