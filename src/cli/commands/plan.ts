/**
 * `copro plan`: read the board (or a snapshot) and print the steps. Touches nothing and costs nothing: its
 * drivers are opened for free reads only (no reset, no FUS start, no SWD FUS operator), so what only such a
 * read could tell is "unknown", and the plan says so.
 */
import path from 'node:path';
import type { BoardState } from '../../generated/board-state.js';
import { plan, formatPlan } from '../../planner/index.js';
import { readSnapshot } from '../../drivers/snapshot.js';
import { acquireBoardLock } from '../../runner/lock.js';
import { EXIT } from '../exit-codes.js';
import { assertReadyBeforeBoard, resolveSession, openDriver, stateDir, simulatorDir, type CommonOptions, lockDir, lockObserver } from '../session.js';
import { selectBoards } from '../boards.js';
import { useColor } from '../output.js';
import { writeJson } from '../json-output.js';
import { writePlanFile } from '../plan-file.js';
import { CliError } from '../cli-error.js';
import type { PlanOutput } from '../../generated/cli-output.js';
import type { Plan } from '../../planner/types.js';
import { isQuiet } from '../verbosity.js';

export interface PlanOptions extends CommonOptions {
  state?: string;
  /** Write the plan to this file, for `copro apply <file>` (schemas/plan-file.schema.json). */
  out?: string;
  detailedExitcode?: boolean;
}

export async function planCommand(manifestFile: string, opts: PlanOptions): Promise<number> {
  if (opts.out && opts.state) throw new CliError('--out writes a plan of the boards themselves; a plan from --state (a snapshot) cannot be applied', EXIT.INVALID_INPUT, 'drop --state, or drop --out');
  const s = await resolveSession(manifestFile, opts);
  assertReadyBeforeBoard(s);
  const states: { serial: string; state: BoardState }[] = [];
  if (opts.state) {
    states.push({ serial: path.basename(opts.state), state: await readSnapshot(opts.state) });
  } else {
    const conn = s.loaded.manifest.connection;
    for (const b of await selectBoards(s, opts)) {
      const lock = await acquireBoardLock(lockDir(s.simulated), b.serial);
      try {
        const driver = await openDriver({ simulated: s.simulated, serial: b.portOnly ? undefined : b.serial, port: b.port ?? s.port, transport: s.transport, cubeprogrammer: opts.cubeprogrammer ?? conn?.cubeprogrammer, mode: conn?.mode, baudrate: conn?.baudrate, timeoutSeconds: conn?.timeoutSeconds, logDir: path.join(stateDir(), 'logs'), onChild: lockObserver(lock), access: 'free' });
        try {
          states.push({ serial: b.serial, state: await driver.readState({ scope: 'free' }) });
        } finally {
          await driver.close();
        }
      } finally {
        await lock.release();
      }
    }
  }
  const plans = states.map(({ serial, state }) => ({ serial, state, plan: plan({ state, target: s.target, images: s.images }) }));
  if (opts.out) {
    await writePlanFile(opts.out, { manifestFile: s.loaded.file, simulated: s.simulated, port: s.port, boards: plans });
  }
  if (opts.json) {
    // One shape whatever the board count (schemas/cli-output.schema.json).
    writeJson({ schemaVersion: 1, command: 'plan', boards: plans.map((p) => ({ board: p.serial, plan: p.plan })) } satisfies PlanOutput);
  } else {
    for (const p of plans) {
      if (isQuiet()) {
        // The result in its shortest form: one line per step (docs/cli.md).
        process.stdout.write(briefPlan(p.plan, plans.length > 1 ? p.serial : undefined));
        continue;
      }
      if (plans.length > 1) process.stdout.write(`\n== board ${p.serial} ==\n`);
      process.stdout.write(formatPlan(p.plan, { color: useColor(opts) }) + '\n');
      const unread = notReadForFree(p.state);
      if (unread.length) process.stdout.write(`Not read (copro plan reads only what costs nothing):\n${unread.map((n) => `  ${n}`).join('\n')}\n${p.plan.status === 'refused' ? `  To plan from a full read: \`copro apply --dry-run\` (reads at that cost, changes nothing else), or \`copro status --full --save board.json\` then \`copro plan --state board.json\`.\n` : ''}`);
    }
    if (isQuiet()) {
      /* the notes below are not the result */
    } else if (s.simulated && !opts.state) process.stdout.write(`(simulated board in ${simulatorDir()}; images without a local file are deterministic stand-ins)\n`);
    if (opts.out && !isQuiet()) process.stdout.write(`\nSaved the plan to ${opts.out}. To carry out exactly this plan: copro apply ${opts.out}\n`);
  }
  if (plans.some((p) => p.plan.status === 'refused')) return EXIT.REFUSED;
  if (opts.detailedExitcode && plans.some((p) => p.plan.status === 'changes')) return EXIT.CHANGES;
  return EXIT.OK;
}

/** `plan --quiet`: the status and one line per step (or the refusals), nothing else. */
export function briefPlan(p: Plan, board?: string): string {
  const who = board ? `${board}: ` : '';
  if (p.status === 'up-to-date') return `${who}nothing to do\n`;
  if (p.status === 'refused') return `${who}refused\n${p.refusals.map((r) => `  ${r.code}: ${r.message}\n  remedy: ${r.remedy}\n`).join('')}`;
  const irreversible = p.steps.filter((x) => x.irreversible).length;
  return `${who}${p.steps.length} step${p.steps.length === 1 ? '' : 's'}${irreversible ? ` (${irreversible} irreversible)` : ''}\n${p.steps.map((x) => `  ${x.n}. ${x.title}${x.irreversible ? '  [irreversible]' : ''}\n`).join('')}`;
}

/** The `unknown: ...` notes of a free read: what it could not know, and what reading it would cost. */
export function notReadForFree(state: BoardState): string[] {
  return state.notes.filter((n) => n.startsWith('unknown:'));
}
