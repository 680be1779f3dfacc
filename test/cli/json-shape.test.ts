/**
 * `--json` has one shape whatever the number of boards (schemas/cli-output.schema.json), validated for 1 and 3
 * boards; in `--json` mode an error is JSON on stdout too and a one-line human summary reaches stderr.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK_START, ROOT, makeProject, parseNdjson, removeProjects, type Project } from './helpers.js';
import type { CliOutput, PlanOutput, StatusOutput, ErrorOutput } from '../../src/generated/cli-output.js';

const schema = (n: string) => JSON.parse(readFileSync(path.join(ROOT, 'schemas', `${n}.schema.json`), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addSchema(schema('plan')).addSchema(schema('board-state'));
const validateOutput = ajv.compile<CliOutput>(schema('cli-output'));
const validateEvent = ajv.compile(schema('events'));

function valid(doc: unknown): void {
  expect(validateOutput(doc), JSON.stringify(validateOutput.errors)).toBe(true);
}

let one: Project;
let three: Project;
let serials: string[];
let manifest1: string;
let manifest3: string;

beforeAll(async () => {
  one = await makeProject();
  manifest1 = await one.useManifest(QUICK_START);
  three = await makeProject();
  manifest3 = await three.useManifest(QUICK_START);
  const reset = await three.copro(['sim', 'reset', '--count', '3']);
  expect(reset.exitCode, reset.all).toBe(0);
  serials = await three.boards();
  expect(serials).toHaveLength(3);
});
afterAll(removeProjects);

describe('--json: one shape for 1 and 3 boards', () => {
  it('plan: {schemaVersion, command, boards: [{board, plan}]} for one board and for three', async () => {
    const r1 = await one.copro(['plan', manifest1, '--simulate', '--json']);
    expect(r1.exitCode, r1.all).toBe(0);
    const d1 = JSON.parse(r1.stdout) as PlanOutput;
    valid(d1);
    expect(d1.command).toBe('plan');
    expect(d1.boards).toHaveLength(1);
    expect(d1.boards[0]!.plan.status).toBe('changes');

    const r3 = await three.copro(['plan', manifest3, '--simulate', '--serial', serials.join(','), '--json']);
    expect(r3.exitCode, r3.all).toBe(0);
    const d3 = JSON.parse(r3.stdout) as PlanOutput;
    valid(d3);
    expect(d3.boards.map((b) => b.board)).toEqual(serials);
    // The same keys at every level: a consumer reads boards[i].plan whatever the count.
    expect(Object.keys(d3).sort()).toEqual(Object.keys(d1).sort());
    expect(Object.keys(d3.boards[2]!).sort()).toEqual(Object.keys(d1.boards[0]!).sort());
  });

  it('status: {schemaVersion, command, boards: [{board, state, plan?}]} for one board and for three', async () => {
    const r1 = await one.copro(['status', '--simulate', '--json']);
    expect(r1.exitCode, r1.all).toBe(0);
    const d1 = JSON.parse(r1.stdout) as StatusOutput;
    valid(d1);
    expect(d1.boards).toHaveLength(1);
    expect(d1.boards[0]!.plan).toBeUndefined();

    const r3 = await three.copro(['status', manifest3, '--simulate', '--serial', serials.join(','), '--json']);
    expect(r3.exitCode, r3.all).toBe(0);
    const d3 = JSON.parse(r3.stdout) as StatusOutput;
    valid(d3);
    expect(d3.boards.map((b) => b.board)).toEqual(serials);
    for (const b of d3.boards) expect(b.plan?.status).toBe('changes');
  });

  it('the schema rejects the old single-board shape (a bare plan object)', async () => {
    const r = await one.copro(['plan', manifest1, '--simulate', '--json']);
    const d = JSON.parse(r.stdout) as PlanOutput;
    expect(validateOutput(d.boards[0]!.plan)).toBe(false);
  });
});

describe('--json errors: JSON on stdout, one line on stderr', () => {
  it('an invalid manifest: an ErrorOutput with the issue at its line and column, exit 4', async () => {
    const bad = await one.useManifest(QUICK_START, (t) => t.replace(/^version: 1$/m, 'verison: 1'), 'typo.yaml');
    const r = await one.copro(['plan', bad, '--simulate', '--json']);
    expect(r.exitCode).toBe(4);
    const d = JSON.parse(r.stdout) as ErrorOutput;
    valid(d);
    expect(d.command).toBe('plan');
    expect(d.error.kind).toBe('invalid-input');
    expect(d.error.exitCode).toBe(4);
    expect(d.error.issues?.[0]).toMatchObject({ file: expect.stringContaining('typo.yaml') as string, line: expect.any(Number) as number, message: expect.stringContaining('verison') as string });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^copro: error: .*verison.*\(exit 4, invalid-input/);
  });

  it('no such board (plan --serial): an ErrorOutput, exit 5; stderr one line', async () => {
    const r = await one.copro(['plan', manifest1, '--simulate', '--serial', 'NOSUCHBOARD', '--json']);
    expect(r.stdout.length, r.all).toBeGreaterThan(0);
    const d = JSON.parse(r.stdout) as ErrorOutput;
    valid(d);
    expect(r.exitCode).toBe(5);
    expect(d.error).toMatchObject({ kind: 'environment', exitCode: 5, message: expect.stringContaining('no simulated board NOSUCHBOARD') as string });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('apply --json: the error is one NDJSON `error` event that validates against events.schema.json', async () => {
    const r = await one.copro(['apply', 'missing.yaml', '--simulate', '--json']);
    expect(r.exitCode).toBe(4);
    const events = parseNdjson(r.stdout);
    expect(events).toHaveLength(1);
    expect(validateEvent(events[0]), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(events[0]).toMatchObject({ type: 'error', kind: 'invalid-input', exitCode: 4, message: expect.stringContaining('no manifest') as string });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^copro: error: no manifest/);
  });

  it('an unknown option with --json: JSON on stdout as well, exit 4', async () => {
    const r = await one.copro(['plan', manifest1, '--json', '--no-such-option']);
    expect(r.exitCode).toBe(4);
    const d = JSON.parse(r.stdout) as ErrorOutput;
    valid(d);
    expect(d.error.message).toMatch(/unknown option/);
    expect(r.stderr).toMatch(/unknown option/);
  });
});
