/**
 * The trailer of a coprocessor image file (AN5185 image footer, public FUS dumps "Footer analysis").
 * Read from the end, all words little-endian u32:
 *
 *   size-20 .. size     signature footer: 0x12341234, 0xABCDABCD, [sigSize u8 | source u8 | 0xFFFF], word, magic
 *                       magic 0xD3A12C5E = signed by ST, 0xE2B51D4A = customer signature
 *   size-84 .. size-20  the signature (sigSize = 0x40 bytes)
 *   size-104.. size-84  image footer: info1, info2, memorySize, version, magic
 *
 * Pure functions over bytes; no I/O.
 */
import { decodeVersionWord, BLANK_VERSION_WORD, type FirmwareVersion } from '../domain/version.js';
import { hex } from '../domain/hex.js';
import { IMAGE_MAGIC, SIGNATURE_MAGIC, type ImageKind } from './types.js';

export const SIGNATURE_FOOTER_SIZE = 20;
export const IMAGE_FOOTER_SIZE = 20;
/** ST signatures are 64 bytes; the size byte of the signature footer says 0x40. */
export const SIGNATURE_SIZE = 0x40;
/** Offset of the image footer from the end of an ST-signed file: 20 + 64 + 20. */
export const TRAILER_SIZE = SIGNATURE_FOOTER_SIZE + SIGNATURE_SIZE + IMAGE_FOOTER_SIZE;

const SIG_FOOTER_WORD0 = 0x12341234;
const SIG_FOOTER_WORD1 = 0xabcdabcd;
/** Safeboot 2.0.0 carries the stack magic; its info1 marks it (AN5185 image footer). */
export const SAFEBOOT_INFO1 = 0x5afeb007;

export type FooterErrorCode = 'TRUNCATED' | 'NO_SIGNATURE_FOOTER' | 'UNKNOWN_IMAGE_MAGIC' | 'BAD_SIGNATURE_LAYOUT';
export const FOOTER_ERROR_CODES: readonly FooterErrorCode[] = ['TRUNCATED', 'NO_SIGNATURE_FOOTER', 'UNKNOWN_IMAGE_MAGIC', 'BAD_SIGNATURE_LAYOUT'];

export class FooterError extends Error {
  constructor(
    readonly code: FooterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FooterError';
  }
}

export interface ParsedFooter {
  imageMagic: number;
  kind: ImageKind;
  /** Magic 0xB10C8B99 (stack) or 0x927A6741 (safeboot 2.0.1): installable only by FUS 2.x (rules §4). */
  fusV2Only: boolean;
  versionWord: number;
  /** Decoded version; null for the blank word 0xFFFFFFFF (both FUS 1.2.0 images). */
  version: FirmwareVersion | null;
  memorySizeWord: number;
  /** memorySize [7:0]: flash pages (4 KiB on WB5x/WB3x, 2 KiB on WB1x). */
  flashPages: number;
  sram1KB: number;
  sram2aKB: number;
  sram2bKB: number;
  info1: number;
  info2: number;
  signature: 'st' | 'customer';
  signatureSizeBytes: number;
  /** Byte 1 of the signature footer's third word (0x57 in every ST file). */
  signatureSource: number;
  /** The fourth word of the signature footer (0x22110045 stacks, 0x200000FF FUS and new safeboot). */
  signatureWord: number;
  /** Offset of the image footer in the file (size - 104 for an ST-signed file). */
  footerOffset: number;
  /** Offset of the signature blob. */
  signatureOffset: number;
}

function u32(bytes: Uint8Array, offset: number): number {
  // Bounds are checked by the callers; `?? 0` only satisfies noUncheckedIndexedAccess.
  return ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16) | ((bytes[offset + 3] ?? 0) << 24)) >>> 0;
}

const KNOWN_IMAGE_MAGICS: readonly number[] = Object.values(IMAGE_MAGIC);

function kindOf(magic: number, info1: number): ImageKind {
  switch (magic) {
    case IMAGE_MAGIC.FUS:
      return 'fus';
    case IMAGE_MAGIC.SAFEBOOT_V2:
      return 'safeboot';
    case IMAGE_MAGIC.STACK:
      // AN5185 image footer: safeboot 2.0.0 uses the stack magic with info1 0x5AFEB007.
      return info1 === SAFEBOOT_INFO1 ? 'safeboot' : 'stack';
    case IMAGE_MAGIC.STACK_FUSV2_ONLY:
      return 'stack';
    default:
      return 'other';
  }
}

/**
 * Parses the trailer; throws a FooterError saying what was expected where, and what was found.
 * `fileOffset`: where `bytes` starts in the file, when only the tail of a big file is passed (offsets in
 * messages and in the result are then file offsets).
 */
