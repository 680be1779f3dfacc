/**
 * Opens the UART link for the bootloader driver in Node (loaded on demand by ../index.ts): a real serial
 * port at 8E1 and the manifest's baud rate, or with --simulate the virtual AN3155 bootloader on the
 * simulated board of the store (`.copro/sim`). Every frame goes to the run's transcript.
 */
import { UartLink, UART_FUS_NOTICE } from './link.js';
import { Transcript } from './transcript.js';
import { serialPortOpener } from './node-serial.js';
import { parseUartFault, type VirtualUartFault } from './virtual-device.js';
import type { BootloaderLink } from '../link.js';

/** What the sources leave open over USART (said once by the driver; a real board's transcript settles it). */
export const UART_UNCERTAINTIES = [
  'the FUS commands over USART (Special 0x50 with opcode 0x0054 for FUS_GET_STATE, reply [x, state, error]; Extended Special 0x51 with 0x0052/0x0053/0x005A for FW_DELETE/FW_UPGRADE/START_WS, reply [status, state, error]) follow one source, tested on mocks only (amp-hal-st)',
  'whether the bootloader answers a second FUS_GET_STATE while the stack runs before the chip resets',
];
export { UART_FUS_NOTICE };

export const DEFAULT_BAUDRATE = 115200;

/** UART faults for the virtual bootloader, from COPRO_SIM_UART_FAULTS ("corrupt-reply@0x11,no-return"). */
export function uartFaultsFromEnv(env: NodeJS.ProcessEnv = process.env): VirtualUartFault[] {
  const raw = env.COPRO_SIM_UART_FAULTS;
  if (!raw || !raw.trim()) return [];
  return raw.split(',').map((s) => parseUartFault(s));
}

export interface OpenUartLinkOptions {
  port: string;
  baudrate?: number;
  /** Which simulated board (--simulate); a real port is not chosen by serial (the driver checks UID64). */
  serial?: string;
  simulated: boolean;
  simDir?: string;
  speed?: number;
  /** One line per frame (the run's log file). */
  transcript?: (line: string) => void;
  /** Tests: device faults (default: COPRO_SIM_UART_FAULTS). */
  faults?: VirtualUartFault[];
}

export async function openUartLink(o: OpenUartLinkOptions): Promise<BootloaderLink> {
  const baud = o.baudrate ?? DEFAULT_BAUDRATE;
  const sink = o.transcript;
  sink?.(`# copro bootloader driver transcript: USART (AN3155) on ${o.port} at ${baud} baud 8E1${o.simulated ? ' (virtual bootloader over the simulated board)' : ''}`);
  sink?.(`# ${UART_FUS_NOTICE}`);
  const transcript = new Transcript(sink ? { onEntry: (e) => sink(`${e.t.toFixed(1).padStart(9)} ${e.dir.padEnd(4)} ${e.text}${e.what ? `   ${e.what}` : ''}`) } : {});
  if (o.simulated) {
    const { simulatedUart } = await import('./node-virtual.js');
    const v = await simulatedUart({ dir: o.simDir!, ...(o.serial ? { serial: o.serial } : {}), port: o.port, baudRate: baud, speed: o.speed ?? 1, faults: o.faults ?? uartFaultsFromEnv() });
    return UartLink.open({ name: o.port, open: v.open, transcript });
  }
  return UartLink.open({ name: o.port, open: serialPortOpener(o.port, baud), transcript });
}
