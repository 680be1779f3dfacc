/**
 * BootloaderLink over USB DFU (DfuSe, AN3156) on any WebUSB `USB` object: `navigator.usb` in a browser,
 * the `usb` package's WebUSB in Node (dfu/node.ts), or the virtual device. No Node imports.
 *
 * Alternate settings are found by their DfuSe strings, not by number alone: alt 0 internal flash (also
 * SRAM reads and the FUS commands), the one at 0x1FFF8000 the option bytes (AN3156; qFlipper stm32wb55.cpp).
 */
import { FUS_COMMAND, LinkError, type BootloaderLink, type FusCommandName, type LinkProgress, type RawFusState } from '../link.js';
import { DfuSession, FUS_GET_STATE_ADDRESS, parseDfuseLayout, transferSizeOf, layoutSize, type DfuseLayout, linkErrorOf, DFU_STATE } from './protocol.js';
import { isStDfu, hex, type LinkClock, type UsbDeviceLike, type UsbLike } from './usb.js';

export const OPTION_BYTES_ADDRESS = 0x1fff8000;
export const OPTION_BYTES_SIZE = 128;

export interface DfuLinkOptions {
  /** DFU serial string to pick (several boards attached). Not an identity: the driver checks UID64. */
  serial?: string;
  clock: LinkClock;
  /** How often to look for the device while it re-enumerates (device ms). */
  pollMs?: number;
}

export interface DfuDeviceSummary {
  serial: string;
  product: string;
  flash?: string;
}

/** The ST DFU devices a WebUSB object can see (`copro devices`). */
export async function listDfuDevices(usb: UsbLike): Promise<DfuDeviceSummary[]> {
  const all = await usb.getDevices();
  return all.filter(isStDfu).map((d) => {
    const alt0 = d.configuration?.interfaces[0]?.alternates.find((a) => a.alternateSetting === 0)?.interfaceName ?? undefined;
    const layout = alt0 ? parseDfuseLayout(alt0) : undefined;
    return { serial: d.serialNumber ?? '', product: d.productName ?? 'DFU', ...(layout ? { flash: `${layoutSize(layout) / 1024} KB ${layout.name}` } : {}) };
  });
}

export class DfuLink implements BootloaderLink {
  readonly transport = 'usb' as const;
  private session: DfuSession | undefined;
  private alt = -1;
  private layouts = new Map<number, DfuseLayout>();
  private serial: string | undefined;

  private constructor(
    private readonly usb: UsbLike,
    private readonly o: DfuLinkOptions,
  ) {
    this.serial = o.serial;
  }

  get name(): string {
    return this.serial ?? 'DFU';
  }

  static async open(usb: UsbLike, o: DfuLinkOptions): Promise<DfuLink> {
    const link = new DfuLink(usb, o);
    const devices = await link.candidates();
    if (devices.length === 0) throw new LinkError('NOT_FOUND', o.serial ? `no DFU device 0483:DF11 with serial ${o.serial}` : 'no DFU device 0483:DF11 (ROM bootloader) attached: BOOT0 high, then reset or plug in');
    if (devices.length > 1 && !o.serial) throw new LinkError('NOT_FOUND', `${devices.length} DFU devices are attached (${devices.map((d) => d.serialNumber ?? '?').join(', ')}): name one with serial`);
    await link.attach(devices[0]!);
    return link;
  }

  private async candidates(): Promise<UsbDeviceLike[]> {
    let all: UsbDeviceLike[];
    try {
      all = await this.usb.getDevices();
    } catch (e) {
      throw linkErrorOf(e, 'listing USB devices');
    }
    return all.filter((d) => isStDfu(d) && (this.serial === undefined || d.serialNumber === this.serial));
  }

  private async attach(device: UsbDeviceLike): Promise<void> {
    try {
      if (!device.opened) await device.open();
      if (!device.configuration) await device.selectConfiguration(1);
      await device.claimInterface(0);
    } catch (e) {
      throw linkErrorOf(e, `opening DFU device ${device.serialNumber ?? ''}`);
    }
    this.serial = device.serialNumber ?? this.serial;
    this.layouts.clear();
    for (const a of device.configuration?.interfaces.find((i) => i.interfaceNumber === 0)?.alternates ?? []) {
      const l = a.interfaceName ? parseDfuseLayout(a.interfaceName) : undefined;
      if (l) this.layouts.set(a.alternateSetting, l);
    }
    if (!this.layouts.has(0)) throw new LinkError('PROTOCOL', 'the DFU device does not describe its internal flash (alternate setting 0 has no DfuSe memory string)');
    const transferSize = await readTransferSize(device);
    this.session = new DfuSession(device, { interfaceNumber: 0, transferSize, clock: this.o.clock });
    this.alt = -1;
  }

  private async use(alt: number): Promise<DfuSession> {
    const s = this.session;
    if (!s) throw new LinkError('DISCONNECTED', 'the DFU device is not open (it reset: reconnect first)');
    if (this.alt !== alt) {
      try {
        await s.device.selectAlternateInterface(0, alt);
      } catch (e) {
        throw linkErrorOf(e, `selecting alternate setting ${alt}`);
      }
      this.alt = alt;
    }
    return s;
  }

  /** The flash layout the bootloader announces (alt 0). */
  get flash(): DfuseLayout {
    const l = this.layouts.get(0);
    if (!l) throw new LinkError('DISCONNECTED', 'the DFU device is not open');
    return l;
  }

  private altFor(address: number): number {
    for (const [alt, l] of this.layouts) if (address >= l.start && address < l.start + layoutSize(l)) return alt;
    return 0;
  }

