/**
 * One board's planned steps, run and verified, told as run events (schemas/events.schema.json): no terminal, no
 * files, no Node imports. `copro apply` (apply.ts) renders the steps with listr2 and a browser page renders the
 * events in its DOM, but both run each step through `StepRunner` here, so a step is judged the same way on every
 * path: by the board read back (runStep), with the stack's type and install address checked where they are read.
 * What only a shell can do after a failure (put back what the SWD operator took, remember a damaged FUS) comes
 * in as a hook.
 */
import type { Driver, Progress } from '../drivers/driver.js';
import { deviceByKey, isDeviceKey, type Device } from '../domain/devices.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';
import type { Plan, Step, Target } from '../planner/types.js';
import { stamp, type EventSink } from './events.js';
import { FLASH_ONLY_STEPS, runStep, type StepOutcome } from './execute.js';
import type { VerifiedImage } from './image-check.js';
import { powerLossAdvice } from './power-loss.js';

export type PlanFn = (input: { state: BoardState; target: Target; images: readonly AvailableImage[] }) => Plan;

/**
 * The stack as read back. A value copro did not read is never shown as read: in FUS mode FUS does not report the
 * stack's type (STM32CubeWB release notes, AN5185), so it says so and names the type it expected instead.
 */
export function describeStack(s: BoardState, expectedType?: string): string {
  if (s.stack.status === 'none') return 'none';
  if (s.stack.status === 'unknown') return 'unknown';
  const known = s.stack.type && s.stack.type !== 'unknown';
  const facts = [known ? '' : `type not reported by FUS${expectedType ? `: expected ${expectedType}` : ''}`, s.stack.running === true ? 'running' : s.stack.running === false ? 'not running' : ''].filter(Boolean);
  return `${known ? `${s.stack.type} ` : ''}${s.stack.version ?? 'unknown'}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

/** The stack type the manifest asks for, if it names one. */
export function wantedType(t: Target): string | undefined {
  return t.stack !== undefined && t.stack !== 'none' ? t.stack.type : undefined;
}

/** What a shell adds after a failed step: the message to report (explained) and what it put back, if anything. */
export interface FailureHandling<R = unknown> {
  message: string;
  recovery?: R;
  note?: string;
}

export interface StepRunnerOptions<R = unknown> {
  /** The board's serial, as in the events. */
  board: string;
  driver: Driver;
  plan: Plan;
  /** The read the plan was made from. */
  state: BoardState;
  target: Target;
  emit: EventSink;
  signal: AbortSignal;
  /** Re-checks a step's image right before writing it (sha256 against the plan) and gives the checked bytes; see runStep. */
  verifiedImage: (step: Step) => Promise<VerifiedImage | undefined>;
  applicationFile?: string;
  /** The step's progress as one line (a terminal renderer shows it beside the step). */
  onProgressText?: (step: Step, text: string, progress: Progress) => void;
  /** After a failed (not interrupted) step: explain it and put back what can be; by default the power-loss advice only. */
  onFailure?: (step: Step, outcome: StepOutcome) => Promise<FailureHandling<R>>;
}

export type StepResult<R = unknown> =
  | { ok: true; step: Step; state: BoardState; summary: string }
  | { ok: false; step: Step; interrupted: boolean; error: string; errorCode?: string; logFile?: string; state?: BoardState; recovery?: R };

/** The default explanation of a failed step: what FUS does at the next boot after a power loss, if that is what it was. */
export function explainWithPowerLossAdvice(step: Step, outcome: StepOutcome): FailureHandling<never> {
  const message = outcome.error?.message ?? 'failed';
  const said = [message, outcome.report?.error ?? '', ...(outcome.report?.messages ?? [])].join(' ');
  const advice = powerLossAdvice(step, outcome.error?.code, said);
  return { message: advice ? `${message}. ${advice}` : message };
}

/** Runs steps one at a time, keeping the last full read (what flash-only steps' reads are merged onto) and what was not verifiable. */
export class StepRunner<R = unknown> {
  readonly notes: string[] = [];
  readonly notVerifiable: string[] = [];
  private lastFull: BoardState;
  /** The last read-back of a step that succeeded. */
  latest: BoardState | undefined;
  private readonly device: Device | undefined;

  constructor(private readonly o: StepRunnerOptions<R>) {
    this.lastFull = o.state;
    // The device the plan was made for (the manifest's, else the board's own key): where FUS must have put a stack.
    this.device = isDeviceKey(o.plan.device) ? deviceByKey(o.plan.device) : undefined;
  }

  async run(step: Step): Promise<StepResult<R>> {
    const { o } = this;
    const board = o.board;
    o.emit(stamp({ type: 'step-started', board, step: step.n, kind: step.kind, title: step.title }));
    const outcome = await runStep(step, {
      driver: o.driver,
      signal: o.signal,
      verifiedImage: o.verifiedImage,
      ...(o.applicationFile !== undefined ? { applicationFile: o.applicationFile } : {}),
      ...(o.target.application?.end !== undefined ? { applicationEnd: o.target.application.end } : {}),
      ...(this.device ? { device: this.device } : {}),
      lastFullState: this.lastFull,
      onProgress: (pr) => {
        o.onProgressText?.(step, [pr.phase, pr.percent !== undefined ? `${Math.round(pr.percent)}%` : '', pr.fusState ?? '', pr.message ?? ''].filter(Boolean).join(' '), pr);
        o.emit(stamp({ type: 'step-progress', board, step: step.n, phase: pr.phase, ...(pr.percent !== undefined ? { percent: Math.max(0, Math.min(100, pr.percent)) } : {}), ...(pr.fusState ? { fusState: pr.fusState } : {}), ...(pr.message ? { message: pr.message } : {}) }));
      },
    });
    this.notes.push(...outcome.notes.map((n) => `step ${step.n}: ${n}`));
    if (outcome.ok) {
      const s = outcome.state!;
      if (!FLASH_ONLY_STEPS.has(step.kind)) this.lastFull = s;
      this.latest = s;
      const stack = describeStack(s, step.expect.stackType ?? wantedType(o.target));
      if (outcome.verification === 'not-verifiable') {
        this.notVerifiable.push(step.title);
        const why = outcome.unverifiable ?? 'no read-out';
        o.emit(stamp({ type: 'step-finished', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, verified: {}, verification: 'not-verifiable', unverifiable: why, observed: { fus: s.fus.version, fusState: s.fus.state, fusError: s.fus.error, cpu2: s.cpu2, stack } }));
        return { ok: true, step, state: s, summary: `done, not verifiable by read-back (${why}; the tool reported success)` };
      }
      // A stack install is verified by where FUS put the stack too (it installs the first footer below SFSA).
      const at = step.kind === 'stack-install' && s.stack.installAddress ? s.stack.installAddress : undefined;
      o.emit(stamp({ type: 'step-finished', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, verified: { fus: s.fus.version, cpu2: s.cpu2, stack, ...(at ? { stackInstallAddress: at } : {}) }, verification: 'read-back' }));
      return { ok: true, step, state: s, summary: `verified (FUS ${s.fus.version}, stack ${stack}${at ? `, installed at ${at}` : ''})` };
    }
    const interrupted = outcome.error?.code === 'ABORTED' || o.signal.aborted;
    // Ctrl-C means stop now: nothing is put back then (the next apply plans from where the board really is).
    const handled: FailureHandling<R> | undefined = interrupted ? undefined : await (o.onFailure ?? explainWithPowerLossAdvice)(step, outcome);
    if (handled?.note) this.notes.push(handled.note);
    const message = handled?.message ?? outcome.error?.message ?? 'failed';
    o.emit(stamp({ type: 'step-failed', board, step: step.n, kind: step.kind, durationMs: outcome.durationMs, error: message, code: outcome.error?.code ?? 'ERROR', mismatches: outcome.mismatches, ...(outcome.error?.logFile ? { logFile: outcome.error.logFile } : {}) }));
    return {
      ok: false,
      step,
      interrupted,
      error: interrupted ? `interrupted during step ${step.n} (${step.title}); the step was in flight: apply again to re-read the board and continue from where it really is` : message,
      ...(outcome.error?.code ? { errorCode: outcome.error.code } : {}),
      ...(outcome.error?.logFile ? { logFile: outcome.error.logFile } : {}),
      ...(outcome.state ? { state: outcome.state } : {}),
      ...(handled?.recovery !== undefined ? { recovery: handled.recovery } : {}),
    };
  }

  /** The convergence check: re-planning from the last verified read (or a new read) must find nothing to do. */
  async converged(images: readonly AvailableImage[], planFn: PlanFn): Promise<{ ok: true; state: BoardState } | { ok: false; state: BoardState; error: string }> {
    const { o } = this;
    const state = this.latest ?? (await o.driver.readState({ signal: o.signal }));
    const again = planFn({ state, target: o.target, images });
    if (again.status === 'up-to-date') return { ok: true, state };
    const error = `the board did not converge: after the plan ran, copro still plans ${again.status === 'refused' ? 'a refusal' : `${again.steps.length} step(s)`} (${again.steps.map((s) => s.title).join('; ') || again.refusals.map((r) => r.code).join(', ')})`;
    o.emit(stamp({ type: 'step-failed', board: o.board, step: o.plan.steps.length + 1, kind: 'final-verify', error, code: 'NOT_CONVERGED', durationMs: 0 }));
    return { ok: false, state, error };
  }
}

export interface RunPlanOptions extends StepRunnerOptions {
  images: readonly AvailableImage[];
  planFn: PlanFn;
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

/** Runs the plan's steps in order, stopping at the first that fails; then the convergence check (the page's runner). */
export async function runPlan(o: RunPlanOptions): Promise<RunPlanResult> {
  const runner = new StepRunner(o);
  const { notes, notVerifiable } = runner;
  for (const step of o.plan.steps) {
    if (o.signal.aborted) return { result: 'interrupted', error: 'interrupted before this step', errorCode: 'ABORTED', notes, notVerifiable };
    const r = await runner.run(step);
    if (!r.ok) return { result: r.interrupted ? 'interrupted' : 'failed', ...(r.state ? { finalState: r.state } : {}), error: r.error, errorCode: r.errorCode ?? 'ERROR', notes, notVerifiable };
  }
  const end = await runner.converged(o.images, o.planFn);
  return end.ok ? { result: 'provisioned', finalState: end.state, notes, notVerifiable } : { result: 'failed', finalState: end.state, error: end.error, errorCode: 'NOT_CONVERGED', notes, notVerifiable };
}
