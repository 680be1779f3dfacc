/**
 * The STM32WB devices copro knows, keyed as ST's release-note tables are (STM32CubeWB release notes, install address tables).
 * TOP is the address below which CPU2 images go; on 1 MB parts FUS lives in 0x080F4000..0x080FFFFF.
 */
import type { BoardState } from '../generated/board-state.js';

/** Device keys as schemas/board-state.schema.json defines them (the one source of truth), less "unknown". */
export type DeviceKey = Exclude<BoardState['device']['key'], 'unknown'>;

export type Family = 'STM32WB5x' | 'STM32WB3x' | 'STM32WB1x';

export interface Device {
  key: DeviceKey;
  family: Family;
  /** DBGMCU device id: 0x495 = WB55/WB35 family, 0x494 = WB1x (STM32CubeWB release notes, install address tables). */
  deviceId: number;
  flashBase: number;
  flashSize: number;
  /** CPU2 images go below this address (STM32CubeWB release notes, install address tables table; = flash end except on 1 MB parts). */
  top: number;
  /** Flash page (sector) size: 4 KiB on WB5x/WB3x, 2 KiB on WB1x. */
  pageSize: number;
  /** Part numbers and the pattern that recognises them in a manifest. */
  parts: string;
  partPattern: RegExp;
}

const KB = 1024;

export const DEVICES: readonly Device[] = [
  { key: 'STM32WB5xxG_1M', family: 'STM32WB5x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 1024 * KB, top: 0x080f4000, pageSize: 0x1000, parts: 'STM32WB55xG, STM32WB5MMG, STM32WB50CG', partPattern: /^STM32WB(55.G|5MMG|50CG)/ },
  { key: 'STM32WB5xxY_640K', family: 'STM32WB5x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 640 * KB, top: 0x080a0000, pageSize: 0x1000, parts: 'STM32WB55VY', partPattern: /^STM32WB55.Y/ },
  { key: 'STM32WB5xxE_512K', family: 'STM32WB5x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 512 * KB, top: 0x08080000, pageSize: 0x1000, parts: 'STM32WB55xE', partPattern: /^STM32WB55.E/ },
  { key: 'STM32WB5xxC_256K', family: 'STM32WB5x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 256 * KB, top: 0x08040000, pageSize: 0x1000, parts: 'STM32WB55xC', partPattern: /^STM32WB55.C/ },
  { key: 'STM32WB3xxE_512K', family: 'STM32WB3x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 512 * KB, top: 0x08080000, pageSize: 0x1000, parts: 'STM32WB35xE, STM32WB30CE', partPattern: /^STM32WB3(5.E|0CE)/ },
  { key: 'STM32WB3xxC_256K', family: 'STM32WB3x', deviceId: 0x495, flashBase: 0x08000000, flashSize: 256 * KB, top: 0x08040000, pageSize: 0x1000, parts: 'STM32WB35xC', partPattern: /^STM32WB35.C/ },
  { key: 'STM32WB1xxC_320K', family: 'STM32WB1x', deviceId: 0x494, flashBase: 0x08000000, flashSize: 320 * KB, top: 0x08046000, pageSize: 0x800, parts: 'STM32WB15CC, STM32WB10CC, STM32WB1MMC', partPattern: /^STM32WB(15CC|10CC|1MMC)/ },
];

export const DEVICE_KEYS: readonly DeviceKey[] = DEVICES.map((d) => d.key);

export function deviceByKey(key: DeviceKey): Device {
  const d = DEVICES.find((x) => x.key === key);
  if (!d) throw new Error(`unknown device key ${key}`);
  return d;
}

export function isDeviceKey(text: string): text is DeviceKey {
  return (DEVICE_KEYS as readonly string[]).includes(text);
}

/**
 * A manifest may name a device by key (`STM32WB5xxG_1M`) or part number (`STM32WB55CG`, `STM32WB55RGV6`, `STM32WB5MMG`).
 * Returns undefined when nothing matches.
 */
export function deviceFromName(name: string): Device | undefined {
  const upper = name.trim().toUpperCase();
  const byKey = DEVICES.find((d) => d.key.toUpperCase() === upper);
  if (byKey) return byKey;
  return DEVICES.find((d) => d.partPattern.test(upper));
}

/**
 * The devices consistent with what a bootloader reports (device id + flash size). WB5x and WB3x share
 * device id 0x495, so a 512K or 256K part is ambiguous: the caller must say so, never guess.
 */
export function devicesMatching(deviceId: number, flashSizeBytes: number): Device[] {
  return DEVICES.filter((d) => d.deviceId === deviceId && d.flashSize === flashSizeBytes);
}

/** Flash end (exclusive). */
export function flashEnd(d: Device): number {
  return d.flashBase + d.flashSize;
}

/** SFSA is a page index from the flash base (STM32CubeWB release notes and AN5185, reading versions: 0xF4 on a 1M part = no stack). */
export function sfsaToAddress(d: Device, sfsa: number): number {
  return d.flashBase + sfsa * d.pageSize;
}

export function addressToSfsa(d: Device, address: number): number {
  return Math.floor((address - d.flashBase) / d.pageSize);
}
