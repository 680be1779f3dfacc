/**
 * Runs one planned step through a Driver and verifies it by read-back STM32CubeProgrammer CLI, UM2237: judge each step
 * by the board's state read back afterwards, never by the exit code or the text alone).
 */
import type { Driver, OperationReport, Progress } from '../drivers/driver.js';
import { DriverError } from '../drivers/driver.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';
import type { Step } from '../planner/types.js';
import { parseHex } from '../domain/hex.js';
import { ImageCheckError, type VerifiedImage } from './image-check.js';
import { compareWithExpectation, formatMismatches, installAddressUnread, installedImageMismatches, unverifiedFields, type Mismatch } from './verify.js';
import type { Device } from '../domain/devices.js';

export interface StepOutcome {
  ok: boolean;
  step: Step;
  durationMs: number;
  state?: BoardState;
  report?: OperationReport;
  mismatches: Mismatch[];
  /** Notes for the person: a tool error contradicted by the read-back, unverifiable fields. */
  notes: string[];
  error?: { code: string; message: string; logFile?: string };
  /**
   * How the step was judged: `read-back` (the board, read again, shows what the step expects) or
   * `not-verifiable` (irreversible, with no read-out on this connection: judged by the tool's explicit success
   * and the FUS state afterwards; reported as "done, not verifiable by read-back", never as verified).
   */
  verification?: 'read-back' | 'not-verifiable';
  /** For `not-verifiable`: what could not be read back, and why. */
  unverifiable?: string;
}

/**
 * Steps whose effect has no read-out on every connection (anti-rollback: AN5185 gives no FUS command to read it;
 * the CubeProgrammer CLI has none either). Where the read-back does show it (the simulator), it is verified.
 */
export const NOT_READ_BACK_STEPS: ReadonlySet<Step['kind']> = new Set(['anti-rollback']);

/** The effect of a not-read-back step, when this read-back cannot show it; undefined when it can. */
function unverifiableEffect(step: Step, state: BoardState): string | undefined {
  if (step.kind === 'anti-rollback' && state.antiRollback === 'unknown') return `anti-rollback has no read-out over ${state.source.transport}`;
  return undefined;
}

/** FUS reporting an error after a command (not the "stack runs" answer): the command failed. */
function fusReportsError(state: BoardState): string | undefined {
  const e = state.fus.error;
  if (state.fus.state !== 'FUS_ERROR' || e === 'STATE_NOT_RUNNING' || e === 'NO_ERROR' || e === 'unknown') return undefined;
  return `FUS reports ${state.fus.state} / ${e}`;
}

/**
 * Steps verified without reading FUS: over SWD a full read runs CubeProgrammer's FUS operator, which would
 * overwrite the application and reset nSWboot0 again (public field reports): the check would undo the step.
 */
export const FLASH_ONLY_STEPS: ReadonlySet<Step['kind']> = new Set(['restore-option-bytes', 'flash-application']);

/** A flash-only read on top of the last full read: option bytes and application from the new one. */
export function mergeFlashRead(full: BoardState, flash: BoardState): BoardState {
  return { ...full, optionBytes: flash.optionBytes, application: flash.application, notes: [...full.notes.filter((n) => !/FUS operator/.test(n)), ...flash.notes] };
}

export interface StepContext {
  driver: Driver;
  /** The last full read (FUS and stack): flash-only reads are merged onto it. */
  lastFullState?: BoardState;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Application file to re-flash (flash-application steps). */
  applicationFile?: string;
  /**
   * Re-checks a step's image right before it is written (throws ImageCheckError) and gives exactly the checked
   * bytes to write: `privateVerifiedCopy` from preflight.ts in Node (a private read-only copy), a copy of the
   * dropped file's bytes in a browser page.
   */
  verifiedImage: (step: Step) => Promise<VerifiedImage | undefined>;
  /** Where the user's application ends (manifest `application.end`): the staging area is erased from there to SFSA. */
  applicationEnd?: number;
  /** The board's device (flash top, page size): where FUS must have put the stack the step wrote. */
  device?: Device;
  now?: () => number;
}

