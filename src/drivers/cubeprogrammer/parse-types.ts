/** What the STM32_Programmer_CLI output parser (parse.ts) reports. */

export interface ConnectHeader {
  transport: 'usb' | 'swd' | 'uart' | 'unknown';
  /** USB DFU `SN`, or `ST-LINK SN`. */
  serial?: string;
  probeFirmware?: string;
  board?: string;
  voltage?: number;
  /** Device ID (USB/SWD) or Chip ID (UART). Absent when the DFU device is not the ROM bootloader (IAP). */
  deviceId?: number;
  /** A DFU device that prints `IAP` instead of Device ID: not ST's ROM bootloader, so no FUS commands. */
  iap: boolean;
  deviceName?: string;
  flashSizeBytes?: number;
  /** `Flash size : 512 KBytes (default)`: the tool did not read it from the chip. */
  flashSizeIsDefault?: boolean;
  revisionId?: string;
  connectMode?: string;
  bootloaderVersion?: string;
  /** UART: the serial port that was opened. */
  serialPort?: string;
}

export interface FusStatePair {
  state: string;
  status?: string;
}

export type SuccessKind =
  | 'fw-upgrade'
  | 'fw-delete'
  | 'start-ws'
  | 'start-fus'
  | 'option-bytes'
  | 'download-complete'
  | 'download-verified'
  | 'command-finished';

export interface R32Block {
  address: number;
  words: number[];
}

export interface OptionByteField {
  value: number | undefined;
  /** The `(0x80F4000)` address form of address-type fields. */
  address?: number;
  text: string;
}

/** `-ob displ`, by option byte name as printed (case kept); look up with `optionByte()`. */
export type OptionBytesDisplay = Record<string, OptionByteField>;

export interface DfuListEntry {
  index?: string;
  serial?: string;
  productId?: string;
  firmware?: string;
  deviceId?: number;
}
export interface StlinkListEntry {
  index: number;
  serial: string;
  firmware: string;
  accessPort?: number;
  board?: string;
}
export interface UartListEntry {
  port: string;
  location?: string;
  description?: string;
  manufacturer?: string;
  board?: string;
  stlinkSerial?: string;
}
export interface DeviceList {
  dfu: DfuListEntry[];
  stlink: StlinkListEntry[];
  uart: UartListEntry[];
  /** Interface-level errors (`Error: No ST-Link detected!`, `ST-LINK error (DEV_CONNECT_ERR)`). */
  errors: string[];
}

export type CliEvent =
  | { kind: 'fus'; state: string; status?: string }
  | { kind: 'error'; text: string }
  | { kind: 'warning'; text: string }
  | { kind: 'success'; success: SuccessKind; text: string }
  | { kind: 'r32'; block: R32Block }
  /** CubeProgrammer's SWD FUS operator was written to 0x08000000 / its option bytes set (the application is gone). */
  | { kind: 'fus-operator'; text: string };

export interface CliResult {
  toolVersion?: string;
  header?: ConnectHeader;
  events: CliEvent[];
  fusStates: FusStatePair[];
  errors: string[];
  warnings: string[];
  successes: SuccessKind[];
  r32: R32Block[];
  optionBytes?: OptionBytesDisplay;
  deviceList?: DeviceList;
  /** Lines after the connect header that no rule knows. The driver treats them as an error and quotes them. */
  unknownLines: string[];
  /**
   * Lines the parser understood but whose meaning it will not choose between or decode: the driver stops the
   * step on any of them, quoting the line (issue 13, "the parser never guesses").
   */
  problems: ParseProblem[];
}

export type ParseProblemKind =
  /** One address, option byte or header field printed twice with different values. */
  | 'conflicting-value'
  /** `FUS state is X` with an X copro does not know. */
  | 'unknown-fus-state'
  /** `FUS status is X` with an X copro does not know. */
  | 'unknown-fus-status'
  /** A FUS or stack version word that reads 0xFFFFFFFF: erased memory, not version 255.255.255. */
  | 'erased-version-word'
  /** The connection header names a board other than the one asked for. */
  | 'foreign-serial';

export interface ParseProblem {
  kind: ParseProblemKind;
  /** The output line, as cleaned (quoted in the error). */
  line: string;
  message: string;
}

export interface ParseOptions {
  /**
   * The serial this invocation must reach (USB DFU `SN`, or the `ST-LINK SN` over SWD). CubeProgrammer matches
   * `sn=` case-insensitively, so the comparison is too.
   */
  serial?: string;
}
