/**
 * Node side of the virtual UART bootloader: the board lives in the simulator store (`.copro/sim/<serial>.json`,
 * through the same StoreBoardAccess as the virtual DFU device),
 * so `copro sim show / fault / reset` see and change the same board a `--simulate` run drives; images are
 * identified with the simulator's viewer (sha256, footer). Also: the virtual device behind serialport's mock
 * binding (SerialPortMock), for code that opens a serialport.
 */
import type { SerialPortStream } from '@serialport/stream';
import { readSimulatedBoard, resetBoard, listSimulatedBoards, firstOrDefaultBoard, writeSimulatedBoard } from '../../simulator/store.js';
import { viewImage } from '../../simulator/image-view.js';
import { bootloaderLine, type LineSettings } from './an3155.js';
import { StoreBoardAccess } from '../virtual/node.js';
import type { BoardAccess, BoardChange } from '../virtual/board-access.js';
import type { SimBoard } from '../../../generated/sim-board.js';

/**
 * The store, read at most every `ttlMs` for the bootloader's many small reads (a Write/Read Memory frame
 * asks for the board several times; a stack image is ~1,000 frames each way). Every change still goes
 * through the store under its lock, and refreshes the cache. Measured: the UART rescue case over the store
 * spent most of its time re-reading and validating the board file.
 */
export class CachedBoardAccess implements BoardAccess {
  private cached: { at: number; value: { board: SimBoard; busyUntilWall: number } } | undefined;
  constructor(
    private readonly inner: BoardAccess,
    private readonly ttlMs = 50,
  ) {}
  get speed(): number {
    return this.inner.speed;
  }
  async peek(): Promise<{ board: SimBoard; busyUntilWall: number }> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const value = await this.inner.peek();
    this.cached = { at: now, value };
    return value;
  }
  async transact<T>(fn: (board: SimBoard) => BoardChange<T>): Promise<T> {
    this.cached = undefined;
    return this.inner.transact(fn);
  }
}
import { createVirtualUart, withUartAttachment, type VirtualUart } from './virtual.js';
import type { VirtualAn3155, VirtualUartFault } from './virtual-device.js';

export interface SimulatedUartOptions {
  dir: string;
  /** Which simulated board (default: the first in the folder, or a new default board). */
  serial?: string;
  /** The port the manifest names (the board gets a UART attachment there if it has none). */
  port: string;
  baudRate: number;
  /** COPRO_SIM_SPEED: simulated time runs this many times faster than real time. */
  speed: number;
  faults?: VirtualUartFault[];
}

/** A virtual UART bootloader on a stored simulated board, paced at `speed`. */
export async function simulatedUart(o: SimulatedUartOptions): Promise<VirtualUart & { serial: string }> {
  let serial = o.serial;
  if (serial === undefined) serial = await firstOrDefaultBoard(o.dir);
  else if (!(await listSimulatedBoards(o.dir)).includes(serial)) await resetBoard(o.dir, undefined, serial);
  const board = await readSimulatedBoard(o.dir, serial);
  if (!board.device.attachments.some((a) => a.transport === 'uart')) await writeSimulatedBoard(o.dir, withUartAttachment(board, o.port));
  const access = new CachedBoardAccess(new StoreBoardAccess(o.dir, serial, o.speed));
  const pace = o.speed >= 1000 ? undefined : (ms: number) => new Promise<void>((r) => setTimeout(r, ms / o.speed));
  const v = createVirtualUart({ access, view: (b) => viewImage(b), line: bootloaderLine(o.baudRate), faults: o.faults ?? [], ...(pace ? { pace } : {}) });
  // Plugging the adapter in powers a board that had lost power (FUS resumes what a cut interrupted).
  await v.chip.plugIn();
  return { ...v, serial };
}

/**
 * Puts a virtual bootloader behind an open SerialPortMock (serialport's mock binding): what the host writes
 * reaches the device, what the device answers arrives as data, in real time (simulated time / `speed`).
 */
export function attachToMockPort(sp: SerialPortStream, device: VirtualAn3155, opts: { speed?: number; line?: LineSettings } = {}): void {
  const speed = opts.speed ?? 1000;
  const port = sp.port as unknown as { write(b: Buffer): Promise<void>; emitData(d: Buffer): void; openOptions: { baudRate: number; parity?: string; dataBits?: number; stopBits?: number } };
  if (!port) throw new Error('open the SerialPortMock before attaching the device');
  const o = port.openOptions;
  const line = opts.line ?? { baudRate: o.baudRate, dataBits: (o.dataBits ?? 8) as 8 | 7, parity: (o.parity ?? 'none') as LineSettings['parity'], stopBits: (o.stopBits ?? 1) as 1 | 2 };
  const start = Date.now();
  const now = () => (Date.now() - start) * speed;
  const write = port.write.bind(port);
  port.write = async (b: Buffer) => {
    await write(b);
    const t = now();
    const out = await device.receive(new Uint8Array(b), t, line);
    for (const x of out) setTimeout(() => port.emitData(Buffer.from(x.bytes)), Math.max(0, (x.at - t) / speed));
  };
}
