/**
 * The two commands the README gives for the page, run as a person runs them: `npm run build:web` (a folder of
 * static files, the JavaScript size reported, the catalog in a chunk of its own loaded only when needed) and
 * `npm run web` (Vite's dev server), each page loaded in headless Chromium with every off-origin request
 * aborted and failing the test (harness.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { execa } from 'execa';
import { FINISHED, haveChromium, launch, openPage, ROOT, serveStatic, waitStatus } from './harness.js';

const DIST = path.join(ROOT, 'dist', 'web');
let browser: Browser | undefined;
let dev: ChildProcess | undefined;

beforeAll(async () => {
  if (haveChromium) browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  // The dev server runs under npm in its own process group: end the group it leads, by its id.
  if (dev?.pid && dev.exitCode === null) {
    const gone = new Promise((r) => dev!.once('exit', r));
    process.kill(-dev.pid, 'SIGTERM');
    await gone;
  }
});

const strip = stripVTControlCharacters;
const kib = (s: string) => Number(/([0-9.]+) KiB/.exec(s)![1]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!haveChromium)('serving the page as the README says', () => {
  it('`npm run build:web`: static files, the JavaScript size reported, the catalog loaded only when first needed', async () => {
    const r = await execa('npm', ['run', 'build:web'], { cwd: ROOT, all: true, env: { NO_COLOR: '1' } });
    const out = strip(r.all ?? '');
    // The figure the build prints, and the same in dist/web/size.json, and both what is on disk.
    const line = /page JavaScript: ([0-9.]+ KiB) in all; ([0-9.]+ KiB) loaded at start; lazy: (assets\/catalog-[\w-]+\.js) ([0-9.]+ KiB)/.exec(out);
    expect(line, out).not.toBeNull();
    const size = JSON.parse(readFileSync(path.join(DIST, 'size.json'), 'utf8')) as { totalBytes: number; initialBytes: number; lazy: { file: string; bytes: number; modules: string[] }[] };
    const files = readdirSync(path.join(DIST, 'assets'));
    const js = files.filter((f) => f.endsWith('.js'));
    const onDisk = (f: string) => statSync(path.join(DIST, 'assets', f)).size;
    expect(js.reduce((n, f) => n + onDisk(f), 0)).toBe(size.totalBytes);
    const catalog = size.lazy.find((c) => c.modules.includes('binaries/catalog.json'))!;
    expect(catalog.file).toBe(line![3]);
    expect(onDisk(path.basename(catalog.file))).toBe(catalog.bytes);
    expect(kib(line![2]!)).toBeCloseTo(size.initialBytes / 1024, 1);
    // The catalog's data is in its chunk, not in what loads at start (a sha256 the catalog lists).
    const aSha = (JSON.parse(readFileSync(path.join(ROOT, 'binaries', 'catalog.json'), 'utf8')) as { images: { sha256: string }[] }).images[0]!.sha256;
    const entry = js.filter((f) => `assets/${f}` !== catalog.file);
    expect(entry.some((f) => readFileSync(path.join(DIST, 'assets', f), 'utf8').includes(aSha))).toBe(false);
    expect(readFileSync(path.join(DIST, catalog.file), 'utf8')).toContain(aSha);
    // Static files only: HTML, JavaScript, the size report.
    const all = readdirSync(DIST, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
    expect(all.filter((f) => !/\.(html|js|json)$/.test(f))).toEqual([]);
    // The README's figures are the build's (to within 15%: they are rounded and the code moves).
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const said = /The built page is\s+(\d+) KiB of JavaScript at start \((\d+) KiB gzipped\); the image catalog \((\d+) KiB/.exec(readme.replace(/\n/g, ' '));
    expect(said, 'README states the page size').not.toBeNull();
    expect(Math.abs(Number(said![1]) * 1024 - size.initialBytes) / size.initialBytes).toBeLessThan(0.15);
    expect(Math.abs(Number(said![3]) * 1024 - catalog.bytes) / catalog.bytes).toBeLessThan(0.15);

    // Hosted as plain files (under a sub-path): the page starts without the catalog and fetches it once, when needed.
    const server = await serveStatic(DIST);
    try {
      const o = await openPage(browser!, server.url('?simulate=1&speed=1000'), { hook: false });
      const catalogRequests = () => o.requests.filter((q) => q.url.endsWith(catalog.file)).length;
      expect(await o.page.locator('#example option').count()).toBeGreaterThan(5);
      expect(catalogRequests()).toBe(0);
      await o.page.selectOption('#example', 'nucleo-wb55-ble');
      await o.page.waitForSelector('#manifest-ok');
      expect(catalogRequests()).toBe(1);
      await o.page.click('#connect');
      expect(await waitStatus(o.page, /Plan ready|Could not/)).toMatch(/^Plan ready/);
      await o.close();
    } finally {
      await server.close();
    }
  }, 180_000);

  it('`npm run web`: the dev server serves the page, which works and requests nothing outside it', async () => {
    const port = await freePort();
    dev = spawn('npm', ['run', 'web', '--', '--port', String(port), '--strictPort'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = /Local:\s+(http:\/\/\S+)/.exec(strip(out));
        if (m) resolve(m[1]!);
      };
      dev!.stdout!.on('data', onData);
      dev!.stderr!.on('data', onData);
      dev!.once('exit', (code) => reject(new Error(`npm run web exited (${code}):\n${out}`)));
    });
    expect(new URL(url).port).toBe(String(port));
    const o = await openPage(browser!, `${url}?simulate=1&example=nucleo-wb55-ble&speed=1000`, { hook: false });
    const { page } = o;
    expect(await page.title()).toMatch(/^copro/);
    expect(await page.isVisible('#sim-banner')).toBe(true);
    await page.waitForSelector('#manifest-ok', { timeout: 120_000 });
    await page.click('#connect');
    expect(await waitStatus(page, /Plan ready|Could not/, 120_000)).toMatch(/^Plan ready/);
    await page.click('#apply');
    await page.click('#confirm-yes');
    expect(await waitStatus(page, FINISHED, 120_000)).toMatch(/^Done: every step verified/);
    // Everything came from the dev server (Vite's client and modules included).
    expect(o.requests.length).toBeGreaterThan(10);
    await o.close();
  }, 240_000);
});
