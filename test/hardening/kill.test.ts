/**
 * Issue 13, the kill test: copro killed with SIGKILL (nothing of it runs any more) or sent SIGHUP (the terminal
 * or SSH session closed) at random moments of the rescue case (FUS 0.5.3, no stack -> FUS 2.2.0 +
 * BLE_Stack_full 1.24.0), through the real driver and the fake STM32_Programmer_CLI, then run again at once,
 * as a person would. At no moment do two tool processes work on the board (the fake records every overlap:
 * test/fake-cubeprogrammer/overlap.ts); after SIGHUP copro exits 130 and no tool process of it is left;
 * after SIGKILL the rerun waits for the orphaned tool rather than drive the board beside it; every case
 * converges. Prints tried / converged / lost. Spawns the built CLI (`npm run build` first; `npm test` does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { resetBoard } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { liveInvocations, readOverlaps } from '../fake-cubeprogrammer/overlap.js';
import { FAKE_CLI, SERIAL, WB5X_BLE_FULL_124, WB5X_FUS_120_FOR_053, WB5X_FUS_220, makeProject, manifestText, readBoard, spawnCli, writeStandIn, type Project } from './helpers.js';

const CASES = Number(process.env.COPRO_KILL_CASES ?? 4); // COPRO_KILL_CASES=20 for a longer run; 4 keeps CI under 15 minutes
/** The fake's clock: a rescue case lasts some 80 s of modelled device time, a few seconds here. */
const SPEED = '20';

let p: Project;
let manifest: string;
beforeAll(async () => {
  p = await makeProject('copro-kill-');
  for (const rec of [WB5X_FUS_120_FOR_053(), WB5X_FUS_220(), WB5X_BLE_FULL_124()]) await writeStandIn(p, rec);
  manifest = await p.write('copro.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
});
afterAll(() => p.cleanup());

const env = () => ({ COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_SIM_SPEED: SPEED, COPRO_LOCK_DIR: path.join(p.root, 'locks') });
const apply = (extra: string[] = []) => spawnCli(['apply', manifest, '--yes', '--json', '--serial', SERIAL, '--cubeprogrammer', FAKE_CLI, ...extra], { cwd: p.root, env: env() });
const atTarget = async () => {
  const b = await readBoard(p.simDir);
  return b.fus.version === '2.2.0' && b.stack?.type === 'BLE_Stack_full' && b.stack?.version === '1.24.0';
};

/** A deterministic pseudo-random sequence (the moments are printed, so a failing case can be replayed). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('kill test: SIGKILL and SIGHUP at random moments of the rescue case, rerun at once', () => {
  it(`${CASES} cases: never two tool processes on the board, every case converges`, async () => {
    const seed = Number(process.env.COPRO_KILL_SEED ?? Date.now() % 100_000);
    const rand = rng(seed);
    // One undisturbed run measures how long the rescue case takes here.
    await resetBoard(p.simDir, undefined, SERIAL);
    const t0 = Date.now();
    const clean = await apply().done;
    const duration = Date.now() - t0;
    expect(clean.code, clean.stderr).toBe(EXIT.OK);

    let converged = 0;
    let lost = 0;
    const log: string[] = [];
    const problems: string[] = [];
    for (let i = 0; i < CASES; i++) {
      await resetBoard(p.simDir, undefined, SERIAL);
      await rm(path.join(p.root, 'locks'), { recursive: true, force: true });
      const sig: NodeJS.Signals = i % 2 === 0 ? 'SIGKILL' : 'SIGHUP';
      const at = Math.round(300 + rand() * duration * 0.9);
      const victim = apply();
      const started = Date.now();
      // Not before copro runs: a signal while Node itself is still starting (seconds on a loaded machine) ends a
      // process that has done nothing yet, which says nothing about copro.
      await victim.waitFor(/"type":"run-started"/, 120_000);
      await new Promise((r) => setTimeout(r, Math.max(0, at - (Date.now() - started))));
      victim.child.kill(sig);
      const v = await victim.done;
      const inFlight = [...v.stdout.matchAll(/"type":"step-started"[^\n]*"title":"([^"]*)"/g)].map((m) => m[1]).pop();
      if (sig === 'SIGHUP' && v.code !== EXIT.OK) {
        if (v.code !== EXIT.INTERRUPTED) problems.push(`case ${i} (SIGHUP at ${at} ms): exit ${v.code ?? v.signal}, not 130: ${v.stderr.slice(-300)}`);
        const left = await liveInvocations(p.simDir, SERIAL);
        if (left.length) problems.push(`case ${i} (SIGHUP at ${at} ms): copro exited, its tool process(es) ${left.join(', ')} still run`);
        if (inFlight && !/"type":"step-failed"[^\n]*interrupted/.test(v.stdout) && !/interrupted during step/.test(v.stdout)) problems.push(`case ${i}: the step in flight (${inFlight}) is not named as interrupted`);
      }
      // Rerun at once, as a person would; --wait-lock so that a tool orphaned by SIGKILL is waited for.
      let last = { code: -1, stdout: '', stderr: '' };
      for (let k = 0; k < 3 && last.code !== EXIT.OK; k++) last = await apply(['--wait-lock', '120']).done;
      const ok = last.code === EXIT.OK && (await atTarget());
      if (ok) converged++;
      else {
        lost++;
        problems.push(`case ${i} (${sig} at ${at} ms): did not converge: exit ${last.code}: ${(last.stdout + last.stderr).slice(-500)}`);
      }
      log.push(`${sig}@${at}ms${inFlight ? ` in "${inFlight}"` : ''}: ${ok ? 'converged' : 'LOST'}`);
    }
    const overlaps = await readOverlaps(p.simDir);
    process.stdout.write(`kill test (seed ${seed}, rescue case ${duration} ms): tried ${CASES}, converged ${converged}, lost ${lost}, tool overlaps on the board ${overlaps.length}\n  ${log.join('\n  ')}\n`);
    expect(overlaps, JSON.stringify(overlaps.slice(0, 3))).toEqual([]);
    expect(problems).toEqual([]);
    expect(converged).toBe(CASES);
  }, 900_000);
});
