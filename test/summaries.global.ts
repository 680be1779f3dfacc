/**
 * Vitest global setup: the hardening suites (bad manifests, tampered images, fault injection, field
 * stories) record their summary lines (test/hardening/summary.ts); they are printed together at the end
 * of the run, so `npm test` and a CI log show them in one place.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'copro-test-summaries-'));
  const file = path.join(dir, 'summaries.ndjson');
  process.env.COPRO_TEST_SUMMARY_FILE = file;
  return () => {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; line: string });
      if (lines.length) process.stdout.write(`\nHardening summaries:\n${lines.map((l) => `  ${l.line}`).join('\n')}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
