import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { createServer, type Server, type IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fetchImages, fetchDestination, FetchError, type FetchRecord } from '../../src/images/fetch.js';
import { makeStandIn } from '../../src/images/standin.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { findBy } from './helpers.js';

const ble = findBy(loadCatalog().images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE 1.24.0');
const good = makeStandIn(ble);
const corrupted = good.slice();
corrupted[1234] = corrupted[1234]! ^ 0x01;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The catalog record, pinned to the stand-in's bytes (ST's real file cannot be served here). */
const record: FetchRecord = { ...ble, sha256: sha(good) };

let server: Server;
let base: string;
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
let rangeSupport = true;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const body = req.url === '/good.bin' ? good : req.url === '/corrupted.bin' ? corrupted : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && rangeSupport) {
      const from = Number(range[1]);
      res.writeHead(206, { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}`, 'content-length': body.length - from });
      res.end(Buffer.from(body.subarray(from)));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let dest: string;
beforeEach(async () => {
  dest = await mkdtemp(path.join(tmpdir(), 'copro-fetch-'));
  requests.length = 0;
  rangeSupport = true;
});
afterEach(async () => {
  await rm(dest, { recursive: true, force: true });
});

const from = (p: string) => () => `${base}${p}`;

describe('fetchImages (loopback server)', () => {
  it('downloads to <dest>/<release>/<name>, verifies sha256 and reports progress', async () => {
    const progress: number[] = [];
    const [r] = await fetchImages([record], { destDir: dest, urlFor: from('/good.bin'), onProgress: (p) => progress.push(p.received) });
    expect(r).toEqual({ sha256: record.sha256, path: path.join(dest, 'v1.24.0', 'stm32wb5x_BLE_Stack_full_fw.bin'), status: 'downloaded' });
    expect(sha(await readFile(r!.path))).toBe(record.sha256);
    expect(progress.at(-1)).toBe(good.length);
    expect(await readdir(path.dirname(r!.path))).toEqual(['stm32wb5x_BLE_Stack_full_fw.bin']);
  });

  it('downloads from the pinned rawUrl through the given fetch by default', async () => {
    const seen: string[] = [];
    const fetchImpl: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(`${base}/good.bin`, init);
    };
    await fetchImages([record], { destDir: dest, fetchImpl });
    expect(seen).toEqual([ble.rawUrl]);
  });

  it('rejects corrupted bytes with expected and actual sha256, and leaves nothing behind', async () => {
    const err = await fetchImages([record], { destDir: dest, urlFor: from('/corrupted.bin') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ code: 'SHA256_MISMATCH', expected: record.sha256, actual: sha(corrupted) });
    expect((err as Error).message).toContain(record.sha256);
    expect((err as Error).message).toContain(sha(corrupted));
    expect(await readdir(path.join(dest, 'v1.24.0'))).toEqual([]);
  });

  it('is idempotent: a file already there with the right sha256 is not downloaded again', async () => {
    await fetchImages([record], { destDir: dest, urlFor: from('/good.bin') });
    requests.length = 0;
    const [again] = await fetchImages([record], { destDir: dest, urlFor: from('/good.bin') });
    expect(again!.status).toBe('present');
    expect(requests).toEqual([]);
  });

  it('replaces a file with the right name but the wrong content', async () => {
    const target = fetchDestination(record, dest);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, corrupted);
    const [r] = await fetchImages([record], { destDir: dest, urlFor: from('/good.bin') });
    expect(r!.status).toBe('downloaded');
    expect(sha(await readFile(target))).toBe(record.sha256);
  });

  it('resumes a partial .part with a Range request', async () => {
    const target = fetchDestination(record, dest);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.part`, good.subarray(0, 10_000));
    const [r] = await fetchImages([record], { destDir: dest, urlFor: from('/good.bin') });
    expect(r!.status).toBe('resumed');
    expect(requests.map((q) => q.headers.range)).toEqual(['bytes=10000-']);
    expect(sha(await readFile(target))).toBe(record.sha256);
    expect(await readdir(path.dirname(target))).toEqual(['stm32wb5x_BLE_Stack_full_fw.bin']);
  });

  it('starts over when the server ignores the Range header', async () => {
    rangeSupport = false;
    const target = fetchDestination(record, dest);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.part`, new Uint8Array(10_000).fill(7)); // wrong bytes: a resume would fail the sha256
    const [r] = await fetchImages([record], { destDir: dest, urlFor: from('/good.bin') });
    expect(r!.status).toBe('downloaded');
    expect(sha(await readFile(target))).toBe(record.sha256);
  });

  it('a resumed download with a bad prefix is rejected and the .part deleted', async () => {
    const target = fetchDestination(record, dest);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.part`, new Uint8Array(10_000).fill(7));
    await expect(fetchImages([record], { destDir: dest, urlFor: from('/good.bin') })).rejects.toMatchObject({ code: 'SHA256_MISMATCH' });
    expect(await readdir(path.dirname(target))).toEqual([]);
  });

  it('an HTTP error is a FetchError naming the status', async () => {
    await expect(fetchImages([record], { destDir: dest, urlFor: from('/missing.bin') })).rejects.toMatchObject({ code: 'HTTP_STATUS', message: expect.stringMatching(/HTTP 404/) });
  });

  it('a connection failure is a NETWORK FetchError', async () => {
    await expect(fetchImages([record], { destDir: dest, urlFor: () => 'http://127.0.0.1:1/x.bin' })).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
