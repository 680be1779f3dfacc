/**
 * Issue 14 through the real driver and the fake STM32_Programmer_CLI: a bootloader that stops answering in the
 * middle of a command (USB DFU never re-enumerates after FUS's reset) is a lost connection, DISCONNECTED, for an
 * operation's report and for a read; on the main branch before this change it was a generic TOOL_ERROR.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { CubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/driver.js';
import * as sim from '../../src/drivers/simulator/index.js';

const FAKE = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'test/fake-cubeprogrammer/STM32_Programmer_CLI');

let dir: string;
let serial: string;

const driver = (version = '2.20.0') =>
  new CubeProgrammerDriver({
    executable: FAKE,
    port: 'usb1',
    serial,
    env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: version },
    logFile: path.join(dir, 'run.log'),
    allowStandInImages: true,
    reconnect: { limitMs: 2_000, firstDelayMs: 50, maxDelayMs: 200 },
  });

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'copro-lost-'));
  serial = await sim.resetBoard(dir);
  // The stack runs, so starting FUS resets the chip; USB DFU never comes back after that reset.
  const b = sim.makeBoard({ serial, fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } });
  await sim.writeSimulatedBoard(dir, sim.armFault(b, sim.parseFault('usb-gone')));
});

describe('a bootloader that stops answering is a lost connection', () => {
  it.each(['2.3.0', '2.20.0'])('an operation (-startfus, v%s) reports DISCONNECTED', async (version) => {
    const report = await driver(version).startFus();
    expect(report.ok).toBe(false);
    expect(report.error).toBe('DISCONNECTED');
    expect(report.messages.join('\n')).toMatch(/Connection to device 0x495 is lost/);
  });

  it('a read throws DISCONNECTED quoting the line', async () => {
    const e = await driver()
      .readState()
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(e).toBeInstanceOf(DriverError);
    expect((e as DriverError).code).toBe('DISCONNECTED');
    expect((e as DriverError).message).toContain('"Connection to device 0x495 is lost"');
  });
});

describe('a CLI that crashes mid-command (killed by a signal)', () => {
  it('is TOOL_CRASHED, naming the signal and the log; the chip finished on its own and the read-back shows it', async () => {
    const { collectImages } = await import('../../src/images/inventory.js');
    await sim.resetBoard(dir); // the rescue case: FUS 0.5.3, no stack
    const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
    const fus = images.find((i) => i.identity.kind === 'fus' && i.name.includes('for_fus_0_5_3'))!;
    const crashing = new CubeProgrammerDriver({
      executable: FAKE,
      port: 'usb1',
      serial,
      env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_FAKE_CLI_QUIRKS: 'crash@fwupgrade' },
      logFile: path.join(dir, 'run.log'),
      allowStandInImages: true,
    });
    const e = await crashing.upgrade(fus, 0x080ec000, { firstInstall: true, startStack: false }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(DriverError);
    expect((e as DriverError).code).toBe('TOOL_CRASHED');
    expect((e as DriverError).message).toMatch(/killed by SIGKILL/);
    expect((e as DriverError).message).toContain(path.join(dir, 'run.log'));
    expect((await driver().readState()).fus.version).toBe('1.2.0');
  });
});
