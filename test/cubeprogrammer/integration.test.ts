/**
 * The real driver, through execa, against the fake STM32_Programmer_CLI over a simulated board
 * (test/fake-cubeprogrammer, built by `npm run build`). The fake and the simulator store are built by
 * another helper; until both exist these tests are skipped (describe.skipIf below).
 *
 * Expected simulator surface (src/drivers/simulator/index.ts): resetBoard(dir), listSimulatedBoards(dir),
 * createSimulatorDriver({ dir, serial, transport }), armFault(dir, serial, fault) with the sim-board
 * faults `hung-cli` and `exit-0-after-error`. The fake reads COPRO_SIM_DIR and COPRO_FAKE_CLI_VERSION.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError, type Driver } from '../../src/drivers/driver.js';
import { CubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/driver.js';
import type { AvailableImage } from '../../src/images/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = path.join(ROOT, 'test/fake-cubeprogrammer/STM32_Programmer_CLI');
const SIM_INDEX = path.join(ROOT, 'src/drivers/simulator/index.ts');
const ready = existsSync(FAKE) && existsSync(SIM_INDEX);

// Computed specifiers: these modules are written concurrently by other helpers.
/* eslint-disable @typescript-eslint/no-explicit-any */
const importSim = (): Promise<any> => import(/* @vite-ignore */ path.join(ROOT, 'src/drivers/simulator/index.ts'));
const importImages = (): Promise<any> => Promise.all([import(/* @vite-ignore */ path.join(ROOT, 'src/images/catalog.ts')), import(/* @vite-ignore */ path.join(ROOT, 'src/images/standin.ts')), import(/* @vite-ignore */ path.join(ROOT, 'src/images/identify.ts'))]);

describe.skipIf(!ready)('CubeProgrammerDriver against the fake STM32_Programmer_CLI', () => {
  let dir: string;
  let serial: string;
  let sim: any;

  const real = (o: { version?: string; timeoutMs?: number; allowStandInImages?: boolean } = {}) =>
    new CubeProgrammerDriver({
      executable: FAKE,
      port: 'usb1',
      serial,
      env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: o.version ?? '2.20.0' },
      logFile: path.join(dir, 'run.log'),
      toolVersion: o.version ?? '2.20.0',
      allowStandInImages: o.allowStandInImages ?? true,
      reconnect: { limitMs: 30_000, firstDelayMs: 50, maxDelayMs: 500 },
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
  const simulated = async (): Promise<Driver> => sim.createSimulatorDriver({ dir, serial, transport: 'usb' });

  beforeEach(async () => {
    sim = await importSim();
    dir = mkdtempSync(path.join(os.tmpdir(), 'copro-fake-'));
    await sim.resetBoard(dir);
    [serial] = await sim.listSimulatedBoards(dir);
  });

  it('reads the same state the simulator holds', async () => {
    const viaCli = await real().readState();
    const s = await simulated();
    const truth = await s.readState();
    await s.close();
    expect(viaCli.device.deviceId).toBe(truth.device.deviceId);
    expect(viaCli.fus.version).toBe(truth.fus.version);
    expect(viaCli.stack.status).toBe(truth.stack.status);
    expect(viaCli.stack.version).toBe(truth.stack.version);
    expect(viaCli.optionBytes).toEqual(truth.optionBytes);
  });

  it('deletes the stack (verified by read-back)', async () => {
    const d = real();
    const report = await d.deleteStack();
    expect(report.ok).toBe(true);
    expect((await d.readState()).stack.status).toBe('none');
  });

  it('upgrades: delete, then install a stand-in of the stack that was there (verified by read-back)', async (ctx) => {
    const d = real();
    const before = await d.readState();
    const [catalog, standin, identify] = await importImages();
    const record = catalog.catalogImages({ kind: 'stack', stackType: 'BLE_Stack_full', device: 'STM32WB5xxG_1M' }).find((r: any) => r.version === before.stack.version);
    if (!record) return ctx.skip();
    const file = path.join(dir, 'stm32wb5x_BLE_Stack_full_fw.bin');
    writeFileSync(file, standin.makeStandIn(record));
    const image: AvailableImage = { name: path.basename(file), path: file, origin: 'stand-in', identity: identify.catalogIdentity(record) };
    expect((await d.deleteStack()).ok).toBe(true);
    const address = catalog.catalogInstallAddress(record, 'STM32WB5xxG_1M').address as number;
    const report = await d.upgrade(image, address, { firstInstall: true, startStack: true });
    expect(report.ok).toBe(true);
    const after = await d.readState();
    expect(after.stack).toMatchObject({ status: 'installed', version: record.version, type: 'BLE_Stack_full' });
  });

  it('kills a hung CLI after its timeout', async (ctx) => {
    if (typeof sim.armFault !== 'function') return ctx.skip();
    await sim.armFault(dir, serial, { kind: 'hung-cli' });
    const e = (await real({ timeoutMs: 2_000 }).deleteStack().catch((x: unknown) => x)) as DriverError;
    expect(e).toBeInstanceOf(DriverError);
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain(path.join(dir, 'run.log'));
  });

  it('an error printed with exit code 0 is caught: the report is not ok and the read-back shows the stack is still there', async (ctx) => {
    if (typeof sim.armFault !== 'function') return ctx.skip();
    const d = real();
    const before = await d.readState();
    if (before.stack.status !== 'installed') return ctx.skip();
    await sim.armFault(dir, serial, { kind: 'exit-0-after-error' });
    const report = await d.deleteStack();
    expect(report.exitCode).toBe(0);
    expect(report.ok).toBe(false);
    expect((await d.readState()).stack.status).toBe('installed');
  });
});
