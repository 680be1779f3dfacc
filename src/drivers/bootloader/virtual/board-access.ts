/**
 * How a virtual bootloader device reaches the simulated board: read it as it is now, or change it under
 * its lock. In Node the board lives in the simulator store (.copro/sim, see node.ts) so `copro sim show`
 * sees what the virtual device did; in a browser (or a test) it lives in memory. No Node imports.
 *
 * Time: the board carries its own clock (modelled device ms). Real time that passes counts as device time
 * scaled by `speed`, and an operation that takes modelled time keeps the board busy that long in real time.
 */
import type { SimBoard } from '../../../generated/sim-board.js';

export interface BoardChange<T> {
  board: SimBoard;
  result: T;
  /** Device time the change took; the returned board's clock already includes it. */
  modelledMs: number;
}

export interface BoardAccess {
  readonly speed: number;
  /** The board now (its clock advanced by the real time that passed) and until when (wall ms) it is busy. */
  peek(): Promise<{ board: SimBoard; busyUntilWall: number }>;
  transact<T>(fn: (board: SimBoard) => BoardChange<T>): Promise<T>;
}

/** Real time since `wallAt`, as device time, added to the board's clock (the store does the same). */
export function advanced(board: SimBoard, nowWall: number, speed: number): SimBoard {
  if (board.clock.wallAt <= 0) return board;
  const elapsed = Math.max(0, nowWall - board.clock.wallAt) * speed;
  return elapsed === 0 ? board : { ...board, clock: { ...board.clock, ms: board.clock.ms + elapsed } };
}

/** A board held in memory (browser, tests). */
export class MemoryBoardAccess implements BoardAccess {
  constructor(
    private board: SimBoard,
    readonly speed: number,
    private readonly nowWall: () => number = () => Date.now(),
  ) {
    if (this.board.clock.wallAt <= 0) this.board = { ...this.board, clock: { ...this.board.clock, wallAt: nowWall() } };
  }

  async peek(): Promise<{ board: SimBoard; busyUntilWall: number }> {
    return { board: advanced(this.board, this.nowWall(), this.speed), busyUntilWall: this.board.clock.wallAt };
  }

  async transact<T>(fn: (board: SimBoard) => BoardChange<T>): Promise<T> {
    const now = this.nowWall();
    const out = fn(structuredClone(advanced(this.board, now, this.speed)));
    this.board = { ...out.board, clock: { ...out.board.clock, wallAt: now + out.modelledMs / this.speed } };
    return out.result;
  }

  /** The board as stored (tests). */
  current(): SimBoard {
    return structuredClone(this.board);
  }
}
