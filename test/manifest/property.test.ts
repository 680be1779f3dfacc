/**
 * The loader never crashes: random YAML-ish text, random mutations of real manifests and random YAML
 * values either load or fail with a ManifestError whose every issue points inside the text.
 * 10,000 runs in total.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ManifestError, parseManifest } from '../../src/manifest/index.js';
import { PACKAGE_ROOT } from '../../src/schemas.js';

const EXAMPLES = readdirSync(path.join(PACKAGE_ROOT, 'manifests'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(path.join(PACKAGE_ROOT, 'manifests', f), 'utf8'));

/** Loads or fails properly; returns 'loaded' or 'rejected'. Anything else (a crash) fails the property. */
function check(text: string): 'loaded' | 'rejected' {
  try {
    parseManifest(text, '/proj/copro.yaml', { projectRoot: '/proj' });
    return 'loaded';
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    expect(e.issues.length).toBeGreaterThan(0);
    // Positions are counted on the text without its BOM; lines end at \n.
    const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
    for (const issue of e.issues) {
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.line).toBeLessThanOrEqual(lines.length);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeLessThanOrEqual(lines[issue.line - 1]!.length + 1);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return 'rejected';
  }
}

const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', '  ', '\n', '\r\n', '\t', ':', ': ', '- ', '#', '&a ', '*a', '!', '!!str ', '[', ']', '{', '}', ',', '"', "'", '|', '>', '?', '---\n', '...\n', '%YAML 1.2\n', '\uFEFF', '\0', '\\'),
      fc.constantFrom('version', 'stack', 'type', 'fus', 'device', 'policy', 'boards', 'serial', 'application', 'end', 'images', 'files', 'path', 'connection'),
      fc.constantFrom('1', '2.2.0', 'latest', 'keep', 'none', '0x08040000', 'BLE_Stack_full', 'STM32WB55RG', '>=3 <2', 'true', '~', '../x', '/etc/passwd'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

type Mutation = { kind: 'insert' | 'delete' | 'replace' | 'dupline' | 'swaplines'; at: number; len: number; text: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'dupline', 'swaplines'),
  at: fc.nat(),
  len: fc.integer({ min: 0, max: 12 }),
  text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('\t', '  ', '\n', ': ', '- ', '"', '*x', '&x ', '---\n', '\r\n', '0x', '9')),
});

function mutate(source: string, ms: readonly Mutation[]): string {
  let s = source;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'replace') s = s.slice(0, at) + m.text + s.slice(at + m.text.length);
    else {
      const lines = s.split('\n');
      const i = m.at % lines.length;
      const j = (m.at + m.len) % lines.length;
      if (m.kind === 'dupline') lines.splice(i, 0, lines[i]!);
      else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      s = lines.join('\n');
    }
  }
  return s;
}

// A fixed number of runs of CPU-bound work: the timeout catches a hang, not a slow (shared, loaded) machine.
describe('the loader never crashes', { timeout: 300_000 }, () => {
  it('on random YAML-ish text', () => {
    fc.assert(fc.property(yamlish, (text) => void check(text)), { numRuns: 4000 });
  }, 120_000); // thousands of loads: more than the default 30 s on a loaded machine

  it('on random mutations of the example manifests', () => {
    const outcomes = { loaded: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(mutation, { minLength: 1, maxLength: 4 }), (example, ms) => {
        outcomes[check(mutate(example, ms))]++;
      }),
      { numRuns: 4000 },
    );
    // Both outcomes happen: the property is not vacuous.
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  }, 120_000); // thousands of loads: more than the default 30 s on a loaded machine

  it('on random YAML values, at the top level and in each section', () => {
    const sections = ['stack', 'fus', 'device', 'images', 'connection', 'application', 'policy', 'boards', 'name'];
    fc.assert(
      fc.property(fc.constantFrom(...sections), fc.jsonValue({ maxDepth: 3 }), fc.boolean(), (section, value, atTop) => {
        check(stringify(atTop ? value : { version: 1, [section]: value }));
      }),
      { numRuns: 2000 },
    );
  }, 120_000); // thousands of loads: more than the default 30 s on a loaded machine
});
