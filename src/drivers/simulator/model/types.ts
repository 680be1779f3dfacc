/** Commands, events, outcomes and the per-command working state (Run) of the chip model. */
import { versionWordOf } from '../../../domain/version.js';
import type { FusStateName } from '../../../domain/fus.js';
import type { SimBoard, FusError, ImageView, Fault } from '../../../generated/sim-board.js';
import type { Transport } from '../../driver.js';
import { modelledDuration } from '../timing.js';

export type FlashArea = 'application' | 'staging' | 'secure';
export type PowerLossOutcome = NonNullable<NonNullable<SimBoard['pending']>['outcome']>;
export interface PowerLoss {
  at: string;
  mode: 'power-loss' | 'unplug';
  outcome?: PowerLossOutcome;
  seed?: number;
}

export type ConnectMode = 'normal' | 'under-reset' | 'hotplug';

/** Who is talking to the board, and through what. */
export interface SimContext {
  transport: Transport;
  /** SWD connect mode (`mode=UR` is under reset). */
  connectMode?: ConnectMode;
  /** STM32CubeProgrammer version when a CubeProgrammer-like tool is in the loop (decides tool quirks). */
  toolVersion?: string;
}

export interface FusStatus {
  state: FusStateName;
  error: FusError;
}

export interface FlashWrite {
  address: number;
  /** Full size of the file being written. */
  size: number;
  sha256: string;
  name: string;
  /** What FUS would see in these bytes (null: no footer). Ignored for an application write. */
  image: ImageView | null;
}

export interface OptionBytesRequest {
  rdp?: number;
  sfsa?: number;
  sbrv?: number;
  nSWboot0?: 0 | 1;
  nBOOT0?: 0 | 1;
  nBOOT1?: 0 | 1;
  ese?: 0 | 1;
}

export type SimCommand =
  | { op: 'connect' }
  | { op: 'powerCycle' }
  | { op: 'reset'; kind: 'software' | 'hardware' }
  | { op: 'awaitUsb'; timeoutMs: number }
  | { op: 'getState' }
  | { op: 'startFus' }
  | { op: 'loadFusOperator' }
  | { op: 'fwDelete' }
  | { op: 'stageImage'; write: FlashWrite }
  | { op: 'flashApplication'; write: FlashWrite }
  /** Page (sector) erase from CPU1's side: CubeProgrammer `-e [first last]`, DfuSe erase, AN3155 Extended Erase. */
  | { op: 'erasePages'; firstPage: number; lastPage: number }
  | { op: 'fwUpgrade' }
  | { op: 'startStack' }
  | { op: 'activateAntiRollback' }
  | { op: 'storeUserKey' }
  | { op: 'updateAuthKey' }
  | { op: 'lockAuthKey' }
  | { op: 'writeOptionBytes'; values: OptionBytesRequest }
  | { op: 'readMemory'; address: number; words: number }
  | { op: 'writeMemory'; address: number; words: number[] };

export type Cpu2Mode = SimBoard['cpu2'];

export type SimEvent =
  | { type: 'connect'; transport: Transport; ms: number }
  | { type: 'power-on'; ms: number }
  | { type: 'power-loss'; at: string; mode: 'power-loss' | 'unplug'; ms: number }
  | { type: 'reset'; reason: string; cpu2: Cpu2Mode; ms: number }
  | { type: 'reconnect'; transport: Transport; ms: number }
  | { type: 'wait'; reason: string; ms: number }
  | { type: 'fus-operator'; obChanged: string[]; obUnchanged: string[]; clobberedApplication: boolean; bytes?: number; ms: number }
  | { type: 'erase'; firstPage: number; lastPage: number; failedFromPage?: number; ms: number }
  | { type: 'write'; address: number; size: number; ms: number }
  | { type: 'fus-command'; command: string; ms: number }
  | { type: 'fus-state'; state: FusStateName; error: FusError; ms: number }
  | { type: 'install'; kind: 'fus' | 'stack' | 'safeboot'; version: string; ms: number }
  | { type: 'delete'; ms: number }
  | { type: 'resumed'; operation: 'install' | 'delete'; ms: number }
  | { type: 'locked-up'; reason: string; ms: number }
  | { type: 'option-bytes'; changed: string[]; ms: number }
  | { type: 'note'; message: string; ms: number };

export type SimErrorCode =
  | FusError
  | 'NOT_POWERED'
  | 'NOT_REACHABLE'
  | 'NO_TARGET'
  | 'PROBE_ERROR'
  | 'POWER_LOSS'
  /** USB DFU vanished after a reset inside the command and never came back: the host lost the device. */
  | 'CONNECTION_LOST'
  /** FUS is still working on an earlier command (see busy.ts). */
  | 'FUS_BUSY'
  | 'WRITE_PROTECTED'
  | 'OUT_OF_FLASH'
  | 'RDP_PROTECTED'
  | 'UNSUPPORTED'
  | 'LOCKED_UP'
  | 'OB_REFUSED'
  | 'OB_FAILED'
  | 'ERASE_FAILED'
  | 'UNMAPPED'
  | 'TIMEOUT';

