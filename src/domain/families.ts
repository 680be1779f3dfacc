/**
 * What differs between the STM32WB families beyond the flash layout (devices.ts): how the ROM bootloader can be
 * reached, CubeProgrammer's SWD FUS operator and where it leaves the versions, CPU1's SRAM1, the safeboot
 * option-byte signature, the FUS a part leaves the factory with. Pure data (no Node imports): a browser page uses it too.
 */
import { deviceByKey, type Device, type DeviceKey, type Family } from './devices.js';

/** Interfaces of the ROM system bootloader (AN2606). copro drives USB DFU and USART; SPI and I2C are listed for messages. */
export type BootloaderInterface = 'usb-dfu' | 'usart' | 'spi' | 'i2c';

export interface FamilyFacts {
  family: Family;
  /** DBGMCU device id (the connect header's `Device ID`). */
  deviceId: number;
  /** What the ROM bootloader listens on. */
  bootloaderInterfaces: readonly BootloaderInterface[];
  /** CubeProgrammer's SWD FUS operator: the file it writes at 0x08000000 and where it leaves the FUS and stack version words. */
  swdOperator: { file: string; sizeBytes: number; fusVersionAddress: number; stackVersionAddress: number };
  /** SRAM1 [0x20000000, sram1End): CPU1 RAM; a debug read above it (below SRAM2A) hits no memory. */
  sram1End: number;
  /** SBRV the hardware forces with SFSA = 0 when the option bytes are corrupt (safeboot); `sure` false: no public log shows it. */
  safeboot: { sbrv: number; sure: boolean };
  /** The FUS a new part of this family runs (the simulator's factory board). */
  factoryFus: string;
}

const WB5X_LIKE = {
  // AN2606 (STM32WB55xx/35xx bootloader): USART1, LPUART1, I2C1, I2C3, SPI1, SPI2 and USB DFU (device FS).
  bootloaderInterfaces: ['usb-dfu', 'usart', 'spi', 'i2c'] as const,
  // UM2237 / public CLI logs (CubeProgrammer 2.7..2.19 over ST-LINK): 0x495_FUS_Operator.bin, 8 KB at 0x08000000
  // (sectors 0-1), versions read back at 0x20010010 / 0x20010014.
  swdOperator: { file: '0x495_FUS_Operator.bin', sizeBytes: 0x2000, fusVersionAddress: 0x20010010, stackVersionAddress: 0x20010014 },
  // RM0434: SRAM1 192 KB.
  sram1End: 0x20030000,
  // ST wiki quoted on community.st.com m-p/161428: "SFSA = 0x00 and SBRV = 0x3FC00 ... hardware forces the boot to Safeboot".
  safeboot: { sbrv: 0x3fc00, sure: true },
  // The classic rescue case: FUS 0.5.3 on early parts (STM32CubeWB release notes, "00050300: FUSv0.5.3").
  factoryFus: '0.5.3',
};

export const FAMILIES: Readonly<Record<Family, FamilyFacts>> = {
  STM32WB5x: { family: 'STM32WB5x', deviceId: 0x495, ...WB5X_LIKE },
  STM32WB3x: { family: 'STM32WB3x', deviceId: 0x495, ...WB5X_LIKE },
  STM32WB1x: {
    family: 'STM32WB1x',
    deviceId: 0x494,
    // AN2606 (STM32WB10xx/15xx bootloader): USART1, SPI1, I2C1; the WB1x has no USB peripheral (DS13258), so no DFU.
    // STM32CubeWB WB1x release notes: the coprocessor upgrade procedures use ST-LINK (STM32CubeProgrammer over SWD).
    bootloaderInterfaces: ['usart', 'spi', 'i2c'],
    // community.st.com m-p/89405 (WB15, CubeProgrammer 2.9 over ST-LINK): "0x494_FUS_Operator.bin", 8 KB at 0x08000000,
    // "Erasing internal memory sectors [0 3]" (2 KB pages), versions read at 0x20002F10. The stack word at +4 is
    // taken from the WB5x operator's layout (assumption).
    swdOperator: { file: '0x494_FUS_Operator.bin', sizeBytes: 0x2000, fusVersionAddress: 0x20002f10, stackVersionAddress: 0x20002f14 },
    // RM0473: SRAM1 12 KB on STM32WB15xx/10xx (the operator's 0x20002F10 is just below its end).
    sram1End: 0x20003000,
    // Assumption: safeboot's vector at the last flash page (0x0804F800), as 0x3FC00 is 0x080FF000 on a 1 MB WB5x.
    // community.st.com m-p/580319: WB5x constants (SBRV 0x3FC00) do not apply to a WB15. A WB1x `-ob displ` in safeboot settles it.
    safeboot: { sbrv: 0x13e00, sure: false },
    // STM32CubeWB WB1x release notes v1.13.2: "Latest FW FUS version is embedded in STM32WB1x" (FUS 1.2.0).
    factoryFus: '1.2.0',
  },
};

export function familyFacts(family: Family): FamilyFacts {
  return FAMILIES[family];
}

