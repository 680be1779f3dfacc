/**
 * The bad-manifest corpus: every file in bad/ must be rejected with exactly the issues expected.json
 * lists (code, line, column, message substring), and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CORPUS_DIR, corpusEntries } from './corpus.js';
import { loadManifest, parseManifest, ManifestError, MAX_MANIFEST_BYTES, type ManifestIssue } from '../../src/manifest/index.js';

const BAD = CORPUS_DIR;

const entries = corpusEntries;

async function issuesOf(load: () => Promise<unknown>): Promise<ManifestIssue[]> {
  try {
    await load();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).issues;
  }
  throw new Error('the manifest loaded, but it should have been rejected');
}

describe('bad manifests', () => {
  it('has at least 40 cases and one table entry per file', async () => {
    const files = (await readdir(BAD)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(entries.map(([f]) => f).sort()).toEqual(files);
  });

  it.each(entries)('%s', async (file, expected) => {
    const issues = await issuesOf(() => loadManifest(path.join(BAD, file), { projectRoot: BAD }));
    const want = Array.isArray(expected) ? expected : [expected];
    expect(issues.map((i) => ({ code: i.code, line: i.line, column: i.column }))).toEqual(want.map((w) => ({ code: w.code, line: w.line, column: w.column })));
    want.forEach((w, n) => {
      expect(issues[n]!.message).toContain(w.message);
      if (w.hint) expect(issues[n]!.hint).toContain(w.hint);
      expect(issues[n]!.file).toBe(path.relative(process.cwd(), path.join(BAD, file)));
    });
  });
});

describe('huge manifests (generated, never committed)', () => {
  const huge = 'version: 1\n' + '# padding padding padding padding padding padding padding padding\n'.repeat(Math.ceil(MAX_MANIFEST_BYTES / 66) + 1);

  it('refuses a file over 1 MiB before reading it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'copro-manifest-'));
    try {
      const file = path.join(dir, 'huge.yaml');
      await writeFile(file, huge);
      const issues = await issuesOf(() => loadManifest(file));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: 'too-large', line: 1, column: 1 });
      expect(issues[0]!.message).toContain('limit is 1048576');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses over-1-MiB text given to parseManifest, counting bytes not characters', async () => {
    // 600k two-byte characters: 1.2 MB in UTF-8 although under 1M characters.
    const text = 'version: 1\nname: "' + 'é'.repeat(600_000) + '"\n';
    expect(text.length).toBeLessThan(MAX_MANIFEST_BYTES);
    const issues = await issuesOf(async () => parseManifest(text, 'wide.yaml'));
    expect(issues.map((i) => i.code)).toEqual(['too-large']);
  });

  it('accepts a file just under the limit', async () => {
    const text = 'version: 1\n' + '#'.repeat(MAX_MANIFEST_BYTES - 20) + '\n';
    expect(parseManifest(text, 'big.yaml').manifest.version).toBe(1);
  });
});
