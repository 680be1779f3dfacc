/**
 * `--quiet` and `--verbose` (docs/cli.md, "How much copro says"), and global options before the subcommand
 * ("Options before or after the command"): the same result in either position, conflicts refused (exit 4).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_CLI, QUICK_START, makeProject, removeProjects } from './helpers.js';
import { commandOf } from '../../src/cli/json-output.js';

afterAll(removeProjects);

const NO_TRACE = /\n\s+at |node:internal/;

describe('--quiet', () => {
  it('plan: one line per step on stdout, nothing on stderr', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    const loud = await p.copro(['plan', m, '--simulate']);
    const r = await p.copro(['plan', m, '--simulate', '--quiet']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toBe('3 steps (2 irreversible)\n  1. Update FUS 0.5.3 -> 1.2.0  [irreversible]\n  2. Update FUS 1.2.0 -> 2.2.0  [irreversible]\n  3. Install BLE_Stack_full 1.24.0');
    expect(r.stderr).toBe('');
    // The normal output explains each step; quiet does not.
    expect(loud.stdout).toMatch(/why: /);
  });

  it('apply: only the summary on stdout (no plan, no progress, no notes), nothing on stderr; the board is provisioned all the same', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['apply', m, '--simulate', '--yes', '-q']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\nSummary \([\d.]+ s\):\n {2}207F38933036: provisioned and verified/);
    expect(r.stdout).not.toMatch(/copro plan for|why:|simulated board in|Update FUS 0\.5\.3|pinned/);
    expect((await p.board(serial)).fus.version).toBe('2.2.0');
    // Nothing to do: still the one summary line.
    const again = await p.copro(['apply', m, '--simulate', '--yes', '-q']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/207F38933036: already matches the manifest: nothing to do/);
    expect(again.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('errors still reach stderr, with their remedy', async () => {
    const p = await makeProject();
    const r = await p.copro(['plan', 'missing.yaml', '--simulate', '-q']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^copro: error: no manifest at .*missing\.yaml\n {2}remedy: /);
    expect(r.stdout).toBe('');
  });

  it('doctor: only what needs attention', async () => {
    const p = await makeProject();
    await p.resetBoard();
    const loud = await p.copro(['doctor', '--simulate']);
    const r = await p.copro(['doctor', '--simulate', '--quiet']);
    expect(r.exitCode).toBe(loud.exitCode);
    expect(loud.stdout).toMatch(/^ok {3}/m);
    expect(r.stdout).not.toMatch(/^ok {3}/m);
    for (const line of r.stdout.split('\n').filter((l) => /^(WARN|FAIL) /.test(l))) expect(loud.stdout).toContain(line);
  });
});

describe('--verbose', () => {
  it('with the cubeprogrammer driver: each STM32_Programmer_CLI command line and each operation\'s time on stderr; stdout unchanged', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const env = { COPRO_ALLOW_STANDIN_IMAGES: '1' };
    const plain = await p.copro(['plan', m, '--cubeprogrammer', FAKE_CLI], { env });
    const r = await p.copro(['plan', m, '--cubeprogrammer', FAKE_CLI, '--verbose'], { env });
    expect(r.exitCode, r.all).toBe(plain.exitCode);
    expect(r.stdout).toBe(plain.stdout);
    expect(plain.stderr).not.toMatch(/STM32_Programmer_CLI -c/);
    expect(r.stderr).toMatch(/^copro: \+\d+\.\d{3}s manifest .*: cubeprogrammer driver over usb1/m);
    expect(r.stderr).toMatch(/^copro: \+\d+\.\d{3}s 207F38933036 readState: read STM32_Programmer_CLI -c port=usb1 sn=207F38933036 /m);
    expect(r.stderr).toMatch(/^copro: \+\d+\.\d{3}s 207F38933036 readState: done in \d+\.\d{3} s$/m);
    expect(r.stderr).not.toMatch(NO_TRACE);
  });

  it('apply on the simulated board: each step\'s start and duration, each driver operation', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const r = await p.copro(['apply', m, '--simulate', '--yes', '-v']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toMatch(/207F38933036 step 1: Update FUS 0\.5\.3 -> 1\.2\.0 started/);
    expect(r.stderr).toMatch(/207F38933036 upgrade stm32wb5x_FUS_fw_for_fus_0_5_3\.bin at 0x80EC000: started/);
    expect(r.stderr).toMatch(/207F38933036 step 3: verified after \d+\.\d{3} s/);
    expect(r.stdout).toMatch(/provisioned and verified/);
  });

  it('--quiet with --verbose: exit 4, no stack trace', async () => {
    const p = await makeProject();
    const r = await p.copro(['plan', 'x.yaml', '-q', '-v']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^copro: error: --quiet and --verbose do not go together\n {2}remedy: /);
    expect(r.stderr).not.toMatch(NO_TRACE);
  });
});

describe('global options before the subcommand', () => {
  it('`copro --json --serial X --simulate plan m` is `copro plan m --json --serial X --simulate`', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const before = await p.copro(['--json', '--serial', serial, '--simulate', 'plan', m]);
    const after = await p.copro(['plan', m, '--json', '--serial', serial, '--simulate']);
    expect(before.exitCode, before.all).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
    expect((JSON.parse(before.stdout) as { boards: { board: string }[] }).boards.map((b) => b.board)).toEqual([serial]);
  });

  it('`copro --simulate --quiet apply m --yes` provisions like `copro apply m --simulate --quiet --yes`', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const r = await p.copro(['--simulate', '--quiet', 'apply', m, '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^\nSummary/);
    expect((await p.board(serial)).fus.version).toBe('2.2.0');
  });

  it('an error in --json mode before the subcommand is still the subcommand\'s JSON error', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const r = await p.copro(['--json', '--serial', 'NOPE1234', 'plan', m, '--simulate']);
    expect(r.exitCode).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'plan', error: { kind: 'environment', exitCode: 5 } });
    expect(commandOf(['node', 'copro', '--serial', 'X', '--port', 'swd', 'status'])).toBe('status');
  });

  it.each([
    [['--serial', 'AAA', 'plan', 'm.yaml', '--serial', 'BBB', '--simulate'], /--serial is given twice with different values: "AAA" before `plan` and "BBB" after it/],
    [['--simulate', 'identify', 'x.bin'], /--simulate does not apply to `copro identify`/],
    [['--serial', 'a,b', 'doctor', '--simulate'], /option '--serial <sn>' argument 'a,b' is invalid\. one serial number/],
    [['--port', 'swd', 'sim', 'show'], /--port does not apply to `copro sim show`/],
  ])('copro %j: exit 4, a clear error and its remedy, no stack trace', async (args, message) => {
    const p = await makeProject();
    const r = await p.copro(args);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\n {2}remedy: /);
    expect(r.stderr).not.toMatch(NO_TRACE);
  });
});
