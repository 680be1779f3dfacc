/**
 * One lock per chip (issue 13): a board is locked by the name it was reached by (canonical serial or port) before
 * it is touched, and by its UID64 as soon as the first read gives it, so a run that reaches the same chip through
 * another port or serial (its ST-LINK's serial, its DFU serial, a colliding DFU serial) is refused (exit 5) before
 * any step. Here the chip's lock is held by a live process that is not this test (another copro, as far as the lock
 * says), and apply is run through the simulator driver and the real CubeProgrammer driver (fake CLI).
 *
 * On main before this commit the lock was by serial only: both runs went ahead (exit 0, board provisioned).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { procRef } from '../../src/runner/lock-proc.js';
import { chipLockKey, combinedLock, type BoardLock } from '../../src/runner/lock.js';
import { FAKE_CLI, essence, makeProject, manifestText, putBoard, readBoard, runCli, type Project } from '../hardening/helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A live process that is not copro, named in a lock as if it were one. */
function holder(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  cleanups.push(() => void child.kill('SIGKILL'));
  return child;
}

async function holdChipLock(p: Project, uid64: string): Promise<void> {
  const child = holder();
  await new Promise((r) => setTimeout(r, 200)); // its /proc entry is there
  const dir = path.join(p.simDir, '.locks');
  await mkdir(dir, { recursive: true });
  const record = { ...procRef(child.pid!), host: hostname(), since: new Date().toISOString(), command: 'copro apply --serial 066DFF555185754867033028 (over SWD)', nonce: 'ab'.repeat(12) };
  await writeFile(path.join(dir, `${chipLockKey(uid64)}.lock`), JSON.stringify(record));
}

describe.each(['simulator', 'cubeprogrammer'] as const)('a chip locked under its UID64 (%s driver)', (driver) => {
  it('apply reaching it under another name is refused with exit 5 before any step', async () => {
    const p = await makeProject('copro-chiplock-');
    cleanups.push(() => p.cleanup());
    const before = await putBoard(p.simDir, { fusVersion: '2.2.0', stack: null });
    await holdChipLock(p, before.device.uid64);
    await p.write('copro.yaml', manifestText({ driver }));
    const driverArgs = driver === 'cubeprogrammer' ? ['--cubeprogrammer', FAKE_CLI] : ['--simulate'];
    const r = await runCli(['apply', 'copro.yaml', '--yes', '--no-color', ...driverArgs], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' } });
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(EXIT.ENVIRONMENT);
    expect(text).toContain(`chip UID64 ${before.device.uid64}`);
    expect(text).toMatch(/being provisioned by another copro \(pid \d+/);
    // Read, not changed: no stack installed, no FUS command.
    const after = await readBoard(p.simDir);
    expect(after.stack).toBeNull();
    expect(essence({ ...after, cpu2: before.cpu2, fusRequested: before.fusRequested })).toEqual(essence({ ...before, cpu2: before.cpu2, fusRequested: before.fusRequested }));
  }, 60_000);
});

describe('combinedLock', () => {
  it('records tool processes in both locks, including those started before the chip lock was added, and releases both', async () => {
    const calls: string[] = [];
    const fake = (name: string): BoardLock => ({ file: name, addChild: (pid) => void calls.push(`${name}+${pid}`), removeChild: (pid) => void calls.push(`${name}-${pid}`), release: async () => void calls.push(`${name} released`) });
    const l = combinedLock(fake('serial'));
    l.addChild(11);
    l.add(fake('chip'));
    l.addChild(12);
    l.removeChild(11);
    await l.release();
    expect(calls).toEqual(['serial+11', 'chip+11', 'serial+12', 'chip+12', 'serial-11', 'chip-11', 'chip released', 'serial released']);
    expect(chipLockKey('0x0080E12600658473')).toBe('uid64-0080E12600658473');
    expect(chipLockKey('unknown')).toBeUndefined();
    // Not an identity: every board would be one (over SWD the fake CLI reads UID64 as zeros).
    expect(chipLockKey('0x0000000000000000')).toBeUndefined();
    expect(chipLockKey('0xFFFFFFFFFFFFFFFF')).toBeUndefined();
  });
});