function imageOf(step: Step, path: string): AvailableImage {
  const img = step.image!;
  return {
    path,
    name: img.name,
    origin: img.origin,
    identity: {
      sha256: img.sha256,
      size: img.size,
      kind: img.kind,
      stackType: img.stackType,
      version: img.version,
      versionSource: 'catalog',
      fusV2Only: img.fusV2Only ?? false,
      imageMagic: 0,
      versionWord: 0,
      memorySizeWord: 0,
      flashPages: 0,
      signature: img.origin === 'stand-in' ? 'simulated' : 'st',
      families: [],
      warnings: [],
    },
  };
}

async function perform(step: Step, ctx: StepContext): Promise<OperationReport> {
  const opts = { onProgress: ctx.onProgress, signal: ctx.signal };
  const d = ctx.driver;
  switch (step.kind) {
    case 'start-fus':
      return d.startFus(opts);
    case 'stack-delete':
      return d.deleteStack(opts);
    case 'fus-upgrade':
    case 'stack-install':
    case 'safeboot-install': {
      const address = parseHex(step.address ?? '');
      if (address === undefined) throw new DriverError('REFUSED', `step ${step.n} has no image address`);
      // Re-check the bytes right before writing them (a file may change between plan and apply), and hand the
      // driver a private read-only copy of exactly those bytes: a swap after the check cannot reach the board.
      const copy = await ctx.verifiedImage(step);
      if (copy === undefined) throw new DriverError('REFUSED', `step ${step.n} has no image`);
      try {
        // copro plans FW_DELETE as its own step, so CubeProgrammer's implicit delete is off (firstinstall=1).
        return await d.upgrade(imageOf(step, copy.path), address, { ...opts, firstInstall: true, startStack: step.kind === 'stack-install', ...(ctx.applicationEnd !== undefined ? { stagingStart: ctx.applicationEnd } : {}) });
      } finally {
        await copy.dispose();
      }
    }
    case 'start-stack':
      return d.startStack(opts);
    case 'restore-option-bytes':
      return d.writeOptionBytes({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ...(step.expect.optionBytes ?? {}) }, opts);
    case 'flash-application': {
      const address = parseHex(step.address ?? '0x08000000');
      if (!ctx.applicationFile || address === undefined) throw new DriverError('REFUSED', `step ${step.n}: no application file to re-flash`);
      return d.flash(ctx.applicationFile, address, opts);
    }
    case 'anti-rollback':
      return d.activateAntiRollback(opts);
  }
}

