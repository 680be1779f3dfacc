/**
 * How `copro apply` words a step's progress: writes with their percentage and bytes ("writing 45 % (11/24 KB)
 * at 0x080EC000"), other events as the driver reports them (phase, FUS state, message). A live terminal
 * redraws every event in place; a log (no TTY, CI) gets one line per milestone: each other event, and a
 * write at 0, 25, 50, 75 and 100 %, so a 240 KB stack is five lines, not hundreds.
 */
import type { Progress } from '../drivers/driver.js';

const MILESTONES = [0, 25, 50, 75, 100];

const kb = (n: number) => (n === 0 ? '0' : n >= 10 * 1024 ? String(Math.round(n / 1024)) : (n / 1024).toFixed(1));

export function progressText(p: Progress): string {
  if (p.bytes && p.bytes.total > 0) {
    const pct = Math.floor((p.bytes.done / p.bytes.total) * 100);
    const at = p.message?.match(/at (0x[0-9A-Fa-f]+)/)?.[1];
    return `writing ${pct} % (${kb(p.bytes.done)}/${kb(p.bytes.total)} KB)${at ? ` at ${at}` : ''}`;
  }
  return [p.phase, p.percent !== undefined ? `${Math.round(p.percent)} %` : '', p.fusState ?? '', p.message ?? ''].filter(Boolean).join(' ');
}

/**
 * A progress wording for the runner (ApplyOptions.progressText). `live`: every event (a TTY renderer redraws in
 * place); otherwise writes only when they reach the next milestone, and no line twice in a row.
 */
export function progressReporter(live: boolean): (board: string, step: { n: number }, p: Progress) => string | undefined {
  const lastLine = new Map<string, string>();
  const nextMilestone = new Map<string, number>();
  return (board, step, p) => {
    const key = `${board}#${step.n}`;
    const text = progressText(p);
    if (!live) {
      if (p.bytes && p.bytes.total > 0) {
        const pct = (p.bytes.done / p.bytes.total) * 100;
        const wkey = `${key}@${p.message ?? ''}`;
        const next = nextMilestone.get(wkey) ?? 0;
        if (pct < MILESTONES[next]!) return undefined;
        // Past this milestone (and any it skipped): the next one still ahead.
        let i = next;
        while (i < MILESTONES.length && pct >= MILESTONES[i]!) i++;
        nextMilestone.set(wkey, i);
      }
      if (lastLine.get(key) === text) return undefined;
    }
    lastLine.set(key, text);
    return text;
  };
}
