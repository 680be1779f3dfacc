/**
 * One copro process per board: a lock file per board serial, created with O_EXCL. A lock whose process
 * is gone (killed, crashed) is stale: it is detected by pid and recovered, and the recovery is reported.
 */
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export class BoardLockedError extends Error {
  constructor(
    readonly serial: string,
    readonly holder: LockInfo,
  ) {
    super(`board ${serial} is being provisioned by another copro (pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command}); wait for it to finish, or pass --wait-lock <seconds>`);
    this.name = 'BoardLockedError';
  }
}

export interface BoardLock {
  file: string;
  /** Set when a stale lock of a dead process was taken over. */
  recoveredFrom?: LockInfo;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const safeName = (serial: string) => serial.replace(/[^A-Za-z0-9._-]/g, '_');

export async function acquireBoardLock(
  dir: string,
  serial: string,
  opts: { waitMs?: number; pollMs?: number; command?: string } = {},
): Promise<BoardLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${safeName(serial)}.lock`);
  const deadline = Date.now() + (opts.waitMs ?? 0);
  let recoveredFrom: LockInfo | undefined;
  for (;;) {
    const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: opts.command ?? process.argv.slice(2).join(' ') };
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(JSON.stringify(info));
      await fh.close();
      return { file, recoveredFrom, release: () => rm(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | undefined;
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as LockInfo;
    } catch {
      holder = undefined; // being written right now, or garbage: treat a garbage lock older than a poll as stale below
    }
    if (holder && holder.host === hostname() && !alive(holder.pid)) {
      recoveredFrom = holder;
      await rm(file, { force: true });
      continue;
    }
    if (!holder) {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
      try {
        JSON.parse(await readFile(file, 'utf8'));
      } catch {
        await rm(file, { force: true });
      }
      continue;
    }
    if (Date.now() >= deadline) throw new BoardLockedError(serial, holder);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}
