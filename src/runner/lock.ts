/**
 * One copro per board: a lock file per board identity (src/cli/boards.ts resolves the identity, so every
 * spelling of one board names one lock). The protocol is in docs/locks.md; in short:
 *
 * - Acquire: the record (pid + process start time, host, command, a random nonce) is written to a private
 *   temp file and hard-linked to the lock name: link(2) fails with EEXIST when the lock exists, and the lock
 *   appears whole (never empty or half-written).
 * - Held while copro or any of the tool processes it started lives: the tool's pids are added to the record
 *   as they are spawned (synchronously, before the tool can have done anything), so a copro killed with
 *   SIGKILL does not free the board while its STM32_Programmer_CLI is still in a -fwupgrade.
 * - Takeover of a stale lock: exactly one contender may replace a given stale record. It first creates the
 *   claim file `<lock>.to-<nonce of the stale record>` with O_EXCL (a dead claimer's claim is taken over the
 *   same way, keyed by the claim's own nonce), checks that the lock still holds that record, renames its own
 *   record over it (atomic), then removes its claim. A contender that read the old record late finds the
 *   claim gone and the record changed, and backs off. Measured: 12 processes x 30 rounds on one stale lock,
 *   never more than one holder (test/runner/lock-stress.test.ts).
 * - Release removes the lock only while it still holds the caller's own nonce.
 *
 * Why not proper-lockfile (measured reason in docs/locks.md): its staleness is judged by the lock's mtime
 * only (at least 2 s without a refresh), with no hook for "the holder's tool child still runs", so a
 * SIGKILLed copro's board is handed over while its -fwupgrade is in flight; and it records no pid to name.
 */
