/**
 * Issue 13: one board, one run, whatever named it. Two and four `copro apply` started together on one board
 * under every spelling of its identity (`--serial 207F38933036`, `--serial 207f38933036`, no serial with the
 * one board attached), through the real driver and the fake STM32_Programmer_CLI: exactly one runs steps,
 * the others exit 5 naming the holder (or wait with --wait-lock and find nothing to do). And the options
 * that used to do something else: blank or malformed serials, `X,x`, a typo with --simulate, bad numbers.
 * Spawns the built CLI (`npm run build` first; `npm test` does).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { resetBoard } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { FAKE_CLI, SERIAL, WB5X_BLE_FULL_124, WB5X_FUS_120_FOR_053, WB5X_FUS_220, essence, makeProject, manifestText, readBoard, runCli, spawnCli, writeStandIn, type Project } from './helpers.js';

let p: Project;
let simManifest: string;
let realManifest: string;

beforeEach(async () => {
  p = await makeProject('copro-identity-');
  await resetBoard(p.simDir, undefined, SERIAL);
  for (const rec of [WB5X_FUS_120_FOR_053(), WB5X_FUS_220(), WB5X_BLE_FULL_124()]) await writeStandIn(p, rec);
  simManifest = await p.write('sim.yaml', manifestText());
  realManifest = await p.write('real.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
});
afterEach(() => p.cleanup());

const simEnv = () => ({ COPRO_SIM_DIR: p.simDir });
const atTarget = async () => {
  const b = await readBoard(p.simDir);
  return [b.fus.version, b.stack?.type, b.stack?.version];
};

describe('options that name no board, or one board twice, or a bad number: exit 4, board untouched', () => {
  const cases: [string, string[]][] = [
    ['--serial ""', ['--serial', '']],
    ['--serial ","', ['--serial', ',']],
    ['--serial " "', ['--serial', ' ']],
    ['--serial "A,,B"', ['--serial', `${SERIAL},,X`]],
    ['--serial with a space inside', ['--serial', '207F 38933036']],
    ['--serial X,x (one board, two spellings)', ['--serial', `${SERIAL},${SERIAL.toLowerCase()}`]],
    ['--concurrency abc', ['--concurrency', 'abc']],
    ['--concurrency 0', ['--concurrency', '0']],
    ['--concurrency 1.5', ['--concurrency', '1.5']],
    ['--wait-lock abc', ['--wait-lock', 'abc']],
    ['--wait-lock -1', ['--wait-lock', '-1']],
  ];
  for (const [what, args] of cases) {
    it(what, async () => {
      const before = essence(await readBoard(p.simDir));
      const r = await runCli(['apply', simManifest, '--simulate', '--yes', '--no-color', ...args], { cwd: p.root, env: simEnv() });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.INVALID_INPUT);
      expect(r.stderr).toMatch(/serial|whole number|seconds|twice/);
      expect(r.stdout).not.toMatch(/Update FUS|provisioned/);
      expect(essence(await readBoard(p.simDir))).toEqual(before);
    });
  }

  it('the manifest\'s fleet listing one board twice (two spellings) is refused', async () => {
    const m = await p.write('fleet.yaml', manifestText({ extra: `boards:\n  - serial: ${SERIAL}\n    name: a\n  - serial: ${SERIAL.toLowerCase()}\n    name: b` }));
    const r = await runCli(['apply', m, '--simulate', '--yes', '--no-color'], { cwd: p.root, env: simEnv() });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.INVALID_INPUT);
    expect(r.stdout + r.stderr).toMatch(/duplicate|twice/);
  });
});

describe('--simulate: a serial that names no simulated board', () => {
  it('is "no such board" (exit 5), never a new phantom board', async () => {
    const r = await runCli(['apply', simManifest, '--simulate', '--yes', '--no-color', '--serial', '207F38933037'], { cwd: p.root, env: simEnv() });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.ENVIRONMENT);
    expect(r.stderr).toContain('no simulated board 207F38933037');
    expect((await readdir(p.simDir)).filter((f) => f.endsWith('.json'))).toEqual([`${SERIAL}.json`]);
  });

  it('the same serial in lower case is the same board', async () => {
    const r = await runCli(['apply', simManifest, '--simulate', '--yes', '--no-color', '--serial', SERIAL.toLowerCase()], { cwd: p.root, env: simEnv() });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(await atTarget()).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0']);
    expect((await readdir(p.simDir)).filter((f) => f.endsWith('.json'))).toEqual([`${SERIAL}.json`]);
  });
});

/** Runs on the fake CLI are slowed down so the holder is still at work when the others arrive. */
const SLOW = '5';
const spellings = [['--serial', SERIAL], ['--serial', SERIAL.toLowerCase()], [], ['--serial', `${SERIAL.slice(0, 6).toLowerCase()}${SERIAL.slice(6)}`]];

