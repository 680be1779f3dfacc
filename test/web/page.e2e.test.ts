/**
 * The browser page end to end, in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the page is built with Vite, served from the static folder, and talks WebUSB to the virtual DfuSe device
 * (the same VirtualUsb/VirtualChip as the bootloader driver's tests, over the simulated board model), put
 * behind `navigator.usb` by the page's test hook. Screenshots of each state go to test-results/web/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { catalogImages, currentName } from '../../src/images/catalog.js';
import { makeStandIn } from '../../src/images/standin.js';
import { validatorFor } from '../../src/schemas.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, 'dist', 'web');
const SHOTS = path.join(ROOT, 'test-results', 'web');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/web: skipped: ${CHROMIUM} is not installed (Debian: apt-get install -y --no-install-recommends chromium)`);

const FAMILY = 'STM32WB5x';
/** The quick-start's images as stand-ins, under ST's names: FUS 1.2.0 (both), FUS 2.2.0, BLE_Stack_full 1.24.0. */
function quickStartImages(): { name: string; mimeType: string; buffer: Buffer }[] {
  return catalogImages({ release: 'v1.24.0', family: FAMILY })
    .filter((r) => r.kind === 'fus' || r.stackType === 'BLE_Stack_full')
    .map((r) => ({ name: currentName(r, FAMILY), mimeType: 'application/octet-stream', buffer: Buffer.from(makeStandIn(r)) }));
}
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

