/**
 * A virtual STM32WB ROM bootloader on its USART, byte by byte (ST AN3155), over a `VirtualTarget` (the
 * simulated board). Node-free. It is strict like a real chip: it syncs only on 0x7F at 8E1 and a baud rate
 * it can detect, NACKs a bad complement, a bad checksum, a bad length or an address it will not serve,
 * and answers nothing while the chip resets or has no power. There is no inter-byte timeout (AN3155 defines
 * none): a truncated frame leaves it waiting for the rest, and the bytes that come next complete the frame,
 * whose checksum then fails (NACK).
 *
 * Faults it can be given (besides the board's own, which the model fires): a corrupted reply, a reply
 * that never arrives, a device that stops answering, one that does not come back after the next reset,
 * and the USB-serial adapter unplugged in the middle of a download.
 */
import {
  ACK,
  NACK,
  SYNC,
  CMD,
  FUS_OPCODE,
  MIN_BAUD,
  MAX_BAUD,
  MAX_SPECIAL_DATA,
  MAX_EXTENDED_SPECIAL_DATA2,
  xor,
  wireMs,
  type LineSettings,
} from './an3155.js';
import type { BootloaderTarget, TargetResult } from './chip-target.js';

/** Faults of the device and its wire (not of the chip model). `command` limits one to a command code. */
export type VirtualUartFault =
  | { kind: 'corrupt-reply'; command?: number; skip?: number }
  | { kind: 'drop-reply'; command?: number; skip?: number }
  | { kind: 'stall'; command?: number }
  | { kind: 'no-return' }
  | { kind: 'unplug-mid-write'; afterFrames: number };

/** `corrupt-reply@0x11`, `drop-reply`, `stall@0x31`, `no-return`, `unplug-mid-write:40` (COPRO_SIM_UART_FAULTS, comma-separated). */
export function parseUartFault(text: string): VirtualUartFault {
  const t = text.trim();
  const m = /^(corrupt-reply|drop-reply|stall)(?:@(0x[0-9a-f]{1,2}|[0-9]{1,3}))?$/i.exec(t);
  if (m) {
    const kind = m[1]!.toLowerCase() as 'corrupt-reply' | 'drop-reply' | 'stall';
    return m[2] ? { kind, command: Number(m[2]) } : { kind };
  }
  if (t === 'no-return') return { kind: 'no-return' };
  const u = /^unplug-mid-write:([0-9]{1,5})$/.exec(t);
  if (u) return { kind: 'unplug-mid-write', afterFrames: Number(u[1]) };
  throw new Error(`unknown UART fault ${JSON.stringify(text)}: corrupt-reply[@cmd], drop-reply[@cmd], stall[@cmd], no-return, unplug-mid-write:<frames>`);
}

/** Commands this bootloader offers (Get answers them; AN2606 STM32WB USART list, minus Go and the protection commands, not modelled). */
export const OFFERED = [CMD.GET, CMD.GET_VERSION, CMD.GET_ID, CMD.READ_MEMORY, CMD.WRITE_MEMORY, CMD.EXTENDED_ERASE, CMD.SPECIAL, CMD.EXTENDED_SPECIAL] as const;
/** Bootloader protocol version byte (AN3155: 0x31 = v3.1). */
export const BOOTLOADER_VERSION = 0x31;

interface InByte {
  b: number;
  at: number;
}

export interface DeviceOutput {
  at: number;
  bytes: Uint8Array;
}

/** Thrown inside the device program when it must drop what it was doing (reset, power off, unplug). */
class Interrupted extends Error {}

