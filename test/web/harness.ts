/**
 * What the page's browser tests share: the page built with Vite into a folder of its own (test files run in
 * parallel), served as plain static files under a sub-path (as anyone hosting the folder would), headless
 * Chromium (Debian's `chromium`, driven by playwright-core), and a browser context that lets no request leave
 * the page's origin: every request is recorded, anything off-origin is aborted and fails the test.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { catalogImages, currentName } from '../../src/images/catalog.js';
import { makeStandIn } from '../../src/images/standin.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SHOTS = path.join(ROOT, 'test-results', 'web');
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/web: skipped: ${CHROMIUM} is not installed (Debian: apt-get install -y --no-install-recommends chromium)`);

/** Where the static server puts the page: a sub-path, so the built folder must work wherever it is hosted. */
export const BASE = '/hosted/copro/';

const FAMILY = 'STM32WB5x';
/** The quick-start's images as stand-ins, under ST's names: FUS 1.2.0 (both), FUS 2.2.0, BLE_Stack_full 1.24.0. */
export function quickStartImages(): { name: string; mimeType: string; buffer: Buffer }[] {
  return catalogImages({ release: 'v1.24.0', family: FAMILY })
    .filter((r) => r.kind === 'fus' || r.stackType === 'BLE_Stack_full')
    .map((r) => ({ name: currentName(r, FAMILY), mimeType: 'application/octet-stream', buffer: Buffer.from(makeStandIn(r)) }));
}

export const QUICK_START = 'nucleo-wb55-bootloader-usb.yaml';
export const quickStartText = () => readFileSync(path.join(ROOT, 'manifests', QUICK_START), 'utf8');

/** Builds the page (web/vite.config.ts, its Node guard and size report included) into a fresh folder. */
export async function buildPage(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'copro-web-'));
  await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

