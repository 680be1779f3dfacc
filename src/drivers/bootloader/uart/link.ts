/**
 * `UartLink`: the STM32WB ROM bootloader over USART (ST AN3155), as a `BootloaderLink`. Protocol only: the
 * bytes go through a `ByteStream` (serialport in Node, Web Serial in a browser, the virtual wire in tests),
 * so this module has no Node imports.
 *
 * Sure (AN3155): 0x7F sync, ACK/NACK, command + complement, XOR checksums, Get / Get ID / Read Memory /
 * Write Memory / Extended Erase, and the option bytes written with Write Memory at 0x1FFF8000 (the
 * bootloader resets the chip afterwards). Likely, not confirmed on a bench: FUS over Special (0x50, opcode
 * 0x0054, reply [x, state, error]) and Extended Special (0x51, opcodes 0x0052/0x0053/0x005A, reply
 * [status, state, error]) (philips-software/amp-hal-st, MIT). The link says so once (`notice`) and records
 * every frame (`transcript`).
 */
import { LinkError, type BootloaderLink, type FusCommandName, type LinkProgress, type RawFusState } from '../link.js';
import {
  ACK,
  NACK,
  SYNC,
  CMD,
  COMMAND_NAMES,
  FUS_OPCODE,
  MAX_READ,
  MAX_WRITE,
  MAX_ERASE_PAGES,
  OPTION_BYTES_ADDRESS,
  OPTION_BYTES_SIZE,
  addressFrame,
  blockFrame,
  commandFrame,
  erasePagesFrame,
  hex32,
  opcodeFrame,
  readLengthFrame,
  writeDataFrame,
} from './an3155.js';
import { StreamClosedError, StreamTimeoutError, type ByteStream, type StreamOpener } from './stream.js';
import { Transcript } from './transcript.js';

export const UART_FUS_NOTICE =
  'UART: the FUS commands over the bootloader (Special 0x50 / Extended Special 0x51, opcodes 0x52/0x53/0x54/0x5A) follow one source ' +
  '(amp-hal-st, tested on mocks) and are not yet confirmed on a real board; every frame of this run is recorded so a first real run settles it.';

export interface UartTimeouts {
  /** Answer to one 0x7F. */
  syncMs: number;
  /** 0x7F attempts in one sync (a synced bootloader answers the second with NACK). */
  syncAttempts: number;
  /** ACK of a command or an address/length frame, and reply bytes. */
  ackMs: number;
  /** Write Memory: ACK after the data frame (flash programming). */
  writeMs: number;
  /** Extended Erase: base + per page (RM0434: 22 ms typical per page, a margin on top). */
  eraseBaseMs: number;
  erasePerPageMs: number;
  /** FUS commands: ACK and reply after the data phase. */
  fusMs: number;
  /** Between reconnect attempts. */
  reconnectPauseMs: number;
}

export const DEFAULT_TIMEOUTS: UartTimeouts = {
  syncMs: 500,
  syncAttempts: 3,
  ackMs: 1000,
  writeMs: 1000,
  eraseBaseMs: 1000,
  erasePerPageMs: 100,
  fusMs: 10_000,
  reconnectPauseMs: 250,
};

export interface UartLinkOptions {
  /** The port path (/dev/ttyACM0, COM3) or a virtual name. */
  name: string;
  /** Opens the port (again after an unplug). */
  open: StreamOpener;
  timeouts?: Partial<UartTimeouts>;
  transcript?: Transcript;
}

/** What the bootloader said about itself (Get, 0x00). */
export interface BootloaderInfo {
  version: number;
  commands: number[];
}

export class UartLink implements BootloaderLink {
  readonly transport = 'uart' as const;
  readonly name: string;
  readonly transcript: Transcript;
  readonly timeouts: UartTimeouts;
  /** Said once per link: what is unconfirmed about FUS over UART. */
  readonly notice = UART_FUS_NOTICE;
  info: BootloaderInfo | null = null;
  private stream: ByteStream | null = null;
  /** The last stream opened: its clock keeps running while the port is away (reconnect waits on it). */
  private clock: ByteStream | null = null;
  private readonly opener: StreamOpener;
  private synced = false;
  private t0 = 0;

