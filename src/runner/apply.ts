/**
 * apply: the imperative shell around the pure planner (Terraform's plan/apply contract).
 *   1. per board: take the board lock, read its state, plan (pure);
 *   2. show the plans, ask once before irreversible steps (unless --yes), stop here on --dry-run;
 *   3. per board, concurrently (bounded): run each step through the driver, verify it by read-back;
 *   4. re-read and re-plan: a provisioned board must plan to nothing (convergence), else it failed.
 * One failing board never stops the others; every board keeps its own driver, log and result.
 */
import { Listr, type ListrTask } from 'listr2';
import type { Driver, Progress } from '../drivers/driver.js';
import { DriverError } from '../drivers/driver.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';
import type { Plan, Target } from '../planner/types.js';
import { acquireBoardLock, BoardLockedError, chipLockKey, combinedLock, type BoardLock, type CombinedLock } from './lock.js';
import { stamp, type EventSink } from './events.js';
import { swdReadWouldDestroyApplication } from './swd-guard.js';
import type { StepOutcome } from './execute.js';
import { describeStack, StepRunner, wantedType } from './run-plan.js';
import { preflight, privateVerifiedCopy } from './preflight.js';
import { recoverAfterSwdFailure, describeRecovery, type SwdRecovery } from './swd-recovery.js';
import { fusDamageDiagnosis, fusDamageFrom, powerLossAdvice } from './power-loss.js';
import { memoryFile, recallBoard, rememberBoard } from './board-memory.js';

export type PlanFn = (input: { state: BoardState; target: Target; images: readonly AvailableImage[] }) => Plan;

export interface BoardSpec {
  serial: string;
  name?: string;
  /** Opens the board's driver once its lock is held (the lock records the tool processes the driver starts). */
  open: (lock?: BoardLock) => Promise<Driver>;
}

export type BoardResultKind = 'provisioned' | 'up-to-date' | 'refused' | 'failed' | 'planned' | 'interrupted';

export interface BoardResult {
  serial: string;
  name?: string;
  result: BoardResultKind;
  plan?: Plan;
  finalState?: BoardState;
  error?: string;
  errorCode?: string;
  logFile?: string;
  notes: string[];
  /** Steps done but not verifiable by read-back (irreversible, no read-out here): the board is never "verified". */
  notVerifiable?: string[];
  /** Over SWD, after a failure (or a run that stopped after reading): what was put back of what the FUS operator took. */
  recovery?: SwdRecovery;
  durationMs: number;
}

export interface ApplyOptions {
  target: Target;
  images: readonly AvailableImage[];
  plan: PlanFn;
  dryRun: boolean;
  concurrency: number;
  renderer: 'default' | 'simple' | 'silent';
  emit: EventSink;
  signal: AbortSignal;
  lockDir: string;
  waitLockMs?: number;
  applicationFile?: string;
  /** Shown the plans of all boards that have changes; resolves false to stop before touching anything. */
  confirm: (plans: { serial: string; plan: Plan }[]) => Promise<boolean>;
  /** Checks the plans before anything is touched (copro.lock); throws to stop the run. */
  checkPlans?: (plans: Plan[]) => Promise<void>;
  /** Words a step's progress for the live output; undefined leaves that event out (default: phase, percent, message). */
  progressText?: (board: string, step: Plan['steps'][number], progress: Progress) => string | undefined;
  /** Called with each board's plan before execution (human output). */
  showPlan?: (serial: string, plan: Plan) => void;
  /** Where the run's own human messages go (not listr's). */
  log?: (line: string) => void;
  /** Where copro remembers a chip between runs (a FUS found damaged: board-memory.ts). */
  memoryDir?: string;
}

interface Prepared {
  spec: BoardSpec;
  driver?: Driver;
  lock?: CombinedLock;
  state?: BoardState;
  plan?: Plan;
  result?: BoardResult;
  t0: number;
}

export { describeStack };

