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

/** `navigator.usb` for the virtual device: the device is granted by requestDevice, as in a browser. */
export class VirtualWebUsb extends EventTarget {
  private granted = false;
  constructor(private readonly board: VirtualBoard) {
    super();
  }

  async requestDevice(_options: { filters: { vendorId?: number; productId?: number }[] }): Promise<UsbDeviceLike> {
    const devices = await this.board.usb.getDevices();
    if (devices.length === 0) throw new DOMException('No device selected.', 'NotFoundError');
    this.granted = true;
    return devices[0]!;
  }

  async getDevices(): Promise<UsbDeviceLike[]> {
    return this.granted ? this.board.usb.getDevices() : [];
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
}

export function hooksFor(v: VirtualBoard): VirtualHooks {
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
  };
}
