/**
 * Issue 14 must-show: "A WB15 manifest rehearses end to end on the simulated board over its real transports."
 * manifests/wb15-ble.yaml (STM32WB15CC, FUS latest, BLE_Stack_full 1.24.0, application below 0x08020000) runs on a
 * new simulated WB15 (FUS 1.2.0, no USB) through:
 * - the simulator driver over UART (`copro apply manifests/wb15-ble.yaml --simulate`, the manifest unmodified);
 * - the real CubeProgrammer driver through the fake STM32_Programmer_CLI, over UART (unmodified) and over SWD
 *   (ST-LINK: the 0x494 FUS operator, its version words at 0x20002F10, the application re-flashed);
 * - the bootloader driver (no CubeProgrammer) against the virtual AN3155 UART bootloader.
 * Each run converges, and a second run has no FUS or stack step to do. A USB DFU manifest for a WB15 is refused
 * before anything is touched.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { FAKE_CLI, makeProject, planFromFullRead, removeProjects, type Project } from '../cli/helpers.js';
import * as sim from '../../src/drivers/simulator/index.js';
import type { SimBoard } from '../../src/generated/sim-board.js';

afterAll(removeProjects);

const MANIFEST = 'wb15-ble.yaml';
const WB15 = 'STM32WB1xxC_320K' as const;
const FAKE_ENV = { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };

/** The manifest's target as the simulated board's own JSON holds it (WB1x table addresses: FUS 0x08040000, stack 0x08022800). */
function atTarget(b: SimBoard): string | undefined {
  if (b.device.key !== WB15) return `device ${b.device.key}`;
  if (b.fus.version !== '2.2.0') return `FUS ${b.fus.version}`;
  if (b.stack?.type !== 'BLE_Stack_full' || b.stack.version !== '1.24.0') return `stack ${b.stack?.type} ${b.stack?.version}`;
  if (b.stack.address !== 0x08022800) return `stack at 0x${b.stack.address.toString(16)}`;
  if (b.cpu2 !== 'stack') return `CPU2 runs ${b.cpu2}`;
  return undefined;
}

async function newWb15(p: Project): Promise<string> {
  return sim.resetBoard(p.simDir, undefined, undefined, WB15);
}

