/**
 * One board's planned steps, run and verified, told as run events (schemas/events.schema.json) and nothing
 * else: no terminal, no files, no Node imports. A browser page renders the events in its DOM; `copro apply`
 * (apply.ts) renders the same step rules with listr2. Each step is judged by the board read back (runStep),
 * and the run ends by re-planning from the last verified read: a board not at the target fails.
 */
import type { Driver } from '../drivers/driver.js';
import { deviceByKey } from '../domain/devices.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';
import type { Plan, Step, Target } from '../planner/types.js';
import { stamp, type EventSink } from './events.js';
import { FLASH_ONLY_STEPS, runStep } from './execute.js';
import type { VerifiedImage } from './image-check.js';
import { powerLossAdvice } from './power-loss.js';

export type PlanFn = (input: { state: BoardState; target: Target; images: readonly AvailableImage[] }) => Plan;

/** The stack as a person reads it: `BLE_Stack_full 1.24.0 (running)`. */
export function describeStack(s: BoardState): string {
  if (s.stack.status === 'none') return 'none';
  if (s.stack.status === 'unknown') return 'unknown';
  const known = s.stack.type && s.stack.type !== 'unknown';
  const facts = [known ? '' : 'type not reported by FUS', s.stack.running === true ? 'running' : s.stack.running === false ? 'not running' : ''].filter(Boolean);
  return `${known ? `${s.stack.type} ` : ''}${s.stack.version ?? 'unknown'}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

export interface RunPlanOptions {
  /** The board's serial, as in the events. */
  board: string;
  driver: Driver;
  plan: Plan;
  /** The read the plan was made from. */
  state: BoardState;
  target: Target;
  images: readonly AvailableImage[];
  planFn: PlanFn;
  emit: EventSink;
  signal: AbortSignal;
  /** Re-checks a step's image right before writing it (sha256 against the plan) and gives the checked bytes; see runStep. */
  verifiedImage: (step: Step) => Promise<VerifiedImage | undefined>;
  applicationFile?: string;
}

export interface RunPlanResult {
  result: 'provisioned' | 'failed' | 'interrupted';
  finalState?: BoardState;
  error?: string;
  errorCode?: string;
  notes: string[];
  /** Steps done but not verifiable by read-back: the board is then never "verified". */
  notVerifiable: string[];
}

/** Runs the plan's steps in order, stopping at the first that fails or is not verified; then the convergence check. */
export async function runPlan(o: RunPlanOptions): Promise<RunPlanResult> {
  const { plan, driver, board } = o;
  const notes: string[] = [];
  const notVerifiable: string[] = [];
  let lastFull = o.state;
  let latest: BoardState | undefined;
  // Where FUS must have put a stack the step wrote (flash top, page size): as apply.ts.
  const key = o.target.device ?? o.state.device.key;
  const device = key && key !== 'unknown' ? deviceByKey(key) : undefined;
  for (const step of plan.steps) {
    if (o.signal.aborted) return { result: 'interrupted', error: 'interrupted before this step', errorCode: 'ABORTED', notes, notVerifiable };
    o.emit(stamp({ type: 'step-started', board, step: step.n, kind: step.kind, title: step.title }));
    const outcome = await runStep(step, {
      driver,
      signal: o.signal,
      verifiedImage: o.verifiedImage,
      ...(o.target.application?.end !== undefined ? { applicationEnd: o.target.application.end } : {}),
      ...(device ? { device } : {}),
      ...(o.applicationFile !== undefined ? { applicationFile: o.applicationFile } : {}),
      lastFullState: lastFull,
      onProgress: (pr) =>
        o.emit(stamp({ type: 'step-progress', board, step: step.n, phase: pr.phase, ...(pr.percent !== undefined ? { percent: Math.max(0, Math.min(100, pr.percent)) } : {}), ...(pr.fusState ? { fusState: pr.fusState } : {}), ...(pr.message ? { message: pr.message } : {}) })),
    });
    notes.push(...outcome.notes.map((n) => `step ${step.n}: ${n}`));
    if (outcome.ok) {
      const s = outcome.state!;
      if (!FLASH_ONLY_STEPS.has(step.kind)) lastFull = s;
      latest = s;
      if (outcome.verification === 'not-verifiable') {
        notVerifiable.push(step.title);
        o.emit(stamp({ type: 'step-finished', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, verified: {}, verification: 'not-verifiable', unverifiable: outcome.unverifiable ?? 'no read-out', observed: { fus: s.fus.version, fusState: s.fus.state, fusError: s.fus.error, cpu2: s.cpu2, stack: describeStack(s) } }));
      } else {
        o.emit(stamp({ type: 'step-finished', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, verified: { fus: s.fus.version, cpu2: s.cpu2, stack: describeStack(s) }, verification: 'read-back' }));
      }
      continue;
    }
    const interrupted = outcome.error?.code === 'ABORTED' || o.signal.aborted;
    let message = outcome.error?.message ?? 'failed';
    if (!interrupted) {
      const said = [message, outcome.report?.error ?? '', ...(outcome.report?.messages ?? [])].join(' ');
      const advice = powerLossAdvice(step, outcome.error?.code, said);
      if (advice) message = `${message}. ${advice}`;
    }
    o.emit(stamp({ type: 'step-failed', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, error: message, code: outcome.error?.code ?? 'ERROR', mismatches: outcome.mismatches, ...(outcome.error?.logFile ? { logFile: outcome.error.logFile } : {}) }));
    return {
      result: interrupted ? 'interrupted' : 'failed',
      ...(outcome.state ? { finalState: outcome.state } : {}),
      error: interrupted ? `interrupted during step ${step.n} (${step.title}); the step was in flight: apply again to re-read the board and continue from where it really is` : message,
      errorCode: outcome.error?.code ?? 'ERROR',
      notes,
      notVerifiable,
    };
  }
  // The last step was verified by its own read-back: re-planning from it is the convergence check.
  const finalState = latest ?? (await driver.readState({ signal: o.signal }));
  const again = o.planFn({ state: finalState, target: o.target, images: o.images });
  if (again.status !== 'up-to-date') {
    const msg = `the board did not converge: after the plan ran, copro still plans ${again.status === 'refused' ? 'a refusal' : `${again.steps.length} step(s)`} (${again.steps.map((s) => s.title).join('; ') || again.refusals.map((r) => r.code).join(', ')})`;
    o.emit(stamp({ type: 'step-failed', board, step: plan.steps.length + 1, kind: 'final-verify', error: msg, code: 'NOT_CONVERGED', durationMs: 0 }));
    return { result: 'failed', finalState, error: msg, errorCode: 'NOT_CONVERGED', notes, notVerifiable };
  }
  return { result: 'provisioned', finalState, notes, notVerifiable };
}
