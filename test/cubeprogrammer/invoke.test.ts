/** Running the CLI: a hung call is killed (process tree included) after its timeout; every call is logged. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { cliVersion, invokeCli, runCli } from '../../src/drivers/cubeprogrammer/invoke.js';
import { BANNER, SLEEPER, stubCli } from './helpers/stub.js';

/** Running, i.e. not gone and not a zombie (a killed grandchild reparented to a PID 1 that does not reap stays `Z`). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};
const waitGone = async (pid: number) => {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
};

describe('invokeCli / runCli', () => {
  it('kills a CLI that hangs (and ignores SIGTERM, and has a child) after its timeout: DriverError TIMEOUT naming the command and the log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'copro-hang-'));
    const pidFile = path.join(dir, 'pids.json');
    const logFile = path.join(dir, 'run.log');
    const t0 = Date.now();
    const err = await runCli({ executable: SLEEPER, args: ['-c', 'port=usb1', '-fwupgrade', 'stack.bin', '0x080CE000'], env: { PID_FILE: pidFile }, timeoutMs: 2_000, forceKillAfterMs: 300, logFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    const e = err as DriverError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain('-fwupgrade stack.bin 0x080CE000');
    expect(e.message).toContain(logFile);
    expect(e.details.logFile).toBe(logFile);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const { pid, child } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; child: number };
    expect(await waitGone(pid)).toBe(true);
    expect(await waitGone(child)).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('-fwupgrade stack.bin 0x080CE000');
    expect(log).toContain('STM32CubeProgrammer v2.17.0');
    expect(log).toMatch(/TIMED OUT \(killed\) after \d+ ms/);
  });

  it('an abort kills the CLI and its child: ABORTED', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'copro-abort-'));
    const pidFile = path.join(dir, 'pids.json');
    const ac = new AbortController();
    // Abort once the CLI and its child run (their pids are written), however long starting them takes here.
    void (async () => {
      for (let i = 0; i < 1200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 25));
      ac.abort();
    })();
    const err = await runCli({ executable: SLEEPER, args: ['-fwdelete'], env: { PID_FILE: pidFile }, timeoutMs: 60_000, forceKillAfterMs: 200, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as DriverError).code).toBe('ABORTED');
    const { pid, child } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; child: number };
    expect(await waitGone(pid)).toBe(true);
    expect(await waitGone(child)).toBe(true);
  });

  it('returns output and the exit code as they are (reject: false), appending every call to the log', async () => {
    const stub = stubCli([{ match: '-fwdelete', stdout: 'Error: boom\n', exitCode: 0 }, { match: '-r32', stdout: '0x20030030 : 01020000\n', exitCode: 3 }]);
    const one = await invokeCli({ executable: STUB_PATH(), args: ['-c', 'port=usb1', '-fwdelete'], env: stub.env, timeoutMs: 5000, logFile: stub.logFile });
    const two = await invokeCli({ executable: STUB_PATH(), args: ['-c', 'port=usb1', '-r32', '0x20030030', '4'], env: stub.env, timeoutMs: 5000, logFile: stub.logFile });
    expect(one).toMatchObject({ stdout: 'Error: boom\n', exitCode: 0, timedOut: false, aborted: false });
    expect(two.exitCode).toBe(3);
    const log = readFileSync(stub.logFile, 'utf8');
    expect(log.indexOf('-fwdelete')).toBeLessThan(log.indexOf('-r32 0x20030030 4'));
    expect(log).toContain('=== exit code 0 after');
    expect(log).toContain('=== exit code 3 after');
  });

  it('reads the version once per executable', async () => {
    const stub = stubCli([{ match: '--version', stdout: BANNER('2.20.0') }]);
    const exe = STUB_PATH();
    process.env.STUB_SCRIPT = stub.env.STUB_SCRIPT;
    process.env.STUB_CALLS = stub.env.STUB_CALLS;
    try {
      expect(await cliVersion(exe)).toBe('2.20.0');
      expect(await cliVersion(exe)).toBe('2.20.0');
      expect(stub.calls()).toEqual([['--version']]);
    } finally {
      delete process.env.STUB_SCRIPT;
      delete process.env.STUB_CALLS;
    }
  });
});

function STUB_PATH(): string {
  const p = path.join(path.dirname(SLEEPER), 'stub-cli.mjs');
  expect(existsSync(p)).toBe(true);
  return p;
}
