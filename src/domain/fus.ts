/**
 * FUS states and errors (SHCI FUS_GET_STATE, AN5185 and shci.h: FUS states, observed timings and the names STM32_Programmer_CLI prints
 * for them (STM32CubeProgrammer CLI, UM2237, public CLI logs).
 */

/** Classes of the FUS state byte: 0x00 idle, 0x10-0x1F stack upgrade, 0x20-0x2F FUS upgrade, 0x30-0x3F service, 0xFF error. */
export type FusStateName = 'FUS_IDLE' | 'WIRELESS_STACK_UPGRADE_ONGOING' | 'FUS_UPGRADE_ONGOING' | 'FUS_SERVICE_ONGOING' | 'FUS_ERROR';

export function fusStateName(code: number): FusStateName | undefined {
  if (code === 0x00) return 'FUS_IDLE';
  if (code >= 0x10 && code <= 0x1f) return 'WIRELESS_STACK_UPGRADE_ONGOING';
  if (code >= 0x20 && code <= 0x2f) return 'FUS_UPGRADE_ONGOING';
  if (code >= 0x30 && code <= 0x3f) return 'FUS_SERVICE_ONGOING';
  if (code === 0xff) return 'FUS_ERROR';
  return undefined;
}

export const FUS_STATE_CODES: Record<FusStateName, number> = {
  FUS_IDLE: 0x00,
  WIRELESS_STACK_UPGRADE_ONGOING: 0x10,
  FUS_UPGRADE_ONGOING: 0x20,
  FUS_SERVICE_ONGOING: 0x30,
  FUS_ERROR: 0xff,
};

export interface FusError {
  code: number;
  /** SHCI name (FUS_STATE_ERR_...). */
  name: string;
  /** The status name STM32_Programmer_CLI prints after "FUS status is ". */
  cliStatus: string;
  meaning: string;
}

/** SHCI error codes, meaningful in state 0xFF (AN5185 and shci.h: FUS states, observed timings). */
export const FUS_ERRORS: readonly FusError[] = [
  { code: 0x00, name: 'NO_ERROR', cliStatus: 'FUS_NO_ERROR', meaning: 'no error' },
  { code: 0x01, name: 'IMG_NOT_FOUND', cliStatus: 'FUS_IMAGE_NOT_FOUND', meaning: 'no image found in flash below SFSA (or nothing installed to delete)' },
  { code: 0x02, name: 'IMG_CORRUPT', cliStatus: 'FUS_IMAGE_CORRUPT', meaning: 'image found but corrupt' },
  { code: 0x03, name: 'IMG_NOT_AUTHENTIC', cliStatus: 'FUS_IMAGE_NOT_AUTHENTIC', meaning: 'image signature not accepted' },
  { code: 0x04, name: 'IMG_NOT_ENOUGH_SPACE', cliStatus: 'FUS_IMAGE_NOT_ENOUGH_SPACE', meaning: 'image authentic but no space to install it' },
  { code: 0x05, name: 'IMAGE_USRABORT', cliStatus: 'FUS_IMAGE_USRABORT', meaning: 'operation aborted by the user' },
  { code: 0x06, name: 'IMAGE_ERSERROR', cliStatus: 'FUS_IMAGE_ERSERROR', meaning: 'flash erase error' },
  { code: 0x07, name: 'IMAGE_WRTERROR', cliStatus: 'FUS_IMAGE_WRTERROR', meaning: 'flash write error' },
  { code: 0x08, name: 'AUTH_TAG_ST_NOTFOUND', cliStatus: 'FUS_AUTH_TAG_ST_NOTFOUND', meaning: 'ST signature tag not found' },
  { code: 0x09, name: 'AUTH_TAG_CUST_NOTFOUND', cliStatus: 'FUS_AUTH_TAG_CUST_NOTFOUND', meaning: 'customer signature tag not found' },
  { code: 0x0a, name: 'AUTH_KEY_LOCKED', cliStatus: 'FUS_AUTH_KEY_LOCKED', meaning: 'customer authentication key locked' },
  { code: 0x11, name: 'FW_ROLLBACK_ERROR', cliStatus: 'FUS_FW_ROLLBACK_ERROR', meaning: 'anti-rollback forbids this (older or equal) version' },
  { code: 0xfe, name: 'STATE_NOT_RUNNING', cliStatus: 'FUS_NOT_RUNNING', meaning: 'FUS is not running (the wireless stack is)' },
  { code: 0xff, name: 'ERR_UNKNOWN', cliStatus: 'FUS_STATE_ERR_UNKNOWN', meaning: 'unknown error' },
];

export type FusErrorName = (typeof FUS_ERRORS)[number]['name'];

export function fusErrorByCode(code: number): FusError | undefined {
  return FUS_ERRORS.find((e) => e.code === code);
}

export function fusErrorByName(name: string): FusError | undefined {
  return FUS_ERRORS.find((e) => e.name === name);
}

export function fusErrorByCliStatus(status: string): FusError | undefined {
  return FUS_ERRORS.find((e) => e.cliStatus === status);
}

/** FUS device info table in SRAM2A (STM32CubeWB release notes and AN5185, reading versions): +0 validity key when FUS runs. */
export const FUS_INFO_TABLE = 0x20030024;
export const FUS_INFO_VALID_KEY = 0xa94656b9;
/** Over USB DFU / UART (ROM bootloader), after -startfus. */
export const FUS_VERSION_ADDRESS = 0x20030030;
export const STACK_VERSION_ADDRESS = 0x20030038;
/** Over SWD, with CubeProgrammer's FUS operator loaded (0x20030030 reads 0 there). */
export const FUS_VERSION_ADDRESS_SWD = 0x20010010;
export const STACK_VERSION_ADDRESS_SWD = 0x20010014;

/** SFSA = 0 with SBRV 0x3FC00: the chip boots CPU2 into safeboot (corrupted option bytes), STM32CubeWB release notes and AN5185, reading versions. */
export const SAFEBOOT_SBRV = 0x3fc00;
