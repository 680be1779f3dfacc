/**
 * Issue 7, the real driver path: the quick-start manifest (driver: cubeprogrammer, port: usb1) through
 * the fake STM32_Programmer_CLI, exactly as a user with one board on USB DFU would run it, with --yes.
 * The transcript of every CLI call is written under .copro/logs/.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { FAKE_CLI, QUICK_START, atQuickStartTarget, makeProject, planFromFullRead, removeProjects } from './helpers.js';

afterAll(removeProjects);

const FAKE_ENV = { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };

describe.concurrent('issue 7: the real driver through the fake STM32_Programmer_CLI', () => {
  // The manifest names no serial (one board attached): the CLI must be run without `sn=` (see the report:
  // src/cli/boards.ts selectBoards currently passes the port name, "usb1", as the board's serial).
  it('the unmodified quick-start manifest with --yes: exit 0, target reached', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes'], { env: FAKE_ENV, timeoutMs: 45_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(atQuickStartTarget(await p.board(serial))).toBe(true);
  });

  it('with the board picked by --serial: exit 0, target reached, every CLI call in the transcript, then nothing to do', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes', '--serial', serial], { env: FAKE_ENV, timeoutMs: 45_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${serial}: provisioned and verified`));
    const board = await p.board(serial);
    expect(atQuickStartTarget(board)).toBe(true);
    expect(board.counters.cliProcesses).toBeGreaterThan(3); // it really went through the CLI

    const logDir = path.join(p.dir, '.copro', 'logs');
    const logs = (await readdir(logDir)).filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(0);
    const transcript = (await Promise.all(logs.map((f) => readFile(path.join(logDir, f), 'utf8')))).join('\n');
    const upgrades = transcript.split('\n').filter((l) => l.includes('STM32_Programmer_CLI') && l.includes('-fwupgrade'));
    expect(upgrades).toHaveLength(3);
    // The staging area up to SFSA is erased in the same call (`-e [first last]`) before each download.
    expect(upgrades[0]).toMatch(new RegExp(`-c port=usb1 sn=${serial} (-e "?\\[\\d+"? "?\\d+\\]"? )+-fwupgrade \\S*stm32wb5x_FUS_fw_for_fus_0_5_3\\.bin 0x080EC000`));
    expect(upgrades[1]).toMatch(/stm32wb5x_FUS_fw\.bin 0x080EE000/);
    expect(upgrades[2]).toMatch(/stm32wb5x_BLE_Stack_full_fw\.bin 0x080D0000/);
    expect(transcript).toMatch(/=== exit code \d+ after \d+ ms/);

    const again = await planFromFullRead(p, manifest, ['--cubeprogrammer', FAKE_CLI, '--serial', serial], { env: FAKE_ENV });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
  }, 90_000);
});
