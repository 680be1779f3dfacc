/**
 * Issue 13 through the real driver (execa) and the fake STM32_Programmer_CLI made to print what a broken or
 * mismatched tool can print (COPRO_FAKE_CLI_QUIRKS, test/fake-cubeprogrammer/quirks.ts): the driver stops with a
 * typed error quoting the line, and nothing on the board is touched. Each of these fails on the main branch
 * before this change (the read succeeded with a guessed value, and `apply` updated a FUS already at 2.2.0).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { CubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/driver.js';
import * as sim from '../../src/drivers/simulator/index.js';
import { applyOne, standInTarget } from '../support/apply-in-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = path.join(ROOT, 'test/fake-cubeprogrammer/STM32_Programmer_CLI');

let dir: string;
let serial: string;

const driver = (quirks: string, o: { port?: 'usb1' | 'swd'; serial?: string | null } = {}) =>
  new CubeProgrammerDriver({
    executable: FAKE,
    port: o.port ?? 'usb1',
    ...(o.serial === null ? {} : { serial: o.serial ?? (o.port === 'swd' ? sim.probeSerialFor(serial) : serial) }),
    env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_FAKE_CLI_QUIRKS: quirks },
    logFile: path.join(dir, 'run.log'),
    allowStandInImages: true,
    reconnect: { limitMs: 5_000, firstDelayMs: 50, maxDelayMs: 500 },
  });

const failure = async (p: Promise<unknown>): Promise<DriverError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DriverError);
  return e as DriverError;
};

/** A board already at FUS 2.2.0 with BLE_Stack_full 1.24.0 running: the manifest's target, nothing to do. */
async function provisionedBoard(): Promise<void> {
  const b = sim.makeBoard({ serial, fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } });
  await sim.writeSimulatedBoard(dir, b);
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'copro-guess-'));
  serial = await sim.resetBoard(dir);
});

describe('the real driver stops instead of guessing', () => {
  it('two values for one address: TOOL_ERROR quoting both lines; `apply` updates no FUS already at 2.2.0', async () => {
    await provisionedBoard();
    const e = await failure(driver('stale-r32').readState());
    expect(e.code).toBe('TOOL_ERROR');
    expect(e.message).toMatch(/two different values for 0x20030030/);
    expect(e.message.match(/"0x20030024 : [0-9A-F ]+"/g)).toHaveLength(2);

    // Through the runner: the board is refused at the read, and FUS is never touched.
    const result = await applyOne(serial, async () => driver('stale-r32'), { ...(await standInTarget(dir, { toolVersion: '2.20.0' })), lockDir: path.join(dir, 'locks') });
    expect(result.result).not.toBe('provisioned');
    expect(result.plan?.steps ?? []).toEqual([]);
    const after = await sim.readSimulatedBoard(dir, serial);
    expect(after.fus.version).toBe('2.2.0');
    expect(readFileSync(path.join(dir, 'run.log'), 'utf8')).not.toMatch(/-fwupgrade|-fwdelete/);
    expect(after.stack).toMatchObject({ version: '1.24.0' });
  });

  it('an unknown FUS state: TOOL_ERROR quoting the line, no Start FUS', async () => {
    const e = await failure(driver('fus-state=FUS_NVM_BACKUP_ONGOING').readState());
    expect(e.code).toBe('TOOL_ERROR');
    expect(e.message).toContain('"FUS state is FUS_NVM_BACKUP_ONGOING"');
    expect((await sim.readSimulatedBoard(dir, serial)).counters.resets).toBe(0);
  });

  it('an unknown FUS status: TOOL_ERROR quoting the line (not ignored)', async () => {
    const e = await failure(driver('fus-status=FUS_IMAGE_SOMETHING_NEW').readState());
    expect(e.code).toBe('TOOL_ERROR');
    expect(e.message).toContain('"FUS status is FUS_IMAGE_SOMETHING_NEW"');
  });

  it('an erased version word: TOOL_ERROR, not FUS 255.255.255 (USB and SWD)', async () => {
    const usb = await failure(driver('erased-version').readState());
    expect(usb.code).toBe('TOOL_ERROR');
    expect(usb.message).toMatch(/FUS version word at 0x20030030 reads FFFFFFFF/);
    const swd = await failure(driver('erased-version', { port: 'swd' }).readState());
    expect(swd.code).toBe('TOOL_ERROR');
    expect(swd.message).toMatch(/FFFFFFFF \(erased memory/);
  });

  it('a header naming another board: WRONG_BOARD quoting the header line, before any FUS command', async () => {
    const e = await failure(driver('foreign-serial=2079386B3036').readState());
    expect(e.code).toBe('WRONG_BOARD');
    expect(e.message).toContain('"SN          : 2079386B3036"');
    const swd = await failure(driver('foreign-serial=0670FF3736324D5043233624', { port: 'swd' }).readState());
    expect(swd.code).toBe('WRONG_BOARD');
    expect(swd.message).toContain('ST-LINK SN');
    expect((await sim.readSimulatedBoard(dir, serial)).counters.fusCommands).toBe(0);
  });

  it('without --serial, the board the first call reached is the board: another one answering later is WRONG_BOARD', async () => {
    const d = driver('', { serial: null });
    await d.readState();
    // The same driver object; now usb1 answers with another serial (a re-enumeration reached a neighbour).
    (d as unknown as { o: { env: Record<string, string> } }).o.env.COPRO_FAKE_CLI_QUIRKS = 'foreign-serial=2079386B3036';
    const e = await failure(d.startStack());
    expect(e.code).toBe('WRONG_BOARD');
    expect(e.message).toContain(serial);
  });
});
