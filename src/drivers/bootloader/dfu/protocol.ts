/**
 * USB DFU 1.1 with ST's DfuSe extensions (AN3156), over any WebUSB-shaped device. No Node imports: the
 * same code runs on `navigator.usb`. Written from AN3156 and the USB DFU 1.1 class specification.
 *
 * One DfuSession is one opened device; it never retries on its own beyond the DFU status polling the
 * specification prescribes (the device tells how long to wait, bwPollTimeout).
 */
import { LinkError } from '../link.js';
import { hex, type LinkClock, type UsbControlSetup, type UsbDeviceLike, type UsbInResult, type UsbOutResult } from './usb.js';

/** DFU class requests (DFU 1.1 §3). */
export const DFU_REQUEST = { DETACH: 0, DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, CLRSTATUS: 4, GETSTATE: 5, ABORT: 6 } as const;

/** bState values (DFU 1.1 §6.1.2). */
export const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

/** bStatus values (DFU 1.1 §6.1.2). */
export const DFU_STATUS = {
  OK: 0x00,
  errTARGET: 0x01,
  errFILE: 0x02,
  errWRITE: 0x03,
  errERASE: 0x04,
  errCHECK_ERASED: 0x05,
  errPROG: 0x06,
  errVERIFY: 0x07,
  errADDRESS: 0x08,
  errNOTDONE: 0x09,
  errFIRMWARE: 0x0a,
  errVENDOR: 0x0b,
  errUSBR: 0x0c,
  errPOR: 0x0d,
  errUNKNOWN: 0x0e,
  errSTALLEDPKT: 0x0f,
} as const;

export function dfuStateName(code: number): string {
  return Object.entries(DFU_STATE).find(([, v]) => v === code)?.[0] ?? `state ${code}`;
}
export function dfuStatusName(code: number): string {
  return Object.entries(DFU_STATUS).find(([, v]) => v === code)?.[0] ?? `status ${code}`;
}

/** DfuSe commands: DNLOAD with wValue 0 (AN3156 §6). */
export const DFUSE_COMMAND = { GET: 0x00, SET_ADDRESS: 0x21, ERASE: 0x41, READ_UNPROTECT: 0x92 } as const;

/** FUS_GET_STATE over DfuSe: Set Address 0xFFFF0000 | 0x54, then a 2-byte UPLOAD (qFlipper stm32wb55.cpp, shipped since 2021). */
export const FUS_GET_STATE_ADDRESS = 0xffff0054;

export interface DfuStatus {
  status: number;
  pollTimeout: number;
  state: number;
  iString: number;
}

export function parseStatus(data: DataView | undefined): DfuStatus {
  if (!data || data.byteLength !== 6) throw new LinkError('PROTOCOL', `DFU_GETSTATUS answered ${data?.byteLength ?? 0} bytes instead of 6`);
  return { status: data.getUint8(0), pollTimeout: data.getUint8(1) | (data.getUint8(2) << 8) | (data.getUint8(3) << 16), state: data.getUint8(4), iString: data.getUint8(5) };
}

/** Maps a transfer's rejection (WebUSB: DOMException NetworkError/NotFoundError; node-usb: LIBUSB_ERROR_*) to a LinkError. */
export function linkErrorOf(e: unknown, what: string): LinkError {
  if (e instanceof LinkError) return e;
  const text = `${(e as { name?: string })?.name ?? ''} ${(e as Error)?.message ?? String(e)}`;
  if (/TIMEOUT|timed out/i.test(text)) return new LinkError('TIMEOUT', `${what}: no answer (${text.trim()})`);
  if (/NO_DEVICE|NetworkError|NotFound|disconnect|not found|gone|ENODEV|LIBUSB_ERROR_IO/i.test(text)) return new LinkError('DISCONNECTED', `${what}: the device went away (${text.trim()})`);
  if (/ACCESS|permission|SecurityError|EACCES|NotAllowed|BUSY/i.test(text)) return new LinkError('PERMISSION', `${what}: the operating system refused access (${text.trim()})`);
  if (/PIPE|stall/i.test(text)) return new LinkError('NACK', `${what}: the device stalled the request`);
  return new LinkError('PROTOCOL', `${what}: ${text.trim()}`);
}

export interface DfuSessionOptions {
  interfaceNumber: number;
  transferSize: number;
  clock: LinkClock;
  /** Upper bound for one busy phase (erase, programming): the device's own bwPollTimeout normally decides. */
  busyTimeoutMs?: number;
}

export class DfuSession {
  readonly iface: number;
  readonly transferSize: number;
  private readonly clock: LinkClock;
  private readonly busyTimeoutMs: number;

