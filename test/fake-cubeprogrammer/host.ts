/**
 * Things attached to the simulated host that are not boards: extra serial ports and ST-LINK probes (a broken
 * probe as in cli-transcripts/16, an FTDI cable as in 17). Optional file `<COPRO_SIM_DIR>/.host.json (a dot file, so it is not taken for a board)`:
 *   { "serialPorts": [{ "port": "/dev/ttyUSB0", "description": "FT232R USB UART", "manufacturer": "FTDI" }],
 *     "probes": [{ "probeSerial": "...", "probeFirmware": "", "accessPort": 0, "boardName": "", "connectError": true }] }
 * Test fixture data only: copro itself never reads it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface HostPort {
  port: string;
  description: string;
  manufacturer: string;
}

export interface HostProbe {
  probeSerial: string;
  probeFirmware: string;
  accessPort: number;
  boardName: string;
  connectError?: boolean;
}

export interface Host {
  serialPorts: HostPort[];
  probes: HostProbe[];
}

export async function readHost(dir: string): Promise<Host> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, '.host.json'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { serialPorts: [], probes: [] };
    throw new Error(`fake STM32_Programmer_CLI: ${path.join(dir, '.host.json')} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const h = (raw ?? {}) as Partial<Host>;
  return { serialPorts: Array.isArray(h.serialPorts) ? h.serialPorts : [], probes: Array.isArray(h.probes) ? h.probes : [] };
}
