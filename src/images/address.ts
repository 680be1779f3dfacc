/**
 * Where an image is written before FUS installs it (STM32CubeWB release notes, install address tables, st-release-notes-rules.md §5).
 *
 *   installAddress = TOP - ceil(size / page) * page - (magic == 0xB10C8B99 ? 0x4000 : 0)
 *
 * reproduces ST's release-note tables, with these documented exceptions:
 * - FUS 1.x on 1 MB parts goes at 0x080EC000, 8 KiB below the formula ("On top of FUS v0.5.3").
 * - ST table cells *above* the formula are typos (rules §5: v1.13.1 Zigbee_RFD kept v1.13.0's address
 *   after the image grew; v1.16.0 WB1x BLE_Stack_light 0x08029000): an image there would run past TOP
 *   into FUS. copro uses the formula for those and says so.
 * - ST table cells *below* the formula (old WB3x 512K tables with TOP 0x08074000, WB1x v1.11.0 with
 *   0x08045800, WB1x safeboot 2.0.1 at 0x08044000 for a 3-page image) still leave the image below TOP:
 *   copro keeps ST's address, with a note.
 * The real failures (IMG_NOT_FOUND, NOT_ENOUGH_SPACE, bricked CPU2) come from stale or hand-computed
 * addresses, so every address is also checked (checkInstallAddress).
 */
import { hex } from '../domain/hex.js';
import { sfsaToAddress, type Device } from '../domain/devices.js';
import { findCatalogImage, catalogInstallAddress } from './catalog-core.js';
import { IMAGE_MAGIC, type ImageIdentity } from './types.js';

/** "FUSv2 only" stacks go 0x4000 lower (rules §4, v1.22.1 "start_address - 0x4000"). */
const FUSV2_ONLY_OFFSET = 0x4000;
/** FUS 1.x on 1 MB parts (all ST tables since v1.1.0). */
export const FUS1_ADDRESS_1M = 0x080ec000;

export function formulaAddress(device: Device, size: number, imageMagic: number): number {
  const pages = Math.ceil(size / device.pageSize);
  return device.top - pages * device.pageSize - (imageMagic >>> 0 === IMAGE_MAGIC.STACK_FUSV2_ONLY ? FUSV2_ONLY_OFFSET : 0);
}

/** The address copro expects from the rules: the formula, or the FUS 1.x exception on 1 MB parts. */
export function ruleAddress(identity: Pick<ImageIdentity, 'kind' | 'version' | 'size' | 'imageMagic'>, device: Device): number {
  if (identity.kind === 'fus' && identity.version.startsWith('1.') && device.key === 'STM32WB5xxG_1M') return FUS1_ADDRESS_1M;
  return formulaAddress(device, identity.size, identity.imageMagic);
}

export interface InstallAddress {
  address: number;
  /** table: ST's release-note table (the catalog); formula: computed (no table cell, or a known table typo). */
  source: 'table' | 'formula';
  warnings: string[];
}

export function installAddress(identity: ImageIdentity, device: Device): InstallAddress {
  const warnings: string[] = [];
  if (identity.families.length > 0 && !identity.families.includes(device.family)) {
    warnings.push(`this image is for ${identity.families.join('/')}, not ${device.family} (${device.key})`);
  }
  const expected = ruleAddress(identity, device);
  const record = findCatalogImage(identity.standInFor ?? identity.sha256);
  const cell = record ? catalogInstallAddress(record, device.key) : undefined;
  if (!record || !cell) {
    if (record) warnings.push(`ST's tables give no address for this image on ${device.key}; using the formula: ${hex(expected)}`);
    return { address: expected, source: 'formula', warnings };
  }
  const column = cell.column === device.key ? '' : ` (the ${cell.column} column: same TOP and page size)`;
  if (cell.address === null) {
    warnings.push(`ST's release notes list this image as not available for ${cell.column} (too big, or not supported); formula address ${hex(expected)}`);
    return { address: expected, source: 'formula', warnings };
  }
  const table = cell.address;
  if (table === expected) return { address: table, source: 'table', warnings };
  if (table % device.pageSize !== 0) {
    warnings.push(`ST's table address ${hex(table)}${column} is not page-aligned; using the formula: ${hex(expected)}`);
    return { address: expected, source: 'formula', warnings };
  }
  if (table > expected) {
    // Rules §5: a table cell above the formula would run past TOP (over FUS): a known ST typo.
    warnings.push(
      `ST's table address ${hex(table)}${column} is ${(table - expected) / device.pageSize} page(s) above the formula ${hex(expected)}: the image would run past ${hex(device.top)} (a known ST table typo, rules §5); using ${hex(expected)}`,
    );
    return { address: expected, source: 'formula', warnings };
  }
  warnings.push(`ST's table address ${hex(table)}${column} is ${(expected - table) / device.pageSize} page(s) below the formula ${hex(expected)}; keeping ST's address (the image still ends below ${hex(device.top)})`);
  return { address: table, source: 'table', warnings };
}

export type AddressProblemCode = 'UNALIGNED' | 'PAST_TOP' | 'OVERLAPS_SECURE_AREA' | 'OVERLAPS_APPLICATION' | 'BELOW_FLASH';

export interface AddressProblem {
  code: AddressProblemCode;
  message: string;
}

/**
 * Everything wrong with writing `size` bytes at `address` (STM32CubeWB release notes, install address tables): not page-aligned, below the
 * flash, running past TOP (over FUS), over the current secure area (SFSA, an option-byte page index), or
 * over the user's application region [.., applicationEnd).
 */
export function checkInstallAddress(address: number, size: number, device: Device, ctx: { sfsa?: number; applicationEnd?: number } = {}): AddressProblem[] {
  const problems: AddressProblem[] = [];
  const end = address + size;
  if (address % device.pageSize !== 0) {
    problems.push({ code: 'UNALIGNED', message: `install address ${hex(address)} is not aligned to a ${device.pageSize / 1024} KiB page (nearest below: ${hex(address - (address % device.pageSize))})` });
  }
  if (address < device.flashBase) {
    problems.push({ code: 'BELOW_FLASH', message: `install address ${hex(address)} is below the flash start ${hex(device.flashBase)}` });
  }
  if (end > device.top) {
    problems.push({
      code: 'PAST_TOP',
      message: `image at ${hex(address)} (${size} bytes) ends at ${hex(end)}, past ${hex(device.top)} where CPU2 images must end on ${device.key} (it would overwrite FUS)`,
    });
  }
  if (ctx.sfsa !== undefined) {
    const secure = sfsaToAddress(device, ctx.sfsa);
    if (end > secure) {
      problems.push({
        code: 'OVERLAPS_SECURE_AREA',
        message: `image at ${hex(address)} (${size} bytes) ends at ${hex(end)}, above the secure area start ${hex(secure)} (SFSA ${hex(ctx.sfsa, 2)}): FUS cannot install from there (delete the installed stack first, or use a lower address)`,
      });
    }
  }
  if (ctx.applicationEnd !== undefined && address < ctx.applicationEnd) {
    problems.push({
      code: 'OVERLAPS_APPLICATION',
      message: `image at ${hex(address)} would overwrite the application region, which ends at ${hex(ctx.applicationEnd)} (${ctx.applicationEnd - address} bytes overlap)`,
    });
  }
  return problems;
}