export class VirtualAn3155 {
  private inbox: InByte[] = [];
  private out: DeviceOutput[] = [];
  /** Device time (ms). */
  private t = 0;
  private line: LineSettings | null = null;
  private synced = false;
  /** Bytes before this time are lost (the chip is resetting). */
  private bootAt = 0;
  /** When the last byte taken arrived. */
  private lastAt = 0;
  private off = false;
  private dead = false;
  private stalled = false;
  private unplugged = false;
  private writeFrames = 0;
  private wake: (() => void) | null = null;
  private idle: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private failure: unknown = null;
  readonly faults: VirtualUartFault[];
  /** Every frame the device saw and said, for tests and `sim show`-like diagnostics. */
  readonly log: string[] = [];
  /** Frames it refused (NACK) with why: the property tests check that a malformed frame always lands here. */
  readonly refusals: { command: string; why: string }[] = [];
  /** Frames that changed something (a write, an erase, a FUS command...). */
  readonly accepted: { command: string; detail: string }[] = [];

  constructor(
    readonly target: BootloaderTarget,
    opts: { faults?: VirtualUartFault[] } = {},
  ) {
    this.faults = [...(opts.faults ?? [])];
  }

  arm(fault: VirtualUartFault): void {
    this.faults.push(fault);
  }

  /** Device time so far (the modelled time of everything on the wire and in the chip). */
  get now(): number {
    return this.t;
  }

  get isUnplugged(): boolean {
    return this.unplugged;
  }

  /** The adapter is plugged in again: the port can be opened, the chip boots (needs 0x7F). */
  replug(): void {
    this.unplugged = false;
  }

