/**
 * The real CubeProgrammer driver, through execa, against the fake STM32_Programmer_CLI over a simulated
 * board (test/fake-cubeprogrammer, built by `npm run build`, which `npm test` runs first). Nothing here
 * is reachable only on hardware: the same driver code runs, only the executable is the fake.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { CubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/driver.js';
import * as sim from '../../src/drivers/simulator/index.js';
import { collectImages } from '../../src/images/inventory.js';
import { plan } from '../../src/planner/index.js';
import { applyOne, standInTarget } from '../support/apply-in-process.js';
import type { Transport } from '../../src/drivers/driver.js';
import type { Target } from '../../src/planner/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = path.join(ROOT, 'test/fake-cubeprogrammer/STM32_Programmer_CLI');

let dir: string;
let serial: string;

const real = (o: { port?: string; version?: string; timeoutMs?: number; allowStandInImages?: boolean } = {}) =>
  new CubeProgrammerDriver({
    executable: FAKE,
    port: o.port ?? 'usb1',
    // Over SWD the board answers to its ST-LINK probe's serial, over USB to its DFU serial.
    serial: o.port === 'swd' ? sim.probeSerialFor(serial) : serial,
    env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: o.version ?? '2.20.0' },
    logFile: path.join(dir, 'run.log'),
    allowStandInImages: o.allowStandInImages ?? true,
    reconnect: { limitMs: 30_000, firstDelayMs: 50, maxDelayMs: 500 },
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });

async function arm(fault: string): Promise<void> {
  const b = await sim.readSimulatedBoard(dir, serial);
  await sim.writeSimulatedBoard(dir, sim.armFault(b, sim.parseFault(fault)));
}

async function rescue(transport: Transport, tweak: (t: Target) => Target = (t) => t) {
  const t = await standInTarget(dir, { transport, toolVersion: '2.20.0' });
  const target = tweak(t.target);
  const events: string[] = [];
  const result = await applyOne(serial, async () => real({ port: transport === 'swd' ? 'swd' : 'usb1' }), { target, images: t.images, lockDir: path.join(dir, 'locks'), emit: (e) => events.push(e.type) });
  return { result, events, target, images: t.images };
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'copro-fake-'));
  serial = await sim.resetBoard(dir);
});

describe('CubeProgrammerDriver against the fake STM32_Programmer_CLI', () => {
  it('reads the same state the simulator holds', async () => {
    const viaCli = await real().readState();
    const truth = sim.toBoardState(await sim.readSimulatedBoard(dir, serial), 'usb');
    expect(viaCli.device.deviceId).toBe(truth.device.deviceId);
    expect(viaCli.fus.version).toBe('0.5.3');
    expect(viaCli.stack.status).toBe('none');
    expect(viaCli.optionBytes).toEqual(truth.optionBytes);
  });

  it('provisions the rescue case (FUS 0.5.3, no stack) over USB DFU: 0.5.3 -> 1.2.0 -> 2.2.0 + BLE_Stack_full 1.24.0, verified, then nothing to do', async () => {
    const { result, events, target, images } = await rescue('usb');
    expect(result.result, result.error).toBe('provisioned');
    expect(result.plan?.steps.map((s) => s.kind)).toEqual(['fus-upgrade', 'fus-upgrade', 'stack-install']);
    expect(events.filter((e) => e === 'step-finished')).toHaveLength(3);
    const board = await sim.readSimulatedBoard(dir, serial);
    expect(board.fus.version).toBe('2.2.0');
    expect(board.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.24.0', address: 0x080d0000 });
    expect(board.cpu2).toBe('stack');
    // Run again: the real driver reads the board and the plan is empty.
    const again = plan({ state: await real().readState(), target, images });
    expect(again.status).toBe('up-to-date');
  });

  it('provisions the rescue case over SWD: the FUS operator clobbers the application, copro re-flashes it and restores the option bytes', async () => {
    const app = path.join(dir, 'app.bin');
    writeFileSync(app, Buffer.alloc(6 * 1024, 0x5a));
    const { result } = await rescue('swd', (t) => ({ ...t, application: { start: 0x08000000, end: 0x08010000, address: 0x08000000, file: app }, policy: { ...t.policy, swdApplicationLoss: 'reflash' } }));
    expect(result.result, result.error).toBe('provisioned');
    const kinds = result.plan!.steps.map((s) => s.kind);
    expect(kinds).toContain('flash-application');
    expect(kinds).toContain('restore-option-bytes');
    const board = await sim.readSimulatedBoard(dir, serial);
    expect(board.fus.version).toBe('2.2.0');
    expect(board.stack?.version).toBe('1.24.0');
    expect(board.optionBytes.nSWboot0).toBe(1);
    expect(board.application.clobberedByFusOperator).toBe(false);
  });

  it('refuses a stand-in image unless told it drives the fake (no simulated image reaches a real chip)', async () => {
    const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
    const fus = images.find((i) => i.identity.kind === 'fus' && i.origin === 'stand-in')!;
    await expect(real({ allowStandInImages: false }).upgrade(fus, 0x080ec000, { firstInstall: true, startStack: false })).rejects.toMatchObject({ code: 'REFUSED' });
    expect((await sim.readSimulatedBoard(dir, serial)).fus.version).toBe('0.5.3');
  });

  it('kills a hung CLI after its timeout, with a clear error naming the transcript', async () => {
    await arm('hung-cli');
    const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
    const fus = images.find((i) => i.identity.kind === 'fus' && i.name.includes('for_fus_0_5_3'))!;
    const t0 = Date.now();
    const e = (await real({ timeoutMs: 1_500 })
      .upgrade(fus, 0x080ec000, { firstInstall: true, startStack: false })
      .catch((x: unknown) => x)) as DriverError;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(e).toBeInstanceOf(DriverError);
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain(path.join(dir, 'run.log'));
  });

  it('catches an error printed with exit code 0 by the read-back (cli-transcripts/19 A)', async () => {
    await arm('exit-0-after-error');
    const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
    // FUS 0.5.3 only takes the image made for it: the 2.2.0 fw.bin fails (STM32WB.md §4) ...
    const fus220 = images.find((i) => i.identity.kind === 'fus' && i.identity.version === '2.2.0')!;
    const d = real();
    const report = await d.upgrade(fus220, 0x080ee000, { firstInstall: true, startStack: false });
    // ... the tool prints its error but exits 0: the driver still reports the failure it printed,
    expect(report.exitCode).toBe(0);
    expect(report.ok).toBe(false);
    // and the read-back is the judge.
    expect((await d.readState()).fus.version).toBe('0.5.3');
  });
});