async function prepareBoard(p: Prepared, o: ApplyOptions): Promise<void> {
  const { spec } = p;
  try {
    p.lock = combinedLock(await acquireBoardLock(o.lockDir, spec.serial, { waitMs: o.waitLockMs, signal: o.signal, onWait: o.log }));
    if (p.lock.recoveredFrom) o.log?.(`board ${spec.serial}: recovered a stale lock left by pid ${p.lock.recoveredFrom.pid} (${p.lock.recoveredFrom.command})`);
    p.driver = await spec.open(p.lock);
    const swdLoss = await swdReadWouldDestroyApplication(p.driver, o.target, o.signal);
    if (swdLoss) {
      p.result = finish(p, o, { result: 'refused', error: `SWD_APPLICATION_LOSS: ${swdLoss}`, errorCode: 'SWD_APPLICATION_LOSS' });
      return;
    }
    p.state = await p.driver.readState({ signal: o.signal });
    // The chip itself, once its UID64 is read: another port or serial reaching the same chip is the same board.
    const chip = chipLockKey(p.state.device.uid64);
    if (chip) {
      const held = await acquireBoardLock(o.lockDir, chip, { waitMs: o.waitLockMs, signal: o.signal, onWait: o.log }).catch((e: unknown) => {
        throw e instanceof BoardLockedError ? new BoardLockedError(`${spec.serial} (chip UID64 ${p.state!.device.uid64}, reached by another port or serial)`, e.holder, e.childAtWork) : e;
      });
      p.lock.add(held);
    }
    p.plan = o.plan({ state: p.state, target: o.target, images: o.images });
    o.emit(stamp({ type: 'plan', board: spec.serial, status: p.plan.status, steps: p.plan.steps.length, plan: p.plan }));
  } catch (e) {
    const err = e as Error;
    const code = e instanceof BoardLockedError ? 'BOARD_LOCKED' : e instanceof DriverError ? e.code : err.name;
    o.emit(stamp({ type: 'step-failed', board: spec.serial, step: 0, kind: 'read-state', error: err.message, code, durationMs: Date.now() - p.t0 }));
    // A full read over SWD that failed half-way may already have loaded the operator.
    const recovery = p.driver && !o.signal.aborted && code !== 'BOARD_LOCKED' ? await recoverAfterSwdFailure(p.driver, o.target, undefined, o.signal) : undefined;
    p.result = finish(p, o, {
      result: o.signal.aborted ? 'interrupted' : 'failed',
      error: err.message,
      errorCode: code,
      logFile: e instanceof DriverError ? e.details.logFile : p.driver?.info().logFile,
      ...(recovery ? { recovery, notes: [describeRecovery(recovery)] } : {}),
    });
  }
}

function finish(p: Prepared, o: ApplyOptions, r: Omit<BoardResult, 'serial' | 'name' | 'durationMs' | 'notes'> & { notes?: string[] }): BoardResult {
  const result: BoardResult = { serial: p.spec.serial, name: p.spec.name, notes: [], ...r, durationMs: Date.now() - p.t0 };
  // FUS/stack only from a read that is still true: the final read, or the first one when nothing ran.
  const nothingRan = result.result === 'up-to-date' || result.result === 'refused' || result.result === 'planned';
  const s = result.finalState ?? (nothingRan ? p.state : undefined);
  const uid64 = (s ?? p.state)?.device.uid64;
  o.emit(
    stamp({
      type: 'board-finished',
      board: p.spec.serial,
      result: result.result,
      durationMs: result.durationMs,
      ...(uid64 ? { uid64 } : {}),
      ...(s ? { fus: s.fus.version, stack: describeStack(s, wantedType(o.target)) } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.logFile ? { logFile: result.logFile } : {}),
      ...(result.notVerifiable?.length ? { notVerifiable: result.notVerifiable } : {}),
      ...(result.recovery ? { recovery: result.recovery } : {}),
    }),
  );
  return result;
}