  /**
   * Bytes from the host, arriving by device time `at` at these line settings. Resolves once the device has
   * consumed what it can, with what it sends back (each at the time its last byte is on the wire).
   */
  async receive(bytes: Uint8Array, at: number, line: LineSettings): Promise<DeviceOutput[]> {
    if (this.failure) throw this.failure;
    if (this.unplugged) return [];
    this.line = line;
    for (const b of bytes) this.inbox.push({ b, at });
    if (!this.running) {
      this.running = this.program().catch((e) => {
        this.failure = e;
        const i = this.idle;
        this.idle = null;
        i?.();
      });
    }
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      const w = this.wake;
      this.wake = null;
      w?.();
    });
    if (this.failure) throw this.failure;
    const out = this.out;
    this.out = [];
    return out;
  }

  // ------------------------------------------------------------------ the program

  private async next(): Promise<number> {
    for (;;) {
      const x = this.inbox.shift();
      if (x) {
        if (this.unplugged) throw new Interrupted();
        this.lastAt = x.at;
        if (x.at >= this.bootAt) this.t = Math.max(this.t, x.at);
        return x.b;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        const i = this.idle;
        this.idle = null;
        i?.();
      });
    }
  }

  private async take(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  private send(bytes: number[] | Uint8Array, reply = false, command?: number): void {
    let data = Uint8Array.from(bytes);
    if (reply) {
      const corrupt = this.takeFault('corrupt-reply', command);
      if (corrupt) {
        data = data.slice();
        data[Math.min(1, data.length - 1)]! ^= 0x5a;
        this.log.push(`fault: corrupted reply to 0x${(command ?? 0).toString(16)}`);
      }
      if (this.takeFault('drop-reply', command)) {
        this.log.push(`fault: dropped reply to 0x${(command ?? 0).toString(16)}`);
        return;
      }
    }
    if (this.stalled || this.dead || this.off) return;
    this.t += wireMs(data.length, this.line!);
    this.out.push({ at: this.t, bytes: data });
  }

  private takeFault<K extends VirtualUartFault['kind']>(kind: K, command?: number): Extract<VirtualUartFault, { kind: K }> | undefined {
    const i = this.faults.findIndex((f) => f.kind === kind && (!('command' in f) || f.command === undefined || f.command === command));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    // `skip`: let that many matching replies through first.
    if ('skip' in f && f.skip) {
      this.faults[i] = { ...f, skip: f.skip - 1 } as VirtualUartFault;
      return undefined;
    }
    return this.faults.splice(i, 1)[0] as Extract<VirtualUartFault, { kind: K }>;
  }

  private nack(command: string, why: string): void {
    this.refusals.push({ command, why });
    this.log.push(`NACK ${command}: ${why}`);
    this.send([NACK]);
  }

  private spend(ms: number): void {
    this.t += ms;
  }

  /** After a command that reset the chip or cut its power: lose sync, drop input until it is back. */
  private afterEffects(r: TargetResult<unknown>): void {
    if (!r.after) return;
    this.synced = false;
    if (r.after.kind === 'power-off') {
      this.off = true;
      if (r.after.unplug) this.unplugged = true;
      this.log.push(r.after.unplug ? 'unplugged' : 'power off');
      return;
    }
    this.bootAt = this.t;
    this.log.push(`chip reset: back at ${this.bootAt.toFixed(0)} ms`);
    if (this.takeFault('no-return')) {
      this.dead = true;
      this.log.push('fault: the bootloader does not come back');
    }
  }

  private lineOk(): boolean {
    const l = this.line!;
    return l.dataBits === 8 && l.parity === 'even' && l.stopBits === 1 && l.baudRate >= MIN_BAUD && l.baudRate <= MAX_BAUD;
  }

  private async program(): Promise<void> {
    for (;;) {
      try {
        if (!this.synced) await this.awaitSync();
        else await this.command();
      } catch (e) {
        if (!(e instanceof Interrupted)) throw e;
      }
    }
  }

  private async awaitSync(): Promise<void> {
    for (;;) {
      const b = await this.next();
      if (this.dead || this.unplugged) continue;
      if (this.lastAt < this.bootAt) continue; // the chip is still resetting: the byte is lost
      if (b !== SYNC) {
        this.log.push(`ignored 0x${b.toString(16)} before sync`);
        continue;
      }
      if (!this.lineOk()) {
        this.log.push(`0x7F at ${this.line!.baudRate} baud ${this.line!.dataBits}${this.line!.parity[0]!.toUpperCase()}${this.line!.stopBits}: no auto-baud lock`);
        continue;
      }
      if (this.off || !(await this.target.powered())) this.off = false; // power is back (the model's connect powers the board)
      const booted = await this.target.boot();
      this.spend(booted.ms);
      if (!booted.ok) {
        this.log.push(`0x7F: no bootloader (${booted.why})`);
        continue;
      }
      this.synced = true;
      this.stalled = false;
      this.log.push('sync: ACK');
      this.send([ACK]);
      return;
    }
  }

  private async command(): Promise<void> {
    const code = await this.next();
    const complement = await this.next();
    if (this.stalled) return;
    if ((code ^ complement) !== 0xff) return this.nack(`0x${code.toString(16)}`, `complement 0x${complement.toString(16)} does not match`);
    if (!(OFFERED as readonly number[]).includes(code)) return this.nack(`0x${code.toString(16)}`, 'command not offered');
    if (this.takeFault('stall', code)) {
      this.stalled = true;
      this.log.push(`fault: stalls on 0x${code.toString(16)}`);
      return;
    }
    const rdpGuarded = code === CMD.READ_MEMORY || code === CMD.WRITE_MEMORY || code === CMD.EXTENDED_ERASE;
    if (rdpGuarded && (await this.target.readProtected())) return this.nack(`0x${code.toString(16)}`, 'read protection active (RDP level 1)');
    this.send([ACK]);
    switch (code) {
      case CMD.GET:
        return this.send([OFFERED.length, BOOTLOADER_VERSION, ...OFFERED, ACK], true, code);
      case CMD.GET_VERSION:
        return this.send([BOOTLOADER_VERSION, 0, 0, ACK], true, code);
      case CMD.GET_ID: {
        const id = await this.target.deviceId();
        return this.send([1, (id >> 8) & 0xff, id & 0xff, ACK], true, code);
      }
      case CMD.READ_MEMORY:
        return this.readMemory();
      case CMD.WRITE_MEMORY:
        return this.writeMemory();
      case CMD.EXTENDED_ERASE:
        return this.extendedErase();
      case CMD.SPECIAL:
        return this.special();
      case CMD.EXTENDED_SPECIAL:
        return this.extendedSpecial();
    }
  }

  private async address(command: string): Promise<number | undefined> {
    const a = await this.take(5);
    if (xor(a.slice(0, 4)) !== a[4]) {
      this.nack(command, 'address checksum');
      return undefined;
    }
    return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  }

  private async readMemory(): Promise<void> {
    const address = await this.address('Read Memory');
    if (address === undefined) return;
    if (!(await this.target.addressValid(address))) return this.nack('Read Memory', `0x${address.toString(16)} is not readable`);
    this.send([ACK]);
    const [n, c] = await this.take(2);
    if ((n! ^ c!) !== 0xff) return this.nack('Read Memory', 'length complement');
    const r = await this.target.read(address, n! + 1);
    if (r.after) {
      this.afterEffects(r);
      throw new Interrupted();
    }
    if (!r.ok) return this.nack('Read Memory', r.why ?? 'range');
    this.send([ACK]);
    this.send(r.value!, true, CMD.READ_MEMORY);
  }

  private async writeMemory(): Promise<void> {
    const address = await this.address('Write Memory');
    if (address === undefined) return;
    if (address % 4 !== 0) return this.nack('Write Memory', 'address not word aligned');
    if (!(await this.target.addressValid(address))) return this.nack('Write Memory', `0x${address.toString(16)} is not writable`);
    this.send([ACK]);
    const n = (await this.next()) + 1;
    const data = await this.take(n);
    const sum = await this.next();
    if (xor(data, n - 1) !== sum) return this.nack('Write Memory', 'data checksum');
    if (n % 4 !== 0) return this.nack('Write Memory', `${n} bytes: AN3155 wants a multiple of 4`);
    const unplug = this.faults.find((f): f is Extract<VirtualUartFault, { kind: 'unplug-mid-write' }> => f.kind === 'unplug-mid-write');
    this.writeFrames++;
    if (unplug && this.writeFrames > unplug.afterFrames) {
      this.faults.splice(this.faults.indexOf(unplug), 1);
      await this.target.unplug(`USB-serial adapter unplugged during the download (after ${unplug.afterFrames} Write Memory frames)`);
      this.off = true;
      this.unplugged = true;
      this.synced = false;
      this.log.push('fault: unplugged mid-write');
      throw new Interrupted();
    }
    const r = await this.target.write(address, Uint8Array.from(data));
    if (!r.ok && !r.after) {
      this.spend(r.ms);
      return this.nack('Write Memory', r.why ?? 'write failed');
    }
    if (r.ok) this.accepted.push({ command: 'Write Memory', detail: `0x${address.toString(16)} +${n}` });
    // Flash: programmed, then ACK. The option bytes: ACK, then the reset that loads them (AN3155).
    if (!r.after) this.spend(r.ms);
    if (r.ok) this.send([ACK], true, CMD.WRITE_MEMORY);
    if (r.after) this.spend(r.ms);
    this.afterEffects(r);
    if (r.after) throw new Interrupted();
  }

  private async extendedErase(): Promise<void> {
    const head = await this.take(2);
    const n = (head[0]! << 8) | head[1]!;
    if (n >= 0xfff0) {
      const sum = await this.next();
      if ((head[0]! ^ head[1]!) !== sum) return this.nack('Extended Erase', 'checksum');
      return this.nack('Extended Erase', `special erase 0x${n.toString(16)} (mass/bank erase) is not offered on STM32WB here`);
    }
    const body = await this.take(2 * (n + 1));
    const sum = await this.next();
    if (xor(body, head[0]! ^ head[1]!) !== sum) return this.nack('Extended Erase', 'checksum');
    const pages: number[] = [];
    for (let i = 0; i < body.length; i += 2) pages.push((body[i]! << 8) | body[i + 1]!);
    const r = await this.target.erase(pages);
    this.spend(r.ms);
    if (!r.ok) return this.nack('Extended Erase', r.why ?? 'erase failed');
    this.accepted.push({ command: 'Extended Erase', detail: `${pages.length} pages from ${pages[0]}` });
    this.send([ACK], true, CMD.EXTENDED_ERASE);
  }

  /** Opcode (2 bytes + XOR), then ACK or NACK. */
  private async opcode(command: string, allowed: readonly number[]): Promise<number | undefined> {
    const o = await this.take(3);
    if ((o[0]! ^ o[1]!) !== o[2]) {
      this.nack(command, 'opcode checksum');
      return undefined;
    }
    const op = (o[0]! << 8) | o[1]!;
    if (!allowed.includes(op)) {
      this.nack(command, `opcode 0x${op.toString(16).padStart(4, '0')} not offered`);
      return undefined;
    }
    this.send([ACK]);
    return op;
  }

  /** A length-prefixed block (2 bytes, data, XOR); undefined (after a NACK) when it is too long or its checksum fails. */
  private async block(command: string, max: number): Promise<Uint8Array | undefined> {
    const h = await this.take(2);
    const n = (h[0]! << 8) | h[1]!;
    if (n > max) {
      // Without a bound the device cannot know where the frame ends: refuse at once (AN3155 limits).
      this.nack(command, `data length ${n} > ${max}`);
      return undefined;
    }
    const data = await this.take(n);
    const sum = await this.next();
    if (xor(data, h[0]! ^ h[1]!) !== sum) {
      this.nack(command, 'data checksum');
      return undefined;
    }
    return Uint8Array.from(data);
  }

  private async special(): Promise<void> {
    const op = await this.opcode('Special', [FUS_OPCODE.GET_STATE]);
    if (op === undefined) return;
    const data = await this.block('Special', MAX_SPECIAL_DATA);
    if (!data) return;
    if (data.length !== 0) return this.nack('Special', 'FUS_GET_STATE takes no data');
    const r = await this.target.fusGetState();
    this.spend(r.ms);
    this.send([ACK]);
    if (r.value) {
      this.accepted.push({ command: 'FUS_GET_STATE', detail: `state 0x${r.value.state.toString(16)} error 0x${r.value.error.toString(16)}` });
      // [x, state, error] as amp-hal-st reads it (x: 0 here), then an empty status block, then ACK.
      this.send([0, 3, 0, r.value.state, r.value.error, 0, 0, ACK], true, CMD.SPECIAL);
    } else {
      this.accepted.push({ command: 'FUS_GET_STATE', detail: 'no reply: the chip reset (second GET_STATE while the stack ran)' });
    }
    this.afterEffects(r);
    if (r.after) throw new Interrupted();
  }

  private async extendedSpecial(): Promise<void> {
    const op = await this.opcode('Extended Special', [FUS_OPCODE.FW_DELETE, FUS_OPCODE.FW_UPGRADE, FUS_OPCODE.START_WS]);
    if (op === undefined) return;
    const d1 = await this.block('Extended Special', MAX_SPECIAL_DATA);
    if (!d1) return;
    this.send([ACK]);
    const d2 = await this.block('Extended Special', MAX_EXTENDED_SPECIAL_DATA2);
    if (!d2) return;
    if (d1.length || d2.length) return this.nack('Extended Special', 'the FUS commands take no data');
    const name = op === FUS_OPCODE.FW_DELETE ? 'FW_DELETE' : op === FUS_OPCODE.FW_UPGRADE ? 'FW_UPGRADE' : 'START_WS';
    const r = await this.target.fusCommand(name);
    this.send([ACK]);
    const reply = r.value!;
    this.accepted.push({ command: name, detail: `reply ${[...reply].map((x) => x.toString(16)).join(' ')}` });
    this.send([0, reply.length, ...reply, ACK], true, CMD.EXTENDED_SPECIAL);
    // FUS works (and resets the chip) after answering.
    this.spend(r.ms);
    this.afterEffects(r);
    if (r.after) throw new Interrupted();
  }
}