  private constructor(opts: UartLinkOptions) {
    this.name = opts.name;
    this.opener = opts.open;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.transcript = opts.transcript ?? new Transcript();
  }

  /** Opens the port and syncs with the bootloader (0x7F), then asks Get. */
  static async open(opts: UartLinkOptions): Promise<UartLink> {
    const link = new UartLink(opts);
    try {
      link.stream = await opts.open();
      link.clock = link.stream;
    } catch (e) {
      throw e instanceof LinkError ? e : new LinkError('NOT_FOUND', `cannot open ${opts.name}: ${(e as Error).message}`);
    }
    link.t0 = link.stream.now();
    link.note(`open ${opts.name}`);
    try {
      await link.resync();
    } catch (e) {
      await link.close();
      throw e;
    }
    return link;
  }

  // ------------------------------------------------------------------ framing

  private get s(): ByteStream {
    if (!this.stream) throw new LinkError('DISCONNECTED', `${this.name} is closed`);
    return this.stream;
  }

  private note(text: string): void {
    this.transcript.add(this.stream ? this.stream.now() - this.t0 : 0, 'note', text);
  }

  private async tx(bytes: Uint8Array, what?: string): Promise<void> {
    this.transcript.add(this.s.now() - this.t0, 'tx', bytes, what);
    try {
      await this.s.write(bytes);
    } catch (e) {
      throw this.streamError(e, what ?? 'write');
    }
  }

  private async rx(count: number, timeoutMs: number, what: string): Promise<Uint8Array> {
    try {
      const got = await this.s.read(count, timeoutMs);
      this.transcript.add(this.s.now() - this.t0, 'rx', got, what);
      return got;
    } catch (e) {
      if (e instanceof StreamTimeoutError && e.received.length) this.transcript.add(this.s.now() - this.t0, 'rx', e.received, `${what} (incomplete)`);
      throw this.streamError(e, what);
    }
  }

  private streamError(e: unknown, what: string): LinkError {
    this.synced = false;
    if (e instanceof LinkError) return e;
    if (e instanceof StreamTimeoutError) {
      this.note(`timeout: ${what}`);
      return new LinkError('TIMEOUT', `${this.name}: no answer from the bootloader (${what}, ${e.timeoutMs} ms)`);
    }
    if (e instanceof StreamClosedError) {
      this.note(`port closed: ${what}`);
      return new LinkError('DISCONNECTED', `${this.name}: the serial port went away (${what})`);
    }
    return new LinkError('DISCONNECTED', `${this.name}: ${(e as Error).message} (${what})`);
  }

  /** One ACK; NACK and anything else are errors. */
  private async ack(what: string, timeoutMs = this.timeouts.ackMs): Promise<void> {
    const [b] = await this.rx(1, timeoutMs, `ack: ${what}`);
    if (b === ACK) return;
    if (b === NACK) throw new LinkError('NACK', `${this.name}: the bootloader refused ${what} (NACK)`);
    this.synced = false;
    throw new LinkError('PROTOCOL', `${this.name}: expected ACK (0x79) after ${what}, got 0x${b!.toString(16).padStart(2, '0')}`);
  }

  private async command(code: number): Promise<void> {
    await this.ensureSynced();
    const name = COMMAND_NAMES[code] ?? `0x${code.toString(16)}`;
    if (this.info && !this.info.commands.includes(code)) throw new LinkError('UNSUPPORTED', `${this.name}: this bootloader does not offer ${name} (Get listed ${this.info.commands.map((c) => COMMAND_NAMES[c] ?? c).join(', ')})`);
    await this.tx(commandFrame(code), name);
    await this.ack(name);
  }

  private async ensureSynced(): Promise<void> {
    if (!this.synced) await this.resync();
  }

