/** Test helpers: a UART link on a virtual AN3155 bootloader over an in-memory simulated board. */
import { defaultBoard, makeBoard, viewImage, type BoardSpec, type SimBoard } from '../../src/drivers/simulator/index.js';
import { MemoryBoardAccess } from '../../src/drivers/bootloader/virtual/board-access.js';
import { createVirtualUart, withUartAttachment, type VirtualUart } from '../../src/drivers/bootloader/uart/virtual.js';
import { UartLink, type UartTimeouts } from '../../src/drivers/bootloader/uart/link.js';
import type { VirtualUartFault } from '../../src/drivers/bootloader/uart/virtual-device.js';
import { bootloaderLine, type LineSettings } from '../../src/drivers/bootloader/uart/an3155.js';

export interface Rig extends VirtualUart {
  access: MemoryBoardAccess;
  /** The board as the chip left it. */
  board(): SimBoard;
}

export function rig(opts: { board?: SimBoard; spec?: BoardSpec; faults?: VirtualUartFault[]; line?: LineSettings; replug?: () => boolean } = {}): Rig {
  const board = withUartAttachment(opts.board ?? (opts.spec ? makeBoard(opts.spec) : defaultBoard()), '/dev/ttyVIRTUAL0');
  const access = new MemoryBoardAccess(board, 1000);
  const v = createVirtualUart({ access, view: (b) => viewImage(b), faults: opts.faults ?? [], line: opts.line ?? bootloaderLine(115200), ...(opts.replug ? { replug: opts.replug } : {}) });
  return { ...v, access, board: () => access.current() };
}

export async function openLink(r: Rig, timeouts: Partial<UartTimeouts> = {}): Promise<UartLink> {
  return UartLink.open({ name: '/dev/ttyVIRTUAL0', open: r.open, timeouts });
}
