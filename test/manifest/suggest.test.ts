import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { didYouMean, editDistance, nearest } from '../../src/manifest/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('stak', 'stack')).toBe(1);
    expect(editDistance('stakc', 'stack')).toBe(1);
    expect(editDistance('verison', 'version')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('is a symmetric measure, zero only for equal strings, bounded by the longer length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d).toBe(editDistance(b, a));
        expect(d === 0).toBe(a === b);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
      { numRuns: 300 },
    );
  });
});

describe('nearest', () => {
  const keys = ['version', 'name', 'device', 'fus', 'stack', 'images', 'connection', 'application', 'policy', 'boards'];
  it('finds plausible typos, case-insensitively', () => {
    expect(nearest('stak', keys)).toBe('stack');
    expect(nearest('Conection', keys)).toBe('connection');
    expect(nearest('polciy', keys)).toBe('policy');
  });
  it('does not suggest far-off names', () => {
    expect(nearest('firmware', keys)).toBeUndefined();
    expect(nearest('x', keys)).toBeUndefined();
  });
  it('says nothing when the word is already right', () => {
    expect(didYouMean('stack', keys)).toBe('');
    expect(didYouMean('stack2', keys)).toBe('; did you mean "stack"?');
  });
});
