/**
 * One call to get a virtual UART bootloader on a simulated board and a port opener for the link. Node-free:
 * the board access (memory or the simulator store) and the image viewer come from the caller. The chip is
 * the one the virtual DFU device uses (../virtual/chip.ts).
 */
import type { SimBoard } from '../../../generated/sim-board.js';
import { bootloaderLine, type LineSettings } from './an3155.js';
import { VirtualChip, type ViewBytes } from '../virtual/chip.js';
import type { BoardAccess } from '../virtual/board-access.js';
import { ChipTarget } from './chip-target.js';
import { VirtualAn3155, type VirtualUartFault } from './virtual-device.js';
import { SimClock, virtualPort } from './virtual-wire.js';
import type { StreamOpener } from './stream.js';

export interface VirtualUartOptions {
  access: BoardAccess;
  view: ViewBytes;
  /** The host's line settings (default 115200 8E1). */
  line?: LineSettings;
  faults?: VirtualUartFault[];
  /** Real waits for simulated time (rehearsals); none in tests. */
  pace?: (ms: number) => Promise<void>;
  /** Whether an unplugged adapter comes back when the link re-opens the port (default yes). */
  replug?: () => boolean;
}

export interface VirtualUart {
  device: VirtualAn3155;
  chip: VirtualChip;
  clock: SimClock;
  open: StreamOpener;
}

export function createVirtualUart(o: VirtualUartOptions): VirtualUart {
  const chip = new VirtualChip(o.access, o.view, 'uart');
  const device = new VirtualAn3155(new ChipTarget(chip), { faults: o.faults ?? [] });
  const clock = new SimClock(o.pace);
  const open = virtualPort(device, o.line ?? bootloaderLine(115200), clock, o.replug ? { replug: o.replug } : {});
  return { device, chip, clock, open };
}

/** The board with a UART attachment on `port` (the model answers a UART connect only when the board has one). */
export function withUartAttachment(board: SimBoard, port: string): SimBoard {
  if (board.device.attachments.some((a) => a.transport === 'uart')) return board;
  return {
    ...board,
    device: { ...board.device, attachments: [...board.device.attachments, { transport: 'uart', port, description: 'STLink Virtual COM Port (simulated)', manufacturer: 'STMicroelectronics' }] },
  };
}
