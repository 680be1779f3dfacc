/**
 * FUS service commands sent over SWD while the wireless stack runs reach no FUS: CubeProgrammer loads its operator
 * and ends with "Error: FUS_STATE_ERR_UNKNOWN"; only -fusgetstate / -startfus switch CPU2 to FUS. No silent switch
 * to FUS and success.
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, writeSimulatedBoard, readSimulatedBoard, type SimBoard } from '../../src/drivers/simulator/index.js';
import { IMG, play, standInBytes } from './helpers.js';
import { fixture, normalise, runFake, tempDir, writeFile } from './transcript.js';

const SWD = { transport: 'swd' as const, connectMode: 'under-reset' as const };
const stackRunning = (serial = 'SWDRUN01'): SimBoard => makeBoard({ serial, fusVersion: '1.1.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, application: { sizeBytes: 64 * 1024 } });

describe('SWD-STACK-RUNNING: over SWD, FUS service commands while the stack runs fail; -fusgetstate switches', () => {
  // fidelity: SWD-STACK-RUNNING
  it('FW_DELETE / FW_UPGRADE / anti-rollback answer FUS_STATE_ERR_UNKNOWN and change nothing of CPU2 or the stack', () => {
    for (const op of ['fwDelete', 'fwUpgrade', 'activateAntiRollback'] as const) {
      const r = apply(stackRunning(), { op }, SWD);
      expect(r.outcome, op).toMatchObject({ ok: false, error: 'ERR_UNKNOWN' });
      expect(r.board.cpu2, op).toBe('stack');
      expect(r.board.stack?.version, op).toBe('1.13.0');
      expect(r.board.fusOperator.inFlash, op).toBe(true); // the operator was loaded all the same (the application's sectors lost)
      expect(r.board.antiRollback.state, op).toBe('inactive');
    }
  });

  it('after FUS_GET_STATE (the operator switches CPU2 to FUS) the same delete works', () => {
    const r = play(stackRunning(), [{ op: 'getState' }, { op: 'fwDelete' }], SWD);
    expect(r.outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(r.board.stack).toBeNull();
  });

  it('fake CLI v2.8.0: -fwupgrade firstinstall=0 with the stack running prints what the real tool printed (community thread 39603), exit 1', async () => {
    const dir = tempDir();
    const serial = '066FFF3736324D5043233624';
    const b = makeBoard({ serial, fusVersion: '1.1.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, attachments: [{ transport: 'swd', probeSerial: serial, probeFirmware: 'V2J38M27', accessPort: 0, boardName: 'P-NUCLEO-WB55' }] });
    b.optionBytes.nSWboot0 = 0; // "nSWboot0, value: 0x0, was not modified": an earlier operator run left it
    await writeSimulatedBoard(dir, b);
    const fus = writeFile(dir, 'stm32wb5x_FUS_fw.bin', standInBytes(IMG.FUS_1_2_0_FROM_1X));
    const run = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fwupgrade', fus, '0x080EC000', 'firstinstall=0'], '2.8.0');
    const c = { collapsed: true };
    // The log is the GUI's: its first line ("Old Firmware delete ...") is worded "Old wireless stack delete ..." by
    // the v2.4-v2.7 CLI (cli-transcripts 02, 06); the rest is the same engine's output.
    const want = normalise(fixture('11-fwupgrade-stack-running-swd-v2.8.0.txt'), c).slice(1);
    const got = normalise(run.lines, c);
    expect(got.indexOf(want[0]!), run.text).toBeGreaterThan(0);
    expect(got.slice(got.indexOf(want[0]!)), run.text).toEqual(want);
    expect(run.code).toBe(1);
    const after = await readSimulatedBoard(dir, serial);
    expect([after.fus.version, after.cpu2, after.stack?.version]).toEqual(['1.1.0', 'stack', '1.13.0']);
  });
});