export interface SimOutcome {
  ok: boolean;
  error?: SimErrorCode;
  message?: string;
  /** The FUS_GET_STATE answer (getState), or the last state the host saw polling (fwUpgrade...). */
  status?: FusStatus;
  /** A harmless FUS error (delete with nothing installed: IMG_NOT_FOUND). */
  warning?: FusError;
  /** readMemory. */
  words?: number[];
  /** writeOptionBytes: names as the user gave them. */
  changed?: string[];
  unchanged?: string[];
  /** writeOptionBytes that failed verification: what was expected and found. */
  mismatches?: { name: string; expected: number; found: number }[];
  /** What was installed (fwUpgrade), when something was. */
  installed?: { kind: 'fus' | 'stack' | 'safeboot'; version: string };
}

export interface SimResult {
  board: SimBoard;
  events: SimEvent[];
  outcome: SimOutcome;
}

/** Thrown for commands that make no sense at all (a programming error in the caller, not a board state). */
export class SimModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimModelError';
  }
}

export const IDLE: FusStatus = { state: 'FUS_IDLE', error: 'NO_ERROR' };
export const NOT_RUNNING: FusStatus = { state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' };
export const UNKNOWN_ERROR: FusStatus = { state: 'FUS_ERROR', error: 'ERR_UNKNOWN' };

/** Working state of one command: a private copy of the board and the events so far. */
export class Run {
  readonly events: SimEvent[] = [];
  constructor(
    readonly b: SimBoard,
    readonly ctx: SimContext,
  ) {}
  emit(e: SimEvent): void {
    this.events.push(e);
  }
  /** Simulated time now (board clock + what this command already took). */
  now(): number {
    return this.b.clock.ms + modelledDuration(this.events);
  }
  note(message: string): void {
    this.b.notes = [...this.b.notes, message].slice(-10);
    this.emit({ type: 'note', message, ms: 0 });
  }
  /** Removes and returns the first armed fault of that kind; persistent faults stay armed. */
  takeFault(kind: Fault['kind']): Fault | undefined {
    const i = this.b.faults.findIndex((f) => f.kind === kind);
    if (i < 0) return undefined;
    const f = this.b.faults[i]!;
    if (!('persistent' in f && f.persistent)) this.b.faults = this.b.faults.filter((_, j) => j !== i);
    return f;
  }
  /** A power-loss or unplug fault armed at this point (with the outcome it asks for, if any). */
  takePowerLoss(at: string): PowerLoss | undefined {
    const i = this.b.faults.findIndex((f) => (f.kind === 'power-loss' || f.kind === 'unplug') && 'at' in f && f.at === at);
    if (i < 0) return undefined;
    const f = this.b.faults[i]! as Extract<Fault, { at: string }>;
    this.b.faults = this.b.faults.filter((_, j) => j !== i);
    return { at, mode: f.kind === 'unplug' ? 'unplug' : 'power-loss', ...(f.outcome ? { outcome: f.outcome } : {}), ...(f.seed !== undefined ? { seed: f.seed } : {}) };
  }
  /** Counts flash pages erased or programmed in one area (counters for tests and rehearsals). */
  countPages(kind: 'erase' | 'write', area: FlashArea, pages: number): void {
    if (pages <= 0) return;
    const c = kind === 'erase' ? this.b.counters.pageErases : this.b.counters.pageWrites;
    c[area] += pages;
  }
}

/** The outcomes ST describes after a power loss, at each point (see resolveOutcome). */
export const POWER_LOSS_OUTCOMES: Record<'fus-install' | 'stack-install' | 'delete' | 'ob-load', readonly PowerLossOutcome[]> = {
  'fus-install': ['resume', 'image-corrupt', 'ob-corrupt', 'fus-damaged'],
  'stack-install': ['resume', 'image-corrupt', 'ob-corrupt'],
  delete: ['resume', 'ob-corrupt'],
  'ob-load': ['resume', 'ob-corrupt'],
};

/**
 * Which outcome a power loss has: the one the fault asks for (when ST describes it at that point), else the one its
 * seed picks, else "resume" (ST's first outcome: FUS resumes and completes). An outcome ST does not describe at that
 * point (a damaged FUS during a stack install) is refused by the fault parser; here it falls back to resume, noted.
 */
export function resolveOutcome(run: Run, loss: PowerLoss, point: keyof typeof POWER_LOSS_OUTCOMES): PowerLossOutcome {
  const allowed = POWER_LOSS_OUTCOMES[point];
  if (loss.outcome !== undefined) {
    if (allowed.includes(loss.outcome)) return loss.outcome;
    run.note(`power-loss outcome ${loss.outcome} does not happen during a ${point}; FUS resumes instead`);
    return 'resume';
  }
  if (loss.seed !== undefined) return allowed[loss.seed % allowed.length]!;
  return 'resume';
}

export function fail(error: SimErrorCode, message: string, extra: Partial<SimOutcome> = {}): SimOutcome {
  return { ok: false, error, message, ...extra };
}

export function fusVersionWord(version: string): number {
  return versionWordOf(version);
}
