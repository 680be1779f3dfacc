/**
 * The upgrade case through the bootloader driver over the virtual DFU device: FUS 1.2.0 with stack 1.13.0
 * running -> FUS 2.2.0 + BLE_Stack_full 1.24.0, verified by read-back; a second run plans nothing. The
 * read itself starts nothing: the running stack's version and type come from its info table.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { applyWith, bootloaderDriver, sim, tempDir } from './helpers.js';

let dir: string;
let serial: string;

beforeEach(async () => {
  dir = tempDir();
  const board = sim.makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'stack' });
  await sim.writeSimulatedBoard(dir, board);
  serial = board.serial;
});

describe('upgrade case over virtual DFU', () => {
  it('reads the running stack (version and type) without a single reset or FUS command', async () => {
    const before = await sim.readSimulatedBoard(dir, serial);
    const { driver } = await bootloaderDriver(dir, serial);
    const s = await driver.readState();
    await driver.close();
    const after = await sim.readSimulatedBoard(dir, serial);
    expect(s.cpu2).toBe('stack');
    expect(s.fus.version).toBe('1.2.0');
    expect(s.stack).toMatchObject({ status: 'installed', version: '1.13.0', type: 'BLE_Stack_full', running: true });
    expect(after.counters.resets).toBe(before.counters.resets);
    expect(after.counters.fusCommands).toBe(before.counters.fusCommands);
    expect(after.fus.consecutiveGetState).toBe(0);
  });

  it('FUS 1.2.0 + stack 1.13.0 running -> FUS 2.2.0 + BLE_Stack_full 1.24.0, then nothing to do', async () => {
    const first = await applyWith(dir, serial, async () => (await bootloaderDriver(dir, serial)).driver);
    expect(first.result.result, `${first.result.error} ${first.result.notes.join(' | ')}`).toBe('provisioned');
    const b = await sim.readSimulatedBoard(dir, serial);
    expect(b.fus.version).toBe('2.2.0');
    expect(b.stack).toMatchObject({ version: '1.24.0', type: 'BLE_Stack_full' });
    expect(b.cpu2).toBe('stack');
    expect(b.staged).toEqual([]);
    const second = await applyWith(dir, serial, async () => (await bootloaderDriver(dir, serial)).driver);
    expect(second.result.result).toBe('up-to-date');
  }, 120_000);
});
