/**
 * Persistence of simulated boards: one JSON file per board (`<dir>/<serial>.json`, a folder can hold a
 * fleet), validated against schemas/sim-board.schema.json, written atomically (temp file + rename), and
 * guarded by a lock file (`<serial>.lock`, O_EXCL, holding the owner's pid) so several processes (the
 * in-process driver, fake CLI processes) act on one board one after another. A lock left by a dead process
 * is detected and taken over.
 */
import { open, readFile, rename, unlink, readdir, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
// The Node side registers the image catalog file (convert.ts, image-view.ts use it through catalog-core).
import '../../images/catalog.js';
import { assertValid } from '../../schemas.js';
import type { SimBoard } from '../../generated/sim-board.js';
import type { BoardState } from '../../generated/board-state.js';
import { defaultBoard, fromBoardState, makeBoard, upgradeBoard, DEFAULT_SERIAL } from './convert.js';
import type { DeviceKey } from '../../domain/devices.js';
import { simSpeed, wallMs } from './timing.js';
import { pidExists } from '../../node/pid.js';

export type { SimBoard };

/** Where `copro --simulate` keeps its boards: `<cwd>/.copro/sim`. */
export function defaultSimDir(cwd: string = process.cwd()): string {
  return path.join(cwd, '.copro', 'sim');
}

const SERIAL = /^[A-Za-z0-9_.&-]{1,64}$/;

export class SimStoreError extends Error {
  constructor(
    readonly code: 'NO_BOARD' | 'BAD_SERIAL' | 'LOCK_TIMEOUT' | 'INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'SimStoreError';
  }
}

export function boardFile(dir: string, serial: string): string {
  if (!SERIAL.test(serial)) throw new SimStoreError('BAD_SERIAL', `not a usable board serial: ${JSON.stringify(serial)} (letters, digits, _ . & - only)`);
  return path.join(dir, `${serial}.json`);
}

function lockFile(dir: string, serial: string): string {
  return path.join(dir, `${serial}.lock`);
}

/** Serials of the boards in a folder, sorted. */
export async function listSimulatedBoards(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => n.slice(0, -'.json'.length))
    .filter((s) => SERIAL.test(s))
    .sort();
}

/** Reads and validates a board (no lock: writes are atomic renames, a reader never sees half a file). */
export async function readSimulatedBoard(dir: string, serial: string): Promise<SimBoard> {
  const file = boardFile(dir, serial);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SimStoreError('NO_BOARD', `no simulated board ${serial} in ${dir} (copro sim reset)`);
    throw e;
  }
  return assertValid<SimBoard>('sim-board', upgradeBoard(JSON.parse(text)), file);
}

/** Validates and writes a board atomically. `wallAt` says until which wall-clock instant the board's clock is already accounted for. */
export async function writeSimulatedBoard(dir: string, board: SimBoard, wallAt: number = Date.now()): Promise<void> {
  const file = boardFile(dir, board.serial);
  const stored: SimBoard = { ...board, clock: { ...board.clock, wallAt } };
  assertValid<SimBoard>('sim-board', stored, `simulated board ${board.serial}`);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(stored, null, 2) + '\n');
  await rename(tmp, file);
}

/**
 * Real time that passed since the board was last saved counts as device time (scaled by COPRO_SIM_SPEED),
 * so a USB device that "comes back in 10 s" does come back when a later process looks.
 */
export function advanceClock(board: SimBoard, nowWall: number, speed: number): SimBoard {
  if (board.clock.wallAt <= 0) return board;
  const early = board.clock.wallAt - nowWall;
  if (early > EARLY_READER_TOLERANCE_MS && board.busy && board.busy.untilMs > board.clock.ms - early * speed) {
    // BUSY-READ: the host that saved this board was still waiting for a FUS operation (it was killed or aborted
    // mid-wait): device time is that much earlier than the saved clock, and the operation is seen still running.
    return { ...board, clock: { ...board.clock, ms: Math.max(board.busy.startMs, board.clock.ms - early * speed) } };
  }
  const elapsed = Math.max(0, -early) * speed;
  return { ...board, clock: { ...board.clock, ms: board.clock.ms + elapsed } };
}

/**
 * A reader this much (wall ms) earlier than the saved clock counts as on time: timer jitter between one process's
 * modelled sleep and the next load must not make a finished operation look busy. The price: at COPRO_SIM_SPEED
 * 1000 (tests), a window shorter than ~50 s of device time is never seen busy; rehearsals at 10x see it.
 */
