/**
 * A plan as people read it, in the manner of `terraform plan`: what changes (from -> target), the numbered
 * steps with image, address and why, warnings, assumptions, and one closing line. Pure.
 */
import type { Plan, Step } from './types.js';

export interface FormatOptions {
  color: boolean;
}

const ANSI = { bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' } as const;
type Style = Exclude<keyof typeof ANSI, 'reset'>;

export function formatPlan(plan: Plan, opts: FormatOptions): string {
  const paint = (style: Style, text: string) => (opts.color ? `${ANSI[style]}${text}${ANSI.reset}` : text);
  const out: string[] = [];

  out.push(`${paint('bold', 'copro plan')} for ${plan.device}`);
  out.push(`  FUS    ${change(plan.from.fus, plan.target.fus, paint)}`);
  out.push(`  stack  ${change(plan.from.stack, plan.target.stack, paint)}`);
  if (plan.from.antiRollback !== undefined || plan.target.antiRollback !== undefined) {
    const ar = (v: boolean | undefined) => (v === undefined ? 'unknown' : v ? 'active' : 'inactive');
    out.push(`  anti-rollback  ${change(ar(plan.from.antiRollback), ar(plan.target.antiRollback), paint)}`);
  }
  out.push('');

  if (plan.steps.length > 0) {
    out.push('copro will perform these steps:');
    out.push('');
    for (const step of plan.steps) out.push(...formatStep(step, paint));
  }

  if (plan.warnings.length > 0) {
    out.push(paint('yellow', 'Warnings:'));
    for (const w of plan.warnings) out.push(`  ${paint('yellow', '!')} ${w}`);
    out.push('');
  }
  if (plan.assumptions.length > 0) {
    out.push('Assumptions (where ST\'s sources are unsure):');
    for (const a of plan.assumptions) out.push(`  ~ ${a}`);
    out.push('');
  }

  if (plan.status === 'refused') {
    for (const r of plan.refusals) {
      out.push(`${paint('red', 'Refused:')} ${paint('bold', r.code)}`);
      out.push(`  ${r.message}`);
      out.push(`  Remedy: ${r.remedy}`);
      out.push(`  ${paint('dim', `Source: ${r.source}`)}`);
    }
    out.push('');
    out.push(paint('red', 'Nothing will be done to the board.'));
  } else if (plan.status === 'up-to-date') {
    out.push(paint('green', 'No changes. The board matches the manifest.'));
  } else {
    const irreversible = plan.steps.filter((s) => s.irreversible).length;
    const n = plan.steps.length;
    out.push(paint('bold', `Plan: ${n} step${n === 1 ? '' : 's'} (${irreversible} irreversible).`));
  }
  return out.join('\n') + '\n';
}

function change(from: string, to: string, paint: (s: Style, t: string) => string): string {
  return from === to ? `${from} ${paint('dim', '(unchanged)')}` : `${from} ${paint('cyan', '->')} ${paint('bold', to)}`;
}

function formatStep(step: Step, paint: (s: Style, t: string) => string): string[] {
  const lines: string[] = [];
  const tag = step.irreversible ? `  ${paint('red', '[irreversible]')}` : '';
  lines.push(`  ${paint('green', `${step.n}.`)} ${paint('bold', step.title)}${tag}`);
  const pad = '       ';
  if (step.image) {
    const img = step.image;
    const where = img.path ?? (img.origin === 'catalog' ? 'ST catalog, to fetch' : img.origin);
    lines.push(`${pad}image:    ${img.name}  ${img.kind === 'fus' ? 'FUS' : (img.stackType ?? img.kind)} ${img.version}  (${where}; sha256 ${img.sha256.slice(0, 16)}...)`);
  }
  if (step.address) lines.push(`${pad}address:  ${step.address}`);
  lines.push(`${pad}why:      ${step.reason}`);
  lines.push(`${pad}${paint('dim', `rule:     ${step.rule}`)}`);
  for (const w of step.warnings) lines.push(`${pad}${paint('yellow', '!')} ${w}`);
  lines.push('');
  return lines;
}