function stepTasks(p: Prepared, o: ApplyOptions, out: { result?: BoardResult }): ListrTask[] {
  const plan = p.plan!;
  const driver = p.driver!;
  const titles = new Map<number, (text: string) => void>();
  const runner = new StepRunner<SwdRecovery>({
    board: p.spec.serial,
    driver,
    plan,
    state: p.state!,
    target: o.target,
    emit: o.emit,
    signal: o.signal,
    verifiedImage: privateVerifiedCopy,
    ...(o.applicationFile !== undefined ? { applicationFile: o.applicationFile } : {}),
    onProgressText: (step, text, progress) => {
      // The CLI may word it (bytes and percentages) or leave a line out (milestones only in a log).
      const shown = o.progressText ? o.progressText(p.spec.serial, step, progress) : text;
      if (shown !== undefined) titles.get(step.n)?.(shown);
    },
    // Over SWD the operator took the application and nSWboot0: put them back before reporting.
    onFailure: async (step, outcome) => {
      const recovery = await recoverAfterSwdFailure(driver, o.target, plan, o.signal);
      const message = outcome.error ? await explainFailure(p, o, step, outcome) : 'failed';
      return { message, ...(recovery ? { recovery, note: describeRecovery(recovery) } : {}) };
    },
  });
  const { notes, notVerifiable } = runner;
  const tasks: ListrTask[] = plan.steps.map((step) => ({
    title: `${step.n}. ${step.title}`,
    task: async (_ctx, task) => {
      if (out.result) return task.skip('not run: an earlier step failed');
      if (o.signal.aborted) {
        out.result = finish(p, o, { result: 'interrupted', plan, error: 'interrupted before this step', errorCode: 'ABORTED' });
        return task.skip('interrupted');
      }
      titles.set(step.n, (text) => (task.output = text));
      const r = await runner.run(step);
      if (r.ok) {
        task.title = `${step.n}. ${step.title}: ${r.summary}`;
        return;
      }
      out.result = finish(p, o, {
        result: r.interrupted ? 'interrupted' : 'failed',
        plan,
        finalState: r.state,
        error: r.interrupted ? r.error.replace('apply again', 'run `copro apply` again') : r.error,
        errorCode: r.errorCode,
        logFile: r.logFile ?? driver.info().logFile,
        notes,
        notVerifiable,
        ...(r.recovery ? { recovery: r.recovery } : {}),
      });
      throw new Error(out.result.error);
    },
  }));
  tasks.push({
    title: 'Verify the board matches the manifest',
    task: async (_ctx, task) => {
      if (out.result) return task.skip('not run');
      // The last step was verified by its own read-back (merged onto the last full read after late SWD steps):
      // re-planning from it is the convergence check, without another read (each costs CLI calls and resets).
      const end = await runner.converged(o.images, o.plan);
      if (!end.ok) {
        const recovery = await recoverAfterSwdFailure(driver, o.target, plan, o.signal);
        if (recovery) notes.push(describeRecovery(recovery));
        out.result = finish(p, o, { result: 'failed', plan, finalState: end.state, error: end.error, errorCode: 'NOT_CONVERGED', notes, notVerifiable, ...(recovery ? { recovery } : {}) });
        throw new Error(end.error);
      }
      const finalState = end.state;
      task.title = notVerifiable.length
        ? `Read back: FUS ${finalState.fus.version}, stack ${describeStack(finalState, wantedType(o.target))}; done, not verifiable by read-back: ${notVerifiable.join(', ')}`
        : `Verified: FUS ${finalState.fus.version}, stack ${describeStack(finalState, wantedType(o.target))}`;
      out.result = finish(p, o, { result: 'provisioned', plan, finalState, notes, notVerifiable });
    },
  });
  return tasks;
}

