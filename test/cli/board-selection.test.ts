/**
 * Board selection: with several boards and none named, every command refuses and lists them (exit 4); simulated
 * boards behave like real ones: one default board, a mistyped --serial is "no such board" (never a new
 * board), and the same confirmation before irreversible steps, so exit 6 can be rehearsed.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, FAKE_CLI, QUICK_START, baseEnv, makeProject, removeProjects, shQuote, type Project } from './helpers.js';
import { DEFAULT_SERIAL } from '../../src/drivers/simulator/index.js';

afterAll(removeProjects);

async function fleetOf(n: number): Promise<{ p: Project; manifest: string; serials: string[]; before: string[] }> {
  const p = await makeProject();
  const manifest = await p.useManifest(QUICK_START);
  const r = await p.copro(['sim', 'reset', '--count', String(n)]);
  expect(r.exitCode, r.all).toBe(0);
  const serials = await p.boards();
  expect(serials).toHaveLength(n);
  return { p, manifest, serials, before: await Promise.all(serials.map((s) => p.boardBytes(s))) };
}

describe('several boards, none named: refused, listed, nothing touched', () => {
  it.each([
    ['plan', (m: string) => ['plan', m, '--simulate']],
    ['apply --yes', (m: string) => ['apply', m, '--simulate', '--yes']],
    ['status (no manifest)', () => ['status', '--simulate']],
    ['status --full', (m: string) => ['status', m, '--simulate', '--full']],
    ['sim fault', () => ['sim', 'fault', 'power-loss@install']],
    ['sim show', () => ['sim', 'show']],
    ['sim reset', () => ['sim', 'reset']],
  ] as const)('simulated: %s', async (_what, args) => {
    const { p, manifest, serials, before } = await fleetOf(3);
    const r = await p.copro([...args(manifest)]);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^copro: error: 3 simulated boards are attached and none is named:/);
    for (const s of serials) expect(r.stderr).toContain(`  ${s}\n`);
    expect(r.stderr).toMatch(/^ {2}remedy: name one with --serial/m);
    expect(await p.boards()).toEqual(serials);
    expect(await Promise.all(serials.map((s) => p.boardBytes(s)))).toEqual(before);
  });

  it('real driver (STM32_Programmer_CLI lists two DFU devices): plan refuses and lists both', async () => {
    const { p, manifest, serials, before } = await fleetOf(2);
    const r = await p.copro(['plan', manifest, '--cubeprogrammer', FAKE_CLI], { env: { COPRO_ALLOW_STANDIN_IMAGES: '1' } });
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toMatch(/^copro: error: 2 USB DFU devices are attached and none is named:/);
    expect(r.stderr).toMatch(/^ {2}remedy: name one with --serial/m);
    expect(await Promise.all(serials.map((s) => p.boardBytes(s)))).toEqual(before);
  });

  it('named (--serial) or --all, the same fleet is served', async () => {
    const { p, manifest, serials } = await fleetOf(3);
    const one = await p.copro(['plan', manifest, '--simulate', '--serial', serials[1]!.toLowerCase()]);
    expect(one.exitCode, one.all).toBe(0);
    expect(one.stdout).toMatch(/Update FUS 0\.5\.3 -> 1\.2\.0/);
    const status = await p.copro(['status', '--simulate', '--serial', serials[2]!]);
    expect(status.exitCode, status.all).toBe(0);
  });
});

describe('a mistyped --serial is "no such board", never a new board', () => {
  it.each([
    ['plan', (m: string) => ['plan', m, '--simulate', '--serial', 'NOSUCH1']],
    ['apply', (m: string) => ['apply', m, '--simulate', '--yes', '--serial', 'NOSUCH1']],
    ['status (no manifest)', () => ['status', '--simulate', '--serial', 'NOSUCH1']],
    ['sim fault', () => ['sim', 'fault', 'power-loss@install', '--serial', 'NOSUCH1']],
    ['sim show', () => ['sim', 'show', '--serial', 'NOSUCH1']],
  ] as const)('%s', async (_what, args) => {
    const { p, manifest, serials } = await fleetOf(1);
    const r = await p.copro([...args(manifest)]);
    expect(r.exitCode, r.all).toBe(5);
    expect(r.stderr).toMatch(/^copro: error: no simulated board NOSUCH1 in .* \(there: /);
    expect(r.stderr).toMatch(/^ {2}remedy: check the serial number; `copro sim reset --serial NOSUCH1` creates that board/m);
    expect(await p.boards()).toEqual(serials);
  });
});

describe('one default simulated board', () => {
  it('sim reset, apply, status and sim show all mean the same board; none is ever created beside it', async () => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    expect((await p.copro(['plan', manifest, '--simulate'])).exitCode).toBe(0);
    expect(await p.boards()).toEqual([DEFAULT_SERIAL]);
    // A board made under another serial is then the one board every command means, sim reset included.
    const q = await makeProject();
    const m2 = await q.useManifest(QUICK_START);
    expect((await q.copro(['sim', 'reset', '--serial', 'ABC123'])).exitCode).toBe(0);
    expect((await q.copro(['sim', 'fault', 'usb-late:1'])).exitCode).toBe(0);
    expect((await q.copro(['sim', 'reset'])).exitCode).toBe(0);
    expect((await q.board('ABC123')).faults ?? []).toEqual([]);
    const st = await q.copro(['status', '--simulate', '--json']);
    expect((JSON.parse(st.stdout) as { boards: { board: string }[] }).boards.map((b) => b.board)).toEqual(['ABC123']);
    expect((await q.copro(['plan', m2, '--simulate'])).exitCode).toBe(0);
    expect(await q.boards()).toEqual(['ABC123']);
  }, 180_000); // seven copro processes: minutes on a loaded machine
});

/** The board itself, without the simulator's counters and clock (a read counts a connection and takes time). */
async function substance(p: Project, serial: string): Promise<unknown> {
  const { counters: _c, clock: _t, ...rest } = await p.board(serial);
  return rest;
}

describe('the same confirmation as a real board: exit 6 rehearsed on the simulator', () => {
  it('no terminal and no --yes: exit 6, the irreversible steps listed, the board untouched', async () => {
    const { p, manifest, serials } = await fleetOf(1);
    const before = await substance(p, serials[0]!);
    const r = await p.copro(['apply', manifest, '--simulate']);
    expect(r.exitCode, r.all).toBe(6);
    expect(r.stderr).toMatch(/^copro: error: these steps cannot be undone, and there is no terminal to ask:/);
    expect(r.stderr).toMatch(/Update FUS 0\.5\.3 -> 1\.2\.0/);
    expect(r.stderr).toMatch(/^ {2}remedy: re-run with --yes/m);
    expect(await substance(p, serials[0]!)).toEqual(before);
  });

  const SCRIPT = ['/usr/bin/script', '/bin/script'].find((f) => existsSync(f));
  it.skipIf(!SCRIPT)('on a terminal, answering "no": exit 6 and the board untouched', async () => {
    const { p, manifest, serials } = await fleetOf(1);
    const before = await substance(p, serials[0]!);
    const cmd = ['exec node', shQuote(BIN), 'apply', shQuote(manifest), '--simulate', '--no-color'].join(' ');
    const r = await execa(SCRIPT!, ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: baseEnv(p.simDir), extendEnv: false, reject: false, timeout: 30_000, input: 'no\n' });
    expect(r.exitCode, String(r.stdout)).toBe(6);
    expect(String(r.stdout)).toMatch(/cannot be undone/);
    expect(await substance(p, serials[0]!)).toEqual(before);
  });
});
