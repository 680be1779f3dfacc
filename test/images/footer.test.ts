import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseFooter, tryParseFooter, FooterError, FOOTER_ERROR_CODES, bytesFromHex } from '../../src/images/footer.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { versionString } from '../../src/domain/version.js';
import { syntheticFile, imageWith, words } from './helpers.js';

const images = loadCatalog().images;

describe('parseFooter on every catalog record (synthetic files from the recorded footers)', () => {
  const valid = images.filter((r) => r.footer.valid);

  it('covers the 656 records with a trailer', () => {
    expect(valid).toHaveLength(656);
  });

  it.each(valid.map((r) => [r.sha256.slice(0, 12), r] as const))('%s decodes to the catalog facts', (_, r) => {
    const f = parseFooter(syntheticFile(r));
    expect(f.kind).toBe(r.kind);
    expect(f.flashPages).toBe(r.footer.flashPages);
    expect([f.sram1KB, f.sram2aKB, f.sram2bKB]).toEqual([r.footer.sram1KB, r.footer.sram2aKB, r.footer.sram2bKB]);
    expect(f.imageMagic).toBe(Number.parseInt(r.footer.imageMagic!.slice(2), 16));
    expect(f.info1).toBe(Number.parseInt(r.footer.info1!.slice(2), 16));
    expect(f.signature).toBe('st');
    expect(f.signatureSizeBytes).toBe(64);
    expect(f.footerOffset).toBe(r.size - 104);
    if (r.footer.versionWord === '0xFFFFFFFF') {
      // STM32WB.md §2: both FUS 1.2.0 images carry the blank word; the version comes from the catalog.
      expect(f.version).toBeNull();
      expect(r.version).toBe('1.2.0');
    } else {
      expect(versionString(f.version!)).toBe(r.version);
    }
    // Rules §4: "FUSv2 only" in the notes <=> magic 0xB10C8B99 (plus safeboot 2.0.1's own magic).
    if (/v2 only/i.test(r.fusCompatibility ?? '')) expect(f.fusV2Only).toBe(true);
  });

  it('the v1.5.0 FUS without a trailer is refused with NO_SIGNATURE_FOOTER', () => {
    const broken = images.filter((r) => !r.footer.valid);
    expect(broken.map((r) => [r.size, r.version])).toEqual([[24344, '1.1.0']]);
    const res = tryParseFooter(syntheticFile(broken[0]!));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('NO_SIGNATURE_FOOTER');
  });
});

describe('parseFooter field decoding (hand-built trailers)', () => {
  it('decodes version 0x01180003 as 1.24.0 build 3 (STM32WB.md §2) and the memory-size word', () => {
    // memorySize = sram2b 15 KB <<24 | sram2a 10 KB <<16 | sram1 0xFF <<8 | 47 pages
    const f = parseFooter(imageWith({ memorySize: 0x0f0aff2f, version: 0x01180003, magic: 0x23372991 }));
    expect(f.version).toEqual({ major: 1, minor: 24, sub: 0, branch: 0, build: 3 });
    expect([f.flashPages, f.sram1KB, f.sram2aKB, f.sram2bKB]).toEqual([47, 255, 10, 15]);
    expect(f.kind).toBe('stack');
    expect(f.fusV2Only).toBe(false);
    expect(f.footerOffset).toBe(4000);
  });

  it('tells the kinds apart by magic, and safeboot 2.0.0 by info1 0x5AFEB007', () => {
    const kind = (magic: number, info1?: number) => parseFooter(imageWith({ memorySize: 2, version: 0x02000000, magic, info1 })).kind;
    expect(kind(0x32279221)).toBe('fus');
    expect(kind(0x23372991)).toBe('stack');
    expect(kind(0x23372991, 0x5afeb007)).toBe('safeboot');
    expect(kind(0x927a6741)).toBe('safeboot');
    expect(kind(0x42769811)).toBe('other');
    expect(kind(0xb10c8b99)).toBe('stack');
  });

  it('marks 0xB10C8B99 stacks and 0x927A6741 safeboot as FUSv2-only', () => {
    expect(parseFooter(imageWith({ memorySize: 2, version: 0x01180000, magic: 0xb10c8b99 })).fusV2Only).toBe(true);
    expect(parseFooter(imageWith({ memorySize: 2, version: 0x02000100, magic: 0x927a6741 })).fusV2Only).toBe(true);
  });

  it('reads a customer signature', () => {
    expect(parseFooter(imageWith({ memorySize: 2, version: 0x01180000, magic: 0x23372991, sigMagic: 0xe2b51d4a })).signature).toBe('customer');
  });
});

