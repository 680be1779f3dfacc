/**
 * The page's report is the command line's: the same board (a factory board behind the same virtual DfuSe
 * device), the same manifest, once through `copro apply --simulate --json --junit` and once through the page in
 * headless Chromium; the NDJSON events (valid against schemas/events.schema.json, their plans against
 * schemas/plan.schema.json) and the JUnit XML must be the same but for times, durations, file paths and the
 * driver's label. The confirmation the page asks is the one the CLI asks, step by step.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { validatorFor } from '../../src/schemas.js';
import { makeProject, removeProjects } from '../cli/helpers.js';
import { connectAndPlan, download, dropFile, FINISHED, haveChromium, loadQuickStart, QUICK_START, waitStatus,
  builtPage,
} from './harness.js';

const site = builtPage();

afterAll(removeProjects);

type Event = Record<string, unknown> & { type: string };
const parse = (ndjson: string): Event[] => ndjson.trim().split('\n').map((l) => JSON.parse(l) as Event);

/** What may differ between two runs of the same plan: when, how long, where the files were, the driver's label. */
function comparable(events: Event[]): unknown[] {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === 'time' || k === 'durationMs' || k === 'path') continue;
        out[k] = strip(x);
      }
      return out;
    }
    return v;
  };
  return events
    .filter((e) => e.type !== 'step-progress')
    .map((e) => {
      const s = strip(e) as Event;
      if (e.type === 'run-started') return { ...s, manifest: path.basename(String(e.manifest)), driver: String(e.driver).split(' ')[0] };
      return s;
    });
}
const junitComparable = (xml: string) => xml.replace(/ time="[0-9.]+"/g, '').replace(/<testsuites name="[^"]*"/, '<testsuites');

async function cliRun(args: string[]): Promise<{ exitCode: number; events: Event[]; junit: string; stderr: string }> {
  const p = await makeProject();
  const m = await p.useManifest(QUICK_START);
  const r = await p.copro(['apply', m, '--simulate', '--json', '--junit', 'report.xml', ...args]);
  return { exitCode: r.exitCode, events: parse(r.stdout), junit: await readFile(path.join(p.dir, 'report.xml'), 'utf8'), stderr: r.stderr };
}

function valid(events: Event[]): void {
  const ev = validatorFor('events');
  const plan = validatorFor('plan');
  for (const e of events) {
    expect(ev(e), JSON.stringify(ev.errors)).toBe(true);
    if (e.type === 'plan') expect(plan(e.plan), JSON.stringify(plan.errors)).toBe(true);
  }
}

async function pageReady(): Promise<{ page: Page; close: () => Promise<void> }> {
  const o = await site.open();
  await loadQuickStart(o.page);
  expect(await connectAndPlan(o.page)).toMatch(/^Plan ready/);
  return o;
}

describe.skipIf(!haveChromium)('the report the page offers is the one the CLI writes', () => {
  it('a provisioning run: the same events and the same JUnit as `copro apply --json --junit`', async () => {
    const cli = await cliRun(['--yes']);
    expect(cli.exitCode, cli.stderr).toBe(0);
    const o = await pageReady();
    await o.page.click('#apply');
    await o.page.click('#confirm-yes');
    expect(await waitStatus(o.page, FINISHED)).toMatch(/^Done/);
    const events = parse(await download(o.page, '#report-ndjson', 'page-run.ndjson'));
    const junit = await download(o.page, '#report-junit', 'page-run.junit.xml');
    valid(events);
    valid(cli.events);
    expect(events.filter((e) => e.type === 'step-finished')).toHaveLength(3);
    expect(comparable(events)).toEqual(comparable(cli.events));
    expect(junitComparable(junit)).toEqual(junitComparable(cli.junit));
    await o.close();
  }, 120_000);

  it('a run not confirmed: the same question as the CLI, and the same events (nothing changed, exit code 6)', async () => {
    const cli = await cliRun([]);
    expect(cli.exitCode).toBe(6);
    const asked = cli.stderr.split('\n').filter((l) => /^ {2}board \S+: step \d+\. /.test(l)).map((l) => l.replace(/^ {2}board \S+: /, ''));
    expect(asked.length).toBe(2);
    const o = await pageReady();
    await o.page.click('#apply');
    await o.page.waitForSelector('#confirm[open]');
    expect(await o.page.$$eval('#confirm-steps li', (li) => li.map((l) => l.textContent))).toEqual(asked);
    await o.page.click('#confirm button[value="no"]');
    expect(await waitStatus(o.page, FINISHED)).toMatch(/^Not confirmed: nothing was changed/);
    const events = parse(await download(o.page, '#report-ndjson', 'page-not-confirmed.ndjson'));
    valid(events);
    expect(events.find((e) => e.type === 'run-finished')).toMatchObject({ exitCode: 6 });
    expect(comparable(events)).toEqual(comparable(cli.events));
    expect(junitComparable(await download(o.page, '#report-junit', 'page-not-confirmed.junit.xml'))).toEqual(junitComparable(cli.junit));
    await o.close();
  }, 120_000);

  it('a bad manifest: the page reports exactly what `copro plan` prints, at the same lines and columns', async () => {
    const p = await makeProject();
    const name = await p.useManifest(QUICK_START, (t) => t.replace('  version: 1.24.0', '  verison: 1.24.0').replace(/^fus: 2\.2\.0$/m, 'fus: two'), 'bad.yaml');
    const r = await p.copro(['plan', name, '--simulate']);
    expect(r.exitCode).toBe(4);
    const cli = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('copro: ')).map((l) => l.trim());
    expect(cli.filter((l) => /^bad\.yaml:\d+:\d+: /.test(l))).toHaveLength(2);
    const o = await site.open();
    await dropFile(o.page, '#manifest-drop', 'bad.yaml', await readFile(path.join(p.dir, name), 'utf8'));
    await o.page.waitForSelector('#manifest-issues li.bad');
    const shown = (await o.page.$$eval('#manifest-issues li', (li) => li.map((l) => (l as HTMLElement).innerText))).flatMap((t) => t.split('\n')).map((l) => l.trim()).filter(Boolean);
    expect(shown).toEqual(cli);
    expect(await o.page.textContent('#manifest-summary')).toBe('The manifest is invalid; nothing was done.');
    await o.close();
  }, 60_000);
});