let server: Server;
let origin = '';
let browser: Browser;
const offsite: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = path.join(OUT, path.normalize(url.pathname === '/' ? '/index.html' : url.pathname));
    if (!file.startsWith(OUT)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

/** A page with the virtual DfuSe device behind navigator.usb (unless `simulate` opens the page's own simulation). */
async function open(query = '', opts: { hook?: boolean; noWebUsb?: boolean } = { hook: true }): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) offsite.push(u);
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  if (opts.hook) await page.addInitScript(() => ((window as unknown as { __coproTestUsb: unknown }).__coproTestUsb = { speed: 1000 }));
  if (opts.noWebUsb) await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'usb', { value: undefined, configurable: true }));
  await page.goto(`${origin}/index.html${query}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Drops a file on a drop zone, as a person dragging it from the file manager does. */
async function dropFile(page: Page, selector: string, name: string, text: string): Promise<void> {
  const dt = await page.evaluateHandle(([n, t]) => {
    const d = new DataTransfer();
    d.items.add(new File([t!], n!, { type: 'text/yaml' }));
    return d;
  }, [name, text]);
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

type Hooks = { board(): { fus: string; stack: string | null; stackType: string | null; powered: boolean }; requests(): number };
const board = (page: Page) => page.evaluate(() => (window as unknown as { __coproVirtual: Hooks }).__coproVirtual.board());
const requests = (page: Page) => page.evaluate(() => (window as unknown as { __coproVirtual: Hooks }).__coproVirtual.requests());
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function loadQuickStart(page: Page, images = quickStartImages()): Promise<void> {
  await dropFile(page, '#manifest-drop', 'nucleo-wb55-bootloader-usb.yaml', readFileSync(path.join(ROOT, 'manifests', 'nucleo-wb55-bootloader-usb.yaml'), 'utf8'));
  await page.waitForSelector('#manifest-ok');
  await page.setInputFiles('#image-files', images);
  await page.waitForFunction((n) => document.querySelectorAll('#image-table tbody tr').length >= n || document.querySelectorAll('#image-problems li').length > 0, images.length);
}

async function connectAndPlan(page: Page): Promise<void> {
  await page.click('#connect');
  await page.waitForFunction(() => /Plan ready|up to date|refused/.test(document.getElementById('status')!.textContent ?? ''));
}

async function applyAndConfirm(page: Page, expectStatus: RegExp, onProgress?: () => Promise<void>): Promise<string> {
  await page.click('#apply');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-yes');
  if (onProgress) await onProgress();
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), expectStatus.source, { timeout: 60_000 });
  return (await page.textContent('#status')) ?? '';
}

async function download(page: Page, selector: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(SHOTS, d.suggestedFilename());
  await d.saveAs(file);
  return readFileSync(file, 'utf8');
}

describe.skipIf(!haveChromium)('the browser page in headless Chromium, over a virtual DfuSe device behind navigator.usb', () => {
  it('provisions the quick-start board: plan, confirm, every step verified, report; a second apply plans nothing', async () => {
    const page = await open();
    await loadQuickStart(page);
    expect(await page.locator('#image-problems li.bad').count()).toBe(0);
    // Images not dropped are listed with the ST release and file they come from.
    expect(await page.textContent('#image-missing')).toContain('stm32wb5x_Thread_FTD_fw.bin');
    expect(await requests(page)).toBe(0);

    await connectAndPlan(page);
    const steps = await page.$$eval('#plan-table tbody tr', (rows) => (rows as HTMLTableRowElement[]).map((r) => ({ title: r.cells[0]!.textContent, image: r.cells[1]!.textContent, address: r.cells[2]!.textContent, why: r.cells[3]!.textContent, rule: r.cells[4]!.textContent })));
    expect(steps.map((s) => s.title)).toEqual([expect.stringMatching(/^1\. .*FUS.*1\.2\.0/), expect.stringMatching(/^2\. .*FUS.*2\.2\.0/), expect.stringMatching(/^3\./), expect.stringMatching(/^4\./)].slice(0, steps.length));
    expect(steps.some((s) => s.image?.includes('BLE_Stack_full 1.24.0') && s.address === '0x080D0000')).toBe(true);
    for (const s of steps) expect(s.why && s.rule).toBeTruthy();
    await shot(page, '1-plan');

    let sawProgress = false;
    const status = await applyAndConfirm(page, /^Done|^Failed|disconnected/, async () => {
      await page.waitForSelector('#step-1 .step-state:not(.muted)');
      await shot(page, '2-progress');
      sawProgress = true;
    });
    expect(status).toMatch(/^Done: every step verified/);
    expect(sawProgress).toBe(true);
    const results = await page.$$eval('#plan-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.result));
    expect(results.length).toBe(steps.length);
    expect(results.every((r) => r === 'verified')).toBe(true);
    await shot(page, '3-done');

    // The model says so, not only the page.
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });

    // The report: the CLI's events (valid against schemas/events.schema.json) and JUnit.
    const ndjson = await download(page, '#report-ndjson');
    const events = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { type: string; verification?: string; result?: string; status?: string });
    const validate = validatorFor('events');
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(events.filter((e) => e.type === 'step-finished').map((e) => e.verification)).toEqual(steps.map(() => 'read-back'));
    expect(events.find((e) => e.type === 'board-finished')?.result).toBe('provisioned');
    const junit = await download(page, '#report-junit');
    expect(junit).toContain('<testsuite');
    expect(junit).not.toContain('<failure');
    expect((junit.match(/<testcase /g) ?? []).length).toBeGreaterThanOrEqual(steps.length);

    // Second apply: re-reads the board, plans nothing, touches nothing.
    await page.click('#apply');
    await page.waitForFunction(() => /Nothing to do/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.textContent('#plan-summary')).toMatch(/Nothing to do/);
    const second = (await download(page, '#report-ndjson')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string; steps?: number });
    expect(second.find((e) => e.type === 'plan')).toMatchObject({ status: 'up-to-date', steps: 0 });
    expect(second.some((e) => e.type === 'step-started')).toBe(false);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0' });
    expect(offsite).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('a bad manifest: the error at line:column, nothing touched', async () => {
    const page = await open();
    const text = readFileSync(path.join(ROOT, 'manifests', 'nucleo-wb55-bootloader-usb.yaml'), 'utf8').replace('  version: 1.24.0', '  verison: 1.24.0');
    const line = text.split('\n').findIndex((l) => l.includes('verison')) + 1;
    await page.fill('#manifest-text', text);
    await page.click('#check-manifest');
    await page.waitForSelector('#manifest-issues li.bad');
    const issues = await page.$$eval('#manifest-issues li.bad', (li) => li.map((l) => ({ text: l.textContent ?? '', line: (l as HTMLElement).dataset.line, column: (l as HTMLElement).dataset.column })));
    expect(issues.some((i) => i.line === String(line) && i.column === '3' && i.text.includes(`manifest.yaml:${line}:3:`) && /verison/.test(i.text) && /did you mean "version"/.test(i.text))).toBe(true);
    expect(await page.textContent('#manifest-summary')).toContain('nothing was done');
    await page.setInputFiles('#image-files', quickStartImages());
    await page.click('#connect');
    await page.waitForFunction(() => /Board read|Could not/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.isDisabled('#apply')).toBe(true);
    await shot(page, '4-error-manifest');
    expect(await board(page)).toMatchObject({ fus: '0.5.3', stack: null });
    await page.context().close();
  }, 60_000);

  it('a tampered image: refused with expected and actual sha256, the board never read', async () => {
    const page = await open();
    const images = quickStartImages();
    const ble = images.find((i) => i.name.includes('BLE_Stack_full'))!;
    const intact = sha256(ble.buffer);
    ble.buffer = Buffer.from(ble.buffer);
    ble.buffer[1000] = ble.buffer[1000]! ^ 0x01;
    const actual = sha256(ble.buffer);
    await loadQuickStart(page, images);
    const problem = page.locator('#image-problems li[data-code]');
    await expect.poll(() => problem.count()).toBe(1);
    expect(await problem.getAttribute('data-expected')).toBe(intact);
    expect(await problem.getAttribute('data-actual')).toBe(actual);
    const text = (await problem.textContent()) ?? '';
    expect(text).toContain(`expected sha256 ${intact}`);
    expect(text).toContain(`actual ${actual}`);
    await shot(page, '5-error-tampered');
    expect(await page.isDisabled('#apply')).toBe(true);
    expect(await requests(page)).toBe(0);
    await page.context().close();
  }, 60_000);

  it('the device unplugged mid-download: the page says what happened; reconnect and apply converge', async () => {
    const page = await open();
    await loadQuickStart(page);
    await connectAndPlan(page);
    // Pull the cable when step 1's download passes 40%: the next USB request finds the device gone.
    await page.evaluate(() => {
      // The table is drawn again from the plan apply makes after its own read: look the row up each time.
      const table = document.getElementById('plan-table')!;
      const obs = new MutationObserver(() => {
        const row = document.getElementById('step-1');
        if (!row) return;
        const value = row.querySelector('progress')!.value;
        if ((row.querySelector('.step-state')!.textContent ?? '').startsWith('download') && value >= 40 && value < 100) {
          obs.disconnect();
          const w = window as unknown as { __coproVirtual: { armUsbFault(t: string): void }; __unpluggedAt: number };
          w.__coproVirtual.armUsbFault('unplug@1');
          w.__unpluggedAt = value;
        }
      });
      obs.observe(table, { subtree: true, attributes: true, childList: true, characterData: true });
    });
    const status = await applyAndConfirm(page, /^Done|^Failed|disconnected/);
    const at = await page.evaluate(() => (window as unknown as { __unpluggedAt?: number }).__unpluggedAt);
    expect(at).toBeGreaterThanOrEqual(40);
    expect(status).toMatch(/The board disconnected/);
    expect(status).toMatch(/Connect, then Apply/);
    expect(await page.locator('#plan-table tbody tr[data-result="failed"]').count()).toBe(1);
    await shot(page, '6-error-unplugged');
    expect((await board(page)).powered).toBe(false);

    await page.evaluate(() => (window as unknown as { __coproVirtual: { plugIn(): Promise<void> } }).__coproVirtual.plugIn());
    await connectAndPlan(page);
    const again = await applyAndConfirm(page, /^Done|^Failed|disconnected/);
    expect(again).toMatch(/^Done: every step verified/);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });
    await shot(page, '7-done-after-unplug');
    await page.context().close();
  }, 120_000);

  it('rehearses on the simulated board in the page (?simulate=1&example=...), visibly marked', async () => {
    const page = await open('?simulate=1&example=nucleo-wb55-ble&speed=1000', {});
    expect(await page.isVisible('#sim-banner')).toBe(true);
    await page.waitForSelector('#manifest-ok');
    // Stand-ins for the release's images are made in the page: nothing to drop.
    await page.waitForFunction(() => document.querySelectorAll('#image-table tbody tr').length > 0);
    await connectAndPlan(page);
    expect(await applyAndConfirm(page, /^Done|^Failed|disconnected/)).toMatch(/^Done: every step verified/);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0' });
    await shot(page, '8-simulated');
    await page.context().close();
  }, 120_000);

  it('a browser without WebUSB gets a clear message pointing at the command line', async () => {
    const page = await open('', { noWebUsb: true });
    expect(await page.isVisible('#unsupported')).toBe(true);
    expect(await page.textContent('#unsupported')).toMatch(/no WebUSB.*npx copro apply/s);
    expect(await page.isDisabled('#connect')).toBe(true);
    await shot(page, '9-unsupported');
    await page.context().close();
  }, 60_000);
});