export const EARLY_READER_TOLERANCE_MS = 50;

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Takes the board's lock; returns the release function. Recovers a lock whose owner process is gone. */
export async function lockBoard(dir: string, serial: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const file = lockFile(dir, serial);
  await mkdir(dir, { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let wait = 5;
  for (;;) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await fh.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readFile(file, 'utf8').then(
      (t) => {
        try {
          return (JSON.parse(t) as { pid?: number }).pid;
        } catch {
          return undefined; // being written right now, or garbage: decided below
        }
      },
      () => -1, // vanished: retry at once
    );
    if (owner === -1) continue;
    if (owner !== undefined && !pidExists(owner)) {
      // Stale: its process died (killed CLI, crashed test). Take it over by removing it and retrying the O_EXCL create.
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new SimStoreError('LOCK_TIMEOUT', `simulated board ${serial} stays locked by process ${owner ?? '?'} (${file})`);
    if (opts.signal?.aborted) throw new SimStoreError('LOCK_TIMEOUT', `aborted while waiting for the lock of simulated board ${serial}`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 100);
  }
}

export interface BoardChange<T> {
  board: SimBoard;
  result: T;
  /** Modelled device time the change took (the board's clock already includes it). */
  modelledMs?: number;
  /** Runs after the save, still under the lock (the driver sleeps the modelled time there). */
  hold?: () => Promise<void>;
}

/**
 * Runs `fn` on the board under its lock: load (with the clock advanced by real time), let `fn` return the new
 * board and how much modelled time it took, save, release. The lock is held while `fn` runs.
 */
export async function withBoard<T>(
  dir: string,
  serial: string,
  fn: (board: SimBoard) => Promise<BoardChange<T>> | BoardChange<T>,
  opts: LockOptions & { speed?: number } = {},
): Promise<T> {
  const release = await lockBoard(dir, serial, opts);
  try {
    const speed = opts.speed ?? simSpeed();
    const board = advanceClock(await readSimulatedBoard(dir, serial), Date.now(), speed);
    const out = await fn(board);
    await writeSimulatedBoard(dir, out.board, Date.now() + wallMs(out.modelledMs ?? 0, speed));
    // The device's new state is saved first (a killed host does not undo what the chip did), then the host
    // spends the operation's time holding the lock: the board is busy meanwhile.
    if (out.hold) await out.hold();
    return out.result;
  } finally {
    await release();
  }
}

/**
 * Writes a fresh board (the default rescue case, a new part of `device` as it leaves the factory, or one built from
 * a snapshot); returns its serial.
 */
export async function resetBoard(dir: string, snapshot?: BoardState, serial?: string, device?: DeviceKey): Promise<string> {
  const board = snapshot ? fromBoardState(snapshot, serial) : device ? makeBoard({ device, ...(serial ? { serial } : {}) }) : defaultBoard(serial);
  const release = await lockBoard(dir, board.serial);
  try {
    await writeSimulatedBoard(dir, board);
  } finally {
    await release();
  }
  return board.serial;
}

/** A serial for the i-th board of a fleet: USB DFU-like, 12 hex digits. */
export function fleetSerial(i: number): string {
  return (0x207f38933036 + i).toString(16).toUpperCase().padStart(12, '0');
}

/** Replaces the folder's boards with `count` fresh ones (fleet serials); returns their serials. */
export async function resetFleet(dir: string, count: number, snapshot?: BoardState, device?: DeviceKey): Promise<string[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`a fleet needs at least one board (got ${count})`);
  for (const s of await listSimulatedBoards(dir)) {
    const release = await lockBoard(dir, s);
    try {
      await unlink(boardFile(dir, s)).catch(() => undefined);
    } finally {
      await release();
    }
  }
  const serials: string[] = [];
  for (let i = 0; i < count; i++) serials.push(await resetBoard(dir, snapshot, fleetSerial(i), device));
  return serials;
}

/** The board to use when none is named: the first in the folder, or a new default board (of `device` when given). */
export async function firstOrDefaultBoard(dir: string, device?: DeviceKey): Promise<string> {
  const boards = await listSimulatedBoards(dir);
  return boards[0] ?? (await resetBoard(dir, undefined, DEFAULT_SERIAL, device));
}
