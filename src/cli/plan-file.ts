/**
 * Plan files (schemas/plan-file.schema.json): `copro plan <manifest> --out plan.json` writes the reviewed plan;
 * `copro apply plan.json` carries out exactly that plan, or refuses (exit 3) showing what changed.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { PlanFile } from '../generated/plan-file.js';
import type { Plan } from '../planner/types.js';
import type { BoardState } from '../generated/board-state.js';
import { assertValid, SchemaValidationError } from '../schemas.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { writeFileAtomic } from './atomic.js';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

function coproVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function writePlanFile(file: string, o: { manifestFile: string; simulated: boolean; port: string; boards: { serial: string; plan: Plan; state: BoardState }[] }): Promise<void> {
  const doc: PlanFile = {
    planFileVersion: 1,
    createdAt: new Date().toISOString(),
    copro: coproVersion(),
    manifest: { path: path.relative(path.dirname(path.resolve(file)), path.resolve(o.manifestFile)) || path.basename(o.manifestFile), sha256: await sha256Of(o.manifestFile) },
    connection: { simulated: o.simulated, port: o.port },
    boards: o.boards.map((b) => ({ board: b.serial, plan: b.plan, state: b.state })) as PlanFile['boards'],
  };
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n');
}

/** A `.json` argument to `apply` is a plan file (a manifest is YAML). */
export function looksLikePlanFile(arg: string): boolean {
  return arg.toLowerCase().endsWith('.json');
}

export async function readPlanFile(file: string): Promise<{ doc: PlanFile; manifestFile: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the plan file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.INVALID_INPUT, 'make one with `copro plan <manifest> --out plan.json`');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file} is not JSON: ${(e as Error).message}`, EXIT.INVALID_INPUT, 'make one with `copro plan <manifest> --out plan.json`');
  }
  let doc: PlanFile;
  try {
    doc = assertValid<PlanFile>('plan-file', json, `plan file ${file}`);
  } catch (e) {
    if (e instanceof SchemaValidationError) throw new CliError(e.message, EXIT.INVALID_INPUT, 'make a new one with `copro plan <manifest> --out plan.json`');
    throw e;
  }
  const manifestFile = path.resolve(path.dirname(path.resolve(file)), doc.manifest.path);
  let now: string;
  try {
    now = await sha256Of(manifestFile);
  } catch {
    throw new CliError(`the plan in ${file} was made from ${manifestFile}, which is gone`, EXIT.REFUSED, 'run `copro plan <manifest> --out ' + file + '` again and review it');
  }
  if (now !== doc.manifest.sha256) {
    throw new CliError(`the manifest ${doc.manifest.path} changed since the plan in ${file} was made (sha256 ${doc.manifest.sha256.slice(0, 12)}... then, ${now.slice(0, 12)}... now); nothing was done`, EXIT.REFUSED, `run \`copro plan ${doc.manifest.path} --out ${file}\` again and review it`);
  }
  return { doc, manifestFile };
}

/** What identifies a step for "the same plan": what it does, to which address, with which image's bytes, expecting what. */
function stepLine(s: Plan['steps'][number]): string {
  const expect = Object.entries(s.expect ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${s.n}. ${s.title}${s.address ? ` at ${s.address}` : ''}${s.image ? ` (image sha256 ${s.image.sha256})` : ''}${expect ? ` [expects ${expect}]` : ''}`;
}

function planLines(p: Plan): string[] {
  return [`status ${p.status}, device ${p.device}, from FUS ${p.from.fus} / stack ${p.from.stack}, to FUS ${p.target.fus} / stack ${p.target.stack}`, ...p.steps.map(stepLine), ...p.refusals.map((r) => `refused: ${r.code}`)];
}

/** The difference between the reviewed plan and the one the board and images call for now ([] when the same). */
export function planDifference(reviewed: Plan, now: Plan): string[] {
  const a = planLines(reviewed);
  const b = planLines(now);
  if (a.length === b.length && a.every((l, i) => l === b[i])) return [];
  const out: string[] = [];
  for (const l of a) if (!b.includes(l)) out.push(`  - ${l}`);
  for (const l of b) if (!a.includes(l)) out.push(`  + ${l}`);
  return out.length ? out : ['  (the same steps in another order)'];
}
