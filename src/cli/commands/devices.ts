/**
 * `copro devices`: the USB DFU devices, ST-LINK probes and serial ports STM32_Programmer_CLI sees (`-l`),
 * so a user can pick one by serial (`--serial`, manifest `boards[].serial`).
 */
import { DriverError, type AttachedBoard } from '../../drivers/driver.js';
import { listAttached, type AttachedListing, type ListOptions } from '../../drivers/cubeprogrammer/index.js';
import { EXIT } from '../exit-codes.js';
import { oneLineSummary } from '../json-output.js';
import type { CliErrorInfo, ErrorOutput } from '../../generated/cli-output.js';

export interface DevicesOptions {
  cubeprogrammer?: string;
  json?: boolean;
  /** Injected in tests (locate inputs, log file). */
  list?: Omit<ListOptions, 'executable'>;
}

/** The ROM bootloaders copro's own bootloader driver finds on USB, and the serial ports (no STM32CubeProgrammer involved). */
async function ownListing(): Promise<{ boards: AttachedBoard[]; note?: string }> {
  const boards: AttachedBoard[] = [];
  const notes: string[] = [];
  try {
    const { listBootloaderDevices } = await import('../../drivers/bootloader/index.js');
    boards.push(...(await listBootloaderDevices()));
  } catch (e) {
    notes.push(`copro's bootloader driver could not list USB devices: ${(e as Error).message}`);
  }
  try {
    const { listSerialPorts } = await import('../../drivers/bootloader/uart/node-serial.js');
    boards.push(...(await listSerialPorts()).map((p) => ({ transport: 'uart' as const, serial: p.path, description: p.description })));
  } catch (e) {
    notes.push(`copro could not list serial ports: ${(e as Error).message}`);
  }
  return notes.length ? { boards, note: notes.join('; ') } : { boards };
}

export async function devicesCommand(opts: DevicesOptions): Promise<{ output: string; errors?: string; exitCode: number }> {
  let listing: AttachedListing;
  const own = opts.list ? { boards: [] as AttachedBoard[] } : await ownListing();
  try {
    listing = await listAttached({ ...opts.list, executable: opts.cubeprogrammer });
  } catch (e) {
    const err = e as Error;
    if (own.boards.length > 0) {
      // No STM32CubeProgrammer, but the bootloader driver (connection.driver: bootloader) needs none.
      if (opts.json) return { output: JSON.stringify({ executable: null, toolVersion: null, boards: own.boards, notes: [err.message] }, null, 2) + '\n', exitCode: EXIT.OK };
      const width = Math.max(...own.boards.map((b) => b.serial.length));
      const lines = [`found by copro's bootloader driver (STM32CubeProgrammer: ${err.message})`, ...own.boards.map((b) => `${b.transport === 'uart' ? 'UART   ' : 'USB DFU'}  ${b.serial.padEnd(width)}  ${b.description}`), '', 'use them with connection.driver: bootloader (port: usb, serial: <serial>; or port: <serial port>, baudrate: 115200)'];
      return { output: lines.join('\n') + '\n', exitCode: EXIT.OK };
    }
    const remedy = e instanceof DriverError ? e.details.remedy : undefined;
    // The error goes to stderr; with --json, stdout holds it as JSON too (schemas/cli-output.schema.json).
    const info: CliErrorInfo = { kind: 'environment', exitCode: EXIT.ENVIRONMENT, message: err.message, ...(remedy ? { remedy } : {}) };
    if (opts.json) return { output: JSON.stringify({ schemaVersion: 1, command: 'devices', error: info } satisfies ErrorOutput, null, 2) + '\n', errors: oneLineSummary(info), exitCode: EXIT.ENVIRONMENT };
    return { output: '', errors: `copro: error: ${err.message}\n${remedy ? `  remedy: ${remedy}\n` : ''}`, exitCode: EXIT.ENVIRONMENT };
  }
  if (own.note) listing.notes.push(own.note);
  const seen = new Set(listing.boards.filter((b) => b.transport === 'usb' || b.transport === 'uart').map((b) => `${b.transport}:${b.serial}`));
  const extra = own.boards.filter((b) => !seen.has(`${b.transport}:${b.serial}`));
  if (extra.length) listing = { ...listing, boards: [...listing.boards, ...extra] };
  if (opts.json) {
    return {
      output: JSON.stringify({ executable: listing.executable, toolVersion: listing.toolVersion ?? null, boards: listing.boards, notes: listing.notes }, null, 2) + '\n',
      exitCode: EXIT.OK,
    };
  }
  const lines: string[] = [`STM32CubeProgrammer ${listing.toolVersion ?? '(version not printed)'} at ${listing.executable}`];
  const label = { usb: 'USB DFU', swd: 'ST-LINK', uart: 'UART', simulated: 'simulated' } as const;
  if (listing.boards.length === 0) {
    lines.push('no USB DFU device, ST-LINK probe or serial port found');
    lines.push('  USB DFU needs the ROM bootloader (BOOT0 high, then reset); an ST-LINK needs its driver / udev rules (copro doctor)');
  } else {
    const width = Math.max(...listing.boards.map((b) => b.serial.length));
    for (const b of listing.boards) lines.push(`${label[b.transport].padEnd(8)} ${b.serial.padEnd(width)}  ${b.description}`);
    lines.push('', 'pick one with --serial <serial> (or boards[].serial in the manifest)');
  }
  for (const n of listing.notes) lines.push(`note: ${n}`);
  return { output: lines.join('\n') + '\n', exitCode: EXIT.OK };
}