import { link, readFile, rename, stat, unlink, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { isAlive, procRef, type ProcRef } from './lock-proc.js';

export interface LockInfo {
  pid: number;
  /** Process start time of `pid` (see lock-proc.ts): a reused pid is another process. */
  start?: string;
  host: string;
  since: string;
  command: string;
  /** Unique per holding: what a takeover claim and a release compare. */
  nonce?: string;
  /** The tool processes (STM32_Programmer_CLI) this copro started for the board, while they run. */
  children?: ProcRef[];
}

export class BoardLockedError extends Error {
  constructor(
    readonly serial: string,
    readonly holder: LockInfo,
    /** Set when the holder is gone but a tool process it started still works on the board. */
    readonly childAtWork?: ProcRef,
  ) {
    super(
      childAtWork
        ? `board ${serial} is still being worked on: copro pid ${holder.pid} (${holder.command}) is gone, but the STM32_Programmer_CLI it started (pid ${childAtWork.pid}) still runs; wait for it to finish (pass --wait-lock <seconds>), or end it yourself if it hangs, then run again`
        : `board ${serial} is being provisioned by another copro (pid ${holder.pid} on ${holder.host}, since ${holder.since}: ${holder.command}); wait for it to finish, or pass --wait-lock <seconds>`,
    );
    this.name = 'BoardLockedError';
  }
}

export class LockWaitInterruptedError extends Error {
  constructor(readonly serial: string) {
    super(`interrupted while waiting for the lock of board ${serial}; nothing was touched`);
    this.name = 'LockWaitInterruptedError';
  }
}

export interface BoardLock {
  file: string;
  /** Set when a stale lock of a dead process was taken over. */
  recoveredFrom?: LockInfo;
  /** Records a tool process started for this board (synchronous: call right after spawning it). */
  addChild(pid: number): void;
  /** The tool process has exited (its whole process group). */
  removeChild(pid: number): void;
  release(): Promise<void>;
}

export interface AcquireOptions {
  waitMs?: number;
  pollMs?: number;
  command?: string;
  /** Aborts a wait (SIGINT/SIGTERM/SIGHUP): rejects with LockWaitInterruptedError. */
  signal?: AbortSignal;
  /** Told once when the wait is for a dead copro's tool process still at work. */
  onWait?: (message: string) => void;
}

export const lockFileName = (key: string) => `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`;

type Seen = { info: LockInfo | undefined; gen: string; raw: string };

/** Reads a lock or claim; undefined when it does not exist. A record that is not ours (garbage, an old format) gets a generation from its bytes and inode. */
async function readRecord(file: string): Promise<Seen | undefined> {
  let raw: string;
  let ino: number;
  try {
    raw = await readFile(file, 'utf8');
    ino = (await stat(file)).ino;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let info: LockInfo | undefined;
  try {
    const j = JSON.parse(raw) as LockInfo;
    if (j && typeof j.pid === 'number') info = j;
  } catch {
    info = undefined;
  }
  const gen = info?.nonce && /^[0-9a-f]{8,64}$/.test(info.nonce) ? info.nonce : `x${createHash('sha256').update(`${ino}:${raw}`).digest('hex').slice(0, 24)}`;
  return { info, gen, raw };
}

type Judgement = { state: 'held' } | { state: 'child'; child: ProcRef } | { state: 'stale' };

function judge(info: LockInfo | undefined): Judgement {
  // Garbage or an empty file: no copro writes one (the record appears whole through link(2)); a crash of an
  // older copro might have. Nothing in it can be alive.
  if (!info) return { state: 'stale' };
  // Another host's process cannot be checked from here: never taken over.
  if (info.host !== hostname()) return { state: 'held' };
  if (isAlive({ pid: info.pid, start: info.start })) return { state: 'held' };
  const child = (info.children ?? []).find((c) => isAlive(c));
  return child ? { state: 'child', child } : { state: 'stale' };
}

let tmpCounter = 0;
async function writeTemp(file: string, content: string): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.${tmpCounter++}.tmp`;
  await writeFile(tmp, content, { flag: 'wx', mode: 0o644 });
  return tmp;
}

/**
 * Replaces `target` (holding a stale record of generation `gen`) with `content`, if this process is the one
 * contender allowed to: see the header. Resolves false when another contender won or the record changed.
 */
async function takeOver(target: string, gen: string, content: string, myNonce: string, depth = 0): Promise<boolean> {
  if (depth > 8) return false;
  const claim = `${target}.to-${gen}`;
  const claimContent = JSON.stringify({ pid: process.pid, start: procRef(process.pid).start, host: hostname(), since: new Date().toISOString(), command: 'takeover', nonce: randomBytes(12).toString('hex') } satisfies LockInfo);
  const claimNonce = (JSON.parse(claimContent) as LockInfo).nonce!;
  const claimTmp = await writeTemp(claim, claimContent);
  let holdClaim = false;
  try {
    try {
      await link(claimTmp, claim);
      holdClaim = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = await readRecord(claim);
      if (!other) return false; // the claimer finished: the record changed, start over
      if (judge(other.info).state !== 'stale') return false; // another contender is taking over right now
      // The claimer died inside its takeover: take its claim over, keyed by the claim's own generation.
      holdClaim = await takeOver(claim, other.gen, claimContent, claimNonce, depth + 1);
      if (!holdClaim) return false;
    }
    const now = await readRecord(target);
    if (!now || now.gen !== gen) return false;
    const tmp = await writeTemp(target, content);
    try {
      await rename(tmp, target);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    void myNonce;
    return true;
  } finally {
    await unlink(claimTmp).catch(() => undefined);
    if (holdClaim) {
      const mine = await readRecord(claim);
      if (mine?.gen === claimNonce) await unlink(claim).catch(() => undefined);
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function acquireBoardLock(dir: string, serial: string, opts: AcquireOptions = {}): Promise<BoardLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, lockFileName(serial));
  const deadline = Date.now() + (opts.waitMs ?? 0);
  const poll = opts.pollMs ?? 250;
  const me = procRef(process.pid);
  const info: LockInfo = { pid: me.pid, ...(me.start !== undefined ? { start: me.start } : {}), host: hostname(), since: new Date().toISOString(), command: opts.command ?? process.argv.slice(2).join(' '), nonce: randomBytes(12).toString('hex'), children: [] };
  const content = JSON.stringify(info);
  let recoveredFrom: LockInfo | undefined;
  let toldChild = false;
  for (;;) {
    if (opts.signal?.aborted) throw new LockWaitInterruptedError(serial);
    const tmp = await writeTemp(file, content);
    try {
      await link(tmp, file);
      return handle(file, info, recoveredFrom);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    const seen = await readRecord(file);
    if (!seen) continue; // released meanwhile: try again at once
    const j = judge(seen.info);
    if (j.state === 'stale') {
      if (await takeOver(file, seen.gen, content, info.nonce!)) return handle(file, info, seen.info ?? { pid: 0, host: '?', since: '?', command: 'an unreadable lock file' });
      recoveredFrom = undefined;
      await sleep(5 + Math.random() * 20, opts.signal);
      continue;
    }
    if (j.state === 'child' && !toldChild) {
      toldChild = true;
      opts.onWait?.(`board ${serial}: copro pid ${seen.info!.pid} is gone, but the STM32_Programmer_CLI it started (pid ${j.child.pid}) still works on the board: waiting for it to finish`);
    }
    if (Date.now() >= deadline) throw new BoardLockedError(serial, seen.info!, j.state === 'child' ? j.child : undefined);
    await sleep(Math.min(poll, Math.max(1, deadline - Date.now())), opts.signal);
  }
}

function handle(file: string, info: LockInfo, recoveredFrom: LockInfo | undefined): BoardLock {
  let current: LockInfo = info;
  let released = false;
  /** Rewrites the record (same nonce) while it is still ours; synchronous so no await separates spawn and record. */
  const rewrite = (next: LockInfo) => {
    if (released) return;
    try {
      const on = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      if (on.nonce !== info.nonce) return;
    } catch {
      return;
    }
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(next), { flag: 'wx', mode: 0o644 });
    try {
      renameSync(tmp, file);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
    }
    current = next;
  };
  return {
    file,
    ...(recoveredFrom ? { recoveredFrom } : {}),
    addChild(pid) {
      rewrite({ ...current, children: [...(current.children ?? []), procRef(pid)] });
    },
    removeChild(pid) {
      rewrite({ ...current, children: (current.children ?? []).filter((c) => c.pid !== pid) });
    },
    async release() {
      if (released) return;
      const seen = await readRecord(file);
      released = true;
      // Only our own lock: never whatever file happens to be there now.
      if (seen?.info?.nonce === info.nonce) await unlink(file).catch(() => undefined);
    },
  };
}

/** The lock name of a chip by its UID64 (RM0434: unique per chip), whatever port or serial reached it. */
export function chipLockKey(uid64: string): string | undefined {
  // All zeros or all ones is no chip's identity (a read the tool or port did not really do, erased memory):
  // locking by it would make every board one.
  if (!/^0x[0-9a-f]{16}$/i.test(uid64) || /^0x(0{16}|f{16})$/i.test(uid64)) return undefined;
  return `uid64-${uid64.slice(2).toUpperCase()}`;
}

/**
 * One board held under two names: the name it was reached by (its canonical serial or port, taken before it is
 * touched) and, once the first read gave it, the chip's UID64 (two ports, e.g. its DFU serial and its ST-LINK's,
 * reach one chip). Tool processes are recorded in both, so neither is taken over while a tool still works.
 */
export interface CombinedLock extends BoardLock {
  /** Adds the chip's lock; the tool processes running now are recorded in it too. */
  add(lock: BoardLock): void;
}

export function combinedLock(first: BoardLock): CombinedLock {
  const locks: BoardLock[] = [first];
  const children = new Set<number>();
  return {
    file: first.file,
    ...(first.recoveredFrom ? { recoveredFrom: first.recoveredFrom } : {}),
    add(lock) {
      locks.push(lock);
      for (const pid of children) lock.addChild(pid);
    },
    addChild(pid) {
      children.add(pid);
      for (const l of locks) l.addChild(pid);
    },
    removeChild(pid) {
      children.delete(pid);
      for (const l of locks) l.removeChild(pid);
    },
    async release() {
      // The chip's lock first: the name it was reached by stays held until the board is entirely free.
      for (const l of [...locks].reverse()) await l.release().catch(() => undefined);
    },
  };
}
