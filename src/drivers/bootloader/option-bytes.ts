/**
 * The STM32WB option-byte area as the ROM bootloader reads and writes it: 128 bytes at 0x1FFF8000, each
 * register a 64-bit double word of value + complement (RM0434 "Option bytes organization"; AN3156 alt 1).
 * Pure: the driver decodes every field, the virtual device encodes the simulated board's.
 */

export interface OptionBytesFields {
  rdp: number;
  ese: 0 | 1;
  borLev: number;
  nRstStop: 0 | 1;
  nRstStdby: 0 | 1;
  nRstShdw: 0 | 1;
  iwdgSw: 0 | 1;
  iwdgStop: 0 | 1;
  iwdgStdby: 0 | 1;
  wwdgSw: 0 | 1;
  nBOOT1: 0 | 1;
  sram2Pe: 0 | 1;
  sram2Rst: 0 | 1;
  nSWboot0: 0 | 1;
  nBOOT0: 0 | 1;
  agcTrim: number;
  pcrop1aStart: number;
  pcrop1aEnd: number;
  pcropRdp: 0 | 1;
  wrp1aStart: number;
  wrp1aEnd: number;
  wrp1bStart: number;
  wrp1bEnd: number;
  pcrop1bStart: number;
  pcrop1bEnd: number;
  ipccDba: number;
  sfsa: number;
  fsd: 0 | 1;
  dds: 0 | 1;
  sbrv: number;
  sbrsa: number;
  brsd: 0 | 1;
  snbrsa: number;
  nbrsd: 0 | 1;
  c2opt: 0 | 1;
}

/** Offsets of the registers in the 128-byte area (RM0434). */
export const OB_OFFSET = { OPTR: 0x00, PCROP1ASR: 0x08, PCROP1AER: 0x10, WRP1AR: 0x18, WRP1BR: 0x20, PCROP1BSR: 0x28, PCROP1BER: 0x30, IPCCBR: 0x68, SFR: 0x70, SRRVR: 0x78 } as const;

const bit = (w: number, n: number): 0 | 1 => ((w >>> n) & 1) as 0 | 1;
const field = (w: number, lo: number, width: number): number => (w >>> lo) & ((1 << width) - 1);

function word(bytes: Uint8Array, off: number): number {
  return (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24)) >>> 0;
}
function putWord(bytes: Uint8Array, off: number, v: number): void {
  bytes[off] = v & 0xff;
  bytes[off + 1] = (v >>> 8) & 0xff;
  bytes[off + 2] = (v >>> 16) & 0xff;
  bytes[off + 3] = (v >>> 24) & 0xff;
}

export class OptionBytesFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionBytesFormatError';
  }
}

/** Registers whose complement does not match (the chip would flag OPTVERR at load). Unused double words (0xFF.. / 0x00..) are skipped. */
export function complementMismatches(bytes: Uint8Array): string[] {
  const bad: string[] = [];
  for (const [name, off] of Object.entries(OB_OFFSET)) {
    const v = word(bytes, off);
    const c = word(bytes, off + 4);
    if (((v ^ c) >>> 0) !== 0xffffffff) bad.push(name);
  }
  return bad;
}

export function decodeOptionBytes(bytes: Uint8Array): OptionBytesFields {
  if (bytes.length !== 128) throw new OptionBytesFormatError(`option bytes are 128 bytes, got ${bytes.length}`);
  const optr = word(bytes, OB_OFFSET.OPTR);
  const pa = word(bytes, OB_OFFSET.PCROP1ASR);
  const pae = word(bytes, OB_OFFSET.PCROP1AER);
  const wa = word(bytes, OB_OFFSET.WRP1AR);
  const wb = word(bytes, OB_OFFSET.WRP1BR);
  const pb = word(bytes, OB_OFFSET.PCROP1BSR);
  const pbe = word(bytes, OB_OFFSET.PCROP1BER);
  const ipcc = word(bytes, OB_OFFSET.IPCCBR);
  const sfr = word(bytes, OB_OFFSET.SFR);
  const srr = word(bytes, OB_OFFSET.SRRVR);
  return {
    rdp: field(optr, 0, 8),
    ese: bit(optr, 8),
    borLev: field(optr, 9, 3),
    nRstStop: bit(optr, 12),
    nRstStdby: bit(optr, 13),
    nRstShdw: bit(optr, 14),
    iwdgSw: bit(optr, 16),
    iwdgStop: bit(optr, 17),
    iwdgStdby: bit(optr, 18),
    wwdgSw: bit(optr, 19),
    nBOOT1: bit(optr, 23),
    sram2Pe: bit(optr, 24),
    sram2Rst: bit(optr, 25),
    nSWboot0: bit(optr, 26),
    nBOOT0: bit(optr, 27),
    agcTrim: field(optr, 29, 3),
    pcrop1aStart: field(pa, 0, 9),
    pcrop1aEnd: field(pae, 0, 9),
    pcropRdp: bit(pae, 31),
    wrp1aStart: field(wa, 0, 8),
    wrp1aEnd: field(wa, 16, 8),
    wrp1bStart: field(wb, 0, 8),
    wrp1bEnd: field(wb, 16, 8),
    pcrop1bStart: field(pb, 0, 9),
    pcrop1bEnd: field(pbe, 0, 9),
    ipccDba: field(ipcc, 0, 14),
    sfsa: field(sfr, 0, 8),
    fsd: bit(sfr, 8),
    dds: bit(sfr, 12),
    sbrv: field(srr, 0, 18),
    sbrsa: field(srr, 18, 5),
    brsd: bit(srr, 23),
    snbrsa: field(srr, 25, 5),
    nbrsd: bit(srr, 30),
    c2opt: bit(srr, 31),
  };
}

