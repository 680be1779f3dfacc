import { describe, expect, it } from 'vitest';
import { junitFromEvents } from '../../src/runner/junit.js';
import type { CoproEvent } from '../../src/runner/events.js';

const t = '2026-11-23T00:00:00.000Z';
const planOf = (n: number) => ({ steps: Array.from({ length: n }, (_, i) => ({ n: i + 1, kind: 'fus-upgrade', title: `step title ${i + 1}` })), refusals: [] });

describe('JUnit report', () => {
  it('has one suite per board, a case per step, failures and skipped steps counted', () => {
    const events = [
      { type: 'plan', time: t, board: 'A', status: 'changes', steps: 2, plan: planOf(2) },
      { type: 'step-finished', time: t, board: 'A', step: 1, kind: 'fus-upgrade', durationMs: 1500, verified: {} },
      { type: 'step-finished', time: t, board: 'A', step: 2, kind: 'fus-upgrade', durationMs: 500, verified: {} },
      { type: 'board-finished', time: t, board: 'A', result: 'provisioned', durationMs: 2000 },
      { type: 'plan', time: t, board: 'B<&>', status: 'changes', steps: 3, plan: planOf(3) },
      { type: 'step-finished', time: t, board: 'B<&>', step: 1, kind: 'fus-upgrade', durationMs: 100, verified: {} },
      { type: 'step-failed', time: t, board: 'B<&>', step: 2, kind: 'fus-upgrade', durationMs: 100, error: 'fus.version: expected "2.2.0"', code: 'VERIFY_FAILED' },
      { type: 'board-finished', time: t, board: 'B<&>', result: 'failed', durationMs: 200 },
    ] as CoproEvent[];
    const xml = junitFromEvents(events);
    expect(xml).toMatch(/<testsuites name="copro apply" tests="7" failures="1">/);
    expect(xml).toContain('<testsuite name="board A" tests="3" failures="0" errors="0" skipped="0" time="2.000">');
    expect(xml).toContain('<testsuite name="board B&lt;&amp;&gt;" tests="4" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('name="step 3: step title 3"');
    expect(xml).toContain('<failure message="VERIFY_FAILED: fus.version: expected &quot;2.2.0&quot;">');
  });

  it('reports a refused plan as a failed plan case', () => {
    const xml = junitFromEvents([
      { type: 'plan', time: t, board: 'C', status: 'refused', steps: 0, plan: { steps: [], refusals: [{ code: 'FUS_DOWNGRADE', message: 'no' }] } },
      { type: 'board-finished', time: t, board: 'C', result: 'refused', durationMs: 1 },
    ] as CoproEvent[]);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('FUS_DOWNGRADE: no');
  });
});