/** A plain static file server for `dir` at `BASE`: no rewriting, no fallback, 404 for anything else. */
export async function serveStatic(dir: string): Promise<{ origin: string; url: (query?: string) => string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || !url.pathname.startsWith(BASE)) return void res.writeHead(404).end();
    const rel = url.pathname.slice(BASE.length) || 'index.html';
    const file = path.join(dir, path.normalize('/' + rel));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, url: (query = '') => `${origin}${BASE}index.html${query}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** Every request the page made: method and URL. */
  requests: { method: string; url: string }[];
  /** Requests that would have left the page's origin (aborted). */
  offsite: string[];
  errors: string[];
  /** Checks that nothing left the origin, nothing was sent but GETs and the page threw nothing; closes the context. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Put the virtual DfuSe device behind navigator.usb (the test hook; default true). */
  hook?: boolean;
  /** A browser without WebUSB, as Firefox and Safari: `navigator.usb` does not exist. */
  noWebUsb?: boolean;
  viewport?: { width: number; height: number };
}

/** Opens `url` in a fresh context with request interception; waits until the page says it is ready. */
export async function openPage(browser: Browser, url: string, o: OpenOptions = {}): Promise<Opened> {
  const origin = new URL(url).origin;
  const folder = new URL('.', url).href;
  const context = await browser.newContext({ acceptDownloads: true, viewport: o.viewport ?? { width: 1280, height: 900 } });
  const requests: Opened['requests'] = [];
  const offsite: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const r = route.request();
    requests.push({ method: r.method(), url: r.url() });
    if (new URL(r.url()).origin !== origin) {
      offsite.push(r.url());
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  if (o.hook !== false) await page.addInitScript(() => ((window as unknown as { __coproTestUsb: unknown }).__coproTestUsb = { speed: 1000 }));
  // Firefox and Safari have no `usb` on navigator at all (`'usb' in navigator` is false), not an undefined one.
  if (o.noWebUsb) await page.addInitScript(() => delete (Navigator.prototype as unknown as { usb?: unknown }).usb);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  return {
    page,
    context,
    requests,
    offsite,
    errors,
    close: async () => {
      await context.close();
      expect(offsite, 'requests that left the page').toEqual([]);
      // Not even to the same host outside the page's folder (a hosted copy lives under a sub-path).
      expect(requests.filter((r) => !r.url.startsWith(folder)).map((r) => r.url), 'requests outside the page folder').toEqual([]);
      expect(requests.filter((r) => r.method !== 'GET'), 'requests that send something').toEqual([]);
      expect(errors, 'errors thrown in the page').toEqual([]);
    },
  };
}

/** Drops a file on a drop zone, as a person dragging it from the file manager does. */
export async function dropFile(page: Page, selector: string, name: string, text: string): Promise<void> {
  const dt = await page.evaluateHandle(([n, t]) => {
    const d = new DataTransfer();
    d.items.add(new File([t!], n!, { type: 'text/yaml' }));
    return d;
  }, [name, text]);
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

interface Hooks {
  board(): { fus: string; stack: string | null; stackType: string | null; powered: boolean };
  requests(): number;
  counters(): { resets: number; usbReenumerations: number } & Record<string, unknown>;
  webUsb?: { prompts(): { filters: { vendorId?: number; productId?: number }[] }[]; devices(): { serial: string; gone: boolean }[]; revoke(): void };
}
type W = { __coproVirtual: Hooks };
export const board = (page: Page) => page.evaluate(() => (window as unknown as W).__coproVirtual.board());
export const usbRequests = (page: Page) => page.evaluate(() => (window as unknown as W).__coproVirtual.requests());
export const counters = (page: Page) => page.evaluate(() => (window as unknown as W).__coproVirtual.counters());
export const prompts = (page: Page) => page.evaluate(() => (window as unknown as W).__coproVirtual.webUsb!.prompts());
export const devicesHandedOut = (page: Page) => page.evaluate(() => (window as unknown as W).__coproVirtual.webUsb!.devices());
export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
export const status = async (page: Page) => (await page.textContent('#status')) ?? '';

export async function loadQuickStart(page: Page, images = quickStartImages()): Promise<void> {
  await dropFile(page, '#manifest-drop', QUICK_START, quickStartText());
  await page.waitForSelector('#manifest-ok');
  await page.setInputFiles('#image-files', images);
  await page.waitForFunction((n) => document.querySelectorAll('#image-table tbody tr').length >= n || document.querySelectorAll('#image-problems li').length > 0, images.length);
}

export async function waitStatus(page: Page, re: RegExp, timeout = 60_000): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), re.source, { timeout });
  return status(page);
}

export async function connectAndPlan(page: Page): Promise<string> {
  await page.click('#connect');
  return waitStatus(page, /Plan ready|up to date|refused|Could not|No device/);
}

export const FINISHED = /^Done|^Failed|disconnected|^Not confirmed|^Refused|^Stopped|^Nothing to do/;

export async function applyAndConfirm(page: Page, expectStatus: RegExp = FINISHED, onProgress?: () => Promise<void>): Promise<string> {
  await page.click('#apply');
  // The page asks only when the plan it makes from its fresh read has irreversible steps.
  await page.waitForFunction((src) => document.querySelector('#confirm[open]') !== null || new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), FINISHED.source, { timeout: 60_000 });
  if (await page.isVisible('#confirm[open]')) await page.click('#confirm-yes');
  if (onProgress) await onProgress();
  return waitStatus(page, expectStatus);
}

/** Clicks a download link and returns the file's text (a copy is kept next to the screenshots). */
export async function download(page: Page, selector: string, keepAs?: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(SHOTS, keepAs ?? d.suggestedFilename());
  await d.saveAs(file);
  return readFileSync(file, 'utf8');
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * A test file's page: built once (each file its own copy, so files run in parallel), served by a static server,
 * with one Chromium; set up and taken down by the file's beforeAll/afterAll. `open` loads it with a query.
 */
export function builtPage(): { open: (query?: string, o?: OpenOptions) => Promise<Opened> } {
  let outDir: string | undefined;
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!haveChromium) return;
    outDir = await buildPage();
    server = await serveStatic(outDir);
    browser = await launch();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    removeDir(outDir);
  });
  return { open: (query = '', o = {}) => openPage(browser!, server!.url(query), o) };
}
