/**
 * Issue 7, output: plain lines without a terminal, listr2's live renderer on a terminal, NDJSON events
 * that validate against schemas/events.schema.json, and a well-formed JUnit report.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { validatorFor } from '../../src/schemas.js';
import type { CoproEvent } from '../../src/generated/events.js';
import { BIN, ESC, QUICK_START, atQuickStartTarget, baseEnv, makeProject, parseNdjson, parseXml, shQuote, stripAnsi, type XmlElement, removeProjects } from './helpers.js';

afterAll(removeProjects);

// util-linux `script` gives the CLI a pseudo-terminal; without it the TTY tests cannot run here.
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

type Ev = CoproEvent & { type: string; board: string; step?: number; result?: string };

async function underPty(p: Awaited<ReturnType<typeof makeProject>>, args: string[], columns: number | undefined) {
  const cmd = [columns ? `stty cols ${columns} rows 40;` : '', 'exec node', shQuote(BIN), ...args.map(shQuote)].join(' ');
  // A terminal user: no NO_COLOR, no CI (listr2's live renderer is only used on a TTY outside CI).
  const r = await execa(SCRIPT!, ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: baseEnv(p.simDir, { NO_COLOR: undefined, TERM: 'xterm-256color' }), extendEnv: false, reject: false, timeout: 30_000, input: '' });
  return { exitCode: r.exitCode ?? -1, raw: String(r.stdout ?? '') };
}

describe.concurrent('issue 7: output', () => {
  it('without a TTY: plain lines, no ANSI escapes (with NO_COLOR, and piped without it)', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: undefined }]) {
      await p.resetBoard();
      const r = await p.copro(['apply', manifest, '--simulate', '--yes'], { env });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout.includes(ESC), `ESC in stdout (${JSON.stringify(env)})`).toBe(false);
      expect(r.stderr.includes(ESC), `ESC in stderr (${JSON.stringify(env)})`).toBe(false);
      expect(r.stdout.includes('\r')).toBe(false); // no in-place redraws either
      // One line per event: each verified step on its own line, in order.
      const lines = r.stdout.split('\n');
      const verified = lines.filter((l) => /^\S+ \d\. .*: verified \(FUS /.test(l));
      expect(verified.map((l) => /(\d)\. /.exec(l)![1])).toEqual(['1', '2', '3']);
      expect(lines.some((l) => /Summary/.test(l))).toBe(true);
    }
  });

  it.skipIf(!SCRIPT)('on a TTY (script pseudo-terminal, 120 columns): the live renderer, with colours, redrawing in place', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await underPty(p, ['apply', manifest, '--simulate', '--yes'], 120);
    expect(r.exitCode, r.raw).toBe(0);
    expect(r.raw).toContain(`${ESC}[`); // colours / cursor control
    expect(r.raw).toMatch(new RegExp(`${ESC}\\[\\d*A`)); // cursor up: the task list is redrawn in place
    const shown = stripAnsi(r.raw);
    expect(shown).toMatch(/Verified: FUS 2\.2\.0/);
    expect(shown).toMatch(/why:/);
    expect(atQuickStartTarget(await p.board(serial))).toBe(true);
  });

  // A pseudo-terminal with no size (script without a controlling terminal, some CI runners) reports 0
  // columns; the task list must still be readable there (see the report: rendererFor should fall back).
  it.skipIf(!SCRIPT)('on a TTY that reports 0 columns: task lines stay whole (not one character per line)', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const r = await underPty(p, ['apply', manifest, '--simulate', '--yes'], undefined);
    expect(r.exitCode, r.raw).toBe(0);
    const shown = stripAnsi(r.raw);
    expect(shown).toMatch(/Verified: FUS 2\.2\.0/);
    const oneCharLines = shown.split('\n').filter((l) => l.trim().length === 1).length;
    expect(oneCharLines).toBeLessThan(5);
  });

  it('--json: every stdout line is an event that validates; run-started, plan, step-started/finished per step, board-finished, run-finished', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['apply', manifest, '--simulate', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const events = parseNdjson(r.stdout) as Ev[];
    const validate = validatorFor('events');
    for (const e of events) expect(validate(e), `${JSON.stringify(e)}\n${JSON.stringify(validate.errors)}`).toBe(true);

    const lifecycle = events.filter((e) => e.type !== 'step-progress').map((e) => (e.step !== undefined ? `${e.type}:${e.step}` : e.type));
    expect(lifecycle).toEqual(['run-started', 'plan', 'step-started:1', 'step-finished:1', 'step-started:2', 'step-finished:2', 'step-started:3', 'step-finished:3', 'board-finished', 'run-finished']);
    for (const e of events.slice(1, -1)) expect(e.board).toBe(serial);
    expect(events[0]!.board).toBe('-');
    expect(events.at(-1)!.board).toBe('-');
    expect(events.find((e) => e.type === 'plan')).toMatchObject({ status: 'changes', steps: 3 });
    expect(events.find((e) => e.type === 'board-finished')).toMatchObject({ result: 'provisioned', fus: '2.2.0', uid64: (await p.board(serial)).device.uid64 });
    expect(events.at(-1)).toMatchObject({ exitCode: 0, boards: { total: 1, ok: 1, failed: 0 } });
    // Progress events belong to the step that is running.
    let running: number | undefined;
    for (const e of events) {
      if (e.type === 'step-started') running = e.step;
      if (e.type === 'step-finished') running = undefined;
      if (e.type === 'step-progress') expect(e.step).toBe(running);
    }
    expect(events.filter((e) => e.type === 'step-progress').length).toBeGreaterThan(3);
  });

  it('--junit: well-formed XML, one testsuite for the board, a test case for the plan and each step', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['apply', manifest, '--simulate', '--yes', '--junit', 'junit.xml']);
    expect(r.exitCode, r.all).toBe(0);
    const root = parseXml(await readFile(path.join(p.dir, 'junit.xml'), 'utf8'));
    expect(root.name).toBe('testsuites');
    expect(root.children.map((s) => s.name)).toEqual(['testsuite']);
    const suite = root.children[0]!;
    expect(suite.attrs.name).toContain(serial);
    const cases = suite.children.filter((c: XmlElement) => c.name === 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['plan', 'step 1: Update FUS 0.5.3 -> 1.2.0', 'step 2: Update FUS 1.2.0 -> 2.2.0', 'step 3: Install BLE_Stack_full 1.24.0']);
    expect(suite.attrs).toMatchObject({ tests: '4', failures: '0', skipped: '0' });
    expect(root.attrs).toMatchObject({ tests: '4', failures: '0' });
    // Passed: no failure, no skip; a verified step says what was read back (system-out), in the words of the text output.
    expect(cases.every((c) => c.children.every((x) => x.name === 'system-out'))).toBe(true);
    expect(cases.filter((c) => c.children.length > 0).map((c) => c.attrs.name)).toEqual(cases.slice(1).map((c) => c.attrs.name));
  });
});