  constructor(
    readonly device: UsbDeviceLike,
    o: DfuSessionOptions,
  ) {
    this.iface = o.interfaceNumber;
    this.transferSize = o.transferSize;
    this.clock = o.clock;
    this.busyTimeoutMs = o.busyTimeoutMs ?? 30_000;
  }

  private setup(request: number, value: number): UsbControlSetup {
    return { requestType: 'class', recipient: 'interface', request, value, index: this.iface };
  }

  private async out(request: number, value: number, data: Uint8Array | undefined, what: string): Promise<void> {
    let r: UsbOutResult;
    try {
      r = await this.device.controlTransferOut(this.setup(request, value), data);
    } catch (e) {
      throw linkErrorOf(e, what);
    }
    if (r.status === 'stall') throw new LinkError('NACK', `${what}: the device stalled the request`);
    if (data && r.bytesWritten !== data.length) throw new LinkError('PROTOCOL', `${what}: ${r.bytesWritten} of ${data.length} bytes accepted`);
  }

  private async in(request: number, value: number, length: number, what: string): Promise<DataView> {
    let r: UsbInResult;
    try {
      r = await this.device.controlTransferIn(this.setup(request, value), length);
    } catch (e) {
      throw linkErrorOf(e, what);
    }
    if (r.status === 'stall') throw new LinkError('NACK', `${what}: the device stalled the request`);
    if (r.status === 'babble') throw new LinkError('PROTOCOL', `${what}: the device sent more than asked (babble)`);
    return r.data ?? new DataView(new ArrayBuffer(0));
  }

  async getStatus(): Promise<DfuStatus> {
    return parseStatus(await this.in(DFU_REQUEST.GETSTATUS, 0, 6, 'DFU_GETSTATUS'));
  }

  async clearStatus(): Promise<void> {
    await this.out(DFU_REQUEST.CLRSTATUS, 0, undefined, 'DFU_CLRSTATUS');
  }

  async abort(): Promise<void> {
    await this.out(DFU_REQUEST.ABORT, 0, undefined, 'DFU_ABORT');
  }

  /** AN3156: before a request sequence, clear an error status and leave any state that is not dfuIDLE. */
  async prepare(): Promise<void> {
    let s = await this.getStatus();
    if (s.status !== DFU_STATUS.OK || s.state === DFU_STATE.dfuERROR) {
      await this.clearStatus();
      s = await this.getStatus();
    }
    if (s.state !== DFU_STATE.dfuIDLE) {
      await this.abort();
      s = await this.getStatus();
    }
    if (s.state !== DFU_STATE.dfuIDLE) throw new LinkError('PROTOCOL', `the DFU device stays in ${dfuStateName(s.state)} (${dfuStatusName(s.status)}) after CLRSTATUS/ABORT`);
  }

  /**
   * After a DNLOAD: GETSTATUS until the device leaves dfuDNBUSY, sleeping the bwPollTimeout it asks for.
   * An error status is cleared (so the next request finds dfuIDLE) and reported as a NACK.
   */
  async waitWhileBusy(what: string): Promise<DfuStatus> {
    // Bounded by the waits the device asked for (not by host time, which a slow host would run out of).
    let waited = 0;
    for (let polls = 0; ; polls++) {
      const s = await this.getStatus();
      if (s.status !== DFU_STATUS.OK || s.state === DFU_STATE.dfuERROR) {
        await this.clearStatus().catch(() => undefined);
        throw new LinkError('NACK', `${what}: the bootloader answered ${dfuStatusName(s.status)} (${dfuStateName(s.state)})`);
      }
      if (s.state !== DFU_STATE.dfuDNBUSY && s.state !== DFU_STATE.dfuDNLOAD_SYNC) return s;
      if (waited > this.busyTimeoutMs || polls > 10_000) throw new LinkError('TIMEOUT', `${what}: still busy after ${this.busyTimeoutMs} ms`);
      waited += Math.max(1, s.pollTimeout);
      await this.clock.sleep(s.pollTimeout);
    }
  }

  async download(blockNumber: number, data: Uint8Array, what: string): Promise<void> {
    await this.out(DFU_REQUEST.DNLOAD, blockNumber, data, what);
  }

  async upload(blockNumber: number, length: number, what: string): Promise<Uint8Array> {
    const v = await this.in(DFU_REQUEST.UPLOAD, blockNumber, length, what);
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  }

  /** A DfuSe command (DNLOAD block 0) and its busy phase. */
  async command(bytes: Uint8Array, what: string): Promise<DfuStatus> {
    await this.download(0, bytes, what);
    return this.waitWhileBusy(what);
  }

