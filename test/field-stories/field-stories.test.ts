/**
 * Every field report P1..P64 as a story against copro (harness.ts): prevented, reproduced, handled, or
 * not testable with a reason. A story whose outcome is not the one it expects is "missed" and fails.
 * The run prints one summary line, e.g. `field stories: 64 total, ... 0 missed`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runStory, summaryLine, type Story, type Verdict } from './harness.js';
import { STORIES_1 } from './stories-1.js';
import { STORIES_2 } from './stories-2.js';
import { recordSummary } from '../hardening/summary.js';

const STORIES: Story[] = [...STORIES_1, ...STORIES_2];
const results: { story: Story; verdict: Verdict }[] = [];
const only = process.env.COPRO_STORIES?.split(',');

afterAll(() => {
  if (results.length === 0) return;
  const line = summaryLine(results);
  const missed = results.filter((r) => r.verdict.outcome === 'missed').map((r) => `  missed ${r.story.id}: ${r.verdict.why.slice(0, 400)}`);
  console.log([line, ...missed].join('\n'));
  recordSummary('field stories', line);
});

describe('field stories', () => {
  it('cover every field report P1..P64 exactly once', () => {
    expect(STORIES.map((s) => s.id)).toEqual(Array.from({ length: 64 }, (_, i) => `P${i + 1}`));
    for (const s of STORIES.filter((x) => x.expect === 'not-testable')) expect(s.reason?.length ?? 0).toBeGreaterThan(30);
  });

  it.each(STORIES.filter((s) => !only || only.includes(s.id)).map((s) => [`${s.id} (${s.expect}): ${s.title}`, s] as const))('%s', async (_name, story) => {
    let verdict = await runStory(story);
    if (verdict.outcome !== story.expect && verdict.outcome !== 'missed') verdict = { outcome: 'missed', why: `ended ${verdict.outcome} (${verdict.why}), the story expects ${story.expect}` };
    results.push({ story, verdict: story.blockedBy && verdict.outcome === 'missed' ? { outcome: 'missed', why: `blocked: ${story.blockedBy} is not modelled yet (${verdict.why.slice(0, 160)})` } : verdict });
    if (story.blockedBy && verdict.outcome === 'missed') return;
    expect(verdict.outcome, verdict.why).toBe(story.expect);
  }, 90_000);
});