export function familyOf(device: DeviceKey | Device): FamilyFacts {
  return FAMILIES[(typeof device === 'string' ? deviceByKey(device) : device).family];
}

/** The family a connect header's device id names; WB5x and WB3x share 0x495 (their facts here are the same). */
export function familyByDeviceId(deviceId: number): FamilyFacts | undefined {
  return Object.values(FAMILIES).find((f) => f.deviceId === deviceId);
}

/** Whether this family's ROM bootloader can be reached over USB DFU (AN2606). */
export function hasUsbDfu(family: Family): boolean {
  return FAMILIES[family].bootloaderInterfaces.includes('usb-dfu');
}

/**
 * Safeboot's option-byte signatures (there is more than one):
 * - SFSA = 0, whatever SBRV: a secure area from the flash base is never a working configuration (ST wiki quoted in
 *   community m-p/161428: "SFSA = 0x00 and SBRV = 0x3FC00"; community m-p/788551: SFSA = 0x00 with FUS v0.0.0 on
 *   1-2 % of a production batch, SBRV not given);
 * - SBRV pointing into safeboot's page (0x3FC00..0x3FFFF on a WB5x) with any SFSA: community td-p/649559, SBRV 0x3FFFF,
 *   FUS v0.0.0.0, ST: "The SBRV value is pointing on the safeboot". Only for a family whose safeboot SBRV is known.
 */
export function isSafebootSignature(family: Family, sfsa: number, sbrv: number): boolean {
  if (sfsa === 0) return true;
  const s = FAMILIES[family].safeboot;
  return s.sure && sbrv >= s.sbrv && sbrv < s.sbrv + SAFEBOOT_PAGE_WORDS;
}

/** SBRV counts 32-bit words: one 4 KB page of boot vectors (WB5x: 0x3FC00..0x3FFFF, the last page of 1 MB). */
const SAFEBOOT_PAGE_WORDS = 0x1000 / 4;

/** The same, for a board known only by its device id (a read-back): an unknown id is judged as a WB5x. */
export function isSafebootForDeviceId(deviceId: number | undefined, sfsa: number, sbrv: number): boolean {
  return isSafebootSignature((deviceId !== undefined ? familyByDeviceId(deviceId) : undefined)?.family ?? 'STM32WB5x', sfsa, sbrv);
}

/**
 * The SWD FUS operator's size before CubeProgrammer v2.4 ("FUS_Operator.bin": 11,584 bytes, sectors 0-2 of a WB5x).
 * Reconstructed: no public log shows its download (the fidelity ledger's SWD-OPERATOR-SIZE row says what settles it).
 */
export const OLD_SWD_OPERATOR_BYTES = 11_584;

/** What the SWD FUS operator of a CubeProgrammer version overwrites at 0x08000000 on a part of this device id. */
export interface SwdOperatorFootprint {
  bytes: number;
  /** Flash sectors (pages) it overwrites, e.g. "0-1". */
  sectors: string;
  /** `0x08000000-0x08001FFF`. */
  range: string;
}

function parseToolVersion(v: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The operator's footprint for a known CubeProgrammer version and device id (WB5x/WB3x when the id is not known):
 * 8 KB from v2.4 (sectors 0-1 on a WB5x, 0-3 on a WB1x with its 2 KB pages), 11,584 bytes before (sectors 0-2;
 * a WB1x with that old tool is not known: its own 8 KB is assumed). Undefined when the version is not known.
 */
export function swdOperatorFootprint(toolVersion: string | undefined, deviceId?: number): SwdOperatorFootprint | undefined {
  const v = parseToolVersion(toolVersion);
  if (!v) return undefined;
  const wb1x = deviceId === FAMILIES.STM32WB1x.deviceId;
  const pageSize = wb1x ? 0x800 : 0x1000;
  const old = v[0] < 2 || (v[0] === 2 && v[1] < 4);
  const bytes = old && !wb1x ? OLD_SWD_OPERATOR_BYTES : (wb1x ? FAMILIES.STM32WB1x : FAMILIES.STM32WB5x).swdOperator.sizeBytes;
  const pages = Math.ceil(bytes / pageSize);
  const end = 0x08000000 + pages * pageSize - 1;
  return { bytes, sectors: `0-${pages - 1}`, range: `0x08000000-0x${end.toString(16).toUpperCase().padStart(8, '0')}` };
}

/**
 * What the operator overwrites, in words, for messages: the connected version's sectors where the version is known,
 * else a wording true for every version (8 KB from v2.4, up to 12 KB before: the 11,584-byte operator).
 */
export function swdOperatorCost(toolVersion: string | undefined, deviceId?: number): string {
  const f = swdOperatorFootprint(toolVersion, deviceId);
  if (!f) return "the application's first sectors (8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions)";
  const size = f.bytes % 1024 === 0 ? `${f.bytes / 1024} KB` : `${f.bytes.toLocaleString('en-US')} bytes`;
  return `the application's flash sectors ${f.sectors} (${f.range}, ${size}, with STM32CubeProgrammer ${toolVersion})`;
}