/** Runs a step, then reads the board back and compares it with `step.expect`. Never throws for board problems. */
export async function runStep(step: Step, ctx: StepContext): Promise<StepOutcome> {
  const now = ctx.now ?? Date.now;
  const t0 = now();
  const notes: string[] = [];
  let report: OperationReport | undefined;
  let opError: DriverError | Error | undefined;
  try {
    report = await perform(step, ctx);
  } catch (e) {
    opError = e as Error;
    // A refusal (bad image, refused by the driver before touching the board) is final: no read-back can
    // turn it into a success.
    if (e instanceof ImageCheckError) {
      return { ok: false, step, durationMs: now() - t0, mismatches: [], notes, error: { code: 'IMAGE_CHECK', message: e.message } };
    }
    if (e instanceof DriverError && (e.code === 'ABORTED' || e.code === 'REFUSED')) {
      return { ok: false, step, durationMs: now() - t0, mismatches: [], notes, error: { code: e.code, message: e.message, logFile: e.details.logFile } };
    }
    if (ctx.signal?.aborted) {
      return { ok: false, step, durationMs: now() - t0, mismatches: [], notes, error: { code: 'ABORTED', message: 'interrupted while the step was in flight' } };
    }
  }
  let state: BoardState;
  const flashOnly = FLASH_ONLY_STEPS.has(step.kind) && ctx.lastFullState !== undefined;
  try {
    // A step that leaves CPU2 in FUS is checked without starting the stack again (over SWD the operator's read
    // switches CPU2 to FUS; restarting the stack there would undo "Start FUS" and fail its check).
    const leaveInFus = step.expect.cpu2 === 'fus' || step.expect.stackRunning === false;
    state = await ctx.driver.readState({ signal: ctx.signal, scope: flashOnly ? 'flash' : 'full', restartStack: !leaveInFus });
    if (flashOnly) state = mergeFlashRead(ctx.lastFullState!, state);
  } catch (e) {
    const err = opError ?? (e as Error);
    return {
      ok: false,
      step,
      durationMs: now() - t0,
      report,
      mismatches: [],
      notes,
      error: { code: err instanceof DriverError ? err.code : 'READ_BACK_FAILED', message: `${err.message} (the board could not be read back to verify step ${step.n})`, logFile: err instanceof DriverError ? err.details.logFile : undefined },
    };
  }
  const mismatches = compareWithExpectation(step.expect, state);
  // FUS installs the first image footer it finds below SFSA, not "the file you wrote" (community td-p/70166):
  // the installed stack must start where the image copro wrote goes.
  const misplaced = installedImageMismatches(step, state, ctx.device);
  if (misplaced.length > 0) {
    mismatches.push(...misplaced);
    notes.push(
      `FUS installed a stack starting at ${state.stack.installAddress}, not where the image copro wrote goes (${String(misplaced[0]!.expected)}): it found another image below SFSA first${ctx.applicationEnd === undefined ? ' (give application.end in the manifest, so copro erases the staging area from the end of the application)' : ''}`,
    );
  }
  if (installAddressUnread(step, state)) notes.push('stack.installAddress could not be read back (option bytes unreadable): whether FUS installed the image copro wrote is checked by version only');
  const unverifiable = NOT_READ_BACK_STEPS.has(step.kind) ? unverifiableEffect(step, state) : undefined;
  if (unverifiable !== undefined) {
    // Irreversible and not readable: the tool's explicit success and FUS's state are all there is. A failure reply
    // fails the step (and the run); a success is "done, not verifiable by read-back", never "verified".
    const toolFailed = opError !== undefined ? opError.message : report === undefined ? 'no reply' : !report.ok ? `the tool reported ${report.error ?? 'a failure'}: ${report.messages.slice(-3).join(' / ')}` : undefined;
    const fusFailed = fusReportsError(state);
    if (toolFailed || fusFailed || mismatches.length > 0) {
      const why = [toolFailed, fusFailed, mismatches.length ? formatMismatches(mismatches) : undefined].filter(Boolean).join('; ');
      return failedStep(report?.error ?? 'STEP_FAILED', `step ${step.n} (${step.title}) failed: ${why} (${unverifiable}: only the tool's success could confirm it)`, { verification: 'not-verifiable', unverifiable });
    }
    notes.push(`${step.title}: done, not verifiable by read-back (${unverifiable}); the tool reported success and FUS no error`);
    return { ok: true, step, durationMs: now() - t0, state, report, mismatches, notes, verification: 'not-verifiable', unverifiable };
  }
  for (const f of unverifiedFields(step.expect, state)) notes.push(`${f} could not be read back (FUS does not report it); expected from the installed image, not checked`);
  const toolSaidNo = opError !== undefined || (report !== undefined && !report.ok);
  if (mismatches.length === 0) {
    // public field reports: "Error: Firmware not authentic!" printed although FUS did upgrade. The board decides.
    if (toolSaidNo) notes.push(`the tool reported a failure (${opError?.message ?? report?.error ?? 'error'}), but the board shows the expected state: step accepted`);
    return { ok: true, step, durationMs: now() - t0, state, report, mismatches, notes, verification: 'read-back' };
  }
  const why = opError?.message ?? (report && !report.ok ? `the tool reported ${report.error ?? 'an error'}: ${report.messages.slice(-3).join(' / ')}` : 'the tool reported success');
  return failedStep('VERIFY_FAILED', `step ${step.n} (${step.title}) not verified: ${formatMismatches(mismatches)}; ${why}`, {});

  /** A failed step: the driver's own error code wins over the runner's (it names what went wrong on the wire). */
  function failedStep(code: string, message: string, extra: Pick<StepOutcome, 'verification' | 'unverifiable'>): StepOutcome {
    const driverError = opError instanceof DriverError ? opError : undefined;
    return { ok: false, step, durationMs: now() - t0, state, report, mismatches, notes, ...extra, error: { code: driverError?.code ?? code, message, logFile: driverError?.details.logFile } };
  }
}
