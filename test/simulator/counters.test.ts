/**
 * The board's counters: what was done to it, for tests and rehearsals to read (issue: plan/status/doctor must cost
 * nothing; every reset, operator load, page erase/write and option byte write is visible).
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { apply, makeBoard, upgradeBoard, type SimBoard } from '../../src/drivers/simulator/index.js';
import { assertValid } from '../../src/schemas.js';
import { IMG, standInWrite, install, play, USB, SIM } from './helpers.js';

const SWD = { transport: 'swd' as const };
const withStack = (): SimBoard => makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, application: { sizeBytes: 64 * 1024 } });

describe('counters', () => {
  it('a fresh board counts nothing', () => {
    const c = makeBoard().counters;
    expect(c).toMatchObject({ resets: 0, cpu2Boots: 0, fusOperatorLoads: 0, fusGetStates: 0, optionByteWrites: 0 });
    expect(c.pageErases).toEqual({ application: 0, staging: 0, secure: 0 });
    expect(c.pageWrites).toEqual({ application: 0, staging: 0, secure: 0 });
  });

  it('one FUS_GET_STATE over USB while the stack runs costs no reset; the second one does (FAQ ta-p/722270)', () => {
    const one = play(withStack(), [{ op: 'connect' }, { op: 'getState' }], USB).board;
    expect(one.counters).toMatchObject({ resets: 0, cpu2Boots: 0, fusGetStates: 1, fusOperatorLoads: 0 });
    const two = apply(one, { op: 'getState' }, USB).board;
    expect(two.counters).toMatchObject({ resets: 1, cpu2Boots: 1, fusGetStates: 2 });
  });

  it('over SWD a FUS read loads the operator: application pages erased and written, option bytes written, chip reset', () => {
    const b = play(withStack(), [{ op: 'connect' }, { op: 'getState' }], SWD).board;
    expect(b.counters.fusOperatorLoads).toBe(1);
    expect(b.counters.pageErases.application).toBe(2); // 8 KiB on 4 KiB pages
    expect(b.counters.pageWrites.application).toBe(2);
    expect(b.counters.optionByteWrites).toBe(1); // nSWboot0 1 -> 0
    expect(b.counters.resets).toBeGreaterThanOrEqual(2);
    expect(b.application.clobberedByFusOperator).toBe(true);
  });

  it('a stack install counts staging pages (host) and secure pages (FUS) apart', () => {
    const w = standInWrite(IMG.BLE_FULL_1_13_0);
    const pages = Math.ceil(w.size / 4096);
    const r = install(makeBoard({ fusVersion: '1.2.0' }), w, SIM);
    expect(r.upgrade.ok).toBe(true);
    expect(r.board.counters.pageErases.staging).toBe(pages);
    expect(r.board.counters.pageWrites.staging).toBe(pages);
    expect(r.board.counters.pageWrites.secure).toBe(pages);
    expect(r.board.counters.pageErases.application).toBe(0);
    expect(r.board.counters.fusCommands).toBe(1);
  });

  it('FW_DELETE erases the stack pages in the secure area; option byte writes are counted', () => {
    const b = withStack();
    const deleted = play(b, [{ op: 'startFus' }, { op: 'fwDelete' }], SIM).board;
    expect(deleted.counters.pageErases.secure).toBe(b.stack!.pages);
    const ob = apply(deleted, { op: 'writeOptionBytes', values: { nBOOT0: 0 } }, SIM).board;
    expect(ob.counters.optionByteWrites).toBe(1);
  });

  it('a board saved before the counters existed is upgraded and validates', () => {
    const b = makeBoard() as unknown as Record<string, unknown>;
    const { cpu2Boots: _a, fusOperatorLoads: _b, fusGetStates: _c, optionByteWrites: _d, pageErases: _e, pageWrites: _f, ...oldCounters } = (b as unknown as SimBoard).counters;
    const { fusDamaged: _g, fusV2OnlyInstalled: _h, fusRequested: _i, busy: _j, ...old } = b as unknown as SimBoard;
    const upgraded = upgradeBoard({ ...old, counters: oldCounters });
    expect(() => assertValid('sim-board', upgraded, 'old board')).not.toThrow();
    expect(apply(old as unknown as SimBoard, { op: 'getState' }, SIM).board.counters.fusGetStates).toBe(1);
  });
});

describe('the model stays Node-free (it runs in a browser)', () => {
  it('no file under src/drivers/simulator/model imports a Node module or the Node-side helpers', () => {
    const dir = path.join(import.meta.dirname, '../../src/drivers/simulator/model');
    const files = [...readdirSync(dir).map((f) => path.join(dir, f)), path.join(dir, '../layout.ts'), path.join(dir, '../timing.ts'), path.join(dir, '../faults.ts')];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // Type-only imports are erased at build time and cost the browser nothing.
      const imports = [...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
      for (const i of imports) {
        expect(i, `${path.basename(f)} imports ${i}`).not.toMatch(/^node:|^(fs|path|crypto|os|child_process)$|\/(convert|store|driver|image-view)\.js$/);
      }
    }
  });
});
