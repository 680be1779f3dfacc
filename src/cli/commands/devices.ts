/**
 * `copro devices`: the USB DFU devices, ST-LINK probes and serial ports STM32_Programmer_CLI sees (`-l`),
 * so a user can pick one by serial (`--serial`, manifest `boards[].serial`).
 */
import { DriverError } from '../../drivers/driver.js';
import { listAttached, type AttachedListing, type ListOptions } from '../../drivers/cubeprogrammer/index.js';
import { EXIT } from '../exit-codes.js';

export interface DevicesOptions {
  cubeprogrammer?: string;
  json?: boolean;
  /** Injected in tests (locate inputs, log file). */
  list?: Omit<ListOptions, 'executable'>;
}

export async function devicesCommand(opts: DevicesOptions): Promise<{ output: string; exitCode: number }> {
  let listing: AttachedListing;
  try {
    listing = await listAttached({ ...opts.list, executable: opts.cubeprogrammer });
  } catch (e) {
    const err = e as Error;
    const remedy = e instanceof DriverError ? e.details.remedy : undefined;
    if (opts.json) return { output: JSON.stringify({ error: { code: e instanceof DriverError ? e.code : err.name, message: err.message, remedy } }, null, 2) + '\n', exitCode: EXIT.ENVIRONMENT };
    return { output: `copro devices: ${err.message}${remedy ? `\n  fix: ${remedy}` : ''}\n`, exitCode: EXIT.ENVIRONMENT };
  }
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
