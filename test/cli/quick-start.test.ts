/**
 * Issue 2, end to end through the built CLI on the simulated board: the quick-start manifest turns a
 * factory board (FUS 0.5.3, no stack) into FUS 2.2.0 + BLE_Stack_full 1.24.0, explaining every step;
 * `plan` touches nothing; a manifest typo is reported like a compiler error, exit 4, board untouched.
 */
import { afterAll, describe, it } from 'vitest';
import { validatorFor } from '../../src/schemas.js';
import type { Plan } from '../../src/generated/plan.js';
import { makeProject, atQuickStartTarget, QUICK_START, removeProjects } from './helpers.js';

afterAll(removeProjects);

/** The numbered step blocks of the human plan ("  1. Update FUS ..." up to the next step or section). */
function stepBlocks(text: string): string[] {
  const lines = text.split('\n');
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (/^ {2}\d+\. /.test(line)) {
      if (current) blocks.push(current.join('\n'));
      current = [line];
    } else if (current && (line.startsWith('     ') || line.trim() === '')) {
      if (line.trim() !== '') current.push(line);
    } else if (current) {
      blocks.push(current.join('\n'));
      current = undefined;
    }
  }
  if (current) blocks.push(current.join('\n'));
  return blocks;
}

describe.concurrent('issue 2: the quick start on the simulated board', () => {
  it('from a fresh state, apply reaches FUS 2.2.0 + BLE_Stack_full 1.24.0, explaining each step; again plans nothing', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    expect(await p.boards()).toEqual([]); // fresh: no simulated board yet

    const first = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(first.exitCode, first.all).toBe(0);
    const boards = await p.boards();
    expect(boards).toHaveLength(1); // the default board, created as a factory board
    const board = await p.board(boards[0]!);
    expect(atQuickStartTarget(board), JSON.stringify({ fus: board.fus, stack: board.stack, cpu2: board.cpu2 })).toBe(true);

    // Each step is printed with its reason; the FUS chain goes through 1.2.0 (FUS 0.5.3 cannot jump to 2.x).
    const blocks = stepBlocks(first.stdout);
    expect(blocks.map((b) => b.split('\n')[0]!.trim())).toEqual([
      expect.stringMatching(/^1\. Update FUS 0\.5\.3 -> 1\.2\.0/),
      expect.stringMatching(/^2\. Update FUS 1\.2\.0 -> 2\.2\.0/),
      expect.stringMatching(/^3\. Install BLE_Stack_full 1\.24\.0/),
    ]);
    for (const b of blocks) expect(b).toMatch(/^\s+why:\s+\S/m);
    expect(blocks[2]).toMatch(/address:\s+0x080D0000/);
    // ...and each step is reported verified by read-back, in order.
    const verified = [...first.all.matchAll(/(\d)\. [^\n]*: verified \(FUS ([0-9.]+)/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(verified).toEqual(['1:1.2.0', '2:2.2.0', '3:2.2.0']);

    const before = await p.boardBytes(boards[0]!);
    const again = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(stepBlocks(again.stdout)).toEqual([]);
    expect(again.stdout).not.toMatch(/: verified \(/);
    const after = await p.board(boards[0]!);
    expect(atQuickStartTarget(after)).toBe(true);
    // Not re-installed: the same stack image, same FUS (a USB read does start FUS and restart the stack, so
    // counters move; the images do not).
    const was = JSON.parse(before) as typeof after;
    expect(after.stack).toEqual(was.stack);
    expect(after.fus.version).toBe(was.fus.version);
  });

  it('plan prints the ordered steps without changing the rescue board; --json validates against plan.schema.json', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const before = await p.boardBytes(serial);

    const text = await p.copro(['plan', manifest, '--simulate']);
    expect(text.exitCode, text.all).toBe(0);
    const blocks = stepBlocks(text.stdout);
    expect(blocks).toHaveLength(3);
    for (const b of blocks) expect(b).toMatch(/why:/);
    expect(text.stdout).toMatch(/0\.5\.3 -> 1\.2\.0[\s\S]*1\.2\.0 -> 2\.2\.0[\s\S]*0x080D0000/);

    const json = await p.copro(['plan', manifest, '--simulate', '--json']);
    expect(json.exitCode, json.all).toBe(0);
    const plan = (JSON.parse(json.stdout) as { boards: { plan: Plan }[] }).boards[0]!.plan;
    const validate = validatorFor('plan');
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
    expect(plan.status).toBe('changes');
    expect(plan.steps.map((s) => [s.n, s.kind, s.kind === 'stack-install' ? s.expect.stackVersion : s.expect.fusVersion])).toEqual([
      [1, 'fus-upgrade', '1.2.0'],
      [2, 'fus-upgrade', '2.2.0'],
      [3, 'stack-install', '1.24.0'],
    ]);
    expect(plan.steps[2]!.address).toBe('0x080D0000');
    for (const s of plan.steps) expect(s.reason.length).toBeGreaterThan(20);

    // The board: nothing about the chip changed. The file is not byte-identical (see report): reading the
    // board counts a connection and the modelled clock advances with wall time; both are bookkeeping.
    const after = await p.boardBytes(serial);
    const a = JSON.parse(before) as Record<string, unknown> & { counters: Record<string, number> };
    const b = JSON.parse(after) as Record<string, unknown> & { counters: Record<string, number> };
    const { counters: ca, clock: _ka, ...chipBefore } = a;
    const { counters: cb, clock: _kb, ...chipAfter } = b;
    expect(chipAfter).toEqual(chipBefore);
    expect({ resets: cb.resets, fusCommands: cb.fusCommands, usbReenumerations: cb.usbReenumerations }).toEqual({ resets: ca.resets, fusCommands: ca.fusCommands, usbReenumerations: ca.usbReenumerations });
  });

  it('a manifest typo: file:line:column, exit 4 (not 2), nothing touched', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START, (t) => t.replace(/^ {2}version: 1\.24\.0$/m, '  verison: 1.24.0'));
    const line = (await import('node:fs')).readFileSync(`${p.dir}/${manifest}`, 'utf8').split('\n').findIndex((l) => l.includes('verison')) + 1;
    expect(line).toBeGreaterThan(0);
    const serial = await p.resetBoard();
    const before = await p.boardBytes(serial);

    for (const args of [['apply', manifest, '--simulate', '--yes'], ['plan', manifest, '--simulate'], ['plan', manifest, '--simulate', '--detailed-exitcode']]) {
      const r = await p.copro(args);
      expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(4);
      expect(r.stderr).toContain(`${manifest}:${line}:3:`);
      expect(r.stderr).toMatch(/verison/);
      expect(r.stderr).toMatch(/did you mean "version"/);
      expect(r.stdout).not.toMatch(/Update FUS/);
    }
    expect(await p.boardBytes(serial)).toBe(before); // byte-identical: the board was never opened
  });
});
