/**
 * A duplex byte stream as the UART link sees it: write bytes, read exactly n bytes or time out. Implemented
 * over `serialport` (Node), Web Serial (browser) and the virtual wire (tests, `--simulate`). No Node imports.
 */

/** The port went away (unplugged adapter, closed port). */
export class StreamClosedError extends Error {
  constructor(message = 'the serial port was closed') {
    super(message);
    this.name = 'StreamClosedError';
  }
}

/** Fewer bytes than asked came within the time allowed; `received` holds those that did. */
export class StreamTimeoutError extends Error {
  constructor(
    readonly received: Uint8Array,
    readonly wanted: number,
    readonly timeoutMs: number,
  ) {
    super(`${received.length} of ${wanted} bytes within ${timeoutMs} ms`);
    this.name = 'StreamTimeoutError';
  }
}

export interface ByteStream {
  write(bytes: Uint8Array): Promise<void>;
  /** Exactly `count` bytes; rejects with StreamTimeoutError (bytes so far) or StreamClosedError. */
  read(count: number, timeoutMs: number): Promise<Uint8Array>;
  /** Drops received bytes nobody read (before a re-sync). */
  discardInput(): void;
  /** Waits on this stream's clock (the virtual wire advances simulated time instead of sleeping). */
  sleep(ms: number): Promise<void>;
  /** Milliseconds on this stream's clock (wall time for real ports). */
  now(): number;
  close(): Promise<void>;
}

/** Opens the stream again after the port went away (a USB-serial adapter re-plugged). */
export type StreamOpener = () => Promise<ByteStream>;

/**
 * Receive queue for push-based sources (serialport 'data' events, a Web Serial reader loop): bytes are
 * pushed as they come; `read` waits with a wall-clock timeout.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private closedWith: Error | null = null;
  private waiter: (() => void) | null = null;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
    this.wake();
  }

  /** No more bytes will come (port closed / unplugged): pending and later reads reject. */
  fail(error: Error = new StreamClosedError()): void {
    this.closedWith = error;
    this.wake();
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  discard(): void {
    this.chunks = [];
    this.size = 0;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    let at = 0;
    while (at < count) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, count - at);
      out.set(c.subarray(0, n), at);
      at += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    this.size -= count;
    return out;
  }

  async read(count: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.size >= count) return this.take(count);
      if (this.closedWith) throw this.closedWith;
      const left = deadline - Date.now();
      if (left <= 0) throw new StreamTimeoutError(this.take(this.size), count, timeoutMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (this.waiter === done) this.waiter = null;
          resolve();
        }, left);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiter = done;
      });
    }
  }
}
