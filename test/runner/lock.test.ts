import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { acquireBoardLock, BoardLockedError } from '../../src/runner/lock.js';

describe('board lock', () => {
  it('lets one holder in, refuses a second clearly, and frees on release', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const a = await acquireBoardLock(dir, 'SN1', { command: 'apply a' });
    await expect(acquireBoardLock(dir, 'SN1')).rejects.toThrow(BoardLockedError);
    await expect(acquireBoardLock(dir, 'SN1')).rejects.toThrow(/pid \d+ .*apply a/);
    const other = await acquireBoardLock(dir, 'SN2');
    await other.release();
    await a.release();
    const b = await acquireBoardLock(dir, 'SN1');
    expect(b.recoveredFrom).toBeUndefined();
    await b.release();
  });

  it('waits for a holder that releases within --wait-lock', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const a = await acquireBoardLock(dir, 'SN1');
    setTimeout(() => void a.release(), 150);
    const b = await acquireBoardLock(dir, 'SN1', { waitMs: 5000, pollMs: 20 });
    await b.release();
  });

  it('recovers a stale lock left by a killed process and says whose it was', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    // A real process that has exited: its pid is free.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(dead.stdout.toString());
    await writeFile(path.join(dir, 'SN1.lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'apply killed' }));
    const l = await acquireBoardLock(dir, 'SN1');
    expect(l.recoveredFrom?.pid).toBe(pid);
    expect(JSON.parse(await readFile(l.file, 'utf8')).pid).toBe(process.pid);
    await l.release();
    expect(existsSync(l.file)).toBe(false);
  });
});

describe('board lock (issue 13): a record of who holds it, and only theirs to release', () => {
  const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

  it('a lock naming a live process that is not copro (a reused pid: other start time) is stale', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    // This test's own parent is alive; its recorded start time says it is another process that had the pid.
    await writeFile(path.join(dir, 'SN1.lock'), JSON.stringify({ pid: process.ppid, start: '1', host: hostname(), since: '2026-01-01T00:00:00Z', command: 'apply (pid since reused)' }));
    const l = await acquireBoardLock(dir, 'SN1', { waitMs: 0 });
    expect(l.recoveredFrom?.pid).toBe(process.ppid);
    await l.release();
  });

  it('release removes only the caller\'s own lock, never another holder\'s', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const a = await acquireBoardLock(dir, 'SN1');
    // Someone else's lock is there now (e.g. ours was judged stale and taken over).
    const theirs = JSON.stringify({ pid: process.ppid, host: hostname(), since: 'now', command: 'apply other', nonce: 'abcdefabcdefabcdef' });
    await writeFile(a.file, theirs);
    await a.release();
    expect(await readFile(a.file, 'utf8')).toBe(theirs);
  });

  it('records copro\'s pid with its start time, and the tool processes it started', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const a = await acquireBoardLock(dir, 'SN1');
    const rec = () => JSON.parse(readFileSync(a.file, 'utf8')) as { pid: number; start?: string; children: { pid: number }[] };
    expect(rec().pid).toBe(process.pid);
    if (process.platform === 'linux') expect(rec().start).toMatch(/^\d+$/);
    a.addChild(process.ppid);
    expect(rec().children.map((c) => c.pid)).toEqual([process.ppid]);
    a.removeChild(process.ppid);
    expect(rec().children).toEqual([]);
    await a.release();
  });

  it('is held while a tool process of a dead copro still runs; taken over once it has exited', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const tool = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600)'], { stdio: 'ignore' });
    await writeFile(path.join(dir, 'SN1.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: 'then', command: 'apply (killed)', nonce: '0123456789abcdef', children: [{ pid: tool.pid }] }));
    const said: string[] = [];
    await expect(acquireBoardLock(dir, 'SN1', { waitMs: 100, pollMs: 20, onWait: (m) => said.push(m) })).rejects.toMatchObject({ name: 'BoardLockedError', childAtWork: { pid: tool.pid } });
    expect(said.join()).toContain(`STM32_Programmer_CLI it started (pid ${tool.pid}) still works on the board`);
    const l = await acquireBoardLock(dir, 'SN1', { waitMs: 10_000, pollMs: 20 });
    expect(tool.exitCode ?? (await new Promise((r) => tool.once('exit', r)))).toBe(0);
    expect(l.recoveredFrom?.command).toBe('apply (killed)');
    await l.release();
  });

  it('a lock wait ends when the signal aborts (SIGTERM during --wait-lock)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
    const a = await acquireBoardLock(dir, 'SN1');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await expect(acquireBoardLock(dir, 'SN1', { waitMs: 60_000, pollMs: 1000, signal: ac.signal })).rejects.toMatchObject({ name: 'LockWaitInterruptedError' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await a.release();
  });
});