async function transcript(p: Project): Promise<string> {
  const dir = path.join(p.dir, '.copro', 'logs');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log'));
  return (await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
}

describe.concurrent('WB15 rehearses end to end on the simulated board', () => {
  it('simulator driver over UART: the unmodified manifest converges on a new WB15; the second run has nothing to do', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(MANIFEST);
    // An empty simulator folder: --simulate creates the manifest's part as it leaves the factory.
    const first = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/Update FUS 1\.2\.0 -> 2\.2\.0/);
    expect(first.stdout).toMatch(/stm32wb1x_FUS_fw\.bin[\s\S]*address: +0x08040000/);
    expect(first.stdout).toMatch(/stm32wb1x_BLE_Stack_full_fw\.bin[\s\S]*address: +0x08022800/);
    const [serial] = await p.boards();
    const board = await p.board(serial!);
    expect(atTarget(board)).toBeUndefined();
    expect(board.device.attachments.some((a) => a.transport === 'usb')).toBe(false);
    const staged = board.counters.pageWrites.staging;

    const second = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/No changes|nothing to do/);
    expect((await p.board(serial!)).counters.pageWrites.staging).toBe(staged);
  }, 60_000);

  it('real CubeProgrammer driver over UART (fake STM32_Programmer_CLI): converges, then a full read plans nothing', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(MANIFEST);
    const serial = await newWb15(p);
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes'], { env: FAKE_ENV, timeoutMs: 60_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(atTarget(await p.board(serial))).toBeUndefined();
    const calls = (await transcript(p)).split('\n').filter((l) => l.includes('STM32_Programmer_CLI -c'));
    expect(calls.every((l) => l.includes('port=/dev/ttyACM0'))).toBe(true);
    expect(calls.filter((l) => l.includes('-fwupgrade')).map((l) => /(stm32wb1x_\S+\.bin) (0x[0-9A-F]+)/.exec(l)?.slice(1).join(' '))).toEqual([
      'stm32wb1x_FUS_fw.bin 0x08040000',
      'stm32wb1x_BLE_Stack_full_fw.bin 0x08022800',
    ]);
    const again = await planFromFullRead(p, manifest, ['--cubeprogrammer', FAKE_CLI], { env: FAKE_ENV, timeoutMs: 60_000 });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
  }, 120_000);

  it('real CubeProgrammer driver over SWD: the 0x494 FUS operator on sectors 0-3, versions read at 0x20002F10, application re-flashed', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(MANIFEST, (t) => t.replace('port: /dev/ttyACM0', 'port: swd').replace(/\n *baudrate: \d+/, '').replace('  end: 0x08020000', '  file: app.bin\n  end: 0x08020000'));
    await writeFile(path.join(p.dir, 'app.bin'), randomBytes(48 * 1024));
    const serial = await newWb15(p);
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes'], { env: FAKE_ENV, timeoutMs: 90_000 });
    expect(r.exitCode, r.all).toBe(0);
    const board = await p.board(serial);
    expect(atTarget(board)).toBeUndefined();
    // what the SWD operator leaves behind was undone: option bytes back, the application written back
    expect(board.optionBytes).toMatchObject({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 });
    expect(board.application).toMatchObject({ present: true, clobberedByFusOperator: false, overwritten: false });
    const log = await transcript(p);
    expect(log).toContain('0x494_FUS_Operator.bin');
    expect(log).toContain('Erasing internal memory sectors [0 3]');
    expect(log).not.toContain('0x495_FUS_Operator.bin');
    expect(log).toMatch(/^0x20002F10 : 02020000 01180003$/m); // FUS 2.2.0, stack 1.24.0 through the WB1x operator
    expect(log).not.toMatch(/-r32 0x20010010/);
    expect(log).not.toMatch(/Data read failed/);

    // Second run: over SWD the full read itself runs the operator again, so the only steps are undoing that.
    const staged = board.counters.pageWrites.staging;
    const second = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes'], { env: FAKE_ENV, timeoutMs: 90_000 });
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).not.toMatch(/Update FUS|Install BLE_Stack_full|Delete/);
    const after = await p.board(serial);
    expect(after.counters.pageWrites.staging).toBe(staged);
    expect(atTarget(after)).toBeUndefined();
    expect(after.application).toMatchObject({ present: true, clobberedByFusOperator: false });
  }, 180_000);

  it('bootloader driver over UART (virtual AN3155 device, no CubeProgrammer): converges; the second run has nothing to do', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(MANIFEST, (t) => t.replace(/^connection:\n/m, 'connection:\n  driver: bootloader\n'));
    const first = await p.copro(['apply', manifest, '--simulate', '--yes'], { timeoutMs: 60_000 });
    expect(first.exitCode, first.all).toBe(0);
    const [serial] = await p.boards();
    const board = await p.board(serial!);
    expect(atTarget(board)).toBeUndefined();
    // the staging area was erased in the WB1x's 2 KiB pages, from the application's end (0x08020000 = page 64)
    expect(board.counters.pageErases.staging).toBeGreaterThan(0);
    const log = await transcript(p);
    expect(log.length).toBeGreaterThan(0);
    const staged = board.counters.pageWrites.staging;
    const second = await p.copro(['apply', manifest, '--simulate', '--yes'], { timeoutMs: 60_000 });
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/nothing to do/);
    expect((await p.board(serial!)).counters.pageWrites.staging).toBe(staged);
  }, 90_000);
});

describe.concurrent('a USB DFU manifest for a WB15 is refused before anything is touched', () => {
  const viaUsb = (t: string) => t.replace('port: /dev/ttyACM0', 'port: usb1').replace(/\n *baudrate: \d+/, '');

  for (const [name, args, edit] of [
    ['cubeprogrammer driver, port usb1 (simulated)', ['--simulate'], viaUsb],
    ['cubeprogrammer driver, port usb1, real driver through the fake CLI', ['--cubeprogrammer', FAKE_CLI], viaUsb],
    ['bootloader driver, port usb', ['--simulate'], (t: string) => viaUsb(t).replace('port: usb1', 'port: usb').replace(/^connection:\n/m, 'connection:\n  driver: bootloader\n')],
    ['--port usb1 over a UART manifest', ['--simulate', '--port', 'usb1'], (t: string) => t],
  ] as const) {
    it(name, async ({ expect }) => {
      const p = await makeProject();
      const manifest = await p.useManifest(MANIFEST, edit);
      const serial = await newWb15(p);
      const before = await p.boardBytes(serial);
      for (const cmd of ['apply', 'plan', 'status']) {
        const r = await p.copro([cmd, manifest, ...args, ...(cmd === 'apply' ? ['--yes'] : [])], { env: FAKE_ENV });
        expect(r.exitCode, `${cmd}: ${r.all}`).toBe(3);
        expect(r.stderr).toMatch(/refused \(NO_USB_DFU\): an STM32WB1x part has no USB/);
        expect(r.stderr).toMatch(/remedy: Set connection\.port to swd .* or to the serial port of the UART bootloader/);
        expect(r.stderr).toMatch(/the board was not read/);
        expect(r.all).not.toMatch(/\n +at /); // no stack trace
      }
      expect(await p.boardBytes(serial)).toBe(before);
      const logs = await readdir(path.join(p.dir, '.copro', 'logs')).catch(() => [] as string[]);
      expect(logs).toEqual([]); // no STM32_Programmer_CLI ran
    }, 60_000);
  }
});
