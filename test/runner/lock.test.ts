import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
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
