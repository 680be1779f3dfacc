/**
 * Issue 15 leftovers, through the bootloader driver over the virtual DFU device (`--simulate` with
 * `connection.driver: bootloader` runs the real driver code):
 * - run-started names the driver that really runs (it said "simulator" / "cubeprogrammer" before this commit);
 * - the driver honours the free-read access level itself (before this commit it was wrapped): a free read sends
 *   no FUS_GET_STATE, every change is refused before anything is sent;
 * - anti-rollback: the ROM bootloader command that relays FUS_ACTIVATE_ANTIROLLBACK is not publicly documented, so a
 *   manifest asking for it with the bootloader driver is refused (exit 3) before the board is read, naming
 *   policy.antiRollback; before this commit apply read the board, installed everything and failed at the last step.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { openDriver } from '../../src/cli/session.js';
import { BootloaderDriver } from '../../src/drivers/bootloader/driver.js';
import { DriverError } from '../../src/drivers/driver.js';
import { boardBytes, makeProject, putBoard, readBoard, runCli, type Project } from '../hardening/helpers.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

const MANIFEST = (antiRollback: boolean) =>
  ['version: 1', 'device: STM32WB55RG', 'fus: 2.2.0', 'stack:\n  type: BLE_Stack_full\n  version: 1.24.0', 'images:\n  release: v1.24.0', 'connection:\n  driver: bootloader\n  port: usb', `policy:\n  fusUpgrade: allow\n  antiRollback: ${antiRollback}`, ''].join('\n');

async function project(spec: Parameters<typeof putBoard>[1], antiRollback = false): Promise<Project> {
  const p = await makeProject('copro-bl-');
  projects.push(p);
  await putBoard(p.simDir, spec);
  await p.write('copro.yaml', MANIFEST(antiRollback));
  return p;
}

const cli = (p: Project, args: string[]) => runCli([...args, '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });

describe('bootloader driver leftovers (issue 15)', () => {
  it('run-started names the bootloader driver, and the text output says it runs', async () => {
    const p = await project({ fusVersion: '2.2.0', stack: null });
    const json = await cli(p, ['apply', 'copro.yaml', '--simulate', '--yes', '--json', '--dry-run']);
    expect(json.code, json.stdout + json.stderr).toBe(EXIT.OK);
    const started = JSON.parse(json.stdout.split('\n')[0]!) as { type: string; driver: string };
    expect(started).toMatchObject({ type: 'run-started', driver: 'bootloader' });
    const text = await cli(p, ['apply', 'copro.yaml', '--simulate', '--yes', '--dry-run']);
    expect(text.stdout).toMatch(/through the bootloader driver over virtual bootloader devices/);
  }, 60_000);

  it('opened for free reads, the driver itself sends no FUS_GET_STATE and refuses every change before sending anything', async () => {
    const p = await project({ fusVersion: '1.2.0', stack: null });
    const before = await readBoard(p.simDir);
    const prev = process.env.COPRO_SIM_DIR;
    process.env.COPRO_SIM_DIR = p.simDir;
    try {
      const d = await openDriver({ simulated: true, port: 'usb', transport: 'usb', logDir: path.join(p.root, 'logs'), access: 'free', driver: 'bootloader' });
      expect(d).toBeInstanceOf(BootloaderDriver); // not wrapped: the rule is the driver's own
      const s = await d.readState({ scope: 'full' }); // a full read asked of a free driver is a free one
      expect(s.fus.version).toBe('1.2.0');
      expect(s.fus.state).toBe('unknown');
      expect(s.notes.join('\n')).toMatch(/FUS's state was not asked/);
      for (const op of [() => d.startFus(), () => d.deleteStack(), () => d.startStack(), () => d.writeOptionBytes({ nSWboot0: 1 }), () => d.activateAntiRollback()]) {
        const e = (await op().catch((x: unknown) => x)) as DriverError;
        expect(e).toBeInstanceOf(DriverError);
        expect(e.code).toBe('REFUSED');
      }
      await d.close();
    } finally {
      if (prev === undefined) delete process.env.COPRO_SIM_DIR;
      else process.env.COPRO_SIM_DIR = prev;
    }
    const after = await readBoard(p.simDir);
    expect(after.counters.fusGetStates).toBe(before.counters.fusGetStates);
    expect(after.counters.fusCommands).toBe(before.counters.fusCommands);
    expect(after.counters.resets).toBe(before.counters.resets);
    expect(after.counters.pageErases).toEqual(before.counters.pageErases);
  }, 60_000);

  it('anti-rollback with the bootloader driver is refused before the board is read (exit 3, at policy.antiRollback)', async () => {
    const p = await project({ fusVersion: '2.2.0', stack: null }, true);
    const untouched = await boardBytes(p.simDir);
    for (const args of [['plan', 'copro.yaml', '--simulate'], ['apply', 'copro.yaml', '--simulate', '--yes']]) {
      const r = await cli(p, args);
      const text = r.stdout + r.stderr;
      expect(r.code, text).toBe(EXIT.REFUSED);
      expect(text).toMatch(/copro\.yaml:14:17: refused \(ANTI_ROLLBACK_NOT_ON_DRIVER\): the bootloader driver cannot activate anti-rollback/);
      expect(text).toMatch(/through the bootloader driver/);
      expect(text).toMatch(/connection\.driver: cubeprogrammer/);
      // Not even read: the board's file is byte for byte as it was.
      expect(await boardBytes(p.simDir)).toBe(untouched);
    }
  }, 60_000);
});
