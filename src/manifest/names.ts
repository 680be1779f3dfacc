/** The names a manifest may use for devices and stack types, and "did you mean" for each. */
import { DEVICE_KEYS, deviceFromName, type Device } from '../domain/devices.js';
import { STACK_TYPE_NAMES } from '../domain/stack-types.js';
import { didYouMean, nearest } from './suggest.js';

/** A manifest's device name: a part number or a device key (src/domain/devices.ts). */
export const lookupDevice = (name: string): Device | undefined => deviceFromName(name);

/**
 * Real part numbers (STM32CubeWB release notes, install address tables table), to suggest from: `deviceFromName` matches patterns, which cannot
 * be listed. Every entry must resolve with lookupDevice (a test checks it).
 */
export const KNOWN_PART_NUMBERS: readonly string[] = [
  'STM32WB55RG', 'STM32WB55CG', 'STM32WB55VG', 'STM32WB5MMG', 'STM32WB50CG',
  'STM32WB55VY',
  'STM32WB55RE', 'STM32WB55CE', 'STM32WB55VE',
  'STM32WB55RC', 'STM32WB55CC', 'STM32WB55VC',
  'STM32WB35CE', 'STM32WB30CE', 'STM32WB35CC',
  'STM32WB15CC', 'STM32WB10CC', 'STM32WB1MMC',
];

const DEVICE_NAMES: readonly string[] = [...KNOWN_PART_NUMBERS, ...DEVICE_KEYS, 'detect'];

/** `; did you mean "STM32WB55RG"?` (case-insensitive: `stm32wb55rg` gets the upper-case spelling). */
export function deviceNameSuggestion(name: string): string {
  const n = nearest(name, DEVICE_NAMES);
  return n !== undefined && n !== name ? `; did you mean "${n}"?` : '';
}

export function stackTypeSuggestion(name: string): string {
  return didYouMean(name, STACK_TYPE_NAMES);
}
