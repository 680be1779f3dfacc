import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { makeStandIn, verifyStandIn, hasStandInMarker } from '../../src/images/standin.js';
import { parseFooter, bytesFromHex } from '../../src/images/footer.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { findBy, syntheticFile } from './helpers.js';

const images = loadCatalog().images;
const stack = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE_Stack_full 1.24.0');
const fus053 = findBy(images, (r) => r.names.includes('stm32wb5x_FUS_fw_for_fus_0_5_3.bin'), 'FUS for 0.5.3');
const fus120 = findBy(images, (r) => r.names.includes('stm32wb5x_FUS_fw_1_2_0.bin'), 'FUS 1_2_0');
const broken = findBy(images, (r) => !r.footer.valid, 'v1.5.0 FUS');
const samples = [stack, fus053, fus120, broken, findBy(images, (r) => r.kind === 'safeboot', 'safeboot'), findBy(images, (r) => r.footer.imageMagic === '0xB10C8B99', 'FUSv2-only stack')];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('makeStandIn', () => {
  it.each(samples.map((r) => [r.sha256.slice(0, 12), r] as const))('%s: real size, real footers, verifiable, deterministic', (_, r) => {
    const a = makeStandIn(r);
    expect(a.length).toBe(r.size);
    expect(Buffer.from(a.subarray(r.size - 20)).toString('hex')).toBe(r.footer.signatureFooterHex);
    if (r.footer.imageFooterHex) expect(Buffer.from(a.subarray(r.size - 104, r.size - 84)).toString('hex')).toBe(r.footer.imageFooterHex);
    expect(Buffer.from(a.subarray(r.size - 84, r.size - 84 + 15)).toString('latin1')).toBe('COPRO-SIMULATED');
    expect(sha(makeStandIn(r))).toBe(sha(a));
    expect(sha(a)).not.toBe(r.sha256);
    expect(verifyStandIn(a)).toEqual({ standInFor: r.sha256 });
    expect(hasStandInMarker(a)).toBe(true);
  });

  it('parses like the real image (footer from the record)', () => {
    const f = parseFooter(makeStandIn(stack));
    expect(f.kind).toBe('stack');
    expect(f.flashPages).toBe(stack.footer.flashPages);
  });

  it('the two FUS 1.2.0 images give different stand-ins (same footers, different payload)', () => {
    expect(sha(makeStandIn(fus053))).not.toBe(sha(makeStandIn(fus120)));
    expect(verifyStandIn(makeStandIn(fus053))?.standInFor).toBe(fus053.sha256);
    expect(verifyStandIn(makeStandIn(fus120))?.standInFor).toBe(fus120.sha256);
  });

  it('the payload looks random (not a constant fill)', () => {
    const a = makeStandIn(stack).subarray(0, 4096);
    expect(new Set(a).size).toBeGreaterThan(200);
  });
});

describe('verifyStandIn', () => {
  const original = makeStandIn(stack);

  it('detects any single flipped byte; the marker survives flips outside it', () => {
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const t = original.slice();
        t[at] = t[at]! ^ x;
        const markerAt = original.length - 84;
        const inMarker = at >= markerAt && at < markerAt + 15;
        return verifyStandIn(t) === undefined && hasStandInMarker(t) === !inMarker;
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a truncated or extended stand-in', () => {
    expect(verifyStandIn(original.subarray(1))).toBeUndefined();
    const longer = new Uint8Array(original.length + 4);
    longer.set(original, 4);
    expect(hasStandInMarker(longer)).toBe(true);
    expect(verifyStandIn(longer)).toBeUndefined();
  });

  it('is undefined for files that are not stand-ins', () => {
    expect(verifyStandIn(syntheticFile(stack))).toBeUndefined();
    expect(hasStandInMarker(syntheticFile(stack))).toBe(false);
    expect(verifyStandIn(new Uint8Array(10))).toBeUndefined();
    expect(verifyStandIn(bytesFromHex(''))).toBeUndefined();
  });
});