  /**
   * sync, then Get to prove it. A 0x7F sent again after a slow answer can leave the bootloader waiting for a
   * complement, so Get is NACKed once; the next 0x7F completes that stray frame (NACK) and Get then works.
   */
  private async resync(): Promise<void> {
    let last: LinkError | undefined;
    for (let i = 0; i < 3; i++) {
      await this.sync();
      try {
        this.info = await this.get();
        return;
      } catch (e) {
        if (!(e instanceof LinkError) || (e.code !== 'NACK' && e.code !== 'PROTOCOL')) throw e;
        last = e;
        this.synced = false;
        this.note(`Get after sync failed (${e.code}): syncing again`);
      }
    }
    throw last!;
  }

  /**
   * AN3155 §2: 0x7F lets the bootloader measure the baud rate; it answers ACK. A bootloader already synced
   * takes 0x7F as a command byte, waits for its complement and answers NACK to the next 0x7F: both mean "in sync".
   */
  async sync(): Promise<void> {
    let garbage: number | undefined;
    for (let i = 0; i < this.timeouts.syncAttempts; i++) {
      this.s.discardInput();
      await this.tx(Uint8Array.of(SYNC), 'sync');
      let b: number | undefined;
      try {
        [b] = await this.rx(1, this.timeouts.syncMs, 'sync answer');
      } catch (e) {
        if (e instanceof LinkError && e.code === 'TIMEOUT') continue;
        throw e;
      }
      if (b === ACK || b === NACK) {
        this.synced = true;
        if (b === NACK) this.note('NACK to 0x7F: the bootloader was already synced');
        return;
      }
      garbage = b;
    }
    this.synced = false;
    if (garbage !== undefined) {
      throw new LinkError('PROTOCOL', `${this.name}: the bootloader answered 0x${garbage.toString(16).padStart(2, '0')} to 0x7F instead of ACK: check the line settings (8 data bits, even parity, 1 stop bit) and the baud rate`);
    }
    throw new LinkError('TIMEOUT', `${this.name}: no answer to 0x7F (${this.timeouts.syncAttempts} tries): is the chip in its ROM bootloader (BOOT0 high, reset), on this port, at 8E1?`);
  }

  // ------------------------------------------------------------------ commands

  /** Get (0x00): bootloader version and the commands it offers. */
  async get(): Promise<BootloaderInfo> {
    const saved = this.info;
    this.info = null; // Get itself is always allowed
    try {
      await this.command(CMD.GET);
    } finally {
      this.info = saved;
    }
    const [n] = await this.rx(1, this.timeouts.ackMs, 'Get: count');
    const body = await this.rx(n! + 1, this.timeouts.ackMs, 'Get: version and commands');
    await this.ack('Get (end)');
    return { version: body[0]!, commands: [...body.subarray(1)] };
  }

  async deviceId(): Promise<number> {
    await this.command(CMD.GET_ID);
    const [n] = await this.rx(1, this.timeouts.ackMs, 'Get ID: count');
    if (n !== 1) {
      this.synced = false;
      throw new LinkError('PROTOCOL', `${this.name}: Get ID announced ${n! + 1} bytes, expected 2`);
    }
    const pid = await this.rx(2, this.timeouts.ackMs, 'Get ID: product id');
    await this.ack('Get ID (end)');
    return (pid[0]! << 8) | pid[1]!;
  }

