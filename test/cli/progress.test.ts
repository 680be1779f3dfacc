/**
 * Progress with percentages in `copro apply`'s text output: a write shows its percentage and bytes; without a
 * terminal (a log, CI) one line per milestone (0, 25, 50, 75, 100 %), not one per block.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_START, makeProject, removeProjects } from './helpers.js';
import { progressReporter, progressText } from '../../src/cli/progress.js';

afterAll(removeProjects);

describe('progress wording', () => {
  it('a write: percentage, bytes in KB, address', () => {
    expect(progressText({ phase: 'download', bytes: { done: 112_640, total: 249_856 }, message: 'writing 249856 bytes at 0x80D0000' })).toBe('writing 45 % (110/244 KB) at 0x80D0000');
    expect(progressText({ phase: 'install', fusState: 'FUS_UPGRADE_ONGOING' })).toBe('install FUS_UPGRADE_ONGOING');
    expect(progressText({ phase: 'download', percent: 42.4, message: 'erasing the staging area' })).toBe('download 42 % erasing the staging area');
  });

  it('without a terminal: a 1000-block write is five lines (the milestones); on a terminal every event', () => {
    const total = 1000 * 256;
    const events = Array.from({ length: 1001 }, (_, k) => ({ phase: 'download' as const, bytes: { done: k * 256, total }, message: 'writing at 0x80D0000' }));
    const log = progressReporter(false);
    const shown = events.map((e) => log('B1', { n: 3 }, e)).filter((x) => x !== undefined);
    expect(shown.map((l) => Number(/writing (\d+) %/.exec(l)![1]))).toEqual([0, 25, 50, 75, 100]);
    const live = progressReporter(true);
    expect(events.map((e) => live('B1', { n: 3 }, e)).filter((x) => x !== undefined)).toHaveLength(1001);
    // Each board and step has its own milestones.
    expect(log('B2', { n: 3 }, events[0]!)).toMatch(/^writing 0 %/);
  });
});

describe('copro apply without a terminal', () => {
  it('prints each write\'s percentages, milestone by milestone, and no flood', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const r = await p.copro(['apply', m, '--simulate', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    const writes = r.stdout.split('\n').filter((l) => /writing \d+ %/.test(l));
    // Three images written (FUS 1.2.0, FUS 2.2.0, the stack), five milestones each.
    expect(writes).toHaveLength(15);
    for (const [i, total] of [[0, '24'], [5, '24'], [10, '126']] as const) {
      const pcts = writes.slice(i, i + 5).map((l) => Number(/writing (\d+) %/.exec(l)![1]));
      expect(pcts[0]).toBe(0);
      expect(pcts[4]).toBe(100);
      expect([...pcts].sort((a, b) => a - b)).toEqual(pcts);
      expect(writes[i + 4]).toMatch(new RegExp(`writing 100 % \\(${total}/${total} KB\\)`));
    }
  });
});