function realApply(args: string[]) {
  return spawnCli(['apply', realManifest, '--yes', '--json', '--cubeprogrammer', FAKE_CLI, ...args], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_SIM_SPEED: SLOW, COPRO_LOCK_DIR: path.join(p.root, 'locks') } });
}

describe.each([2, 4])('%i applies started together on one board, each naming it another way (real driver, fake CLI)', (n) => {
  it('exactly one runs steps; the others exit 5 naming the holder, having run none', async () => {
    const runs = spellings.slice(0, n).map((s) => realApply(s));
    const results = await Promise.all(runs.map((r) => r.done));
    const ranSteps = results.filter((r) => /"type":"step-started"/.test(r.stdout));
    const summary = results.map((r, i) => `#${i} [${spellings[i]!.join(' ') || 'no serial'}] exit ${r.code}${/"type":"step-started"/.test(r.stdout) ? ' ran steps' : ''}`).join('; ');
    process.stdout.write(`${n} applies on one board: ${summary}\n`);
    expect(ranSteps, summary + '\n' + results.map((r) => r.stderr).join('\n')).toHaveLength(1);
    expect(ranSteps[0]!.code, ranSteps[0]!.stderr).toBe(EXIT.OK);
    for (const r of results.filter((x) => x !== ranSteps[0])) {
      expect(r.code, summary + '\n' + r.stdout + r.stderr).toBe(EXIT.ENVIRONMENT);
      expect(r.stdout + r.stderr).toContain(`board ${SERIAL} is being provisioned by another copro`);
    }
    expect(await atTarget()).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0']);
    expect(existsSync(path.join(p.root, 'locks', `${SERIAL}.lock`))).toBe(false);
  }, 600_000); // a hang guard: bounded work that takes under a minute on a quiet machine, several on a loaded one
});

describe('with --wait-lock the others wait (real driver, fake CLI)', () => {
  it('the waiting runs start after the holder, re-read the board and have nothing to do', async () => {
    // The holder first, until it holds the board (its plan is out): on a loaded machine a waiter spawned at the
    // same moment could take the lock first, and the holder (no --wait-lock) would then rightly exit 5.
    const holder = realApply(spellings[0]!);
    await holder.waitFor(/"type":"plan"/, 60_000);
    const runs = [holder, ...spellings.slice(1, 3).map((s) => realApply([...s, '--wait-lock', '300']))];
    const results = await Promise.all(runs.map((r) => r.done));
    const ranSteps = results.filter((r) => /"type":"step-started"/.test(r.stdout));
    expect(ranSteps, results.map((r) => r.stdout + r.stderr).join('\n----\n')).toHaveLength(1);
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(results.filter((r) => /"result":"up-to-date"/.test(r.stdout))).toHaveLength(2);
    expect(await atTarget()).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0']);
  }, 600_000); // a hang guard: bounded work that takes under a minute on a quiet machine, several on a loaded one
});

describe('apply honours the exit code table as plan does: an unreachable tool or board is the environment (5)', () => {
  const real = (args: string[]) => runCli(['apply', realManifest, '--yes', '--no-color', ...args], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1' } });

  it('STM32_Programmer_CLI not where --cubeprogrammer says: exit 5', async () => {
    const r = await real(['--serial', SERIAL, '--cubeprogrammer', path.join(p.root, 'no-such-dir', 'STM32_Programmer_CLI')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.ENVIRONMENT);
    expect(r.stdout + r.stderr).toContain('STM32_Programmer_CLI not found');
  });

  it('no board with that serial attached: exit 5, as plan says', async () => {
    const args = ['--serial', '207F38933099', '--cubeprogrammer', FAKE_CLI];
    const r = await real(args);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.ENVIRONMENT);
    const plan = await runCli(['plan', realManifest, '--no-color', ...args], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1' } });
    expect(plan.code, plan.stdout + plan.stderr).toBe(EXIT.ENVIRONMENT);
  });
});
