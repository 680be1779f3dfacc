/**
 * `copro fetch` on real networks: proxies (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), retries of transient
 * failures, read timeouts, the cause of a failure on stderr, and images written where plan looks.
 * Every server here listens on 127.0.0.1; nothing leaves the machine.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpFetch } from '../../src/cli/http.js';
import { causeOf } from '../../src/images/fetch.js';
import path from 'node:path';
import { makeProject, removeProjects } from './helpers.js';
import { imagesDirOf } from '../../src/cli/session.js';

const servers: (http.Server | net.Server)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(() => r(undefined)))));
});

async function listen(s: http.Server | net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** A forward proxy that records what it is asked and answers plain requests itself; CONNECT is refused. */
async function recordingProxy(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const s = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end('via proxy');
  });
  s.on('connect', (req, socket: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  return { port: await listen(s), seen };
}

describe('the HTTP client of copro fetch', () => {
  it('sends plain HTTP through HTTP_PROXY, and goes direct for hosts in NO_PROXY', async () => {
    const proxy = await recordingProxy();
    const origin = await listen(http.createServer((_req, res) => res.end('direct')));
    const viaProxy = httpFetch({ env: { HTTP_PROXY: `http://127.0.0.1:${proxy.port}` }, retries: 0 });
    // undici tunnels through the proxy (CONNECT), which this proxy refuses: the request never goes direct.
    await viaProxy(`http://images.example.invalid/a.bin`).then(
      async (r) => expect(await r.text()).toBe('via proxy'),
      (e: Error) => expect(causeOf(e)).toMatch(/Proxy response \(403\)/),
    );
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]).toMatch(/^(GET http:\/\/images\.example\.invalid\/a\.bin|CONNECT images\.example\.invalid:80)$/);

    const bypass = httpFetch({ env: { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '127.0.0.1' }, retries: 0 });
    expect(await (await bypass(`http://127.0.0.1:${origin}/a.bin`)).text()).toBe('direct');
    expect(proxy.seen).toHaveLength(1);
  });

  it('retries a 503 and gets the file', async () => {
    let calls = 0;
    const port = await listen(
      http.createServer((_req, res) => {
        calls++;
        if (calls === 1) {
          res.statusCode = 503;
          res.end('busy');
        } else res.end('image bytes');
      }),
    );
    const r = await httpFetch({ retries: 2 })(`http://127.0.0.1:${port}/x.bin`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('image bytes');
    expect(calls).toBe(2);
  });

  it('gives up on a server that stops sending, after the read timeout', async () => {
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('x'); // then silence
      }),
    );
    const r = await httpFetch({ retries: 0, readTimeoutMs: 300 })(`http://127.0.0.1:${port}/x.bin`);
    await expect(r.arrayBuffer()).rejects.toThrow();
  });
});

describe('copro fetch', () => {
  afterEach(removeProjects);

  it('honours HTTPS_PROXY and puts the cause of a failure on stderr (exit 5), not a bare "fetch failed"', async () => {
    const p = await makeProject();
    const proxy = await recordingProxy();
    const manifest = await p.useManifest('nucleo-wb55-ble.yaml');
    const r = await p.copro(['fetch', manifest], { env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '' } });
    expect(r.exitCode).toBe(5);
    expect(proxy.seen[0]).toMatch(/^CONNECT [a-z.]+:443$/);
    expect(r.stderr).toMatch(/^copro: error: cannot download https:\/\/\S+: .*Proxy response \(403\)/m);
    expect(r.stderr).toMatch(/HTTPS_PROXY/);
    expect(r.stdout).not.toMatch(/error/);
  });
});

describe('where copro fetch writes', () => {
  afterEach(removeProjects);
  it('into the folder plan and apply read (the manifest\'s images.dir), whatever the working directory', async () => {
    const p = await makeProject();
    await p.write('sub/firmware-images/.keep', '');
    const manifest = await p.useManifest('nucleo-wb55-ble.yaml', (t) => t.replace('release: v1.24.0', 'release: v1.24.0\n  dir: firmware-images'), 'sub/copro.yaml');
    const { fetchCommand } = await import('../../src/cli/commands/fetch.js');
    const offline: typeof fetch = () => Promise.reject(new Error('offline'));
    const r = await fetchCommand(path.join(p.dir, manifest), { json: true, fetchImpl: offline });
    expect((JSON.parse(r.output) as { destDir: string }).destDir).toBe(imagesDirOf({ images: { dir: 'firmware-images' } }, path.join(p.dir, manifest)));
    expect((JSON.parse(r.output) as { destDir: string }).destDir).toBe(path.join(p.dir, 'sub', 'firmware-images'));
    expect(r.errors).toMatch(/copro: error: cannot download \S+: offline/);
  });
});
