/**
 * What a user outside this repo gets: `npm pack`, installed into an empty project, must run on its own
 * (`npx copro --help`, a rehearsal on the simulated board, a second run with nothing to do), and ship
 * nothing that points at files it does not ship (source maps into src/).
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const MANIFEST = `version: 1
device: STM32WB55RG
fus: 2.2.0
stack:
  type: BLE_Stack_full
  version: 1.24.0
images:
  release: v1.24.0
connection:
  driver: simulator
policy:
  fusUpgrade: allow
`;

describe('the packed package, installed into an empty project', () => {
  let work: string;
  let project: string;
  let files: string[] = [];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('COPRO_') && k !== 'FORCE_COLOR') env[k] = v;
  Object.assign(env, { NO_COLOR: '1', COPRO_SIM_SPEED: '1000' });

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'copro-pack-'));
    // `npm test` has built dist/ already; --ignore-scripts keeps `prepare` from building again.
    const packed = await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT });
    const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info[0]!.files.map((f) => f.path);
    project = path.join(work, 'project');
    await execa('mkdir', ['-p', project]);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'firmware', version: '1.0.0', private: true }));
    await writeFile(path.join(project, 'copro.yaml'), MANIFEST);
    await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, info[0]!.filename)], { cwd: project, env });
  }, 240_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships what the CLI needs: licence, precompiled validators, schemas, catalog; no source maps into unshipped files', () => {
    expect(files).toContain('LICENSE');
    expect(files).toContain('binaries/catalog.json');
    expect(files).toContain('dist/validators/manifest.cjs');
    expect(files).toContain('schemas/manifest.schema.json');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('runs `npx copro --help`, rehearses the manifest on the simulated board, then has nothing to do', async () => {
    const help = await execa('npx', ['copro', '--help'], { cwd: project, env });
    expect(help.stdout).toMatch(/Usage: copro/);

    const first = await execa('npx', ['copro', 'apply', 'copro.yaml', '--simulate', '--yes'], { cwd: project, env, reject: false });
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/2\.2\.0/);
    expect(first.stdout).toMatch(/BLE_Stack_full 1\.24\.0/);

    const second = await execa('npx', ['copro', 'apply', 'copro.yaml', '--simulate', '--yes'], { cwd: project, env, reject: false });
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/No changes/);
  }, 120_000);
});
