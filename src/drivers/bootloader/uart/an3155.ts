/**
 * The USART protocol of the STM32 system bootloader (ST AN3155): constants and the frame encodings shared by
 * the host link and the virtual bootloader. Pure, no Node imports (runs over Web Serial in a browser too).
 *
 * Framing (AN3155 §2-3): 8 data bits, even parity, 1 stop bit; the host sends 0x7F once so the bootloader
 * measures the baud rate, and it answers ACK. Every command byte travels with its complement; an address is
 * 4 bytes MSB first + their XOR; a length byte N means N+1 bytes; data blocks end with the XOR of the length
 * and the data. The bootloader answers ACK (0x79) or NACK (0x1F) at each stage.
 */

export const SYNC = 0x7f;
export const ACK = 0x79;
export const NACK = 0x1f;

/** Command codes (AN3155 Table 2). The STM32WB bootloader (AN2606) lists Special and Extended Special too. */
export const CMD = {
  GET: 0x00,
  GET_VERSION: 0x01,
  GET_ID: 0x02,
  READ_MEMORY: 0x11,
  GO: 0x21,
  WRITE_MEMORY: 0x31,
  ERASE: 0x43,
  EXTENDED_ERASE: 0x44,
  SPECIAL: 0x50,
  EXTENDED_SPECIAL: 0x51,
  WRITE_PROTECT: 0x63,
  WRITE_UNPROTECT: 0x73,
  READOUT_PROTECT: 0x82,
  READOUT_UNPROTECT: 0x92,
  GET_CHECKSUM: 0xa1,
} as const;

export const COMMAND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, k]));

/**
 * FUS opcodes over the Special (GET_STATE) and Extended Special (the others) commands. The one source is
 * philips-software/amp-hal-st `FusOnStBootloaderCommunicator` (MIT, tested on mocks only); they equal the
 * one-byte codes qFlipper sends over DFU. Likely, not confirmed on a bench: the link says so and records a
 * transcript so the first real run settles it.
 */
export const FUS_OPCODE = {
  GET_STATE: 0x0054,
  FW_UPGRADE: 0x0053,
  FW_DELETE: 0x0052,
  START_WS: 0x005a,
} as const;

/** Limits (AN3155): Read/Write Memory move at most 256 bytes; Special data <= 128; Extended Special data2 <= 1024. */
export const MAX_READ = 256;
export const MAX_WRITE = 256;
export const MAX_SPECIAL_DATA = 128;
export const MAX_EXTENDED_SPECIAL_DATA2 = 1024;
/** Extended Erase takes at most this many pages per request here (AN3155 allows N+1 up to 0xFFF0; smaller requests keep the ACK wait short). */
export const MAX_ERASE_PAGES = 32;
/** Extended Erase special codes (mass / bank erases), refused by this implementation (copro erases pages only). */
export const ERASE_MASS = 0xffff;
export const ERASE_BANK1 = 0xfffe;
export const ERASE_BANK2 = 0xfffd;

/** Baud rates the bootloader's auto-baud detects (AN3155 §2: 1200 to 115200 baud). */
export const MIN_BAUD = 1200;
export const MAX_BAUD = 115200;

/** Where things are (RM0434): the option bytes block, UID64, the flash size word. */
export const OPTION_BYTES_ADDRESS = 0x1fff8000;
export const OPTION_BYTES_SIZE = 128;
export const UID64_ADDRESS = 0x1fff7580;
export const FLASH_SIZE_ADDRESS = 0x1fff75e0;

/** XOR of all bytes (AN3155's checksum). */
export function xor(bytes: ArrayLike<number>, seed = 0): number {
  let x = seed;
  for (let i = 0; i < bytes.length; i++) x ^= bytes[i]!;
  return x & 0xff;
}

/** A command byte and its complement. */
export function commandFrame(code: number): Uint8Array {
  return Uint8Array.of(code, code ^ 0xff);
}

/** 4-byte address, MSB first, and the XOR of the four bytes. */
export function addressFrame(address: number): Uint8Array {
  const b = [(address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
  return Uint8Array.of(...b, xor(b));
}

/** Read Memory's length: N-1 and its complement. */
export function readLengthFrame(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > MAX_READ) throw new RangeError(`a Read Memory request moves 1..${MAX_READ} bytes (asked ${length})`);
  return Uint8Array.of(length - 1, (length - 1) ^ 0xff);
}

/** Write Memory's data: N-1, the N bytes, XOR of all of them. */
export function writeDataFrame(data: Uint8Array): Uint8Array {
  if (data.length < 1 || data.length > MAX_WRITE) throw new RangeError(`a Write Memory request moves 1..${MAX_WRITE} bytes (asked ${data.length})`);
  const out = new Uint8Array(data.length + 2);
  out[0] = data.length - 1;
  out.set(data, 1);
  out[data.length + 1] = xor(data, data.length - 1);
  return out;
}

/** Extended Erase of pages: N-1 (2 bytes), the page numbers (2 bytes each, MSB first), XOR of everything. */
export function erasePagesFrame(pages: readonly number[]): Uint8Array {
  if (pages.length < 1 || pages.length > MAX_ERASE_PAGES) throw new RangeError(`an Extended Erase request takes 1..${MAX_ERASE_PAGES} pages here (asked ${pages.length})`);
  const n = pages.length - 1;
  const body = [(n >> 8) & 0xff, n & 0xff];
  for (const p of pages) {
    if (!Number.isInteger(p) || p < 0 || p > 0xffef) throw new RangeError(`not a page number: ${p}`);
    body.push((p >> 8) & 0xff, p & 0xff);
  }
  return Uint8Array.of(...body, xor(body));
}

/** 16-bit opcode MSB first and its XOR (Special / Extended Special). */
export function opcodeFrame(opcode: number): Uint8Array {
  const b = [(opcode >> 8) & 0xff, opcode & 0xff];
  return Uint8Array.of(...b, xor(b));
}

/** A Special/Extended Special data block: length (2 bytes, MSB first), data, XOR of length bytes and data. */
export function blockFrame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 3);
  out[0] = (data.length >> 8) & 0xff;
  out[1] = data.length & 0xff;
  out.set(data, 2);
  out[data.length + 2] = xor(data, out[0]! ^ out[1]!);
  return out;
}

export function hexBytes(bytes: ArrayLike<number>, max = 48): string {
  const parts: string[] = [];
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) parts.push(bytes[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (bytes.length > max ? ` ... (${bytes.length} bytes)` : '');
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Line settings the bootloader needs (AN3155 §2: 8 data bits, even parity, 1 stop bit). */
export interface LineSettings {
  baudRate: number;
  dataBits: 8 | 7;
  parity: 'even' | 'none' | 'odd';
  stopBits: 1 | 2;
}

export function bootloaderLine(baudRate: number): LineSettings {
  return { baudRate, dataBits: 8, parity: 'even', stopBits: 1 };
}

/** Wire time of `bytes` at a line's settings (start bit + data + parity + stop bits per byte). */
export function wireMs(bytes: number, line: LineSettings): number {
  const bits = 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
  return (bytes * bits * 1000) / line.baudRate;
}
