/**
 * The same plan through the CubeProgrammer driver (real driver code, fake STM32_Programmer_CLI) and through the
 * bootloader driver (virtual DFU device) ends in the same board state, for the rescue and the upgrade case.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/driver.js';
import type { SimBoard } from '../../src/drivers/simulator/index.js';
import { applyWith, bootloaderDriver, rescueTarget, ROOT, sim, tempDir } from './helpers.js';

const FAKE = path.join(ROOT, 'test/fake-cubeprogrammer/STM32_Programmer_CLI');

function cli(dir: string, serial: string) {
  return new CubeProgrammerDriver({
    executable: FAKE,
    port: 'usb1',
    serial,
    env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_SIM_SPEED: '1000' },
    logFile: path.join(dir, 'run.log'),
    allowStandInImages: true,
    reconnect: { limitMs: 30_000, firstDelayMs: 50, maxDelayMs: 500 },
  });
}

/** What a board "is" after provisioning: everything but counters, clock, notes and transport history. */
function essence(b: SimBoard) {
  return {
    device: b.device.key,
    cpu2: b.cpu2,
    fus: b.fus.version,
    stack: b.stack && { kind: b.stack.kind, version: b.stack.version, type: b.stack.type, address: b.stack.address, pages: b.stack.pages, sha256: b.stack.sha256, versionWord: b.stack.versionWord },
    optionBytes: b.optionBytes,
    staged: b.staged.map((s) => ({ address: s.address, size: s.size, sha256: s.sha256 })),
    application: { present: b.application.present, sha256: b.application.sha256 },
    antiRollback: b.antiRollback,
    lockedUp: b.lockedUp,
    pending: b.pending,
  };
}

const cases: [string, () => SimBoard][] = [
  ['rescue (FUS 0.5.3, no stack)', () => sim.defaultBoard()],
  ['upgrade (FUS 1.2.0 + stack 1.13.0 running)', () => sim.makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'stack' })],
];

describe('fake CLI and bootloader driver end in the same board state', () => {
  for (const [name, make] of cases) {
    it(name, async () => {
      const viaCli = tempDir();
      const viaDfu = tempDir();
      const board = make();
      await sim.writeSimulatedBoard(viaCli, board);
      await sim.writeSimulatedBoard(viaDfu, board);
      // One set of images (the stand-ins are generated once), so the sha256s compare.
      const t = await rescueTarget(viaCli);
      const a = await applyWith(viaCli, board.serial, async () => cli(viaCli, board.serial), t);
      const b = await applyWith(viaDfu, board.serial, async () => (await bootloaderDriver(viaDfu, board.serial)).driver, t);
      expect(a.result.result, a.result.error).toBe('provisioned');
      expect(b.result.result, b.result.error).toBe('provisioned');
      expect(a.result.plan?.steps.map((s) => s.kind)).toEqual(b.result.plan?.steps.map((s) => s.kind));
      expect(essence(await sim.readSimulatedBoard(viaDfu, board.serial))).toEqual(essence(await sim.readSimulatedBoard(viaCli, board.serial)));
    }, 180_000);
  }
});
