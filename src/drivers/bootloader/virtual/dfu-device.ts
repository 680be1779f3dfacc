/**
 * A virtual STM32WB ROM bootloader in USB DFU mode, behind the WebUSB `USBDevice` interface, over the
 * simulated board (VirtualChip). It answers like the real one (AN3156 DfuSe, USB DFU 1.1): descriptors with
 * the DfuSe memory strings, the DFU state machine (dfuIDLE, dfuDNLOAD_SYNC, dfuDNBUSY, dfuDNLOAD_IDLE,
 * dfuUPLOAD_IDLE, dfuERROR), bwPollTimeout from the modelled device time, a stall for every request that is
 * not valid in the current state, and disappearance on every chip reset (a new USBDevice object appears when
 * it re-enumerates). It is never more forgiving than the spec: a malformed request is stalled, not guessed at.
 *
 * `VirtualUsb` is the matching `navigator.usb`: getDevices() lists the device while the chip is in the ROM
 * bootloader and enumerated. No Node imports: the browser page uses this too.
 */
import { DFU_REQUEST, DFU_STATE, DFU_STATUS, DFUSE_COMMAND, FUS_GET_STATE_ADDRESS } from '../dfu/protocol.js';
import type { BufferSourceLike, UsbControlSetup, UsbDeviceLike, UsbInResult, UsbLike, UsbOutResult, UsbConfigurationLike } from '../dfu/usb.js';
import { ST_DFU } from '../dfu/usb.js';
import { deviceOf } from '../../simulator/layout.js';
import type { VirtualChip, ChipResult, ChipFailure } from './chip.js';

export const VIRTUAL_TRANSFER_SIZE = 2048;
const OB = { start: 0x1fff8000, size: 128 };
const OTP = { start: 0x1fff7000, size: 1024 };

/** Transport faults, armed by request number (1 = the first control transfer the host sends). */
export type UsbFault =
  | { kind: 'stall'; at: number }
  | { kind: 'corrupt'; at: number }
  | { kind: 'timeout'; at: number }
  | { kind: 'unplug'; at: number }
  | { kind: 'no-return'; at: number };

export function parseUsbFault(text: string): UsbFault {
  const m = /^(stall|corrupt|timeout|unplug|no-return)@([1-9][0-9]*)$/.exec(text.trim());
  if (!m) throw new Error(`cannot arm USB fault ${JSON.stringify(text)}: expected stall@N, corrupt@N, timeout@N, unplug@N or no-return@N (N = the N-th USB request)`);
  return { kind: m[1] as UsbFault['kind'], at: Number(m[2]) };
}

const STATUS_OF: Record<ChipFailure, number> = {
  target: DFU_STATUS.errTARGET,
  address: DFU_STATUS.errADDRESS,
  erase: DFU_STATUS.errERASE,
  prog: DFU_STATUS.errPROG,
  verify: DFU_STATUS.errVERIFY,
  vendor: DFU_STATUS.errVENDOR,
  gone: DFU_STATUS.errUNKNOWN,
};

function disconnectedError(): Error {
  const e = new Error('NetworkError: the device was disconnected');
  e.name = 'NetworkError';
  return e;
}

type Pending =
  | { kind: 'set-address'; address: number }
  | { kind: 'erase'; address: number }
  | { kind: 'fus'; code: number }
  | { kind: 'write'; address: number; data: Uint8Array }
  | { kind: 'leave' };

function stringDescriptorFor(alt: number, layout: string): { alternateSetting: number; interfaceClass: number; interfaceSubclass: number; interfaceProtocol: number; interfaceName: string } {
  return { alternateSetting: alt, interfaceClass: 0xfe, interfaceSubclass: 0x01, interfaceProtocol: 0x02, interfaceName: layout };
}

/** The shared state of one simulated board on USB: its chip, the request counter, armed transport faults. */
export class VirtualUsb implements UsbLike {
  private current: VirtualDfuDevice | undefined;
  requests = 0;
  /** Every request and answer, one line each (tests and the transcript). */
  readonly log: string[] = [];

  constructor(
    readonly chip: VirtualChip,
    readonly faults: UsbFault[] = [],
  ) {}

