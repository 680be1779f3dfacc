/**
 * The examples never dirty tracked files: in a clone of this repository, the README's quick start (apply twice,
 * sim reset, a power cut and the resume) and every example manifest applied on simulated boards leave
 * `git status` clean (manifests/copro.lock is complete; state and logs stay in the git-ignored .copro/).
 * An images.dir that does not exist yet does not break loading (copro fetch creates it).
 */
import { execa } from 'execa';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, baseEnv } from './helpers.js';

let clone: string;
const hasGit = existsSync(path.join(ROOT, '.git'));

beforeAll(async () => {
  if (!hasGit) return;
  clone = path.join(await mkdtemp(path.join(tmpdir(), 'copro-examples-')), 'repo');
  await execa('git', ['clone', '-q', '--local', ROOT, clone]);
});
afterAll(async () => {
  if (clone && process.env.COPRO_KEEP_TEST_DIRS !== '1') await rm(path.dirname(clone), { recursive: true, force: true });
});

/** As a user runs it: from the clone, the default simulator folder (.copro/sim), no COPRO_SIM_DIR. */
async function copro(args: string[]) {
  const r = await execa('node', [BIN, ...args], { cwd: clone, env: baseEnv('', { COPRO_SIM_DIR: undefined }), extendEnv: false, reject: false, input: '', timeout: 60_000 });
  return { exitCode: r.exitCode ?? -1, all: `${String(r.stdout)}\n${String(r.stderr)}` };
}

async function gitStatus(): Promise<string> {
  return String((await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: clone })).stdout);
}

describe.skipIf(!hasGit)('the examples leave git status clean', () => {
  it('the README quick start: apply, apply again, a power cut, the resume, sim reset', async () => {
    const m = 'manifests/nucleo-wb55-ble.yaml';
    expect((await copro(['apply', m, '--simulate', '--yes'])).exitCode).toBe(0);
    expect((await copro(['apply', m, '--simulate', '--yes'])).exitCode).toBe(0);
    expect((await copro(['sim', 'reset'])).exitCode).toBe(0);
    expect((await copro(['sim', 'fault', 'power-loss@download:50'])).exitCode).toBe(0);
    expect((await copro(['apply', m, '--simulate', '--yes'])).exitCode).toBe(1);
    const resumed = await copro(['apply', m, '--simulate', '--yes']);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect((await copro(['sim', 'reset'])).exitCode).toBe(0);
    expect(await gitStatus()).toBe('');
  }, 120_000);

  it('every example manifest, applied to fresh simulated boards', async () => {
    const manifests = (await readdir(path.join(clone, 'manifests'))).filter((f) => f.endsWith('.yaml'));
    expect(manifests.length).toBeGreaterThan(3);
    for (const f of manifests) {
      await rm(path.join(clone, '.copro', 'sim'), { recursive: true, force: true });
      const r = await copro(['apply', `manifests/${f}`, '--simulate', '--yes', '--all']);
      expect(r.exitCode, `${f}\n${r.all}`).toBe(0);
      expect(await gitStatus(), `${f} dirtied the tree`).toBe('');
    }
  }, 300_000);

  it('an images.dir that does not exist yet: plan works (stand-ins on the simulator), nothing is created', async () => {
    const m = path.join(clone, 'nodir.yaml');
    await writeFile(m, 'version: 1\ndevice: STM32WB55RG\nfus: 2.2.0\nstack:\n  type: BLE_Stack_full\n  version: 1.24.0\nimages:\n  release: v1.24.0\n  dir: ./not-fetched-yet\n');
    await rm(path.join(clone, '.copro', 'sim'), { recursive: true, force: true });
    const r = await copro(['plan', 'nodir.yaml', '--simulate']);
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(path.join(clone, 'not-fetched-yet'))).toBe(false);
    await rm(m);
  });
});
