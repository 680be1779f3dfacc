/**
 * A stale image below SFSA (field report: community td-p/70166, ST: "check if the flash sectors between the end of
 * your app and SFSA option byte is erased before download"). FUS installs the first image footer it finds below
 * SFSA, not the file just written. Here a leftover BLE_HCILayer 1.24.0 (same version as the wanted
 * BLE_Stack_full 1.24.0, so the version read-back cannot tell them apart) sits between the application's end and
 * the stack's address, through each real driver: the in-process simulator, the CubeProgrammer driver through the
 * fake STM32_Programmer_CLI, and the bootloader driver over the virtual DFU device and the virtual UART bootloader.
 *
 * - With `application.end` in the manifest, copro erases the staging area from there to SFSA before writing: the
 *   right image is installed, and the read-back (version, type, install address) proves it.
 * - Without it, copro erases only from the image's address: FUS installs the leftover, and the step's read-back
 *   catches it by the install address (the type is not readable in FUS mode through CubeProgrammer) instead of
 *   reporting "verified".
 *
 * On main before this commit: the CubeProgrammer driver filled the stack type in from what it meant to install,
 * so with application.end the run installed the leftover HCILayer and exited 0 "provisioned and verified".
 */
// fidelity: STAGING-ERASE
import { afterEach, describe, expect, it } from 'vitest';
import { viewImage } from '../../src/drivers/simulator/index.js';
import { loadCatalog, makeStandIn } from '../../src/images/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { FAKE_CLI, SERIAL, makeProject, putBoard, readBoard, runCli, type Project } from '../hardening/helpers.js';
import { writeSimulatedBoard } from '../../src/drivers/simulator/index.js';

const APP_END = 0x08040000;
const STALE_AT = 0x08060000;

const hci = () => loadCatalog().images.find((r) => r.kind === 'stack' && r.stackType === 'BLE_HCILayer' && r.version === '1.24.0' && r.families.includes('STM32WB5x'))!;
const full = () => loadCatalog().images.find((r) => r.kind === 'stack' && r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'))!;
/** Where FUS puts a stack (right below FUS at 0x080F4000, 0x4000 lower for a "FUS_v2 only" one). */
const installedAt = (size: number, fusV2Only: boolean) => 0x080f4000 - Math.ceil(size / 0x1000) * 0x1000 - (fusV2Only ? 0x4000 : 0);

/** `bootloader-uart`: the bootloader driver over the virtual UART bootloader (AN3155) instead of USB DFU. */
type Driver = 'simulator' | 'cubeprogrammer' | 'bootloader' | 'bootloader-uart';
const UART_PORT = '/dev/ttyACM0';

function manifest(driver: Driver, appEnd: boolean): string {
  return [
    'version: 1',
    'device: STM32WB55RG',
    'fus: 2.2.0',
    'stack:\n  type: BLE_Stack_full\n  version: 1.24.0',
    'images:\n  release: v1.24.0',
    driver === 'bootloader-uart'
      ? `connection:\n  driver: bootloader\n  port: ${UART_PORT}\n  baudrate: 115200\n  timeoutSeconds: 10`
      : `connection:\n  driver: ${driver}\n  port: ${driver === 'bootloader' ? 'usb' : 'usb1'}\n  timeoutSeconds: 10`,
    'policy:\n  fusUpgrade: allow\n  antiRollback: false',
    appEnd ? `application:\n  end: 0x${APP_END.toString(16).toUpperCase().padStart(8, '0')}` : '',
  ].join('\n');
}

async function boardWithLeftover(p: Project, driver: Driver): Promise<SimBoard> {
  // Over UART the board's USART1 is wired to a serial port (as a NUCLEO's ST-LINK virtual COM port), and nothing
  // else: no USB DFU to fall back on, so a run that passes went over the virtual UART bootloader.
  const uart = driver === 'bootloader-uart' ? { attachments: [{ transport: 'uart' as const, port: UART_PORT, description: 'STLink Virtual COM Port (simulated)', manufacturer: 'STMicroelectronics' }] } : {};
  const b = await putBoard(p.simDir, { fusVersion: '2.2.0', stack: null, application: { sizeBytes: 96 * 1024 }, ...uart });
  const old = viewImage(makeStandIn(hci()), 'stm32wb5x_BLE_HCILayer_fw.bin');
  const withStale: SimBoard = { ...b, staged: [{ address: STALE_AT, size: old.size, sha256: old.sha256, name: 'leftover', complete: true, image: old.image }] };
  await writeSimulatedBoard(p.simDir, withStale);
  return withStale;
}

function apply(p: Project, driver: Driver, args: string[] = []) {
  const driverArgs = driver === 'cubeprogrammer' ? ['--cubeprogrammer', FAKE_CLI] : ['--simulate'];
  return runCli(['apply', 'copro.yaml', '--yes', '--no-color', ...driverArgs, ...args], {
    cwd: p.root,
    env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_LOCK_DIR: `${p.root}/locks` },
  });
}

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

