/**
 * The fidelity ledger (docs/fidelity.md) is checkable: every behaviour tagged `// fidelity: <ID>` in the simulator
 * has a row; every row has a source, a confidence, and names a test that exists.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '../..');
const ledgerText = readFileSync(path.join(root, 'docs/fidelity.md'), 'utf8');

interface Row {
  id: string;
  behaviour: string;
  source: string;
  confidence: string;
  test: string;
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const line of ledgerText.split('\n')) {
    if (!/^\| [A-Z0-9]/.test(line)) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells[0] === 'ID') continue;
    const [id = '', behaviour = '', source = '', confidence = '', test = ''] = cells;
    out.push({ id, behaviour, source, confidence, test });
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** `// fidelity: ID` tags in the simulator sources. */
function tags(): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of [...filesUnder(path.join(root, 'src/drivers/simulator')), ...filesUnder(path.join(root, 'test/fake-cubeprogrammer'))]) {
    for (const m of readFileSync(f, 'utf8').matchAll(/fidelity: ([A-Z0-9][A-Z0-9.-]*[A-Z0-9])/g)) found.set(m[1]!, path.relative(root, f));
  }
  return found;
}

describe('fidelity ledger (docs/fidelity.md)', () => {
  const all = rows();

  it('has rows, each id once', () => {
    expect(all.length).toBeGreaterThan(20);
    const ids = all.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every tagged behaviour in the simulator has a row', () => {
    const ids = new Set(all.map((r) => r.id));
    const missing = [...tags()].filter(([id]) => !ids.has(id)).map(([id, file]) => `${id} (${file})`);
    expect(missing, 'tagged in code but not in docs/fidelity.md').toEqual([]);
  });

  it('every row is tagged somewhere in the simulator (no row for a behaviour the code lost)', () => {
    const tagged = tags();
    expect(all.filter((r) => !tagged.has(r.id)).map((r) => r.id)).toEqual([]);
  });

  it('every row has a behaviour, a public source and a confidence; assumptions say what would settle them', () => {
    for (const r of all) {
      expect(r.behaviour.length, r.id).toBeGreaterThan(10);
      expect(r.source.length, `${r.id} has no source`).toBeGreaterThan(10);
      expect(r.source, `${r.id} cites our reference notes instead of a public source`).not.toMatch(/\.\.\/shared|field-reports\.md|STM32WB\.md/);
      expect(r.confidence, r.id).toMatch(/^(documented|observed|assumption)\b/);
      if (r.confidence.startsWith('assumption')) expect(r.confidence, `${r.id}: what evidence would settle it?`).toMatch(/settle|would|shown|confirm/);
    }
  });

  it('every fake-CLI output with no public log behind it is marked reconstructed', () => {
    const dir = path.join(root, 'test/fake-cubeprogrammer');
    const unmarked: string[] = [];
    let marked = 0;
    for (const f of filesUnder(dir)) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/reconstructed/i.test(line)) marked++;
          else if (/\/\/.*\b(unknown (exact )?texts?|unknown combination|guess)\b|^\s*\/\/ *unknown\b/i.test(line)) unmarked.push(`${path.basename(f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(unmarked, 'say "reconstructed" where no public log shows the output').toEqual([]);
    expect(marked).toBeGreaterThan(15);
  });

  it("every row's test exists (file under test/simulator, and a test title containing the words)", () => {
    for (const r of all) {
      const m = /^(\S+\.test\.ts) › (.+)$/.exec(r.test);
      expect(m, `${r.id}: test cell "${r.test}" is not "<file> › <title words>"`).not.toBeNull();
      const file = path.join(root, 'test/simulator', m![1]!);
      expect(existsSync(file), `${r.id}: ${m![1]} does not exist`).toBe(true);
      const text = readFileSync(file, 'utf8');
      const titles = [...text.matchAll(/\b(?:it|test|describe)\((['"`])(.*?)\1,/g)].map((t) => t[2]!);
      expect(titles.some((t) => t.includes(m![2]!)), `${r.id}: no test titled "${m![2]}" in ${m![1]}`).toBe(true);
    }
  });
});
