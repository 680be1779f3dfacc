/**
 * Issue 7, fleet: eight simulated boards provisioned at once (`--all --concurrency 8 --json --junit`),
 * one of them armed to fail on every USB reset. The seven others reach the target, the failing one is
 * reported under ITS serial, no board's result or identity is mixed up with another's, exit code 1.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatorFor } from '../../src/schemas.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { QUICK_START, atQuickStartTarget, makeProject, parseNdjson, parseXml, type Run, removeProjects } from './helpers.js';

afterAll(removeProjects);

interface Ev {
  type: string;
  board: string;
  result?: string;
  uid64?: string;
  fus?: string;
  step?: number;
  boards?: unknown;
  exitCode?: number;
}

let run: Run;
let events: Ev[];
let serials: string[];
let failing: string;
let boards: Map<string, SimBoard>;
let junit: string;

beforeAll(async () => {
  const p = await makeProject();
  const manifest = await p.useManifest(QUICK_START);
  const reset = await p.copro(['sim', 'reset', '--count', '8']);
  expect(reset.exitCode, reset.all).toBe(0);
  serials = await p.boards();
  expect(serials).toHaveLength(8);
  failing = serials[2]!;
  const armed = await p.copro(['sim', 'fault', 'usb-gone!', '--serial', failing]);
  expect(armed.exitCode, armed.all).toBe(0);
  run = await p.copro(['apply', manifest, '--simulate', '--yes', '--all', '--concurrency', '8', '--json', '--junit', 'fleet.xml'], { timeoutMs: 45_000 });
  events = parseNdjson(run.stdout) as Ev[];
  boards = new Map(await Promise.all(serials.map(async (s) => [s, await p.board(s)] as const)));
  junit = await readFile(path.join(p.dir, 'fleet.xml'), 'utf8');
}, 60_000);

describe('issue 7: a fleet of eight boards, one failing', () => {
  it('exits 1; run-finished counts 7 ok and 1 failed; every line validates', () => {
    expect(run.exitCode, run.stderr).toBe(1);
    const validate = validatorFor('events');
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(events[0]).toMatchObject({ type: 'run-started', boards: expect.arrayContaining(serials) });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', exitCode: 1, boards: { total: 8, ok: 7, failed: 1 } });
  });

  it('seven boards end at the target; the failing one does not', () => {
    for (const s of serials) expect(atQuickStartTarget(boards.get(s)!), s).toBe(s !== failing);
  });

  it('one board-finished per board: the failing one under ITS serial with result failed, the others provisioned', () => {
    const finished = events.filter((e) => e.type === 'board-finished');
    expect(finished.map((e) => e.board).sort()).toEqual([...serials].sort());
    for (const e of finished) expect(e.result, e.board).toBe(e.board === failing ? 'failed' : 'provisioned');
  });

  it('nothing is mixed up: each board-finished uid64 is that board\'s own UID; per-board events follow their own order', () => {
    const uids = new Set([...boards.values()].map((b) => b.device.uid64));
    expect(uids.size).toBe(8); // distinct boards, so a swapped report would show
    for (const e of events.filter((x) => x.type === 'board-finished')) expect(e.uid64, e.board).toBe(boards.get(e.board)!.device.uid64);
    for (const s of serials) {
      const mine = events.filter((e) => e.board === s && e.type !== 'step-progress').map((e) => e.type);
      expect(mine[0], s).toBe('plan');
      expect(mine.at(-1), s).toBe('board-finished');
      if (s !== failing) expect(mine.filter((t) => t === 'step-finished'), s).toHaveLength(3);
      else expect(mine, s).toContain('step-failed');
    }
  });

  // The failed board's report must not present its state from BEFORE the run as where it ended: step 1
  // did update FUS on the chip (0.5.3 -> 1.2.0) but the board could not be read back (see the report).
  it('the failed board\'s board-finished event does not report a stale FUS version', () => {
    const e = events.find((x) => x.type === 'board-finished' && x.board === failing)!;
    if (e.fus !== undefined) expect(e.fus).toBe(boards.get(failing)!.fus.version);
  });

  it('--junit: one testsuite per board, 4 cases each, the failure counted on the failing board only', () => {
    const root = parseXml(junit);
    const suites = root.children.filter((c) => c.name === 'testsuite');
    expect(suites).toHaveLength(8);
    expect(root.attrs).toMatchObject({ tests: '32', failures: '1' });
    for (const suite of suites) {
      const serial = serials.find((s) => suite.attrs.name === `board ${s}`);
      expect(serial, suite.attrs.name).toBeDefined();
      const cases = suite.children.filter((c) => c.name === 'testcase');
      expect(cases).toHaveLength(4); // plan + 3 steps (skipped ones included)
      expect(cases.every((c) => c.attrs.classname === `copro.${serial}`)).toBe(true);
      if (serial === failing) {
        expect(suite.attrs).toMatchObject({ tests: '4', failures: '1', skipped: '2' });
        const failed = cases.find((c) => c.children.some((x) => x.name === 'failure'))!;
        expect(failed.attrs.name).toBe('step 1: Update FUS 0.5.3 -> 1.2.0');
        expect(cases.filter((c) => c.children.some((x) => x.name === 'skipped')).map((c) => c.attrs.name)).toEqual(['step 2: Update FUS 1.2.0 -> 2.2.0', 'step 3: Install BLE_Stack_full 1.24.0']);
      } else {
        expect(suite.attrs).toMatchObject({ tests: '4', failures: '0', skipped: '0' });
      }
    }
  });
});
