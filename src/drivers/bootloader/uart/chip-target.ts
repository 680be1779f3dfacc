/**
 * The virtual UART bootloader's chip: the same `VirtualChip` the virtual DFU device uses (../virtual/chip.ts:
 * flash bytes over the simulated board model, memory map, option bytes, FUS relayed), so both transports
 * behave alike and end in the same board state. This adapter only turns its results into what the
 * byte-level AN3155 device needs (replies, NACK reasons, and whether the chip reset or lost power).
 */
import type { VirtualChip, ChipResult } from '../virtual/chip.js';
import { OPTION_BYTES_ADDRESS, OPTION_BYTES_SIZE } from './an3155.js';

/** What happens to the chip after a command (the device stops answering until it is synced again). */
export type After = { kind: 'reset' } | { kind: 'power-off'; unplug: boolean };

export interface TargetResult<T = undefined> {
  ok: boolean;
  value?: T;
  /** Why it was refused (NACK). */
  why?: string;
  /** Device time the command took. */
  ms: number;
  after?: After;
}

/** What the virtual AN3155 bootloader needs from the chip behind it. */
export interface BootloaderTarget {
  /** The chip came out of reset / power-up and the host synced (0x7F): does the ROM bootloader run? */
  boot(): Promise<TargetResult>;
  powered(): Promise<boolean>;
  deviceId(): Promise<number>;
  readProtected(): Promise<boolean>;
  addressValid(address: number): Promise<boolean>;
  read(address: number, length: number): Promise<TargetResult<Uint8Array>>;
  write(address: number, data: Uint8Array): Promise<TargetResult>;
  erase(pages: readonly number[]): Promise<TargetResult>;
  fusGetState(): Promise<TargetResult<{ state: number; error: number } | null>>;
  fusCommand(command: 'FW_UPGRADE' | 'FW_DELETE' | 'START_WS'): Promise<TargetResult<Uint8Array>>;
  /** The host went away: what it wrote becomes the model's. */
  flush(): Promise<void>;
  /** The USB-serial adapter is pulled: the board loses power. */
  unplug(note: string): Promise<void>;
}

const FUS_CODE = { FW_DELETE: 0x52, FW_UPGRADE: 0x53, START_WS: 0x5a } as const;

export class ChipTarget implements BootloaderTarget {
  constructor(readonly chip: VirtualChip) {}

  /** A reset flag from the chip: a reset, or (board unpowered) a power cut / unplug. */
  private async after(r: ChipResult<unknown>): Promise<After | undefined> {
    if (!r.reset) return undefined;
    const b = await this.chip.board();
    if (b.powered) return { kind: 'reset' };
    return { kind: 'power-off', unplug: /unplugged/.test(b.notes[b.notes.length - 1] ?? '') };
  }

  private async result<T>(r: ChipResult<T>, ms = r.ms): Promise<TargetResult<T>> {
    const after = await this.after(r);
    return { ok: r.ok, ms, ...(r.value !== undefined ? { value: r.value } : {}), ...(r.ok ? {} : { why: r.message ?? r.failure ?? 'refused' }), ...(after ? { after } : {}) };
  }

  async boot(): Promise<TargetResult> {
    const o = await this.chip.plugIn();
    return o.ok ? { ok: true, ms: 0 } : { ok: false, ms: 0, why: o.message ?? 'not reachable' };
  }

  async powered(): Promise<boolean> {
    return (await this.chip.board()).powered;
  }

  async deviceId(): Promise<number> {
    return (await this.chip.board()).device.deviceId;
  }

  async readProtected(): Promise<boolean> {
    return (await this.chip.board()).optionBytes.rdp !== 0xaa;
  }

  /** Whether the bootloader serves this address at all (AN3155 NACKs the address frame otherwise); no flash side effects. */
  async addressValid(address: number): Promise<boolean> {
    const b = await this.chip.board();
    const flashEnd = 0x08000000 + b.device.flashSizeKB * 1024;
    return (address >= 0x08000000 && address < flashEnd) || (address >= 0x20000000 && address < 0x20040000) || (address >= 0x1fff7000 && address < OPTION_BYTES_ADDRESS + OPTION_BYTES_SIZE);
  }

  async read(address: number, length: number): Promise<TargetResult<Uint8Array>> {
    // A read ends the host's contiguous write: the model learns what it wrote (an armed power cut fires there).
    const flushed = await this.chip.flush();
    if (!flushed.ok) return { ...(await this.result(flushed, 0)), value: undefined } as TargetResult<Uint8Array>;
    if (address >= OPTION_BYTES_ADDRESS && address + length <= OPTION_BYTES_ADDRESS + OPTION_BYTES_SIZE) {
      const r = await this.chip.optionBytes();
      return this.result({ ...r, ...(r.value ? { value: r.value.slice(address - OPTION_BYTES_ADDRESS, address - OPTION_BYTES_ADDRESS + length) } : {}) }, 0);
    }
    // The wire time is the wire's: the chip's own transfer estimate is not charged twice.
    return this.result(await this.chip.read(address, length), 0);
  }

  async write(address: number, data: Uint8Array): Promise<TargetResult> {
    if (address === OPTION_BYTES_ADDRESS) return this.result(await this.chip.writeOptionBytes(data));
    // RM0434: ~82 us per 64-bit double word programmed; the bytes' wire time is the wire's.
    return this.result(await this.chip.program(address, data), Math.ceil(data.length / 8) * 0.1);
  }

  async erase(pages: readonly number[]): Promise<TargetResult> {
    const b = await this.chip.board();
    const pageSize = b.device.deviceId === 0x494 ? 0x800 : 0x1000;
    const pageCount = (b.device.flashSizeKB * 1024) / pageSize;
    let ms = 0;
    for (const p of pages) {
      if (p >= pageCount) return { ok: false, ms, why: `page ${p} does not exist (${pageCount} pages)` };
      const r = await this.chip.erasePage(0x08000000 + p * pageSize);
      ms += r.ms;
      // Pages before a refused one stay erased (public field reports).
      if (!r.ok) return this.result(r, ms);
    }
    return { ok: true, ms };
  }

  async fusGetState(): Promise<TargetResult<{ state: number; error: number } | null>> {
    const r = await this.chip.fusGetState();
    const after = await this.after(r);
    // A reset during GET_STATE (the second one while the stack runs): the chip resets before answering.
    const value = r.ok && r.value && !after ? { state: r.value[0]!, error: r.value[1]! } : null;
    return { ok: true, ms: r.ms, value, ...(after ? { after } : {}) };
  }

  async fusCommand(command: 'FW_UPGRADE' | 'FW_DELETE' | 'START_WS'): Promise<TargetResult<Uint8Array>> {
    const r = await this.chip.fusCommand(FUS_CODE[command]);
    const after = await this.after(r);
    // The bootloader relays; FUS's verdict is read with GET_STATE. Refused before FUS works (the stack runs): [1, FUS_ERROR, NOT_RUNNING].
    const reply = r.ok ? Uint8Array.of(0x00, 0x00, 0x00) : r.failure === 'vendor' ? Uint8Array.of(0x01, 0xff, 0xfe) : Uint8Array.of(0x01, 0xff, 0xff);
    return { ok: true, ms: r.ms, value: reply, ...(after ? { after } : {}) };
  }

  async flush(): Promise<void> {
    await this.chip.flush();
  }

  async unplug(note: string): Promise<void> {
    await this.chip.flush();
    await this.chip.access.transact((b) => ({ board: { ...b, powered: false, notes: [...b.notes, note].slice(-10) }, result: undefined, modelledMs: 0 }));
  }
}