  async getDevices(): Promise<UsbDeviceLike[]> {
    if (this.current && !this.current.gone) return [this.current];
    if (!(await this.chip.present())) return [];
    const board = await this.chip.board();
    const d = deviceOf(board);
    const kb = d.pageSize / 1024;
    this.current = new VirtualDfuDevice(this, await this.chip.serial(), [
      `@Internal Flash  /0x08000000/${d.flashSize / d.pageSize}*${String(kb).padStart(2, '0')}Kg`,
      `@Option Bytes  /0x${OB.start.toString(16).toUpperCase()}/01*128 e`,
      `@OTP Memory /0x${OTP.start.toString(16).toUpperCase()}/01*01Ke`,
    ]);
    return [this.current];
  }

  /** The device went away with the chip's reset (it comes back as a new object when the chip re-enumerates). */
  drop(): void {
    if (this.current) this.current.gone = true;
    this.current = undefined;
  }

  takeFault(): UsbFault | undefined {
    this.requests++;
    const i = this.faults.findIndex((f) => f.at === this.requests);
    if (i < 0) return undefined;
    return this.faults.splice(i, 1)[0];
  }
}

export class VirtualDfuDevice implements UsbDeviceLike {
  readonly vendorId = ST_DFU.vendorId;
  readonly productId = ST_DFU.productId;
  readonly productName = 'DFU in FS Mode';
  readonly manufacturerName = 'STMicroelectronics';
  opened = false;
  gone = false;
  configuration: UsbConfigurationLike | undefined;
  private claimed = false;
  private alt = 0;
  private state: number = DFU_STATE.dfuIDLE;
  private status: number = DFU_STATUS.OK;
  private pointer = 0x08000000;
  private pending: Pending | undefined;
  private busyUntil = 0;
  private resetAfterBusy = false;
  private uploading = false;
  private readonly configValue = 1;

  constructor(
    private readonly usb: VirtualUsb,
    readonly serialNumber: string,
    private readonly layouts: string[],
  ) {}

  private get chip(): VirtualChip {
    return this.usb.chip;
  }

  private ensureThere(): void {
    if (this.gone) throw disconnectedError();
  }

  async open(): Promise<void> {
    this.ensureThere();
    this.opened = true;
  }
  async close(): Promise<void> {
    this.opened = false;
    this.claimed = false;
  }
  async selectConfiguration(value: number): Promise<void> {
    this.ensureThere();
    if (!this.opened) throw new Error('InvalidStateError: the device is not open');
    if (value !== this.configValue) throw new Error(`NotFoundError: no configuration ${value}`);
    this.configuration = {
      configurationValue: 1,
      interfaces: [{ interfaceNumber: 0, alternates: this.layouts.map((l, i) => stringDescriptorFor(i, l)) }],
    };
  }
  async claimInterface(n: number): Promise<void> {
    this.ensureThere();
    if (!this.opened || !this.configuration) throw new Error('InvalidStateError: open the device and select its configuration first');
    if (n !== 0) throw new Error(`NotFoundError: no interface ${n}`);
    this.claimed = true;
  }
  async releaseInterface(n: number): Promise<void> {
    if (n === 0) this.claimed = false;
  }
  async selectAlternateInterface(n: number, alt: number): Promise<void> {
    this.ensureThere();
    if (!this.claimed || n !== 0) throw new Error('InvalidStateError: interface 0 is not claimed');
    if (alt < 0 || alt >= this.layouts.length) throw new Error(`NotFoundError: no alternate setting ${alt}`);
    // DFU 1.1: a SET_INTERFACE resets the DFU state to dfuIDLE... except out of dfuERROR? AN3156 does not say; the spec's state machine keeps an error.
    this.alt = alt;
    if (this.state !== DFU_STATE.dfuERROR) this.state = DFU_STATE.dfuIDLE;
  }

  /** The configuration descriptor: config, one interface descriptor per alternate setting, the DFU functional descriptor. */
  private configDescriptor(): Uint8Array {
    const alts = this.layouts.length;
    const total = 9 + 9 * alts + 9;
    const out = new Uint8Array(total);
    out.set([9, 2, total & 0xff, total >> 8, 1, 1, 0, 0x80, 50], 0);
    for (let i = 0; i < alts; i++) out.set([9, 4, 0, i, 0, 0xfe, 0x01, 0x02, 4 + i], 9 + 9 * i);
    // bmAttributes 0x0B: download, upload, will detach; wDetachTimeOut 255 ms; wTransferSize; bcdDFUVersion 1.1a (DfuSe).
    out.set([9, 0x21, 0x0b, 0xff, 0x00, VIRTUAL_TRANSFER_SIZE & 0xff, VIRTUAL_TRANSFER_SIZE >> 8, 0x1a, 0x01], 9 + 9 * alts);
    return out;
  }