  async readMemory(address: number, length: number): Promise<Uint8Array> {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`cannot read ${length} bytes`);
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += MAX_READ) {
      const n = Math.min(MAX_READ, length - at);
      await this.command(CMD.READ_MEMORY);
      await this.tx(addressFrame(address + at), `address ${hex32(address + at)}`);
      await this.ack(`Read Memory address ${hex32(address + at)}`);
      await this.tx(readLengthFrame(n), `length ${n}`);
      await this.ack(`Read Memory length ${n}`);
      out.set(await this.rx(n, this.timeouts.ackMs + n, `Read Memory data ${hex32(address + at)}`), at);
    }
    return out;
  }

  async writeMemory(address: number, data: Uint8Array, onProgress?: (p: LinkProgress) => void): Promise<void> {
    if (address % 8 !== 0) throw new RangeError(`Write Memory at ${hex32(address)}: the STM32WB programs flash by double words, the address must be 8-byte aligned`);
    // AN3155: N+1 must be a multiple of 4; a last chunk that is not is padded with 0xFF (erased flash stays erased there).
    const padded = data.length % 4 === 0 ? data : Uint8Array.from({ length: data.length + (4 - (data.length % 4)) }, (_, i) => (i < data.length ? data[i]! : 0xff));
    for (let at = 0; at < padded.length; at += MAX_WRITE) {
      const chunk = padded.subarray(at, Math.min(at + MAX_WRITE, padded.length));
      await this.command(CMD.WRITE_MEMORY);
      await this.tx(addressFrame(address + at), `address ${hex32(address + at)}`);
      await this.ack(`Write Memory address ${hex32(address + at)}`);
      await this.tx(writeDataFrame(chunk), `data ${chunk.length} bytes`);
      await this.ack(`Write Memory of ${chunk.length} bytes at ${hex32(address + at)}`, this.timeouts.writeMs);
      onProgress?.({ done: Math.min(at + chunk.length, data.length), total: data.length });
    }
  }

  async erasePages(pages: readonly number[], onProgress?: (p: LinkProgress) => void): Promise<void> {
    for (let at = 0; at < pages.length; at += MAX_ERASE_PAGES) {
      const chunk = pages.slice(at, at + MAX_ERASE_PAGES);
      await this.command(CMD.EXTENDED_ERASE);
      await this.tx(erasePagesFrame(chunk), `pages ${chunk[0]}..${chunk[chunk.length - 1]}`);
      await this.ack(`Extended Erase of pages ${chunk.join(', ')}`, this.timeouts.eraseBaseMs + chunk.length * this.timeouts.erasePerPageMs);
      onProgress?.({ done: at + chunk.length, total: pages.length });
    }
  }

  async readOptionBytes(): Promise<Uint8Array> {
    return this.readMemory(OPTION_BYTES_ADDRESS, OPTION_BYTES_SIZE);
  }

  /** Write Memory at 0x1FFF8000 (AN3155: the bootloader then resets the chip to load them): reconnect afterwards. */
  async writeOptionBytes(bytes: Uint8Array): Promise<void> {
    if (bytes.length !== OPTION_BYTES_SIZE) throw new RangeError(`the option bytes block is ${OPTION_BYTES_SIZE} bytes (got ${bytes.length})`);
    await this.command(CMD.WRITE_MEMORY);
    await this.tx(addressFrame(OPTION_BYTES_ADDRESS), `address ${hex32(OPTION_BYTES_ADDRESS)} (option bytes)`);
    await this.ack('Write Memory address (option bytes)');
    await this.tx(writeDataFrame(bytes), 'option bytes');
    await this.ack('Write Memory of the option bytes', this.timeouts.writeMs);
    this.synced = false;
    this.note('option bytes written: the chip resets to load them');
  }

  async fusGetState(): Promise<RawFusState> {
    await this.command(CMD.SPECIAL);
    await this.tx(opcodeFrame(FUS_OPCODE.GET_STATE), 'opcode FUS_GET_STATE (0x0054)');
    await this.ack('Special opcode FUS_GET_STATE');
    await this.tx(blockFrame(new Uint8Array(0)), 'no data');
    await this.ack('Special data', this.timeouts.fusMs);
    let data: Uint8Array;
    try {
      data = await this.replyBlock('FUS_GET_STATE reply');
      await this.replyBlock('FUS_GET_STATE status');
      await this.ack('Special (end)');
    } catch (e) {
      // A second GET_STATE while the stack runs reboots CPU2 into FUS: the chip resets before answering (as over DFU).
      if (e instanceof LinkError && e.code === 'TIMEOUT') throw new LinkError('DISCONNECTED', `${this.name}: the bootloader accepted FUS_GET_STATE and stopped answering before its reply (the chip reset?)`);
      throw e;
    }
    // amp-hal-st reads [x, state, error]; a two-byte [state, error] (as over DFU) is accepted too.
    if (data.length === 3) return { state: data[1]!, error: data[2]! };
    if (data.length === 2) return { state: data[0]!, error: data[1]! };
    throw new LinkError('PROTOCOL', `${this.name}: FUS_GET_STATE answered ${data.length} bytes (expected [x, state, error])`);
  }

  private async replyBlock(what: string): Promise<Uint8Array> {
    const len = await this.rx(2, this.timeouts.fusMs, `${what}: length`);
    const n = (len[0]! << 8) | len[1]!;
    if (n > 1024) {
      this.synced = false;
      throw new LinkError('PROTOCOL', `${this.name}: ${what} announced ${n} bytes`);
    }
    return n === 0 ? new Uint8Array(0) : this.rx(n, this.timeouts.ackMs + n, what);
  }

  /** Extended Special with the FUS opcode. FW_UPGRADE / FW_DELETE / START_WS reset the chip afterwards: reconnect. */
  async fusCommand(command: FusCommandName): Promise<void> {
    const opcode = FUS_OPCODE[command];
    await this.command(CMD.EXTENDED_SPECIAL);
    await this.tx(opcodeFrame(opcode), `opcode ${command} (0x${opcode.toString(16).padStart(4, '0')})`);
    await this.ack(`Extended Special opcode ${command}`);
    await this.tx(blockFrame(new Uint8Array(0)), 'data1: none');
    await this.ack(`${command} data1`);
    await this.tx(blockFrame(new Uint8Array(0)), 'data2: none');
    await this.ack(`${command} data2`, this.timeouts.fusMs);
    let reply: Uint8Array;
    try {
      reply = await this.replyBlock(`${command} reply`);
      await this.ack(`${command} (end)`);
    } catch (e) {
      if (e instanceof LinkError && e.code === 'TIMEOUT') throw new LinkError('DISCONNECTED', `${this.name}: the bootloader accepted ${command} and stopped answering before its reply (the chip reset?)`);
      throw e;
    }
    // The chip resets now (or soon): the next exchange starts with a sync.
    this.synced = false;
    if (reply.length < 1) throw new LinkError('PROTOCOL', `${this.name}: ${command} answered no status byte`);
    if (reply[0] !== 0) {
      const detail = reply.length >= 3 ? `state 0x${reply[1]!.toString(16).padStart(2, '0')}, error 0x${reply[2]!.toString(16).padStart(2, '0')}` : `status 0x${reply[0]!.toString(16)}`;
      throw new LinkError('NACK', `${this.name}: FUS did not accept ${command} (${detail})`);
    }
  }

  /**
   * After a reset: 0x7F until the bootloader answers, bounded by `timeoutMs`. A port that went away
   * (adapter unplugged) is opened again.
   */
  async reconnect(timeoutMs: number): Promise<void> {
    const clock = this.clock;
    const start = clock?.now() ?? Date.now();
    let last: Error | undefined;
    this.synced = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.stream) {
          this.stream = await this.opener();
          this.clock = this.stream;
          this.note(`re-opened ${this.name}`);
        }
        await this.resync();
        this.note(`reconnected after ${attempt} failed attempt(s)`);
        return;
      } catch (e) {
        last = e as Error;
        if (e instanceof LinkError && e.code === 'DISCONNECTED') await this.dropStream();
        if (!(e instanceof LinkError) && this.stream === null) last = new LinkError('NOT_FOUND', `${this.name}: ${(e as Error).message}`);
      }
      const elapsed = (clock?.now() ?? Date.now()) - start;
      if (elapsed >= timeoutMs) break;
      if (clock) await clock.sleep(this.timeouts.reconnectPauseMs);
      else await new Promise((r) => setTimeout(r, this.timeouts.reconnectPauseMs));
    }
    throw new LinkError(last instanceof LinkError && last.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'TIMEOUT', `${this.name}: the bootloader did not come back within ${Math.round(timeoutMs / 1000)} s (${last?.message ?? 'no answer'})`);
  }

  private async dropStream(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    await s?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.note('close');
    await this.dropStream();
  }
}
