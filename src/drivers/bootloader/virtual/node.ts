/**
 * Node side of the virtual bootloader devices: the board lives in the simulator store (.copro/sim), so
 * `copro sim show / fault / reset` see what the virtual device did, and the bytes FUS would find are
 * identified with copro's own footer parser.
 */
import { stat } from 'node:fs/promises';
import { withBoard, readSimulatedBoard, boardFile, listSimulatedBoards, resetBoard, firstOrDefaultBoard, viewImage, type SimBoard } from '../../simulator/index.js';
import { advanced, type BoardAccess, type BoardChange } from './board-access.js';
import { VirtualChip } from './chip.js';
import { VirtualUsb, parseUsbFault, type UsbFault } from './dfu-device.js';

export class StoreBoardAccess implements BoardAccess {
  constructor(
    readonly dir: string,
    readonly serial: string,
    readonly speed: number,
  ) {}

  private cached: { key: string; board: SimBoard } | undefined;

  /** Reads the board; an unchanged file (same mtime and size) is not parsed and validated again (one read per USB request). */
  async peek(): Promise<{ board: SimBoard; busyUntilWall: number }> {
    const st = await stat(boardFile(this.dir, this.serial)).catch(() => undefined);
    const key = st ? `${st.mtimeMs}:${st.size}:${st.ino}` : '';
    let b = key && this.cached?.key === key ? this.cached.board : undefined;
    if (!b) {
      b = await readSimulatedBoard(this.dir, this.serial);
      if (key) this.cached = { key, board: b };
    }
    // Read-only for its callers (the model's apply clones what it changes), as MemoryBoardAccess's board is: no copy per request.
    return { board: advanced(b, Date.now(), this.speed), busyUntilWall: b.clock.wallAt };
  }

  async transact<T>(fn: (board: SimBoard) => BoardChange<T>): Promise<T> {
    return withBoard(this.dir, this.serial, (board) => {
      const out = fn(board);
      return { board: out.board, result: out.result, modelledMs: out.modelledMs };
    }, { speed: this.speed });
  }
}

/** USB faults for the virtual DFU device, from COPRO_SIM_USB_FAULTS ("stall@12,unplug@40"). */
export function usbFaultsFromEnv(env: NodeJS.ProcessEnv = process.env): UsbFault[] {
  const raw = env.COPRO_SIM_USB_FAULTS;
  if (!raw || !raw.trim()) return [];
  return raw.split(',').map((s) => parseUsbFault(s));
}

export interface VirtualDfuOptions {
  dir: string;
  serial?: string;
  speed: number;
  faults?: UsbFault[];
}

/** A virtual USB bus with one simulated board's DFU bootloader on it ("plugged in": powered if it had lost power). */
export async function openVirtualDfu(o: VirtualDfuOptions): Promise<{ usb: VirtualUsb; chip: VirtualChip; serial: string }> {
  let serial = o.serial;
  if (serial === undefined) serial = await firstOrDefaultBoard(o.dir);
  else if (!(await listSimulatedBoards(o.dir)).includes(serial)) await resetBoard(o.dir, undefined, serial);
  const access = new StoreBoardAccess(o.dir, serial, o.speed);
  const chip = new VirtualChip(access, (bytes) => viewImage(bytes), 'usb');
  await chip.plugIn();
  return { usb: new VirtualUsb(chip, [...(o.faults ?? [])]), chip, serial };
}
