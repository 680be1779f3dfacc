/** `STM32_Programmer_CLI -l`: the DFU devices, ST-LINK probes and serial ports attached (`copro devices`). */
import type { AttachedBoard } from '../driver.js';
import { DriverError } from '../driver.js';
import { runCli } from './invoke.js';
import { locateCubeProgrammer, type LocateInput } from './locate.js';
import { parseCliOutput, type CliResult, type DeviceList } from './parse.js';
import { hex } from '../../domain/hex.js';

export interface ListOptions {
  /** `--cubeprogrammer`; located like the driver's executable. */
  executable?: string;
  locate?: Omit<LocateInput, 'explicit'>;
  timeoutMs?: number;
  logFile?: string;
}

export interface AttachedListing {
  executable: string;
  toolVersion?: string;
  boards: AttachedBoard[];
  /** Interface errors the CLI printed (`No ST-Link detected!`...): informative, not failures. */
  notes: string[];
  parsed: CliResult;
}

/** Lists what is attached, as the driver would address it (`sn=` for USB/SWD, the port for UART). */
export async function listAttached(o: ListOptions = {}): Promise<AttachedListing> {
  const found = locateCubeProgrammer({ ...o.locate, explicit: o.executable });
  const inv = await runCli({ executable: found.executable, args: ['-l'], env: found.env, timeoutMs: o.timeoutMs ?? 30_000, logFile: o.logFile });
  const parsed = parseCliOutput(inv.stdout);
  if (!parsed.deviceList) {
    throw new DriverError('TOOL_ERROR', `STM32_Programmer_CLI -l printed no interface list: ${JSON.stringify(inv.stdout.slice(0, 300))}`, { transcript: inv.stdout, logFile: o.logFile });
  }
  return { executable: found.executable, toolVersion: parsed.toolVersion, boards: boardsOf(parsed.deviceList), notes: parsed.deviceList.errors, parsed };
}

export async function listAttachedBoards(o: ListOptions = {}): Promise<AttachedBoard[]> {
  return (await listAttached(o)).boards;
}

/** Pure mapping of a parsed `-l` to boards. A probe with no firmware version is listed but marked unusable. */
export function boardsOf(list: DeviceList): AttachedBoard[] {
  const out: AttachedBoard[] = [];
  for (const d of list.dfu) {
    if (!d.serial) continue;
    const bits = [d.productId, d.deviceId !== undefined ? `device ${hex(d.deviceId, 3)}` : undefined, d.index].filter(Boolean);
    out.push({ transport: 'usb', serial: d.serial, description: `USB DFU${bits.length ? ` (${bits.join(', ')})` : ''}` });
  }
  for (const p of list.stlink) {
    if (!p.serial) continue;
    const bits = [p.firmware ? `FW ${p.firmware}` : 'no firmware reported: probe not usable', p.board ? p.board : undefined, p.accessPort !== undefined ? `AP ${p.accessPort}` : undefined].filter(Boolean);
    out.push({ transport: 'swd', serial: p.serial, description: `ST-LINK probe ${p.index} (${bits.join(', ')})` });
  }
  for (const u of list.uart) {
    const bits = [u.description && u.description !== 'N/A' ? u.description : undefined, u.manufacturer && u.manufacturer !== 'N/A' ? u.manufacturer : undefined, u.board].filter(Boolean);
    out.push({ transport: 'uart', serial: u.location ?? u.port, description: `serial port ${u.port}${bits.length ? ` (${bits.join(', ')})` : ''}` });
  }
  return out;
}
