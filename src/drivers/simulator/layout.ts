/**
 * Where things are in a simulated chip's flash: the FUS area, the secure area (from SFSA up), the
 * operator pages, footprints of images. Pure helpers over the device table (STM32CubeWB release notes, install address tables).
 */
import { deviceByKey, sfsaToAddress, type Device } from '../../domain/devices.js';
import { compareVersions } from '../../domain/version.js';
import { familyOf, isSafebootSignature, swdOperatorFootprint } from '../../domain/families.js';
import type { SimBoard } from '../../generated/sim-board.js';

export function deviceOf(board: SimBoard): Device {
  return deviceByKey(board.device.key);
}

/**
 * Start of the FUS's own area. STM32CubeWB release notes and AN5185, reading versions: SFSA 0xF6 = the FUS 0.5.3 era, 0xF4 = no stack on a 1 MB part
 * with FUS >= 1.0 (FUS 0.5.3 -> 1.x moved SFSA 0xF6 -> 0xF4, public field reports).
 * Assumption (no source): on the smaller parts FUS lives above the flash end CPU1 sees (every ST table
 * installs the FUS image at flash end - 6 pages, and stacks end at the flash end), so its area starts at TOP.
 */
export function fusAreaStart(device: Device, fusVersion: string): number {
  if (device.key === 'STM32WB5xxG_1M' && compareVersions(fusVersion, '1.0.0') < 0) return 0x080f6000;
  return device.top;
}

export function pageOf(device: Device, address: number): number {
  return Math.floor((address - device.flashBase) / device.pageSize);
}

export function pageAddress(device: Device, page: number): number {
  return device.flashBase + page * device.pageSize;
}

/** Secure area start = SFSA as an address. */
export function secureStart(board: SimBoard): number {
  return sfsaToAddress(deviceOf(board), board.optionBytes.sfsa);
}

/** SBRV for CPU2 booting at `address`: words from the flash base (fus-internals: SFSA 0xCB <-> SBRV 0x32C00). */
export function sbrvFor(device: Device, address: number): number {
  return (address - device.flashBase) >>> 2;
}

/**
 * Option bytes corrupted: SFSA = 0 with the family's safeboot SBRV (0x3FC00 on WB5x/WB3x, ST wiki) boots CPU2 into
 * safeboot; on a WB1x, whose safeboot SBRV no public log shows, SFSA = 0 alone (src/domain/families.ts).
 */
export function isSafebootOptionBytes(board: SimBoard): boolean {
  return isSafebootSignature(deviceOf(board).family, board.optionBytes.sfsa, board.optionBytes.sbrv);
}

/** The SBRV the hardware forces with SFSA = 0 on this board's family. */
export function safebootSbrv(board: SimBoard): number {
  return familyOf(deviceOf(board)).safeboot.sbrv;
}

/** 16 KiB more for a FUSv2-only image (release notes v1.22.1 Warning 2: start_address - 0x4000). */
export const FUSV2_ONLY_EXTRA_BYTES = 0x4000;

/** Pages an installed image holds in the secure area: ceil(size/page) (+4 pages for FUSv2-only images on 4K parts). */
export function footprintPages(device: Device, sizeBytes: number, fusV2Only: boolean): number {
  return Math.ceil(sizeBytes / device.pageSize) + (fusV2Only ? FUSV2_ONLY_EXTRA_BYTES / device.pageSize : 0);
}

/** CubeProgrammer's SWD FUS operator: 8 KiB at 0x08000000 (sectors 0-1 on WB5x, 0-3 on WB1x: 2 KiB pages). */
export const FUS_OPERATOR_SIZE = 0x2000;

/**
 * fidelity: SWD-OPERATOR-SIZE. How many bytes the operator of a CubeProgrammer version writes at 0x08000000: 8 KiB
 * (sectors 0-1 on a WB5x) in every public log from v2.7 on; the older operator ("FUS_Operator.bin", before v2.4) was
 * 11,584 bytes, sectors 0-2. Assumption: that size and the v2.4 threshold are reconstructed (no public log shows the
 * old operator's download; one from CubeProgrammer 2.2/2.3 over ST-LINK settles both).
 */
export function operatorBytesFor(toolVersion: string | undefined): number {
  // The same rule copro's messages state (src/domain/families.ts), for a WB5x-size operator.
  return swdOperatorFootprint(toolVersion)?.bytes ?? FUS_OPERATOR_SIZE;
}

/** The operator of this board's family (file, size, where it leaves the version words): src/domain/families.ts. */
export function fusOperatorOf(board: SimBoard): { file: string; sizeBytes: number; fusVersionAddress: number; stackVersionAddress: number } {
  return familyOf(deviceOf(board)).swdOperator;
}

export function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart < bEnd && bStart < aEnd;
}

/** Boards where the ST v1.1.1 note applies: WB5xxC/E must update FUS 0.5.3/1.0.1 before anything else. */
export function isLockupProne(board: SimBoard): boolean {
  const key = board.device.key;
  return (key === 'STM32WB5xxC_256K' || key === 'STM32WB5xxE_512K') && (board.fus.version === '0.5.3' || board.fus.version === '1.0.1');
}

/** STM32WB bootloader selection: nSWboot0=1 -> BOOT0 pin, nSWboot0=0 -> nBOOT0 bit; nBOOT1=1 selects system memory over SRAM. */
export function bootsRomBootloader(board: SimBoard): boolean {
  const ob = board.optionBytes;
  const boot0 = ob.nSWboot0 === 1 ? board.device.boot0Pin : ob.nBOOT0 === 1 ? 0 : 1;
  return boot0 === 1 && ob.nBOOT1 === 1;
}