  private stall(): { status: 'stall'; bytesWritten: 0 } {
    this.state = DFU_STATE.dfuERROR;
    this.status = DFU_STATUS.errSTALLEDPKT;
    this.usb.log.push(`  stall (now dfuERROR)`);
    return { status: 'stall', bytesWritten: 0 };
  }

  /** The chip lost power during this request (an armed unplug / power loss fired): the device drops off the bus, the transfer fails. */
  private vanishIfUnpowered(): void {
    if (!this.chip.lostPower) return;
    this.usb.log.push('  the chip lost power: the device is gone');
    this.usb.drop();
    throw disconnectedError();
  }

  private checkUsable(setup: UsbControlSetup): void {
    this.ensureThere();
    this.vanishIfUnpowered();
    if (!this.opened) throw new Error('InvalidStateError: the device is not open');
    if (setup.requestType === 'class' && !this.claimed) throw new Error('InvalidStateError: interface 0 is not claimed');
  }

  private async fault(direction: 'in' | 'out'): Promise<'corrupt' | 'stall' | undefined> {
    const f = this.usb.takeFault();
    if (!f) return undefined;
    this.usb.log.push(`  armed fault ${f.kind}@${f.at}`);
    switch (f.kind) {
      case 'stall':
        return 'stall';
      case 'corrupt':
        return 'corrupt';
      case 'timeout': {
        const e = new Error(`LIBUSB_ERROR_TIMEOUT: the ${direction} transfer timed out`);
        e.name = 'TimeoutError';
        throw e;
      }
      case 'unplug':
        await this.chip.unplug();
        this.usb.drop();
        throw disconnectedError();
      case 'no-return':
        await this.chip.neverReturn();
        return undefined;
    }
  }

  async controlTransferOut(setup: UsbControlSetup, data?: BufferSourceLike): Promise<UsbOutResult> {
    this.checkUsable(setup);
    const bytes = data ? toBytes(data) : new Uint8Array(0);
    this.usb.log.push(`OUT req=${setup.request} value=${setup.value} len=${bytes.length} alt=${this.alt} ${dfuStateLabel(this.state)}`);
    const f = await this.fault('out');
    if (f === 'stall') return this.stall();
    if (f === 'corrupt' && bytes.length > 0) bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x5a;
    if (setup.requestType !== 'class' || setup.recipient !== 'interface' || setup.index !== 0) return this.stall();
    switch (setup.request) {
      case DFU_REQUEST.DNLOAD:
        return this.dnload(setup.value, bytes);
      case DFU_REQUEST.CLRSTATUS:
        if (this.state !== DFU_STATE.dfuERROR || bytes.length) return this.stall();
        this.state = DFU_STATE.dfuIDLE;
        this.status = DFU_STATUS.OK;
        return { bytesWritten: 0, status: 'ok' };
      case DFU_REQUEST.ABORT:
        // DFU 1.1: ABORT is valid in dfuIDLE, dfuDNLOAD_SYNC, dfuDNLOAD_IDLE, dfuMANIFEST_SYNC, dfuUPLOAD_IDLE.
        if (bytes.length || (this.state !== DFU_STATE.dfuIDLE && this.state !== DFU_STATE.dfuDNLOAD_SYNC && this.state !== DFU_STATE.dfuDNLOAD_IDLE && this.state !== DFU_STATE.dfuUPLOAD_IDLE)) return this.stall();
        this.pending = undefined;
        this.uploading = false;
        this.state = DFU_STATE.dfuIDLE;
        return { bytesWritten: 0, status: 'ok' };
      default:
        return this.stall();
    }
  }

