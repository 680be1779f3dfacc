/**
 * `copro plan <manifest> --out plan.json` and `copro apply plan.json` (as terraform plan -out / apply planfile):
 * apply carries out exactly the reviewed plan, and refuses (exit 3), showing the difference, when the board,
 * the images or the manifest no longer match it.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_START, ROOT, atQuickStartTarget, makeProject, parseNdjson, removeProjects, type Project } from './helpers.js';
import type { PlanFile } from '../../src/generated/plan-file.js';
import * as sim from '../../src/drivers/simulator/index.js';

afterAll(removeProjects);

const schema = (n: string) => JSON.parse(readFileSync(path.join(ROOT, 'schemas', `${n}.schema.json`), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addSchema(schema('plan')).addSchema(schema('board-state'));
const validatePlanFile = ajv.compile<PlanFile>(schema('plan-file'));

async function substance(p: Project, serial: string): Promise<unknown> {
  const { counters: _c, clock: _t, ...rest } = await p.board(serial);
  return rest;
}

async function planned(spelling: '--out' | '-out' = '--out') {
  const p = await makeProject();
  const manifest = await p.useManifest(QUICK_START);
  const serial = await p.resetBoard();
  const r = await p.copro(['plan', manifest, '--simulate', spelling, 'plan.json']);
  expect(r.exitCode, r.all).toBe(0);
  const doc = JSON.parse(await readFile(path.join(p.dir, 'plan.json'), 'utf8')) as PlanFile;
  return { p, manifest, serial, r, doc };
}

describe('plan --out', () => {
  it('writes a plan file that validates against schemas/plan-file.schema.json, and says how to apply it; the board is untouched', async () => {
    const { p, serial, r, doc } = await planned('-out');
    expect(validatePlanFile(doc), JSON.stringify(validatePlanFile.errors)).toBe(true);
    expect(doc.boards.map((b) => b.board)).toEqual([serial]);
    expect(doc.boards[0]!.plan.steps.map((s) => s.kind)).toEqual(['fus-upgrade', 'fus-upgrade', 'stack-install']);
    expect(r.stdout).toMatch(/Saved the plan to plan\.json\. To carry out exactly this plan: copro apply plan\.json/);
    expect((await p.board(serial)).fus.version).toBe('0.5.3');
  });

  it('refuses --out with --state (a snapshot is not a board to apply to): exit 4', async () => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const r = await p.copro(['plan', manifest, '--state', 'x.json', '--out', 'plan.json']);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toMatch(/^copro: error: --out writes a plan of the boards themselves/);
  });
});

describe('apply plan.json', () => {
  it('carries out exactly the reviewed steps (no prompt: the plan was reviewed), then the board is at the target', async () => {
    const { p, serial, doc } = await planned();
    const r = await p.copro(['apply', 'plan.json', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const events = parseNdjson(r.stdout) as { type: string; board: string; title?: string; step?: number }[];
    const started = events.filter((e) => e.type === 'step-started').map((e) => `${e.step}. ${e.title}`);
    expect(started).toEqual(doc.boards[0]!.plan.steps.map((s) => `${s.n}. ${s.title}`));
    expect(atQuickStartTarget(await p.board(serial))).toBe(true);
  });

  it('the board changed since the review: refused (exit 3), the difference shown, nothing done', async () => {
    const { p, serial } = await planned();
    // Someone updated FUS by hand in between.
    await sim.writeSimulatedBoard(p.simDir, sim.makeBoard({ serial, fusVersion: '1.2.0' }));
    const before = await substance(p, serial);
    const r = await p.copro(['apply', 'plan.json', '--yes']);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^copro: error: board ${serial} no longer matches the plan in plan\\.json`, 'm'));
    expect(r.stderr).toMatch(/^ {2}- .*from FUS 0\.5\.3/m);
    expect(r.stderr).toMatch(/^ {2}\+ .*from FUS 1\.2\.0/m);
    expect(r.stderr).toMatch(/^ {2}remedy: run `copro plan nucleo-wb55-ble\.yaml --out plan\.json` again and review it/m);
    expect(await substance(p, serial)).toEqual(before);
  });

  it('the images changed since the review (another sha256 for a step): refused (exit 3), the image difference shown', async () => {
    const { p, serial, doc } = await planned();
    // The reviewed plan named other bytes than the images at hand now give.
    doc.boards[0]!.plan.steps[2]!.image!.sha256 = '0'.repeat(64);
    await writeFile(path.join(p.dir, 'plan.json'), JSON.stringify(doc));
    const before = await substance(p, serial);
    const r = await p.copro(['apply', 'plan.json']);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr).toMatch(/^ {2}- 3\. .*image sha256 0{64}/m);
    expect(r.stderr).toMatch(/^ {2}\+ 3\. .*image sha256 (?!0{64})[0-9a-f]{64}/m);
    expect(await substance(p, serial)).toEqual(before);
  });

  it('the manifest changed since the review: refused (exit 3) before the board is read', async () => {
    const { p, manifest, serial } = await planned();
    await writeFile(path.join(p.dir, manifest), (await readFile(path.join(p.dir, manifest), 'utf8')).replace('fus: 2.2.0', 'fus: 1.2.0'));
    const before = await p.boardBytes(serial);
    const r = await p.copro(['apply', 'plan.json']);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr).toMatch(/^copro: error: the manifest nucleo-wb55-ble\.yaml changed since the plan in plan\.json was made/);
    expect(await p.boardBytes(serial)).toBe(before);
  });

  it.each([
    ['not JSON', 'plan.json', '{ nope', [] as string[]],
    ['not a plan file', 'plan.json', '{ "planFileVersion": 2 }', []],
    ['--serial with a plan file', 'plan.json', null, ['--serial', '207F38933036']],
  ])('%s: exit 4, nothing touched', async (_what, file, content, extra) => {
    const { p, serial } = await planned();
    if (content !== null) await writeFile(path.join(p.dir, file), content);
    const before = await p.boardBytes(serial);
    const r = await p.copro(['apply', file, ...extra]);
    expect(r.exitCode, r.all).toBe(4);
    expect(r.stderr).toMatch(/^copro: error: /);
    expect(r.stderr).toMatch(/^ {2}remedy: /m);
    expect(await p.boardBytes(serial)).toBe(before);
  });
});
