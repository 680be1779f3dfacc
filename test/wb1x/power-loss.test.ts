/**
 * A power cut during a WB15's FUS update that corrupts the option bytes (ST, community td-p/272587): the real driver,
 * through the fake STM32_Programmer_CLI over UART, reads SFSA 0x00 with the WB1x safeboot SBRV (not WB5x's 0x3FC00),
 * and copro diagnoses safeboot (apply refuses with the C2BOOT recovery, doctor fails the safeboot check) instead of
 * retrying installs that cannot work.
 */
import { afterAll, describe, it } from 'vitest';
import { FAKE_CLI, makeProject, removeProjects } from '../cli/helpers.js';
import * as sim from '../../src/drivers/simulator/index.js';

afterAll(removeProjects);

const FAKE_ENV = { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };

describe('WB15: power lost during the FUS update, option bytes corrupted', () => {
  it('the next apply refuses SAFEBOOT with the WB1x values and doctor names it; nothing is installed meanwhile', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest('wb15-ble.yaml');
    const serial = await sim.resetBoard(p.simDir, undefined, undefined, 'STM32WB1xxC_320K');
    await p.arm(serial, 'power-loss@install:outcome=ob-corrupt');
    const args = ['--cubeprogrammer', FAKE_CLI];
    const first = await p.copro(['apply', manifest, ...args, '--yes'], { env: FAKE_ENV, timeoutMs: 60_000 });
    expect(first.exitCode, first.all).toBe(1);
    const broken = await p.board(serial);
    expect(broken.optionBytes).toMatchObject({ sfsa: 0, sbrv: 0x13e00 });
    const staged = broken.counters.pageWrites.staging;

    const second = await p.copro(['apply', manifest, ...args, '--yes'], { env: FAKE_ENV, timeoutMs: 60_000 });
    expect(second.exitCode, second.all).toBe(3);
    expect(second.all).toMatch(/SAFEBOOT/);
    expect(second.all).toMatch(/SFSA=0x00, SBRV=0x13E00/);
    expect(second.all).toMatch(/0x5800040C/);
    expect((await p.board(serial)).counters.pageWrites.staging).toBe(staged);

    const doctor = await p.copro(['doctor', manifest, ...args], { env: FAKE_ENV, timeoutMs: 60_000 });
    expect(doctor.all).toMatch(/FAIL +safeboot/);
  }, 150_000);
});
