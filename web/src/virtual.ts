/**
 * The simulated board in the page: the same virtual DfuSe device as the CLI's `--simulate` and the driver's
 * tests (VirtualChip + VirtualUsb over the simulator model), with the board held in memory.
 *
 * Two uses: "rehearse on a simulated board" (?simulate=1), where the page talks to the virtual bus directly;
 * and the end-to-end test hook, where the virtual device is put behind `navigator.usb` (a WebUSB-shaped
 * shim with requestDevice and getDevices) so the page runs its real WebUSB path against it.
 */
import { defaultBoard } from '../../src/drivers/simulator/convert.js';
import { viewImage } from '../../src/drivers/simulator/image-view.js';
import { armFault, parseFault } from '../../src/drivers/simulator/faults.js';
import { MemoryBoardAccess } from '../../src/drivers/bootloader/virtual/board-access.js';
import { VirtualChip } from '../../src/drivers/bootloader/virtual/chip.js';
import { VirtualUsb, parseUsbFault } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import type { UsbDeviceLike } from '../../src/drivers/bootloader/dfu/usb.js';

export interface VirtualBoard {
  usb: VirtualUsb;
  chip: VirtualChip;
  access: MemoryBoardAccess;
  speed: number;
}

/** A factory board (FUS 0.5.3, no stack: the rescue case) in its ROM bootloader, plugged in. */
export async function createVirtualBoard(speed: number, board: SimBoard = defaultBoard()): Promise<VirtualBoard> {
  const access = new MemoryBoardAccess(board, speed);
  const chip = new VirtualChip(access, (bytes, name) => viewImage(bytes, name), 'usb');
  await chip.plugIn();
  return { usb: new VirtualUsb(chip, []), chip, access, speed };
}

/** What the FUS and the stack are on the simulated board, from the model itself (not from the page). */
export function boardSummary(v: VirtualBoard): { fus: string; stack: string | null; stackType: string | null; cpu2: string; powered: boolean } {
  const b = v.access.current();
  return { fus: b.fus.version, stack: b.stack?.version ?? null, stackType: b.stack?.type ?? null, cpu2: b.cpu2, powered: b.powered };
}

/**
 * `navigator.usb` for the virtual device, with Chromium's permission rules (WebUSB spec, "permission storage";
 * Chromium keeps the grant of a device that has a serial number across disconnects, by vendor, product and
 * serial): requestDevice is the picker (the user chooses the device, which grants it); getDevices lists only
 * the granted devices that are attached now, so a device that re-enumerates after a reset (a new USBDevice
 * object, the same serial) is listed again without asking. `revoke()` takes the grant back, as the user does in
 * the site's settings (or as Chromium does on disconnect for a device without a serial number).
 */
export class VirtualWebUsb extends EventTarget {
  private readonly granted = new Set<string>();
  /** Every picker the page opened, with the filters it asked for. */
  readonly prompts: { filters: { vendorId?: number; productId?: number }[] }[] = [];
  /** Every distinct USBDevice object handed to the page, in order. */
  readonly handedOut: UsbDeviceLike[] = [];
  constructor(private readonly board: VirtualBoard) {
    super();
  }

  private handOut(d: UsbDeviceLike): UsbDeviceLike {
    if (!this.handedOut.includes(d)) this.handedOut.push(d);
    return d;
  }

  async requestDevice(options: { filters: { vendorId?: number; productId?: number }[] }): Promise<UsbDeviceLike> {
    this.prompts.push({ filters: options.filters.map((f) => ({ ...f })) });
    const devices = (await this.board.usb.getDevices()).filter((d) => options.filters.some((f) => (f.vendorId === undefined || f.vendorId === d.vendorId) && (f.productId === undefined || f.productId === d.productId)));
    // The picker lists nothing that matches: the user can only cancel it.
    if (devices.length === 0) throw new DOMException('No device selected.', 'NotFoundError');
    this.granted.add(devices[0]!.serialNumber ?? '');
    return this.handOut(devices[0]!);
  }

  async getDevices(): Promise<UsbDeviceLike[]> {
    const attached = await this.board.usb.getDevices();
    return attached.filter((d) => this.granted.has(d.serialNumber ?? '')).map((d) => this.handOut(d));
  }

  revoke(): void {
    this.granted.clear();
  }
}

/** The hooks a test uses: the board as the model has it, plugging the cable back in, arming faults. */
export interface VirtualHooks {
  board(): ReturnType<typeof boardSummary>;
  plugIn(): Promise<void>;
  /** A simulator board fault, as `copro sim fault` takes it (`unplug@download:50`). */
  armFault(text: string): Promise<void>;
  /** A USB transport fault, as COPRO_SIM_USB_FAULTS takes it (`stall@12`), counted from now. */
  armUsbFault(text: string): void;
  /** USB requests the host sent so far (0: the board was never touched). */
  requests(): number;
  /** The model's counters (resets, USB re-enumerations, ...). */
  counters(): SimBoard['counters'];
  /** Behind navigator.usb only: the pickers opened, and the USBDevice objects handed to the page. */
  webUsb?: {
    prompts(): { filters: { vendorId?: number; productId?: number }[] }[];
    /** Per USBDevice object handed out, in order: its serial and whether it is gone (disconnected). */
    devices(): { serial: string; gone: boolean }[];
    revoke(): void;
  };
}

export function hooksFor(v: VirtualBoard, webUsb?: VirtualWebUsb): VirtualHooks {
  return {
    board: () => boardSummary(v),
    plugIn: async () => {
      await v.chip.plugIn();
    },
    armFault: async (text) => {
      const fault = parseFault(text);
      await v.access.transact((b) => ({ board: armFault(b, fault), result: undefined, modelledMs: 0 }));
    },
    armUsbFault: (text) => {
      const f = parseUsbFault(text);
      v.usb.faults.push({ ...f, at: v.usb.requests + f.at });
    },
    requests: () => v.usb.requests,
    counters: () => structuredClone(v.access.current().counters),
    ...(webUsb
      ? {
          webUsb: {
            prompts: () => webUsb.prompts.map((p) => ({ filters: p.filters.map((f) => ({ ...f })) })),
            devices: () => webUsb.handedOut.map((d) => ({ serial: d.serialNumber ?? '', gone: (d as { gone?: boolean }).gone === true })),
            revoke: () => webUsb.revoke(),
          },
        }
      : {}),
  };
}