  private dnload(block: number, bytes: Uint8Array): UsbOutResult {
    if (this.state !== DFU_STATE.dfuIDLE && this.state !== DFU_STATE.dfuDNLOAD_IDLE) return this.stall();
    if (bytes.length > VIRTUAL_TRANSFER_SIZE) return this.stall();
    if (bytes.length === 0) {
      // DFU 1.1: a zero-length DNLOAD ends the download (manifestation); in dfuIDLE it is invalid.
      if (this.state !== DFU_STATE.dfuDNLOAD_IDLE) return this.stall();
      this.pending = { kind: 'leave' };
    } else if (block === 0) {
      const cmd = bytes[0]!;
      const le32 = () => (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
      if (cmd === DFUSE_COMMAND.SET_ADDRESS && bytes.length === 5) this.pending = { kind: 'set-address', address: le32() };
      else if (cmd === DFUSE_COMMAND.ERASE && bytes.length === 5 && this.alt === 0) this.pending = { kind: 'erase', address: le32() };
      else if (bytes.length === 1 && this.alt === 0 && (cmd === 0x52 || cmd === 0x53 || cmd === 0x5a)) this.pending = { kind: 'fus', code: cmd };
      // Mass erase (0x41 alone), read unprotect (0x92) and anything else: refused (copro never sends them).
      else return this.stall();
    } else if (block === 1) {
      return this.stall();
    } else {
      const address = this.pointer + (block - 2) * VIRTUAL_TRANSFER_SIZE;
      this.pending = { kind: 'write', address, data: bytes.slice() };
    }
    this.state = DFU_STATE.dfuDNLOAD_SYNC;
    return { bytesWritten: bytes.length, status: 'ok' };
  }

  async controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInResult> {
    this.checkUsable(setup);
    this.usb.log.push(`IN  req=${setup.request} value=${setup.value} len=${length} alt=${this.alt} ${dfuStateLabel(this.state)}`);
    const f = await this.fault('in');
    if (f === 'stall') return this.stall();
    const reply = await this.answerIn(setup, length);
    this.vanishIfUnpowered();
    if ('status' in reply && reply.status === 'stall') return reply;
    const data = (reply as { data: Uint8Array }).data;
    if (f === 'corrupt' && data.length > 0) data[0] = data[0]! ^ 0xa5;
    return { data: new DataView(data.buffer, data.byteOffset, data.byteLength), status: 'ok' };
  }

  private async answerIn(setup: UsbControlSetup, length: number): Promise<{ data: Uint8Array } | { status: 'stall' }> {
    if (setup.requestType === 'standard' && setup.recipient === 'device' && setup.request === 6 && setup.value === 0x0200) {
      return { data: this.configDescriptor().slice(0, length) };
    }
    if (setup.requestType !== 'class' || setup.recipient !== 'interface' || setup.index !== 0) return this.stall();
    switch (setup.request) {
      case DFU_REQUEST.GETSTATUS:
        if (length < 6) return this.stall();
        return { data: await this.getStatus() };
      case DFU_REQUEST.GETSTATE:
        if (length < 1) return this.stall();
        return { data: new Uint8Array([this.state]) };
      case DFU_REQUEST.UPLOAD:
        return this.upload(setup.value, length);
      default:
        return this.stall();
    }
  }

  private statusBytes(pollMs: number): Uint8Array {
    const t = Math.max(0, Math.min(0xffffff, Math.round(pollMs)));
    return new Uint8Array([this.status, t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, this.state, 0]);
  }

  /** GETSTATUS: in dfuDNLOAD_SYNC it starts the pending operation (DFU 1.1 §6.1.2), in dfuDNBUSY it tells how long to wait. */
  private async getStatus(): Promise<Uint8Array> {
    const now = Date.now() * this.chip.access.speed;
    if (this.state === DFU_STATE.dfuDNLOAD_SYNC && this.pending) {
      const p = this.pending;
      this.pending = undefined;
      const r = await this.execute(p);
      if (!r.ok && !r.reset) {
        this.state = DFU_STATE.dfuERROR;
        this.status = STATUS_OF[r.failure ?? 'vendor'];
        this.usb.log.push(`  -> ${dfuStateLabel(this.state)} ${r.message ?? ''}`);
        return this.statusBytes(0);
      }
      this.state = DFU_STATE.dfuDNBUSY;
      this.busyUntil = now + r.ms;
      this.resetAfterBusy = r.reset === true;
      // A reset: the device answers "busy" one last time, then it is gone (the chip resets; USB drops).
      if (this.resetAfterBusy) {
        const bytes = this.statusBytes(Math.min(r.ms, 50));
        this.usb.drop();
        return bytes;
      }
      return this.statusBytes(r.ms);
    }
    if (this.state === DFU_STATE.dfuDNBUSY) {
      if (now + 0.5 < this.busyUntil) return this.statusBytes(this.busyUntil - now);
      this.state = DFU_STATE.dfuDNLOAD_IDLE;
    }
    return this.statusBytes(0);
  }

  private async execute(p: Pending): Promise<ChipResult> {
    const region = this.regionOfAlt();
    switch (p.kind) {
      case 'set-address': {
        const fusPointer = this.alt === 0 && p.address === FUS_GET_STATE_ADDRESS;
        // AN3156: an address outside the selected memory is refused (errTARGET). Alt 0 also reaches SRAM and the engineering bytes.
        const inAlt = p.address >= region.start && p.address < region.start + region.size;
        const extra = this.alt === 0 && ((p.address >= 0x20000000 && p.address < 0x20040000) || (p.address >= 0x1fff7000 && p.address < 0x1fff8000));
        if (!fusPointer && !inAlt && !extra) return { ok: false, failure: 'target', message: `address 0x${p.address.toString(16)} is not in alternate setting ${this.alt}`, ms: 0 };
        await this.chip.flush();
        this.pointer = p.address;
        this.chip.modelledMs += 1;
        return { ok: true, ms: 1 };
      }
      case 'erase':
        return this.chip.erasePage(p.address);
      case 'fus':
        return this.chip.fusCommand(p.code);
      case 'leave':
        return this.chip.leave();
      case 'write': {
        if (this.alt === 1) {
          if (p.address !== OB.start || p.data.length !== OB.size) return { ok: false, failure: 'target', message: 'option bytes are written whole: 128 bytes at 0x1FFF8000', ms: 0 };
          return this.chip.writeOptionBytes(p.data);
        }
        if (this.alt !== 0) return { ok: false, failure: 'target', message: 'OTP writes are not supported by the simulator', ms: 0 };
        return this.chip.program(p.address, p.data);
      }
    }
  }

  private regionOfAlt(): { start: number; size: number } {
    if (this.alt === 1) return OB;
    if (this.alt === 2) return OTP;
    const m = /\/0x([0-9A-F]+)\/(\d+)\*(\d+)K/.exec(this.layouts[0]!)!;
    return { start: Number.parseInt(m[1]!, 16), size: Number(m[2]) * Number(m[3]) * 1024 };
  }

  private async upload(block: number, length: number): Promise<{ data: Uint8Array } | { status: 'stall' }> {
    if (this.state !== DFU_STATE.dfuIDLE && this.state !== DFU_STATE.dfuUPLOAD_IDLE) return this.stall();
    if (length > VIRTUAL_TRANSFER_SIZE || length === 0) return this.stall();
    if (block === 0) {
      // DfuSe Get Commands: the commands this bootloader supports.
      this.state = DFU_STATE.dfuIDLE;
      return { data: new Uint8Array([DFUSE_COMMAND.GET, DFUSE_COMMAND.SET_ADDRESS, DFUSE_COMMAND.ERASE, DFUSE_COMMAND.READ_UNPROTECT]).slice(0, length) };
    }
    if (block === 1) return this.stall();
    if (this.alt === 0 && this.pointer === FUS_GET_STATE_ADDRESS) {
      if (block !== 2 || length !== 2) return this.stall();
      const r = await this.chip.fusGetState();
      if (!r.ok || !r.value) return this.stall();
      if (r.reset) this.usb.drop();
      this.state = DFU_STATE.dfuUPLOAD_IDLE;
      return { data: r.value };
    }
    const address = this.pointer + (block - 2) * VIRTUAL_TRANSFER_SIZE;
    const r = this.alt === 1 ? await this.chip.optionBytes().then((x) => (x.ok && address === OB.start && length <= OB.size ? { ...x, value: x.value!.slice(0, length) } : { ...x, ok: false })) : await this.chip.read(address, length);
    if (!r.ok || !r.value) {
      this.state = DFU_STATE.dfuERROR;
      this.status = STATUS_OF[r.failure ?? 'address'];
      return { status: 'stall' };
    }
    this.state = DFU_STATE.dfuUPLOAD_IDLE;
    return { data: r.value };
  }
}

function toBytes(data: BufferSourceLike): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  const v = data as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
}

function dfuStateLabel(s: number): string {
  return Object.entries(DFU_STATE).find(([, v]) => v === s)?.[0] ?? String(s);
}
