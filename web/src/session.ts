/**
 * One board in the page, DOM-free: open the bootloader driver over a WebUSB bus (the browser's, or the
 * virtual one), read the board, plan, and apply with the CLI's rules: images re-checked by sha256 before
 * anything is written, irreversible steps confirmed, every step verified by read-back, a final re-plan that
 * must find nothing to do. Everything that happens is a run event (schemas/events.schema.json).
 */
import { BootloaderDriver, webCryptoSha256 } from '../../src/drivers/bootloader/driver.js';
import { DfuLink } from '../../src/drivers/bootloader/dfu/link.js';
import type { LinkClock, UsbLike } from '../../src/drivers/bootloader/dfu/usb.js';
import type { BoardState } from '../../src/generated/board-state.js';
import type { AvailableImage } from '../../src/images/types.js';
import { plan as makePlan } from '../../src/planner/plan.js';
import type { Plan, Step, Target } from '../../src/planner/types.js';
import { stamp, type CoproEvent, type EventSink } from '../../src/runner/events.js';
import { checkStepImageWith, ImageCheckError, type VerifiedImage } from '../../src/runner/image-check.js';
import { describeStack, runPlan, type RunPlanResult } from '../../src/runner/run-plan.js';
import { EXIT } from '../../src/cli/exit-codes.js';

export interface Bus {
  usb: UsbLike;
  /** The DFU serial the user picked (the driver re-finds the board by it after every reset). */
  serial?: string;
  clock: LinkClock;
  /** Device-time speed of a virtual board (1 on hardware). */
  speed: number;
  /** What the report's run-started event says the driver was. */
  label: string;
}

/** `bytes`: the files the page has now (dropped, stand-ins, checked copies), by path. */
export function openDriver(bus: Bus, bytes: () => ReadonlyMap<string, Uint8Array>, trace?: (line: string) => void): BootloaderDriver {
  return new BootloaderDriver({
    openLink: () => DfuLink.open(bus.usb, { ...(bus.serial ? { serial: bus.serial } : {}), clock: bus.clock }),
    clock: bus.clock,
    readFile: async (path) => {
      const b = bytes().get(path);
      if (!b) throw new Error(`${path}: not among the files dropped on the page`);
      return b;
    },
    toolVersion: `copro web page (${bus.label})`,
    // As the CLI: a fast simulated clock must not turn browser overhead into a timeout.
    reconnectTimeoutMs: Math.max(30_000, 2_000 * bus.speed),
    fusTimeoutMs: Math.max(120_000, 5_000 * bus.speed),
    ...(trace ? { trace } : {}),
  });
}

/** The irreversible steps, worded as `copro apply` asks about them. */
export function irreversibleSteps(p: Plan): string[] {
  return p.steps.filter((s) => s.irreversible).map((s) => `step ${s.n}. ${s.title}${s.warnings.length ? ` (${s.warnings.join('; ')})` : ''}`);
}

export interface RunInput {
  driver: BootloaderDriver;
  serial: string;
  target: Target;
  images: readonly AvailableImage[];
  /** The dropped files' bytes by path; checked copies are added while a step writes them. */
  bytes: Map<string, Uint8Array>;
  manifestName: string;
  label: string;
  emit: EventSink;
  signal: AbortSignal;
  /** Shown the irreversible steps; resolves false to stop before anything is touched. */
  confirm: (steps: string[]) => Promise<boolean>;
  /** Called with the plan once the board is read, before anything is asked or touched. */
  onPlan?: (plan: Plan, state: BoardState) => void;
}

export interface RunOutcome {
  result: 'provisioned' | 'up-to-date' | 'refused' | 'failed' | 'planned' | 'interrupted';
  plan?: Plan;
  state?: BoardState;
  error?: string;
  errorCode?: string;
  exitCode: number;
  run?: RunPlanResult;
}

const sha256Of = (bytes: ReadonlyMap<string, Uint8Array>) => async (path: string) => {
  const b = bytes.get(path);
  if (!b) throw new Error('not among the dropped files');
  return webCryptoSha256(b);
};

/** Reads the board and plans (what "Connect" shows). */
export async function readAndPlan(driver: BootloaderDriver, target: Target, images: readonly AvailableImage[], signal?: AbortSignal): Promise<{ state: BoardState; plan: Plan }> {
  const state = await driver.readState({ ...(signal ? { signal } : {}) });
  return { state, plan: makePlan({ state, target, images }) };
}