  async setAddress(address: number): Promise<void> {
    await this.command(le32Command(DFUSE_COMMAND.SET_ADDRESS, address), `DfuSe Set Address ${hex(address)}`);
  }

  async erasePage(address: number): Promise<void> {
    await this.command(le32Command(DFUSE_COMMAND.ERASE, address), `DfuSe Erase ${hex(address)}`);
  }

  /** AN3156 write: Set Address, then blocks 2, 3, ... of wTransferSize, each programmed before the next. */
  async write(address: number, data: Uint8Array, onChunk?: (done: number) => void): Promise<void> {
    await this.prepare();
    await this.setAddress(address);
    for (let off = 0, block = 2; off < data.length; off += this.transferSize, block++) {
      const chunk = data.subarray(off, Math.min(data.length, off + this.transferSize));
      await this.download(block, chunk, `DFU_DNLOAD block ${block} (${hex(address + off)})`);
      await this.waitWhileBusy(`programming ${hex(address + off)}`);
      onChunk?.(Math.min(data.length, off + this.transferSize));
    }
    await this.abort();
  }

  /** AN3156 read: Set Address, ABORT (back to dfuIDLE), then UPLOAD blocks 2, 3, ... */
  async read(address: number, length: number): Promise<Uint8Array> {
    await this.prepare();
    await this.setAddress(address);
    await this.abort();
    const out = new Uint8Array(length);
    for (let off = 0, block = 2; off < length; off += this.transferSize, block++) {
      const want = Math.min(this.transferSize, length - off);
      const got = await this.upload(block, want, `DFU_UPLOAD block ${block} (${hex(address + off)})`);
      if (got.length !== want) throw new LinkError('PROTOCOL', `DFU_UPLOAD at ${hex(address + off)}: ${got.length} bytes instead of ${want}`);
      out.set(got, off);
    }
    await this.abort();
    return out;
  }
}

export function le32Command(code: number, value: number): Uint8Array {
  return new Uint8Array([code, value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]);
}

/** One segment of a DfuSe alternate-setting string: `count` sectors of `size` bytes. */
export interface DfuseSegment {
  start: number;
  count: number;
  size: number;
  readable: boolean;
  erasable: boolean;
  writable: boolean;
}

export interface DfuseLayout {
  name: string;
  start: number;
  segments: DfuseSegment[];
}

/**
 * Parses a DfuSe memory descriptor (AN3156 / UM0424 "@Name /0xADDRESS/count*sizeUt,..."), e.g.
 * `@Internal Flash  /0x08000000/256*04Kg`. Unit: ' ' bytes, K, M; type letter a..g = bit0 readable,
 * bit1 erasable, bit2 writable.
 */
export function parseDfuseLayout(text: string): DfuseLayout | undefined {
  const m = /^@([^/]*)\/\s*0x([0-9A-Fa-f]+)\s*\/(.+)$/.exec(text.trim());
  if (!m) return undefined;
  const start = Number.parseInt(m[2]!, 16);
  const segments: DfuseSegment[] = [];
  let at = start;
  for (const part of m[3]!.split(',')) {
    const s = /^\s*(\d+)\s*\*\s*(\d+)\s*([ BKM]?)([a-g])\s*$/.exec(part);
    if (!s) return undefined;
    const count = Number(s[1]);
    const unit = s[3] === 'K' ? 1024 : s[3] === 'M' ? 1024 * 1024 : 1;
    const size = Number(s[2]) * unit;
    const type = s[4]!.charCodeAt(0) - 'a'.charCodeAt(0) + 1;
    segments.push({ start: at, count, size, readable: (type & 1) !== 0, erasable: (type & 2) !== 0, writable: (type & 4) !== 0 });
    at += count * size;
  }
  return { name: m[1]!.trim(), start, segments };
}

export function layoutSize(l: DfuseLayout): number {
  return l.segments.reduce((n, s) => n + s.count * s.size, 0);
}

/** The DFU functional descriptor (type 0x21) in a configuration descriptor: wTransferSize (DFU 1.1 §4.1.3). */
export function transferSizeOf(configDescriptor: Uint8Array): number | undefined {
  for (let i = 0; i + 1 < configDescriptor.length; ) {
    const len = configDescriptor[i]!;
    if (len < 2) return undefined;
    if (configDescriptor[i + 1] === 0x21 && len >= 7 && i + 6 < configDescriptor.length) return configDescriptor[i + 5]! | (configDescriptor[i + 6]! << 8);
    i += len;
  }
  return undefined;
}
