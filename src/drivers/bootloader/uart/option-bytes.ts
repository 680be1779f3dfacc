/**
 * The STM32WB option bytes block as the ROM bootloader reads and writes it at 0x1FFF8000 (128 bytes):
 * 64-bit pairs, each a 32-bit value (little endian) followed by its bitwise complement (RM0434 "Option bytes
 * organization"; the loader checks each pair). Offsets: +0x00 user options and RDP (FLASH_OPTR layout),
 * +0x70 SFR (SFSA [7:0], FSD bit 8, DDS bit 12), +0x78 SRRVR (SBRV [17:0], ...). Pure, no Node imports.
 *
 * FLASH_OPTR bits used (RM0434): RDP [7:0], ESE 8, nBOOT1 23, nSWBOOT0 26, nBOOT0 27. The other user bits
 * are kept as read (encode() fills ST's factory defaults for the simulated chip: reset on stop/standby/
 * shutdown, software watchdogs, SRAM2 parity and erase-on-reset).
 */
import { OPTION_BYTES_SIZE } from './an3155.js';

export interface OptionBytesFields {
  rdp: number;
  ese: 0 | 1;
  nBOOT0: 0 | 1;
  nBOOT1: 0 | 1;
  nSWboot0: 0 | 1;
  sfsa: number;
  sbrv: number;
}

const OPTR = 0x00;
const SFR = 0x70;
const SRRVR = 0x78;

/** Factory user bits besides the ones above: nRST_STOP/STDBY/SHDW (12-14), IWDG_SW/STOP/STDBY (16-18), WWDG_SW (19), SRAM2_PE/RST (24-25). */
const FACTORY_USER = (0b111 << 12) | (0b1111 << 16) | (0b11 << 24);
/** SRRVR factory bits above SBRV: C2OPT (bit 31, CPU2 boots from flash). */
const FACTORY_SRRVR = 1 << 31;

export class OptionBytesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionBytesError';
  }
}

function word(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function put(b: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
  const n = ~v >>> 0;
  for (let i = 0; i < 4; i++) b[at + 4 + i] = (n >>> (8 * i)) & 0xff;
}

/** The block for these fields. Pairs not modelled (PCROP, WRP, IPCCDBA) read as erased-by-default values: 0x00000000 / complement. */
export function encodeOptionBytes(f: OptionBytesFields, base?: Uint8Array): Uint8Array {
  const b = new Uint8Array(OPTION_BYTES_SIZE);
  if (base && base.length === OPTION_BYTES_SIZE) b.set(base);
  else for (let at = 0; at < OPTION_BYTES_SIZE; at += 8) put(b, at, 0);
  const keepUser = base && base.length === OPTION_BYTES_SIZE ? word(base, OPTR) & ~((0xff) | (1 << 8) | (1 << 23) | (1 << 26) | (1 << 27)) : FACTORY_USER;
  const optr = (keepUser | (f.rdp & 0xff) | (f.ese << 8) | (f.nBOOT1 << 23) | (f.nSWboot0 << 26) | (f.nBOOT0 << 27)) >>> 0;
  put(b, OPTR, optr);
  const sfrKeep = base && base.length === OPTION_BYTES_SIZE ? word(base, SFR) & ~0xff : 0;
  put(b, SFR, ((sfrKeep | (f.sfsa & 0xff)) >>> 0));
  const srrvrKeep = base && base.length === OPTION_BYTES_SIZE ? word(base, SRRVR) & ~0x3ffff : FACTORY_SRRVR;
  put(b, SRRVR, ((srrvrKeep | (f.sbrv & 0x3ffff)) >>> 0));
  return b;
}

/** Reads the fields back; throws when a value and its complement disagree (the loader would refuse it too). */
export function decodeOptionBytes(b: Uint8Array): OptionBytesFields {
  if (b.length !== OPTION_BYTES_SIZE) throw new OptionBytesError(`the option bytes block is ${OPTION_BYTES_SIZE} bytes (got ${b.length})`);
  for (const at of [OPTR, SFR, SRRVR]) {
    if ((word(b, at) ^ word(b, at + 4)) >>> 0 !== 0xffffffff) {
      throw new OptionBytesError(`option bytes at +0x${at.toString(16)}: value 0x${word(b, at).toString(16)} and complement 0x${word(b, at + 4).toString(16)} disagree`);
    }
  }
  const optr = word(b, OPTR);
  const bit = (n: number) => ((optr >>> n) & 1) as 0 | 1;
  return { rdp: optr & 0xff, ese: bit(8), nBOOT1: bit(23), nSWboot0: bit(26), nBOOT0: bit(27), sfsa: word(b, SFR) & 0xff, sbrv: word(b, SRRVR) & 0x3ffff };
}