describe.each<Driver>(['simulator', 'cubeprogrammer', 'bootloader', 'bootloader-uart'])('stale image below SFSA, %s driver', (driver) => {
  it('with application.end: the staging area is erased, the right stack is installed and the read-back proves it', async () => {
    const p = await makeProject('copro-staging-');
    projects.push(p);
    await boardWithLeftover(p, driver);
    await p.write('copro.yaml', manifest(driver, true));
    const r = await apply(p, driver, ['--json']);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    const b = await readBoard(p.simDir);
    // The board: the wanted image, where FUS puts it, and nothing left below SFSA.
    expect(b.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.24.0', address: installedAt(full().size, true) });
    expect(b.staged).toEqual([]);
    expect(b.application.overwritten).toBe(false);
    // The read-back that verified the install names the type it read (or says it could not) and the address.
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const install = events.find((e) => e.type === 'step-finished' && e.kind === 'stack-install') as { verified: { stack: string; stackInstallAddress?: string } } | undefined;
    expect(install, r.stdout).toBeDefined();
    // Through the bootloader the running stack's info table gives the type; through CubeProgrammer (and the
    // simulator over USB, which reads as it does) FUS mode does not report it, and copro says so.
    expect(install!.verified.stack).toMatch(driver.startsWith('bootloader') ? /^BLE_Stack_full 1\.24\.0 \(running\)$/ : /^1\.24\.0 \(type not reported by FUS: expected BLE_Stack_full, running\)$/);
    expect(install!.verified.stackInstallAddress).toBe(`0x${installedAt(full().size, true).toString(16).toUpperCase().padStart(8, '0')}`);
  }, 60_000);

  it('without application.end: FUS installs the leftover, and the step is not verified (install address)', async () => {
    const p = await makeProject('copro-staging-');
    projects.push(p);
    await boardWithLeftover(p, driver);
    await p.write('copro.yaml', manifest(driver, false));
    const r = await apply(p, driver);
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(EXIT.BOARD_FAILED);
    expect(text).not.toMatch(/provisioned and verified/);
    const b = await readBoard(p.simDir);
    expect(b.stack).toMatchObject({ type: 'BLE_HCILayer', version: '1.24.0' });
    const want = `0x${installedAt(full().size, true).toString(16).toUpperCase().padStart(8, '0')}`;
    const got = `0x${installedAt(hci().size, false).toString(16).toUpperCase().padStart(8, '0')}`;
    // FUS does not report the type in FUS mode: the install address tells the leftover from the image copro wrote.
    expect(text).toContain(`stack.installAddress: expected "${want}", board shows "${got}"`);
    expect(text).toMatch(/give application\.end in the manifest/);
    // The bootloader driver reads the running stack's type as well: that mismatches too.
    if (driver.startsWith('bootloader')) expect(text).toMatch(/stack\.type: expected "BLE_Stack_full", board shows "BLE_HCILayer"/);
  }, 60_000);
});

describe('stagingErase (pure)', () => {
  it('erases from the application end up to SFSA, leaving out the image pages', async () => {
    const { stagingErase } = await import('../../src/drivers/driver.js');
    // 0x08040000 = page 64; image at 0x080CE000 (page 206), 0x21000 bytes = 33 pages -> 206..238; SFSA 0xF4 = 244.
    expect(stagingErase({ stagingStart: APP_END, address: 0x080ce000, size: 0x21000, sfsa: 0xf4, pageSize: 0x1000, flashBase: 0x08000000 })).toEqual({ pages: 142 + 5, ranges: [[64, 205], [239, 243]] });
    // No application end: from the image's address.
    expect(stagingErase({ stagingStart: undefined, address: 0x080ce000, size: 0x21000, sfsa: 0xf4, pageSize: 0x1000, flashBase: 0x08000000 })).toEqual({ pages: 5, ranges: [[239, 243]] });
    // An application end above the image never erases the image's pages or below it... and never above SFSA.
    expect(stagingErase({ stagingStart: 0x080f0000, address: 0x080ce000, size: 0x26000, sfsa: 0xf4, pageSize: 0x1000, flashBase: 0x08000000 })).toEqual({ pages: 0, ranges: [] });
  });
});

void SERIAL;