  /** DfuSe exposes no device id; the flash layout tells the family: 2 KB pages only on WB1x (0x494), 4 KB on WB5x/WB3x (0x495). RM0434/RM0473. */
  async deviceId(): Promise<number> {
    const page = this.flash.segments[0]?.size;
    if (page === 2048) return 0x494;
    if (page === 4096) return 0x495;
    throw new LinkError('UNSUPPORTED', `flash pages of ${page} bytes: not an STM32WB bootloader`);
  }

  get pageSize(): number {
    return this.flash.segments[0]!.size;
  }

  async readMemory(address: number, length: number): Promise<Uint8Array> {
    const s = await this.use(this.altFor(address));
    return s.read(address, length);
  }

  async writeMemory(address: number, data: Uint8Array, onProgress?: (p: LinkProgress) => void): Promise<void> {
    const s = await this.use(this.altFor(address));
    await s.write(address, data, (done) => onProgress?.({ done, total: data.length }));
  }

  async erasePages(pages: readonly number[], onProgress?: (p: LinkProgress) => void): Promise<void> {
    const s = await this.use(0);
    await s.prepare();
    let done = 0;
    for (const p of pages) {
      await s.erasePage(this.flash.start + p * this.pageSize);
      onProgress?.({ done: ++done, total: pages.length });
    }
  }

  private optionBytesAlt(): number {
    for (const [alt, l] of this.layouts) if (l.start === OPTION_BYTES_ADDRESS) return alt;
    throw new LinkError('UNSUPPORTED', 'the DFU device has no option-byte alternate setting (0x1FFF8000)');
  }

  async readOptionBytes(): Promise<Uint8Array> {
    const s = await this.use(this.optionBytesAlt());
    return s.read(OPTION_BYTES_ADDRESS, OPTION_BYTES_SIZE);
  }

  /** AN3156: writing the option bytes makes the chip reload them and reset; the transfer's end "fails" by design. */
  async writeOptionBytes(bytes: Uint8Array): Promise<void> {
    if (bytes.length !== OPTION_BYTES_SIZE) throw new LinkError('PROTOCOL', `option bytes are ${OPTION_BYTES_SIZE} bytes, not ${bytes.length}`);
    const s = await this.use(this.optionBytesAlt());
    await s.prepare();
    await s.setAddress(OPTION_BYTES_ADDRESS);
    await s.download(2, bytes, 'DFU_DNLOAD option bytes');
    await this.expectReset(s, 'option bytes');
  }

  async fusGetState(): Promise<RawFusState> {
    const s = await this.use(0);
    await s.prepare();
    await s.setAddress(FUS_GET_STATE_ADDRESS);
    await s.abort();
    const r = await s.upload(2, 2, 'FUS_GET_STATE');
    if (r.length !== 2) throw new LinkError('PROTOCOL', `FUS_GET_STATE answered ${r.length} bytes instead of 2`);
    await s.abort();
    return { state: r[0]!, error: r[1]! };
  }

  async fusCommand(command: FusCommandName): Promise<void> {
    const s = await this.use(0);
    await s.prepare();
    await s.download(0, new Uint8Array([FUS_COMMAND[command]]), command);
    await this.expectReset(s, command);
  }

  /** After a request that may reset the chip: a GETSTATUS that fails because the device went away is the expected end. */
  private async expectReset(s: DfuSession, what: string): Promise<void> {
    try {
      const st = await s.waitWhileBusy(what);
      if (st.state === DFU_STATE.dfuDNLOAD_IDLE || st.state === DFU_STATE.dfuMANIFEST) await s.abort().catch(() => undefined);
    } catch (e) {
      if (e instanceof LinkError && e.code === 'DISCONNECTED') {
        this.session = undefined;
        return;
      }
      throw e;
    }
  }

  /** Whether the device went away (a reset): the driver then calls reconnect. */
  get disconnected(): boolean {
    return this.session === undefined;
  }

  async reconnect(timeoutMs: number): Promise<void> {
    const old = this.session;
    this.session = undefined;
    if (old) await old.device.close().catch(() => undefined);
    const clock = this.o.clock;
    const deadline = clock.now() + timeoutMs;
    const poll = this.o.pollMs ?? 50;
    let lastError: LinkError | undefined;
    for (;;) {
      try {
        const found = await this.candidates();
        // The same serial, found again (a DFU serial is not unique: the driver then checks UID64).
        if (found.length > 0) {
          await this.attach(found[0]!);
          return;
        }
      } catch (e) {
        lastError = linkErrorOf(e, 'reconnecting');
        if (lastError.code === 'PERMISSION') throw lastError;
      }
      if (clock.now() >= deadline) throw new LinkError('TIMEOUT', `the DFU device ${this.serial ?? ''} did not come back within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (${lastError.message})` : ''}`);
      await clock.sleep(poll);
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    await s.device.releaseInterface(0).catch(() => undefined);
    await s.device.close().catch(() => undefined);
  }
}

/** wTransferSize from the DFU functional descriptor (GET_DESCRIPTOR configuration); 1024 if the device does not say. */
async function readTransferSize(device: UsbDeviceLike): Promise<number> {
  const get = async (length: number) => {
    const r = await device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0200, index: 0 }, length);
    if (r.status === 'stall' || !r.data) throw new LinkError('NACK', 'GET_DESCRIPTOR(configuration) stalled');
    return new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  };
  try {
    const head = await get(9);
    const total = head.length >= 4 ? head[2]! | (head[3]! << 8) : 9;
    const size = transferSizeOf(await get(total));
    if (size === undefined || size === 0) return 1024;
    return size;
  } catch (e) {
    throw linkErrorOf(e, `reading the DFU functional descriptor (${hex(0x0200, 4)})`);
  }
}