export function encodeOptionBytes(f: OptionBytesFields): Uint8Array {
  const out = new Uint8Array(128).fill(0xff);
  const put = (off: number, v: number) => {
    putWord(out, off, v >>> 0);
    putWord(out, off + 4, ~v >>> 0);
  };
  const optr =
    (f.rdp & 0xff) |
    (f.ese << 8) |
    ((f.borLev & 7) << 9) |
    (f.nRstStop << 12) |
    (f.nRstStdby << 13) |
    (f.nRstShdw << 14) |
    (f.iwdgSw << 16) |
    (f.iwdgStop << 17) |
    (f.iwdgStdby << 18) |
    (f.wwdgSw << 19) |
    (f.nBOOT1 << 23) |
    (f.sram2Pe << 24) |
    (f.sram2Rst << 25) |
    (f.nSWboot0 << 26) |
    (f.nBOOT0 << 27) |
    ((f.agcTrim & 7) << 29);
  put(OB_OFFSET.OPTR, optr);
  put(OB_OFFSET.PCROP1ASR, f.pcrop1aStart & 0x1ff);
  put(OB_OFFSET.PCROP1AER, (f.pcrop1aEnd & 0x1ff) | (f.pcropRdp << 31));
  put(OB_OFFSET.WRP1AR, (f.wrp1aStart & 0xff) | ((f.wrp1aEnd & 0xff) << 16));
  put(OB_OFFSET.WRP1BR, (f.wrp1bStart & 0xff) | ((f.wrp1bEnd & 0xff) << 16));
  put(OB_OFFSET.PCROP1BSR, f.pcrop1bStart & 0x1ff);
  put(OB_OFFSET.PCROP1BER, f.pcrop1bEnd & 0x1ff);
  put(OB_OFFSET.IPCCBR, f.ipccDba & 0x3fff);
  put(OB_OFFSET.SFR, (f.sfsa & 0xff) | (f.fsd << 8) | (f.dds << 12));
  put(OB_OFFSET.SRRVR, (f.sbrv & 0x3ffff) | ((f.sbrsa & 0x1f) << 18) | (f.brsd << 23) | ((f.snbrsa & 0x1f) << 25) | (f.nbrsd << 30) | (f.c2opt << 31));
  return out;
}

/** Factory values of the fields copro does not manage (RM0434 reset values: no WRP/PCROP, watchdogs in software). */
export const FACTORY_FIELDS: Omit<OptionBytesFields, 'rdp' | 'ese' | 'nBOOT1' | 'nSWboot0' | 'nBOOT0' | 'sfsa' | 'sbrv'> = {
  borLev: 0,
  nRstStop: 1,
  nRstStdby: 1,
  nRstShdw: 1,
  iwdgSw: 1,
  iwdgStop: 1,
  iwdgStdby: 1,
  wwdgSw: 1,
  sram2Pe: 1,
  sram2Rst: 1,
  agcTrim: 0,
  pcrop1aStart: 0x1ff,
  pcrop1aEnd: 0,
  pcropRdp: 0,
  wrp1aStart: 0xff,
  wrp1aEnd: 0,
  wrp1bStart: 0xff,
  wrp1bEnd: 0,
  pcrop1bStart: 0x1ff,
  pcrop1bEnd: 0,
  ipccDba: 0,
  fsd: 0,
  dds: 0,
  sbrsa: 0,
  brsd: 0,
  snbrsa: 0,
  nbrsd: 0,
  c2opt: 1,
};

/** One line with every field, for the transcript and `status` notes. */
export function describeOptionBytes(f: OptionBytesFields): string {
  return Object.entries(f)
    .map(([k, v]) => `${k}=${typeof v === 'number' && v > 9 ? '0x' + v.toString(16).toUpperCase() : v}`)
    .join(' ');
}
