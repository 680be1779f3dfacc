/**
 * What copro says about a power loss during FUS work (issue 14): a stable-power warning before every FUS
 * update (plan text and the confirmation), and a diagnosis of each outcome ST describes for the next boot:
 * image found corrupted (re-run apply), option bytes corrupted (safeboot: the recovery path), FUS damaged for
 * good (say so, name ST's support, never try again).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnoseBoard } from '../../src/cli/commands/doctor.js';
import { plan, formatPlan } from '../../src/planner/index.js';
import { fusDamageDiagnosis, fusDamageFrom, powerLossAdvice } from '../../src/runner/power-loss.js';
import { recallBoard, rememberBoard } from '../../src/runner/board-memory.js';
import { boardState } from '../runner/fixtures.js';
import { board, release, target } from '../planner/fixtures.js';
import { makeBoard, writeSimulatedBoard } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { makeProject, manifestText, runCli, SERIAL } from './helpers.js';

const rescue = plan({ state: board({ fus: '0.5.3' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: release('v1.24.0') });
const fusStep = rescue.steps.find((s) => s.kind === 'fus-upgrade')!;
const stackStep = rescue.steps.find((s) => s.kind === 'stack-install')!;

describe('a FUS update is announced with the stable power it needs', () => {
  it('every FUS update step and the plan warn about power; a plan without a FUS update does not', () => {
    for (const s of rescue.steps.filter((x) => x.kind === 'fus-upgrade')) expect(s.warnings.join(' ')).toMatch(/powered.*damage FUS for good/);
    expect(formatPlan(rescue, { color: false })).toMatch(/Keep the board powered and connected/);
    const stackOnly = plan({ state: board({ fus: '2.2.0' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: release('v1.24.0') });
    expect(formatPlan(stackOnly, { color: false })).not.toMatch(/damage FUS for good/);
  });

  it('the confirmation of irreversible steps repeats it (no terminal, no --yes: exit 6, nothing done)', async () => {
    const p = await makeProject('copro-power-warning-');
    try {
      const m = await p.write('copro.yaml', manifestText({ driver: 'cubeprogrammer' }));
      await writeSimulatedBoard(p.simDir, makeBoard({ serial: SERIAL }));
      const r = await runCli(['apply', m, '--cubeprogrammer', path.resolve('test/fake-cubeprogrammer/STM32_Programmer_CLI'), '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1' } });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.NOT_CONFIRMED);
      expect(r.stderr).toMatch(/cannot be undone[^\n]*:[\s\S]*Update FUS[\s\S]*Keep the board powered and connected/);
    } finally {
      await p.cleanup();
    }
  });
});

describe('diagnoses of the power-loss outcomes', () => {
  it('a FUS or stack step cut by a power loss says what FUS does at the next boot and to run apply again', () => {
    const fus = powerLossAdvice(fusStep, 'POWER_LOSS', 'power was lost while FUS installed fus 2.2.0');
    expect(fus).toMatch(/corrupted and erases it.*copro apply.*again/);
    expect(fus).toMatch(/safeboot.*copro doctor/);
    expect(fus).toMatch(/damaged for good/);
    expect(powerLossAdvice(stackStep, 'DISCONNECTED', 'USB device disconnected')).not.toMatch(/damaged/);
    expect(powerLossAdvice(stackStep, 'VERIFY_FAILED', 'stack.version: expected 1.24.0, board shows 1.23.0')).toBeUndefined();
  });

  it('FUS damaged: after a failed FUS update FUS reads back FUS_STATE_ERR_UNKNOWN while the old FUS still runs; not when FUS moved on', () => {
    const after = boardState({ fusVersion: fusStep.requires.fusVersion, fus: { version: fusStep.requires.fusVersion!, state: 'FUS_ERROR', error: 'ERR_UNKNOWN' } });
    const d = fusDamageFrom(fusStep, 'Error: FUS_STATE_ERR_UNKNOWN', after, new Date(0));
    expect(d).toMatchObject({ fusVersion: fusStep.requires.fusVersion, attempted: fusStep.expect.fusVersion });
    const text = fusDamageDiagnosis(d!, '/x/board.json');
    expect(text).toMatch(/FUS is damaged/);
    expect(text).toMatch(/stack keeps running/);
    expect(text).toMatch(/no FUS update or wireless stack install can succeed/);
    expect(text).toMatch(/ST's online support/);
    expect(text).toMatch(/delete \/x\/board\.json/);
    expect(fusDamageFrom(fusStep, 'Error: FUS_STATE_ERR_UNKNOWN', boardState({ fusVersion: fusStep.expect.fusVersion }), new Date(0))).toBeUndefined();
    // Judged by FUS's answer read back, whatever the tool's words: they are evidence, not the verdict.
    expect(fusDamageFrom(fusStep, 'Error: Firmware not authentic!', after, new Date(0))).toBeDefined();
    expect(fusDamageFrom(fusStep, 'FW_UPGRADE failed', after, new Date(0))).toBeDefined();
    // The tool's ERR_UNKNOWN text with a FUS that reads back fine (the stack running, or FUS idle) is no damage:
    // the same words come from a FUS command sent while the stack runs (fails on main before this commit).
    expect(fusDamageFrom(fusStep, 'Error: FUS_STATE_ERR_UNKNOWN', boardState({ fusVersion: fusStep.requires.fusVersion, cpu2: 'stack' }), new Date(0))).toBeUndefined();
    expect(fusDamageFrom(fusStep, 'Error: FUS_STATE_ERR_UNKNOWN: Unknown error', boardState({ fusVersion: fusStep.requires.fusVersion, cpu2: 'fus' }), new Date(0))).toBeUndefined();
    expect(fusDamageFrom(stackStep, 'Error: FUS_STATE_ERR_UNKNOWN', after, new Date(0))).toBeUndefined();
  });

  it('doctor: an image FUS found corrupted (re-run apply); both safeboot signatures with the recovery path', () => {
    const corrupt = diagnoseBoard(boardState({ fus: { version: '2.2.0', state: 'FUS_ERROR', error: 'IMG_CORRUPT' } }));
    expect(corrupt.find((f) => f.check === 'FUS')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/copro apply again/) });
    for (const [sfsa, sbrv] of [['0x00', '0x3FC00'], ['0xCB', '0x3FFFF']]) {
      const f = diagnoseBoard(boardState({ optionBytes: { rdp: '0xAA', sfsa: sfsa!, sbrv: sbrv!, nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ese: 1 } })).find((x) => x.check === 'safeboot');
      expect(f?.status).toBe('fail');
      expect(f?.fix).toMatch(/recovery path.*0x00008000.*0x5800040C.*copro apply/);
      expect(f?.fix).toMatch(/ST's online support/);
    }
  });

  it('the memory of a damaged FUS is per chip (UID64) and survives the run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-memory-'));
    try {
      const d = fusDamageFrom(fusStep, 'FUS_STATE_ERR_UNKNOWN', boardState({ fusVersion: fusStep.requires.fusVersion, fus: { version: fusStep.requires.fusVersion!, state: 'FUS_ERROR', error: 'ERR_UNKNOWN' } }), new Date(0))!;
      await rememberBoard(dir, { uid64: '0x0080E12600658473', fusDamaged: d });
      expect((await recallBoard(dir, '0x0080E12600658473'))?.fusDamaged).toEqual(d);
      expect(await recallBoard(dir, '0x0080E1FFFFFFFFFF')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
