/**
 * JUnit XML from run events: one <testsuite> per board, one <testcase> per plan step (plus the plan
 * itself), so CI systems show provisioning results natively. Steps never reached after a failure are
 * <skipped/>. A step done but not verifiable by read-back (anti-rollback) passes with a `verification`
 * property "not-verifiable" and says so in <system-out>: never presented as verified.
 */
import type { CoproEvent } from '../generated/events.js';

// XML 1.0 forbids these control characters even escaped; CLI transcripts can carry them.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(XML_INVALID, '');

interface Case {
  name: string;
  seconds: number;
  failure?: string;
  skipped?: string;
  /** How a passed step was judged (read-back / not-verifiable), and what to say about it. */
  verification?: string;
  out?: string;
}

type Ev<T extends CoproEvent['type']> = Extract<CoproEvent, { type?: T }> & { type: T };

export function junitFromEvents(events: readonly CoproEvent[], suiteName = 'copro apply'): string {
  const boards = new Map<string, { cases: Case[]; planned: { n: number; kind: string; title: string }[]; titles: Map<number, string> }>();
  const boardOf = (serial: string) => {
    let b = boards.get(serial);
    if (!b) boards.set(serial, (b = { cases: [], planned: [], titles: new Map() }));
    return b;
  };
  for (const e of events) {
    if (e.board === '-') continue;
    const b = boardOf(e.board);
    switch (e.type) {
      case 'plan': {
        const ev = e as Ev<'plan'>;
        const plan = ev.plan as { steps?: { n: number; kind: string; title: string }[]; refusals?: { code: string; message: string }[] };
        b.planned = plan.steps ?? [];
        for (const s of b.planned) b.titles.set(s.n, s.title);
        b.cases.push({
          name: 'plan',
          seconds: 0,
          failure: ev.status === 'refused' ? (plan.refusals ?? []).map((r) => `${r.code}: ${r.message}`).join('\n') : undefined,
        });
        break;
      }
      case 'step-finished': {
        const ev = e as Ev<'step-finished'>;
        const notVerifiable = ev.verification === 'not-verifiable';
        // The same words as the text output: a type FUS did not report is said so ("type not reported by FUS: expected ...").
        const v = ev.verified as { fus?: string; stack?: string; stackInstallAddress?: string };
        const readBack = v.fus !== undefined ? `verified by read-back: FUS ${v.fus}, stack ${v.stack ?? 'unknown'}${v.stackInstallAddress ? `, installed at ${v.stackInstallAddress}` : ''}` : undefined;
        b.cases.push({
          name: `step ${ev.step}: ${b.titles.get(ev.step) ?? ev.kind}`,
          seconds: ev.durationMs / 1000,
          verification: ev.verification ?? 'read-back',
          ...(notVerifiable ? { out: `done, not verifiable by read-back: ${ev.unverifiable ?? 'no read-out'}; judged by the tool's explicit success and the FUS state afterwards` } : readBack ? { out: readBack } : {}),
        });
        break;
      }
      case 'step-failed': {
        const ev = e as Ev<'step-failed'>;
        b.cases.push({ name: ev.step === 0 ? `${ev.kind}` : `step ${ev.step}: ${b.titles.get(ev.step) ?? ev.kind}`, seconds: (ev.durationMs ?? 0) / 1000, failure: `${ev.code}: ${ev.error}` });
        break;
      }
      case 'board-finished': {
        const done = new Set(b.cases.map((c) => c.name));
        for (const s of b.planned) {
          const name = `step ${s.n}: ${s.title}`;
          if (!done.has(name)) b.cases.push({ name, seconds: 0, skipped: 'not run: an earlier step failed or the run stopped' });
        }
        break;
      }
      default:
        break;
    }
  }
  const suites = [...boards.entries()].map(([serial, b]) => {
    const failures = b.cases.filter((c) => c.failure).length;
    const skipped = b.cases.filter((c) => c.skipped).length;
    const time = b.cases.reduce((t, c) => t + c.seconds, 0);
    const cases = b.cases
      .map((c) => {
        const open = `    <testcase classname="${esc(`copro.${serial}`)}" name="${esc(c.name)}" time="${c.seconds.toFixed(3)}"`;
        if (c.failure) return `${open}>\n      <failure message="${esc(c.failure.split('\n')[0] ?? '')}">${esc(c.failure)}</failure>\n    </testcase>`;
        if (c.skipped) return `${open}>\n      <skipped message="${esc(c.skipped)}"/>\n    </testcase>`;
        if (c.verification === 'not-verifiable') return `${open}>\n      <properties>\n        <property name="verification" value="not-verifiable"/>\n      </properties>\n      <system-out>${esc(c.out ?? '')}</system-out>\n    </testcase>`;
        if (c.out) return `${open}>\n      <system-out>${esc(c.out)}</system-out>\n    </testcase>`;
        return `${open}/>`;
      })
      .join('\n');
    return `  <testsuite name="${esc(`board ${serial}`)}" tests="${b.cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases}\n  </testsuite>`;
  });
  const total = [...boards.values()].reduce((n, b) => n + b.cases.length, 0);
  const failures = [...boards.values()].reduce((n, b) => n + b.cases.filter((c) => c.failure).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(suiteName)}" tests="${total}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
