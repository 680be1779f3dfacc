/**
 * The bootloader driver in Node: picks the transport (USB DFU through the `usb` package's WebUSB, or the
 * virtual DFU device over the simulated board with --simulate), records a transcript of every request and
 * reply to the run's log file, and reads image files from disk.
 *
 * UART: the uart/ module provides `openUartLink` (uart/node.ts) with the same shape; it is loaded on demand.
 */
import { readFile, appendFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BootloaderDriver } from './driver.js';
import { DfuLink, listDfuDevices } from './dfu/link.js';
import { recordUsb } from './dfu/record.js';
import { realClock, scaledClock, type LinkClock, type UsbLike } from './dfu/usb.js';
import { LinkError, type BootloaderLink } from './link.js';
import type { AttachedBoard, BoardAccess } from '../driver.js';

export { BootloaderDriver, type BootloaderDriverOptions } from './driver.js';
export { DfuLink } from './dfu/link.js';

/** What the sources leave open over USB DFU: said once in the first read, settled by a real board's transcript. */
export const DFU_UNCERTAINTIES = [
  'the SRAM2A info table at 0x20030024 is an empirical address (qFlipper; ST documents offset 0)',
  'reading UID64 (0x1FFF7580) and the flash size (0x1FFF75E0) through DfuSe alternate 0 is not documented by ST',
  'the running stack\'s own info table (type code) at the same address is read as ST\'s tl.h lays it out',
];

export interface BootloaderOpenOptions {
  port: string;
  serial?: string;
  baudrate?: number;
  simulated: boolean;
  /** Simulated boards' folder (--simulate). */
  simDir?: string;
  speed?: number;
  logFile?: string;
  applicationEnd?: number;
  /** `free`: free reads only, every change refused (BoardAccess). Default `full`. */
  access?: BoardAccess;
  /** Tests: a USB bus to use instead of the real one or the store's virtual device. */
  usb?: UsbLike;
  clock?: LinkClock;
  reconnectTimeoutMs?: number;
  fusTimeoutMs?: number;
}

function sha256Node(bytes: Uint8Array): Promise<string> {
  return Promise.resolve(createHash('sha256').update(bytes).digest('hex'));
}

/** A transcript sink: appends lines to the log file (in order, never blocking the protocol on a slow disk). */
export function transcriptSink(logFile: string | undefined): { line: (t: string) => void; flush: () => Promise<void> } {
  if (!logFile) return { line: () => undefined, flush: async () => undefined };
  let chain: Promise<void> = mkdir(path.dirname(logFile), { recursive: true }).then(() => undefined);
  let buffer: string[] = [];
  const flush = async () => {
    const lines = buffer;
    buffer = [];
    if (lines.length) chain = chain.then(() => appendFile(logFile, lines.join('\n') + '\n')).catch(() => undefined);
    await chain;
  };
  return {
    line: (t) => {
      buffer.push(t);
      if (buffer.length >= 200) void flush();
    },
    flush,
  };
}

export function isUsbPort(port: string): boolean {
  return /^usb\d*$/i.test(port);
}

export async function createBootloaderDriver(o: BootloaderOpenOptions): Promise<BootloaderDriver> {
  const sink = transcriptSink(o.logFile);
  const speed = o.simulated ? (o.speed ?? 1) : 1;
  const clock = o.clock ?? (o.simulated ? scaledClock(speed) : realClock);
  let openLink: () => Promise<BootloaderLink>;
  let uncertainties: string[];
  if (isUsbPort(o.port)) {
    uncertainties = DFU_UNCERTAINTIES;
    openLink = async () => {
      let usb = o.usb;
      if (!usb) {
        if (o.simulated) {
          const { openVirtualDfu, usbFaultsFromEnv } = await import('./virtual/node.js');
          usb = (await openVirtualDfu({ dir: o.simDir!, ...(o.serial ? { serial: o.serial } : {}), speed, faults: usbFaultsFromEnv() })).usb;
        } else {
          const { nodeWebUsb } = await import('./dfu/node.js');
          usb = await nodeWebUsb();
        }
      }
      sink.line(`# copro bootloader driver transcript: USB DFU${o.simulated ? ' (virtual device over the simulated board)' : ''}`);
      return DfuLink.open(recordUsb(usb, sink.line), { ...(o.serial ? { serial: o.serial } : {}), clock });
    };
  } else {
    // The uart helper's module: openUartLink({ port, baudrate, serial, simulated, simDir, speed, transcript }).
    const spec = './uart/node.js';
    let mod: { openUartLink: (x: unknown) => Promise<BootloaderLink>; UART_UNCERTAINTIES?: string[] };
    try {
      mod = (await import(spec)) as typeof mod;
    } catch {
      throw new LinkError('UNSUPPORTED', `the UART transport is not available in this build (port ${o.port})`);
    }
    uncertainties = mod.UART_UNCERTAINTIES ?? ['the FUS opcodes over USART (0x50/0x51 special commands) are confirmed by one source only'];
    openLink = () => mod.openUartLink({ port: o.port, baudrate: o.baudrate, serial: o.serial, simulated: o.simulated, simDir: o.simDir, speed, transcript: sink.line, clock });
  }
  const driver = new BootloaderDriver({
    openLink,
    clock,
    readFile: async (p) => new Uint8Array(await readFile(p)),
    sha256: sha256Node,
    toolVersion: `copro bootloader driver (${isUsbPort(o.port) ? 'USB DFU' : 'UART'}${o.simulated ? ', virtual device' : ''})`,
    ...(o.logFile ? { logFile: o.logFile } : {}),
    ...(o.applicationEnd !== undefined ? { applicationEnd: o.applicationEnd } : {}),
    ...(o.access ? { access: o.access } : {}),
    uncertainties,
    // A fast simulated clock must not turn host overhead into a timeout: at least 2 s / 5 s of real time.
    reconnectTimeoutMs: o.reconnectTimeoutMs ?? Math.max(30_000, 2_000 * speed),
    fusTimeoutMs: o.fusTimeoutMs ?? Math.max(120_000, 5_000 * speed),
    trace: (t) => sink.line(`# ${t}`),
  });
  // The transcript reaches the disk when the driver closes.
  const close = driver.close.bind(driver);
  driver.close = async () => {
    await close();
    await sink.flush();
  };
  return driver;
}

/** `copro devices`: the ROM bootloaders on USB (DFU 0483:DF11). */
export async function listBootloaderDevices(): Promise<AttachedBoard[]> {
  const { nodeWebUsb } = await import('./dfu/node.js');
  const usb = await nodeWebUsb();
  return (await listDfuDevices(usb)).map((d) => ({ transport: 'usb' as const, serial: d.serial, description: `STM32 ROM bootloader (DFU 0483:DF11)${d.flash ? `, ${d.flash}` : ''}` }));
}
