/**
 * Issue 7: `status --save` then `plan --state` plans offline (no board, no simulator, no CLI), and every
 * command's --help exits 0 with examples.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { validatorFor } from '../../src/schemas.js';
import type { Plan } from '../../src/generated/plan.js';
import { QUICK_START, makeProject, removeProjects } from './helpers.js';

afterAll(removeProjects);

function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe.concurrent('issue 7: offline plan from a saved state', () => {
  it('status --simulate --save snap.json, then plan --state snap.json --json with the simulator moved away', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const status = await p.copro(['status', '--simulate', '--save', 'snap.json']);
    expect(status.exitCode, status.all).toBe(0);
    const snapshot = JSON.parse(await readFile(path.join(p.dir, 'snap.json'), 'utf8')) as unknown;
    const validState = validatorFor('board-state');
    expect(validState(snapshot), JSON.stringify(validState.errors)).toBe(true);
    expect(snapshot).toMatchObject({ fus: { version: '0.5.3' }, stack: { status: 'none' } });

    // No board: the simulator folder is gone, and the CLI named does not exist.
    await rename(p.simDir, `${p.simDir}-away`);
    const gone = path.join(p.dir, 'no-sim-here');
    const r = await p.copro(['plan', manifest, '--state', 'snap.json', '--json', '--cubeprogrammer', path.join(p.dir, 'no-such-cli')], { env: { COPRO_SIM_DIR: gone } });
    expect(r.exitCode, r.all).toBe(0);
    const plan = (JSON.parse(r.stdout) as { boards: { plan: Plan }[] }).boards[0]!.plan;
    const validPlan = validatorFor('plan');
    expect(validPlan(plan), JSON.stringify(validPlan.errors)).toBe(true);
    expect(plan.from.fus).toBe('0.5.3');
    expect(plan.steps.map((s) => s.kind)).toEqual(['fus-upgrade', 'fus-upgrade', 'stack-install']);
    expect(existsSync(gone)).toBe(false); // no simulated board was created either
    const logDir = path.join(p.dir, '.copro', 'logs');
    const statusLogs = existsSync(logDir) ? await readdir(logDir) : [];
    expect(statusLogs.filter((f) => f.endsWith('.log'))).toEqual([]); // no CLI transcript: nothing was run

    const detailed = await p.copro(['plan', manifest, '--state', 'snap.json', '--detailed-exitcode'], { env: { COPRO_SIM_DIR: gone } });
    expect(detailed.exitCode, detailed.all).toBe(2);
  });
});

describe.concurrent('--help', () => {
  const paths = commandPaths(buildProgram(() => undefined));

  it('lists the commands the README documents', ({ expect }) => {
    expect(paths.map((x) => x.join(' '))).toEqual(expect.arrayContaining(['plan', 'apply', 'status', 'identify', 'fetch', 'devices', 'doctor', 'sim', 'sim reset', 'sim fault', 'sim show']));
  });

  it.for(paths.map((x) => x.join(' ')))('copro %s --help exits 0 and shows examples', async (cmd, { expect }) => {
    const p = await makeProject();
    const r = await p.copro([...cmd.split(' '), '--help']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain(`copro ${cmd}`);
  });

  it('copro --help exits 0 and lists the exit codes', async ({ expect }) => {
    const p = await makeProject();
    const r = await p.copro(['--help']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/Exit codes: 0 ok/);
  });
});