export function parseFooter(bytes: Uint8Array, fileOffset = 0): ParsedFooter {
  const len = bytes.length;
  const fileSize = fileOffset + len;
  if (len < SIGNATURE_FOOTER_SIZE) {
    throw new FooterError('TRUNCATED', `file is ${fileSize} bytes: too short for the 20-byte signature footer`);
  }
  const sigAt = len - SIGNATURE_FOOTER_SIZE;
  const w0 = u32(bytes, sigAt);
  const w1 = u32(bytes, sigAt + 4);
  const layout = u32(bytes, sigAt + 8);
  const signatureWord = u32(bytes, sigAt + 12);
  const sigMagic = u32(bytes, sigAt + 16);
  if (w0 !== SIG_FOOTER_WORD0 || w1 !== SIG_FOOTER_WORD1) {
    throw new FooterError(
      'NO_SIGNATURE_FOOTER',
      `no signature footer: expected ${hex(SIG_FOOTER_WORD0)} ${hex(SIG_FOOTER_WORD1)} at offset ${fileOffset + sigAt} (size-20), found ${hex(w0)} ${hex(w1)}`,
    );
  }
  let signature: 'st' | 'customer';
  if (sigMagic === SIGNATURE_MAGIC.ST) signature = 'st';
  else if (sigMagic === SIGNATURE_MAGIC.CUSTOMER) signature = 'customer';
  else {
    throw new FooterError(
      'NO_SIGNATURE_FOOTER',
      `unknown signature magic ${hex(sigMagic)} at offset ${fileSize - 4} (expected ${hex(SIGNATURE_MAGIC.ST)} ST or ${hex(SIGNATURE_MAGIC.CUSTOMER)} customer)`,
    );
  }
  const signatureSizeBytes = layout & 0xff;
  const signatureSource = (layout >>> 8) & 0xff;
  if (signatureSizeBytes !== SIGNATURE_SIZE) {
    throw new FooterError(
      'BAD_SIGNATURE_LAYOUT',
      `signature size byte at offset ${fileOffset + sigAt + 8} is ${hex(signatureSizeBytes, 2)}, expected ${hex(SIGNATURE_SIZE, 2)} (64-byte signature)`,
    );
  }
  if (len < TRAILER_SIZE) {
    throw new FooterError('TRUNCATED', `file is ${fileSize} bytes: too short for signature footer + 64-byte signature + image footer (${TRAILER_SIZE} bytes)`);
  }
  const signatureOffset = sigAt - signatureSizeBytes;
  const footerAt = signatureOffset - IMAGE_FOOTER_SIZE;
  const info1 = u32(bytes, footerAt);
  const info2 = u32(bytes, footerAt + 4);
  const memorySizeWord = u32(bytes, footerAt + 8);
  const versionWord = u32(bytes, footerAt + 12);
  const imageMagic = u32(bytes, footerAt + 16);
  const footerOffset = fileOffset + footerAt;
  if (!KNOWN_IMAGE_MAGICS.includes(imageMagic)) {
    throw new FooterError(
      'UNKNOWN_IMAGE_MAGIC',
      `unknown image magic ${hex(imageMagic)} at offset ${footerOffset + 16} (size-${len - footerAt - 16}); known: ${KNOWN_IMAGE_MAGICS.map((m) => hex(m)).join(', ')}`,
    );
  }
  return {
    imageMagic,
    kind: kindOf(imageMagic, info1),
    fusV2Only: imageMagic === IMAGE_MAGIC.STACK_FUSV2_ONLY || imageMagic === IMAGE_MAGIC.SAFEBOOT_V2,
    versionWord,
    version: versionWord === BLANK_VERSION_WORD ? null : decodeVersionWord(versionWord),
    memorySizeWord,
    flashPages: memorySizeWord & 0xff,
    sram1KB: (memorySizeWord >>> 8) & 0xff,
    sram2aKB: (memorySizeWord >>> 16) & 0xff,
    sram2bKB: (memorySizeWord >>> 24) & 0xff,
    info1,
    info2,
    signature,
    signatureSizeBytes,
    signatureSource,
    signatureWord,
    footerOffset,
    signatureOffset: fileOffset + signatureOffset,
  };
}

export type FooterResult = { ok: true; footer: ParsedFooter } | { ok: false; error: FooterError };

/** parseFooter without the throw: for callers that treat a bad footer as data (inventories, the simulator). */
export function tryParseFooter(bytes: Uint8Array): FooterResult {
  try {
    return { ok: true, footer: parseFooter(bytes) };
  } catch (e) {
    if (e instanceof FooterError) return { ok: false, error: e };
    throw e;
  }
}

/** Hex string of bytes (lower case), for tests and synthetic files. */
export function bytesFromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(text)) throw new Error(`not a hex byte string: ${JSON.stringify(text.slice(0, 40))}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
