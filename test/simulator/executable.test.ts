/**
 * The fake STM32_Programmer_CLI as a real executable (the shim over dist/, built once here): output, exit
 * codes, several processes on one board, a CLI that hangs in -fwupgrade and is killed (field report P22).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeBoard, writeSimulatedBoard, readSimulatedBoard, armFault, parseFault } from '../../src/drivers/simulator/index.js';
import { fixture, normalise, tempDir, writeFile } from './transcript.js';
import { IMG, standInBytes } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHIM = path.join(ROOT, 'test', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');
const BUILT = path.join(ROOT, 'dist', 'test', 'fake-cubeprogrammer', 'main.js');

function cli(dir: string, args: string[], extra: Record<string, string> = {}, timeout?: number) {
  return execa(SHIM, args, {
    cwd: dir,
    reject: false,
    env: { COPRO_SIM_DIR: dir, COPRO_FAKE_CLI_VERSION: '2.3.0', COPRO_FAKE_CLI_PLATFORM: 'windows', COPRO_SIM_SPEED: '1000', ...extra },
    ...(timeout ? { timeout } : {}),
  });
}

beforeAll(async () => {
  // `npm run build` (tsc -p tsconfig.build.json). Other folders' work in progress may make tsc exit non-zero while
  // still emitting; what matters here is that the fake was built.
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, reject: false });
  if (!existsSync(BUILT)) throw new Error(`the fake CLI was not built: ${BUILT} is missing (npm run build)`);
}, 180_000);

describe('the STM32_Programmer_CLI executable', () => {
  it('prints cli-transcripts/14 (-r32 over USB, v2.3.0) and counts its processes', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, makeBoard({ serial: '207F38933036', attachments: [{ transport: 'usb', serial: '207F38933036' }] }));
    const r = await cli(dir, ['-c', 'port=usb1', '-r32', '0x20030030', '1']);
    expect(r.exitCode).toBe(0);
    expect(normalise(r.stdout.split('\n'))).toEqual(normalise(fixture('14-2-r32-usb-v2.3.0.txt')));
    const again = await cli(dir, ['--connect', 'port=USB1', '-fusgetstate']);
    expect(again.exitCode).toBe(0);
    expect((await readSimulatedBoard(dir, '207F38933036')).counters.cliProcesses).toBe(2);
  });

  it('exits 1 with an Error: line when there is nothing to talk to', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, makeBoard({ serial: 'ONLYSWD', attachments: [{ transport: 'swd', probeSerial: 'P1', probeFirmware: 'V2J45S7', accessPort: 0, boardName: '--' }] }));
    const r = await cli(dir, ['-c', 'port=usb1', '-fwdelete']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^Error: No STM32 target found!$/m);
    const bad = await cli(dir, ['–fwdelete']); // en-dash copied from a forum (cli-transcripts/20 D)
    expect(bad.exitCode).toBe(1);
  });

  it('hangs in -fwupgrade when armed; killed by a timeout, the board still got the stack and the next call recovers the lock', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, armFault(makeBoard({ serial: 'HANG1', fusVersion: '1.2.0', attachments: [{ transport: 'usb', serial: 'HANG1' }] }), parseFault('hung-cli')));
    const stack = writeFile(dir, 'stm32wb5x_BLE_Stack_full_fw.bin', standInBytes(IMG.BLE_FULL_1_13_0));
    const hung = await cli(dir, ['-c', 'port=usb1', 'sn=HANG1', '-fwupgrade', stack, '0x080C7000', 'firstinstall=1'], { COPRO_FAKE_CLI_VERSION: '2.17.0' }, 3000);
    expect(hung.timedOut).toBe(true);
    expect(hung.stdout).toContain('Waiting for firmware upgrade end');
    expect(existsSync(path.join(dir, 'HANG1.lock'))).toBe(true); // left behind by the killed process
    const board = await readSimulatedBoard(dir, 'HANG1');
    expect(board.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.13.0' });
    expect(board.faults).toEqual([]);
    const next = await cli(dir, ['-c', 'port=usb1', 'sn=HANG1', '-fusgetstate'], { COPRO_FAKE_CLI_VERSION: '2.17.0' }, 20_000);
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toContain('FUS status is FUS_NOT_RUNNING');
  }, 30_000);
});
