/**
 * Where the planner writes an image before FUS installs it: images/address (ST's table, checked against
 * the formula of STM32CubeWB release notes, install address tables, then checked against the flash, the secure area of a stack that stays
 * installed, and the user's application region. Pure (the catalog is static data).
 */
import { addressToSfsa, type Device } from '../domain/devices.js';
import { hex } from '../domain/hex.js';
import { checkInstallAddress, formulaAddress, installAddress, type AddressProblemCode } from '../images/address.js';
import type { ImageIdentity } from '../images/types.js';

export interface Placement {
  address: number;
  warnings: string[];
  /** Set when the planner moved the image off ST's address (a FUS image below a stack that stays). */
  assumption?: string;
  /** Where and why, for the step's reason, when the image was moved. */
  note?: string;
  problem?: {
    code: AddressProblemCode;
    message: string;
    address: number;
    /** False when no page-aligned address between the application and the top could hold the image. */
    roomAboveApplication: boolean;
  };
}

/** Problems that make an address invalid whatever the application; the application overlap comes last. */
const PRIORITY: readonly AddressProblemCode[] = ['UNALIGNED', 'BELOW_FLASH', 'PAST_TOP', 'OVERLAPS_SECURE_AREA', 'OVERLAPS_APPLICATION'];

/** FUS 2.x's NVM area (STM32CubeWB v1.23.0 release notes): 16 KB below FUS once a "FUS_v2 only" binary was installed. */
export const NVM_AREA_SIZE = 0x4000;

/**
 * Whether a legacy (not "FUS_v2 only") stack must go 0x4000 lower because FUS 2.x keeps an NVM area:
 * `present` (known), `absent` (known), or `unknown` (then the lower address is the safe one: FUS finds the
 * image by its footer, so a lower address costs only 16 KB of room, while the table address would overlap
 * the NVM area if it is there).
 */
export type NvmArea = 'present' | 'absent' | 'unknown';

export function placeImage(id: ImageIdentity, device: Device, where: { secureStart?: number; applicationEnd?: number; nvmArea?: NvmArea }): Placement {
  const base = installAddress(id, device);
  const warnings = base.warnings.map((w) => `${id.kind === 'fus' ? 'FUS' : (id.stackType ?? id.kind)} ${id.version}: ${w}`);
  const span = Math.ceil(id.size / device.pageSize) * device.pageSize;
  let address = base.address;
  let assumption: string | undefined;
  let note: string | undefined;
  const legacyStack = id.kind === 'stack' && !id.fusV2Only;
  if (legacyStack && where.nvmArea !== undefined && where.nvmArea !== 'absent') {
    // STM32CubeWB v1.23.0 release notes: once a "FUS_v2 only" binary has been installed, legacy binaries' addresses
    // must also be corrected by -0x4000 (FW_DELETE keeps the NVM area).
    address -= NVM_AREA_SIZE;
    note =
      where.nvmArea === 'present'
        ? `Written at ${hex(address)}, 0x4000 below ST's address ${hex(base.address)}: a "FUS_v2 only" binary was installed on this board, so FUS 2.x keeps its 16 KB NVM area and legacy binaries' addresses are corrected by -0x4000 (STM32CubeWB v1.23.0 release notes).`
        : `Written at ${hex(address)}, 0x4000 below ST's address ${hex(base.address)}: whether a "FUS_v2 only" binary was ever installed on this board (FUS 2.x then keeps a 16 KB NVM area, and legacy binaries' addresses are corrected by -0x4000, STM32CubeWB v1.23.0 release notes) cannot be read, so the lower address is taken: it is right either way (FUS finds the image by its footer), while ST's address would overlap the NVM area if it is there.`;
    if (where.nvmArea === 'unknown') assumption = 'Whether FUS 2.x keeps an NVM area (a "FUS_v2 only" binary installed before) could not be read: legacy stacks are written 0x4000 lower, the address that is safe either way.';
  }
  // A stack that stays installed owns the flash from SFSA up: the image must go below it. FUS finds the image
  // by its footer, not by the address (AN5185 as quoted by ST, public field reports).
  if (where.secureStart !== undefined && address + id.size > where.secureStart) {
    const below = where.secureStart - span;
    if (note) note = undefined;
    assumption = `While a stack stays installed, an image is written just below its SFSA instead of at ST's table address (which lies inside the stack's secure area); FUS finds the image by its footer ("FUS is not using the source address", ST on community.st.com, public field reports).`;
    note = `Written at ${hex(below)}, just below SFSA ${hex(where.secureStart)} of the installed stack, instead of ST's address ${hex(address)}.`;
    address = below;
  }
  const problems = checkInstallAddress(address, id.size, device, {
    sfsa: where.secureStart === undefined ? undefined : addressToSfsa(device, where.secureStart),
    applicationEnd: where.applicationEnd,
  });
  const worst = [...problems].sort((a, b) => PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code))[0];
  const moved = { ...(assumption ? { assumption } : {}), ...(note ? { note } : {}) };
  if (!worst) return { address, warnings, ...moved };
  const highest = Math.min(formulaAddress(device, id.size, id.imageMagic), where.secureStart === undefined ? Infinity : where.secureStart - span);
  return {
    address,
    warnings,
    ...moved,
    problem: { code: worst.code, message: worst.message, address, roomAboveApplication: where.applicationEnd === undefined || highest >= where.applicationEnd },
  };
}

/** Where an installed image starts: FUS puts a stack right below itself (ST: "the secure flash just fits what is needed"). */
export function footprintStart(id: ImageIdentity, device: Device): number {
  return formulaAddress(device, id.size, id.imageMagic);
}
