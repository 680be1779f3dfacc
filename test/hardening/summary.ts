/**
 * The hardening summaries (bad manifests, tampered images, fault injection, field stories) printed once
 * more at the end of `npm test`, so a CI log shows them together. Each test file records its line; the
 * global teardown in test/summaries.global.ts prints them all.
 */
import { appendFileSync } from 'node:fs';

export function recordSummary(name: string, line: string): void {
  const file = process.env.COPRO_TEST_SUMMARY_FILE;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ name, line })}\n`);
}

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

/** Passed / failed / skipped tests of a finished suite or file (for an afterAll summary). */
export function countTests(suite: TaskLike): { passed: number; failed: number; total: number } {
  const tests: TaskLike[] = [];
  const walk = (t: TaskLike) => (t.type === 'test' ? tests.push(t) : t.tasks?.forEach(walk));
  walk(suite);
  const ran = tests.filter((t) => t.mode !== 'skip' && t.mode !== 'todo');
  const passed = ran.filter((t) => t.result?.state === 'pass').length;
  return { passed, failed: ran.length - passed, total: ran.length };
}