export async function applyBoards(boards: readonly BoardSpec[], o: ApplyOptions): Promise<BoardResult[]> {
  const prepared: Prepared[] = boards.map((spec) => ({ spec, t0: Date.now() }));
  try {
    // Phase 1: read + plan, bounded concurrency.
    await runBounded(prepared, o.concurrency, (p) => prepareBoard(p, o));
    for (const p of prepared) {
      if (p.result || !p.plan) continue;
      const damaged = await knownFusDamage(p, o);
      if (damaged) {
        p.result = finish(p, o, { result: 'refused', plan: p.plan, error: `FUS_DAMAGED: ${damaged}`, errorCode: 'FUS_DAMAGED' });
        continue;
      }
      if (p.plan.status === 'refused') {
        const r = p.plan.refusals[0];
        // Over SWD the full read that led here ran the FUS operator: put back what it took.
        const recovery = await recoverAfterSwdFailure(p.driver!, o.target, undefined, o.signal);
        // The remedy goes with the refusal into every output (summary, NDJSON, JUnit), not only the plan text.
        p.result = finish(p, o, { result: 'refused', plan: p.plan, error: r ? `${r.code}: ${r.message} Remedy: ${r.remedy}` : 'refused', errorCode: r?.code, ...(recovery ? { recovery, notes: [describeRecovery(recovery)] } : {}) });
      } else if (p.plan.status === 'up-to-date') {
        p.result = finish(p, o, { result: 'up-to-date', plan: p.plan, finalState: p.state });
      }
      o.showPlan?.(p.spec.serial, p.plan);
    }
    const toRun = prepared.filter((p) => !p.result && p.plan?.status === 'changes');
    if (toRun.length === 0) return prepared.map((p) => p.result!);
    if (o.dryRun) {
      // A dry run checks the images against copro.lock like apply (it writes nothing).
      await o.checkPlans?.(toRun.map((p) => p.plan!));
      for (const p of toRun) {
        // Over SWD the full read ran the FUS operator: put back what it took.
        const recovery = await recoverAfterSwdFailure(p.driver!, o.target, p.plan, o.signal);
        p.result = finish(p, o, { result: 'planned', plan: p.plan, ...(recovery ? { recovery, notes: [describeRecovery(recovery)] } : {}) });
      }
      return prepared.map((p) => p.result!);
    }
    // Checksums before anything is touched (a changed or tampered file stops the whole run).
    for (const p of toRun) await preflight(p.plan!);
    await o.checkPlans?.(toRun.map((p) => p.plan!));
    if (!(await o.confirm(toRun.map((p) => ({ serial: p.spec.serial, plan: p.plan! }))))) {
      for (const p of toRun) {
        const recovery = await recoverAfterSwdFailure(p.driver!, o.target, p.plan, o.signal);
        p.result = finish(p, o, { result: 'planned', plan: p.plan, error: 'not confirmed: nothing was changed', errorCode: 'NOT_CONFIRMED', ...(recovery ? { recovery, notes: [describeRecovery(recovery)] } : {}) });
      }
      return prepared.map((p) => p.result!);
    }
    // Phase 2: execute with listr2, one task group per board.
    const outs = new Map<Prepared, { result?: BoardResult }>();
    const list = new Listr(
      toRun.map((p) => {
        const out: { result?: BoardResult } = {};
        outs.set(p, out);
        return {
          title: `Board ${p.spec.name ? `${p.spec.name} (${p.spec.serial})` : p.spec.serial}: ${p.plan!.from.fus} -> ${p.plan!.target.fus}, stack ${p.plan!.target.stack}`,
          task: (_ctx, task) => task.newListr(stepTasks(p, o, out), { concurrent: false, exitOnError: true, rendererOptions: { collapseSubtasks: false } }),
        } satisfies ListrTask;
      }),
      {
        concurrent: Math.max(1, o.concurrency),
        exitOnError: false,
        renderer: o.renderer,
        fallbackRenderer: 'simple',
        registerSignalListeners: false,
        collectErrors: false,
        rendererOptions: { collapseSubtasks: false },
      },
    );
    await list.run().catch(() => undefined);
    for (const p of toRun) {
      p.result = outs.get(p)?.result ?? finish(p, o, { result: o.signal.aborted ? 'interrupted' : 'failed', plan: p.plan, error: 'the run stopped before this board finished' });
    }
    return prepared.map((p) => p.result!);
  } finally {
    for (const p of prepared) {
      await p.driver?.close().catch(() => undefined);
      await p.lock?.release().catch(() => undefined);
    }
  }
}

/**
 * A failed step's message, with what copro knows about it: a FUS damaged for good (remembered, so the next
 * run refuses instead of repeating the update), or what a power cut during a FUS step leads to.
 */
async function explainFailure(p: Prepared, o: ApplyOptions, step: Plan['steps'][number], outcome: StepOutcome): Promise<string> {
  const message = outcome.error?.message ?? 'failed';
  const said = [message, outcome.report?.error ?? '', ...(outcome.report?.messages ?? [])].join(' ');
  const damage = fusDamageFrom(step, said, outcome.state, new Date());
  const uid = (outcome.state ?? p.state)?.device.uid64;
  if (damage && uid) {
    const file = o.memoryDir ? await rememberBoard(o.memoryDir, { uid64: uid, fusDamaged: damage }).catch(() => undefined) : undefined;
    // The damaged FUS still starts the installed stack (ST: "the current stack still runs"): leave the board working.
    let restarted = '';
    if (outcome.state?.stack.status === 'installed' && outcome.state.cpu2 !== 'stack' && p.driver) {
      const r = await p.driver.startStack({ signal: o.signal }).catch((e: Error) => ({ ok: false, error: e.message }));
      restarted = r.ok ? ' The installed wireless stack was started again.' : ` Starting the installed stack again failed too (${'error' in r ? r.error : 'no answer'}).`;
    }
    return `${fusDamageDiagnosis(damage, file)}${restarted} (${message})`;
  }
  const advice = powerLossAdvice(step, outcome.error?.code, said);
  return advice ? `${message}. ${advice}` : message;
}

/** A FUS this chip's memory says is damaged, when the plan would update it again: the diagnosis, else undefined. */
async function knownFusDamage(p: Prepared, o: ApplyOptions): Promise<string | undefined> {
  const uid = p.state?.device.uid64;
  if (!o.memoryDir || !uid || !p.plan?.steps.some((s) => s.kind === 'fus-upgrade' || s.kind === 'stack-install' || s.kind === 'stack-delete')) return undefined;
  const m = await recallBoard(o.memoryDir, uid);
  if (!m?.fusDamaged || m.fusDamaged.fusVersion !== p.state!.fus.version) return undefined;
  return fusDamageDiagnosis(m.fusDamaged, memoryFile(o.memoryDir, uid));
}

export async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