/** `copro apply` for the page's one board: read, plan, check images, confirm, run, verify, converge. */
export async function applyRun(o: RunInput): Promise<RunOutcome> {
  const t0 = Date.now();
  const board = o.serial;
  o.emit(stamp({ type: 'run-started', board: '-', manifest: o.manifestName, boards: [board], driver: o.label, dryRun: false }));
  const finished = (out: RunOutcome, fields: { fus?: string; stack?: string; uid64?: string } = {}): RunOutcome => {
    o.emit(stamp({ type: 'board-finished', board, result: out.result, durationMs: Date.now() - t0, ...fields, ...(out.error ? { error: out.error } : {}) }));
    // As `copro apply` counts (src/cli/commands/apply.ts): a board left as planned (not confirmed) did not fail.
    const ok = out.result === 'provisioned' || out.result === 'up-to-date' || out.result === 'planned' ? 1 : 0;
    o.emit(stamp({ type: 'run-finished', board: '-', exitCode: out.exitCode, boards: { total: 1, ok, failed: 1 - ok }, durationMs: Date.now() - t0 }));
    return out;
  };
  const facts = (s: BoardState | undefined) => (s ? { fus: s.fus.version, stack: describeStack(s), ...(s.device.uid64 ? { uid64: s.device.uid64 } : {}) } : {});
  let state: BoardState;
  let plan: Plan;
  try {
    ({ state, plan } = await readAndPlan(o.driver, o.target, o.images, o.signal));
  } catch (e) {
    const err = e as Error & { code?: string };
    o.emit(stamp({ type: 'step-failed', board, step: 0, kind: 'read-state', error: err.message, code: err.code ?? err.name, durationMs: Date.now() - t0 }));
    return finished({ result: 'failed', error: err.message, errorCode: err.code ?? err.name, exitCode: EXIT.BOARD_FAILED });
  }
  o.emit(stamp({ type: 'plan', board, status: plan.status, steps: plan.steps.length, plan }));
  o.onPlan?.(plan, state);
  if (plan.status === 'refused') {
    const r = plan.refusals[0];
    const error = r ? `${r.code}: ${r.message} Remedy: ${r.remedy}` : 'refused';
    return finished({ result: 'refused', plan, state, error, ...(r ? { errorCode: r.code } : {}), exitCode: EXIT.REFUSED }, facts(state));
  }
  if (plan.status === 'up-to-date') return finished({ result: 'up-to-date', plan, state, exitCode: EXIT.OK }, facts(state));
  // Checksums before anything is touched (a changed or tampered file stops the whole run).
  const check = (step: Step) => checkStepImageWith(step, sha256Of(o.bytes));
  try {
    for (const step of plan.steps) await check(step);
  } catch (e) {
    const err = e as Error;
    const n = e instanceof ImageCheckError ? e.step : 0;
    o.emit(stamp({ type: 'step-failed', board, step: n, kind: 'image-check', error: err.message, code: 'IMAGE_CHECK', durationMs: 0 }));
    return finished({ result: 'refused', plan, state, error: err.message, errorCode: 'IMAGE_CHECK', exitCode: EXIT.INVALID_INPUT }, facts(state));
  }
  const irreversible = irreversibleSteps(plan);
  if (irreversible.length > 0 && !(await o.confirm(irreversible))) {
    return finished({ result: 'planned', plan, state, error: 'not confirmed: nothing was changed', errorCode: 'NOT_CONFIRMED', exitCode: EXIT.NOT_CONFIRMED }, facts(state));
  }
  // The bytes checked are the bytes written: a private copy of exactly what was hashed, gone after the step.
  let copies = 0;
  const verifiedImage = async (step: Step): Promise<VerifiedImage | undefined> => {
    const path = await check(step);
    if (path === undefined) return undefined;
    const checked = o.bytes.get(path)!.slice();
    const actual = await webCryptoSha256(checked);
    if (actual !== step.image!.sha256) throw new ImageCheckError(`step ${step.n}: ${path} changed while it was checked: expected sha256 ${step.image!.sha256}, found ${actual}. Nothing was written to the board.`, step.n, step.image!.sha256, actual);
    const copy = `/verified/${++copies}/${path.replace(/^.*\//, '')}`;
    o.bytes.set(copy, checked);
    return { path: copy, dispose: async () => void o.bytes.delete(copy) };
  };
  const run = await runPlan({ board, driver: o.driver, plan, state, target: o.target, images: o.images, planFn: makePlan, emit: o.emit, signal: o.signal, verifiedImage });
  const exitCode = run.result === 'provisioned' ? EXIT.OK : run.result === 'interrupted' ? EXIT.INTERRUPTED : EXIT.BOARD_FAILED;
  return finished({ result: run.result, plan, state: run.finalState ?? state, ...(run.error ? { error: run.error } : {}), ...(run.errorCode ? { errorCode: run.errorCode } : {}), exitCode, run }, facts(run.finalState));
}

export type { CoproEvent };
