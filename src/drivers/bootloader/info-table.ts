/**
 * The device information table CPU2 keeps in SRAM2A, read over the bootloader (pure).
 *
 * Where: 0x20030024. qFlipper (stm32wb55.cpp) reads it there, "based on empirical data, should be 0 according
 * to documentation"; the FUS version word then sits at 0x20030030, the address ST's own CLI procedure reads
 * after -startfus (release notes). Empirical: the first run on a real board records it in the transcript.
 *
 * Which table: while FUS runs, ST's shci.h `MB_FUS_DeviceInfoTable_t` (first word 0xA94656B9; FUS version
 * +12, stack version +20, stack memory size +24, UID64 +40, device id +48; the current stack type byte +7).
 * While the wireless stack runs, tl.h `MB_DeviceInfoTable_t` (safeboot +0, FUS version +4, FUS memory size +8,
 * FUS info +12, stack version +16, stack memory size +20, InfoStack +24 whose low byte is the stack type).
 */
import { stackTypeByCode, stackTypeCodeOfInfo } from '../../domain/stack-types.js';

export const INFO_TABLE_ADDRESS = 0x20030024;
export const INFO_TABLE_BYTES = 52;
export const FUS_TABLE_MAGIC = 0xa94656b9;

export type InfoTable =
  | { kind: 'fus'; fusVersionWord: number; stackVersionWord: number; stackMemorySizeWord: number; stackTypeCode: number; uid64: bigint; deviceId: number }
  | { kind: 'stack'; safebootVersionWord: number; fusVersionWord: number; stackVersionWord: number; stackMemorySizeWord: number; infoStack: number; stackType: string | null }
  | { kind: 'blank' }
  | { kind: 'unreadable'; why: string };

function w(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** A version word as ST packs it: major.minor.sub in the three top bytes. Plausible when major <= 9 (no STM32WB firmware is near that). */
export function plausibleVersionWord(word: number): boolean {
  const major = (word >>> 24) & 0xff;
  return word !== 0 && word !== 0xffffffff && major <= 9;
}

export function versionOfWord(word: number): { version: string; build: number } {
  return { version: `${(word >>> 24) & 0xff}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}`, build: word & 0x0f };
}

export function parseInfoTable(bytes: Uint8Array): InfoTable {
  if (bytes.length < INFO_TABLE_BYTES) return { kind: 'unreadable', why: `only ${bytes.length} bytes` };
  if (bytes.every((b) => b === 0)) return { kind: 'blank' };
  if (w(bytes, 0) === FUS_TABLE_MAGIC) {
    return {
      kind: 'fus',
      fusVersionWord: w(bytes, 12),
      stackVersionWord: w(bytes, 20),
      stackMemorySizeWord: w(bytes, 24),
      stackTypeCode: bytes[7]!,
      uid64: (BigInt(w(bytes, 44)) << 32n) | BigInt(w(bytes, 40)),
      deviceId: w(bytes, 48) & 0xfff,
    };
  }
  const fusVersionWord = w(bytes, 4);
  const stackVersionWord = w(bytes, 16);
  // Without the magic this must be the stack's table; if its version words are not versions, it is neither.
  if (!plausibleVersionWord(fusVersionWord) || !plausibleVersionWord(stackVersionWord)) {
    return { kind: 'unreadable', why: `no FUS table magic and implausible versions (${w(bytes, 4).toString(16)}, ${w(bytes, 16).toString(16)})` };
  }
  const infoStack = w(bytes, 24);
  return {
    kind: 'stack',
    safebootVersionWord: w(bytes, 0),
    fusVersionWord,
    stackVersionWord,
    stackMemorySizeWord: w(bytes, 20),
    infoStack,
    stackType: stackTypeByCode(stackTypeCodeOfInfo(infoStack))?.name ?? null,
  };
}
