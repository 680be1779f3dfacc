/**
 * Where the planner writes an image before FUS installs it: images/address (ST's table, checked against
 * the formula of STM32WB.md §3), then checked against the flash, the secure area of a stack that stays
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

export function placeImage(id: ImageIdentity, device: Device, where: { secureStart?: number; applicationEnd?: number }): Placement {
  const base = installAddress(id, device);
  const warnings = base.warnings.map((w) => `${id.kind === 'fus' ? 'FUS' : (id.stackType ?? id.kind)} ${id.version}: ${w}`);
  const span = Math.ceil(id.size / device.pageSize) * device.pageSize;
  let address = base.address;
  let assumption: string | undefined;
  let note: string | undefined;
  // A stack that stays installed owns the flash from SFSA up: the image must go below it. FUS finds the image
  // by its footer, not by the address (AN5185 as quoted by ST, field report P44).
  if (where.secureStart !== undefined && address + id.size > where.secureStart) {
    const below = where.secureStart - span;
    assumption = `While a stack stays installed, an image is written just below its SFSA instead of at ST's table address (which lies inside the stack's secure area); FUS finds the image by its footer ("FUS is not using the source address", ST on community.st.com, field report P44).`;
    note = `Written at ${hex(below)}, just below SFSA ${hex(where.secureStart)} of the installed stack, instead of ST's address ${hex(address)}.`;
    address = below;
  }
  const problems = checkInstallAddress(address, id.size, device, {
    sfsa: where.secureStart === undefined ? undefined : addressToSfsa(device, where.secureStart),
    applicationEnd: where.applicationEnd,
  });
  const worst = [...problems].sort((a, b) => PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code))[0];
  const moved = assumption ? { assumption, note } : {};
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
