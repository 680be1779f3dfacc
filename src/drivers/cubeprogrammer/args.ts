/** The argv copro gives STM32_Programmer_CLI (STM32CubeProgrammer CLI, UM2237). Pure, so the exact forms are tested. */
import { hex } from '../../domain/hex.js';
import type { OptionBytesWrite } from '../driver.js';

export type CliTransport = 'usb' | 'swd' | 'uart';

export interface ConnectionSpec {
  /** `usb1`, `swd`, or a serial device (`/dev/ttyACM0`, `COM3`). */
  port: string;
  serial?: string;
  /** SWD connect mode; `UR` (under reset) by default, as ST's release notes use. */
  mode?: string;
  baudrate?: number;
}

export function transportOf(port: string): CliTransport {
  if (/^usb\d*$/i.test(port)) return 'usb';
  if (/^swd$/i.test(port)) return 'swd';
  return 'uart';
}

export function connectArgs(c: ConnectionSpec): string[] {
  const t = transportOf(c.port);
  const sn = c.serial ? [`sn=${c.serial}`] : [];
  if (t === 'usb') return ['-c', `port=${c.port.toLowerCase()}`, ...sn];
  if (t === 'swd') return ['-c', 'port=swd', `mode=${c.mode ?? 'UR'}`, ...sn];
  return ['-c', `port=${c.port}`, `br=${c.baudrate ?? 115200}`];
}

export function fwUpgradeArgs(file: string, address: number, o: { firstInstall: boolean; startStack: boolean }): string[] {
  return ['-fwupgrade', file, hex(address), `firstinstall=${o.firstInstall ? 1 : 0}`, `startstack=${o.startStack ? 1 : 0}`, '-v'];
}

export function optionBytesArgs(ob: OptionBytesWrite): string[] {
  const pairs = (['nSWboot0', 'nBOOT0', 'nBOOT1'] as const).filter((k) => ob[k] !== undefined).map((k) => `${k}=${ob[k]}`);
  return pairs.length ? ['-ob', ...pairs] : [];
}

export function flashArgs(file: string, address: number): string[] {
  return ['-d', file, hex(address), '-v'];
}