describe('parseFooter errors', () => {
  const code = (bytes: Uint8Array) => {
    const r = tryParseFooter(bytes);
    return r.ok ? 'ok' : r.error.code;
  };

  it('TRUNCATED below 20 bytes, and when the signature footer is there but not the rest', () => {
    expect(code(new Uint8Array(19))).toBe('TRUNCATED');
    const shortFile = words(0x12341234, 0xabcdabcd, 0xffff5740, 0, 0xd3a12c5e); // exactly the 20-byte signature footer
    expect(code(shortFile)).toBe('TRUNCATED');
    expect(() => parseFooter(shortFile)).toThrow(/20 bytes: too short/);
  });

  it('NO_SIGNATURE_FOOTER for random data and an unknown signature magic, naming the offset', () => {
    const bytes = new Uint8Array(500).fill(0xfe);
    expect(code(bytes)).toBe('NO_SIGNATURE_FOOTER');
    expect(() => parseFooter(bytes)).toThrow(/offset 480 \(size-20\), found 0xFEFEFEFE 0xFEFEFEFE/);
    expect(code(imageWith({ memorySize: 2, version: 0, magic: 0x23372991, sigMagic: 0x11111111 }))).toBe('NO_SIGNATURE_FOOTER');
  });

  it('BAD_SIGNATURE_LAYOUT when the size byte is not 0x40', () => {
    const bytes = imageWith({ memorySize: 2, version: 0, magic: 0x23372991, sigLayout: 0xffff5720 });
    expect(code(bytes)).toBe('BAD_SIGNATURE_LAYOUT');
    expect(() => parseFooter(bytes)).toThrow(/is 0x20, expected 0x40/);
  });

  it('UNKNOWN_IMAGE_MAGIC names the magic and where it was read', () => {
    const bytes = imageWith({ memorySize: 2, version: 0, magic: 0xdeadbeef });
    expect(code(bytes)).toBe('UNKNOWN_IMAGE_MAGIC');
    expect(() => parseFooter(bytes)).toThrow(/0xDEADBEEF at offset 4016/);
  });

  it('bytesFromHex rejects odd or non-hex input', () => {
    expect(() => bytesFromHex('abc')).toThrow();
    expect(() => bytesFromHex('zz')).toThrow();
    expect([...bytesFromHex('00ff10')]).toEqual([0, 255, 16]);
  });
});

describe('parseFooter properties', () => {
  const isKnownFailure = (bytes: Uint8Array) => {
    try {
      const f = parseFooter(bytes);
      // A success must be consistent with the bytes it came from.
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return f.footerOffset === bytes.length - 104 && v.getUint32(f.footerOffset + 12, true) === f.versionWord && v.getUint32(f.footerOffset + 16, true) === f.imageMagic;
    } catch (e) {
      return e instanceof FooterError && FOOTER_ERROR_CODES.includes(e.code) && e.message.length > 0;
    }
  };

  it('never crashes on arbitrary bytes: a result, or a FooterError with a known code', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => isKnownFailure(bytes)), { numRuns: 10_000 });
  });

  it('never crashes on mutated real footers', () => {
    const tails = images.filter((r) => r.footer.valid).map((r) => syntheticFile({ size: 200, footer: r.footer }));
    const mutation = fc.record({
      which: fc.nat({ max: tails.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat({ max: 199 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.nat({ max: 200 }),
    });
    fc.assert(
      fc.property(mutation, ({ which, edits, cut }) => {
        const bytes = tails[which]!.slice();
        for (const [at, value] of edits) bytes[at] = value;
        return isKnownFailure(bytes) && isKnownFailure(bytes.subarray(cut));
      }),
      { numRuns: 10_000 },
    );
  });
});
