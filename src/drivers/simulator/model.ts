/**
 * The pure model of an STM32WB's coprocessor side: `apply(board, command, ctx) -> { board, events, outcome }`.
 * No I/O, no clock reads: the board carries its own simulated clock, advanced by the modelled duration of
 * each command's events (timing.ts). The store, the driver and the fake STM32_Programmer_CLI sit on top.
 *
 * Every rule cites its source. Where the sources say nothing, the choice is marked "Assumption".
 * Host-tool effects that every real tool path has (CubeProgrammer's SWD FUS operator, its refusal to
 * delete on FUS 2.x over ST-LINK before v2.20) are modelled here too, from `ctx`, so the simulator
 * driver and the fake CLI cannot disagree about them.
 */
import { compareVersions, versionWordOf, BLANK_VERSION_WORD } from '../../domain/version.js';
import { SAFEBOOT_SBRV, FUS_INFO_VALID_KEY, type FusStateName } from '../../domain/fus.js';
import { stackTypeByName } from '../../domain/stack-types.js';
import { sfsaToAddress } from '../../domain/devices.js';
import type { SimBoard, FusError, StagedImage, ImageView, Fault } from '../../generated/sim-board.js';
import type { Transport } from '../driver.js';
import {
  deviceOf,
  fusAreaStart,
  pageOf,
  pageAddress,
  secureStart,
  sbrvFor,
  isSafebootOptionBytes,
  footprintPages,
  FUS_OPERATOR_SIZE,
  overlaps,
  isLockupProne,
  bootsRomBootloader,
} from './layout.js';
import { TIMING, reconnectMs, downloadMs, eraseMs, stackInstallMs, modelledDuration } from './timing.js';

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
  | { type: 'fus-operator'; obChanged: string[]; obUnchanged: string[]; clobberedApplication: boolean; ms: number }
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
  | 'WRITE_PROTECTED'
  | 'OUT_OF_FLASH'
  | 'RDP_PROTECTED'
  | 'UNSUPPORTED'
  | 'LOCKED_UP'
  | 'OB_REFUSED'
  | 'OB_FAILED'
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

const IDLE: FusStatus = { state: 'FUS_IDLE', error: 'NO_ERROR' };
const NOT_RUNNING: FusStatus = { state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' };
const UNKNOWN_ERROR: FusStatus = { state: 'FUS_ERROR', error: 'ERR_UNKNOWN' };

/** Working state of one command: a private copy of the board and the events so far. */
class Run {
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
  /** A power-loss or unplug fault armed at this point. */
  takePowerLoss(at: string): { at: string; mode: 'power-loss' | 'unplug' } | undefined {
    const i = this.b.faults.findIndex((f) => (f.kind === 'power-loss' || f.kind === 'unplug') && 'at' in f && f.at === at);
    if (i < 0) return undefined;
    const f = this.b.faults[i]!;
    this.b.faults = this.b.faults.filter((_, j) => j !== i);
    return { at, mode: f.kind === 'unplug' ? 'unplug' : 'power-loss' };
  }
}

function fail(error: SimErrorCode, message: string, extra: Partial<SimOutcome> = {}): SimOutcome {
  return { ok: false, error, message, ...extra };
}

export function fusVersionWord(version: string): number {
  return versionWordOf(version);
}

/** Applies one command to a board. Pure: the input board is not modified. */
export function apply(board: SimBoard, command: SimCommand, ctx: SimContext): SimResult {
  const run = new Run(structuredClone(board), ctx);
  const outcome = dispatch(run, command);
  run.b.clock = { ...run.b.clock, ms: run.b.clock.ms + modelledDuration(run.events) };
  return { board: run.b, events: run.events, outcome };
}

/** Applies commands in order, stopping at the first that fails; returns the last outcome. */
export function applyAll(board: SimBoard, commands: readonly SimCommand[], ctx: SimContext): SimResult {
  let b = board;
  const events: SimEvent[] = [];
  let outcome: SimOutcome = { ok: true };
  for (const c of commands) {
    const r = apply(b, c, ctx);
    b = r.board;
    events.push(...r.events);
    outcome = r.outcome;
    if (!outcome.ok) break;
  }
  return { board: b, events, outcome };
}

function dispatch(run: Run, c: SimCommand): SimOutcome {
  if (c.op === 'connect') return connect(run);
  if (c.op === 'powerCycle') return powerCycle(run);
  if (!run.b.powered) return fail('NOT_POWERED', 'the board has no power (it was lost or unplugged); connect again to power it up');
  switch (c.op) {
    case 'reset':
      resetChip(run, c.kind === 'hardware' ? 'hardware reset' : 'software reset');
      return run.b.powered ? { ok: true } : fail('POWER_LOSS', 'power was lost during the reset');
    case 'awaitUsb':
      return awaitUsb(run, c.timeoutMs);
    case 'getState':
      return getState(run);
    case 'startFus':
      return startFus(run);
    case 'loadFusOperator':
      return loadFusOperator(run);
    case 'fwDelete':
      return fwDelete(run);
    case 'stageImage':
      return writeFlash(run, c.write, false);
    case 'flashApplication':
      return writeFlash(run, c.write, true);
    case 'fwUpgrade':
      return fwUpgrade(run);
    case 'startStack':
      return startStack(run);
    case 'activateAntiRollback':
      return activateAntiRollback(run);
    case 'storeUserKey':
    case 'updateAuthKey':
    case 'lockAuthKey':
      return keyCommand(run, c.op);
    case 'writeOptionBytes':
      return writeOptionBytes(run, c.values);
    case 'readMemory':
      return readMemory(run, c.address, c.words);
    case 'writeMemory':
      return writeMemory(run, c.address, c.words);
  }
}

// ---------------------------------------------------------------- power, connection, resets

function powerOn(run: Run): void {
  const b = run.b;
  b.powered = true;
  // SRAM loses its content without power: the operator's version words are gone.
  b.fusOperator = { ...b.fusOperator, sram1: null };
  run.emit({ type: 'power-on', ms: TIMING.cpu2BootMs });
  boot(run, 'power-on');
}

/** A (re)boot of the chip: CPU2 starts what SBRV/FUS decide; FUS resumes an interrupted operation first. */
function boot(run: Run, reason: string, into?: 'fus'): void {
  const b = run.b;
  b.counters.resets++;
  b.fus.consecutiveGetState = 0;
  b.sram2aCleared = false;
  if (run.takeFault('corrupt-option-bytes')) {
    // Field reports P29/P30: SFSA = 0x00 and SBRV = 0x3FC00 after option-byte corruption; the hardware forces safeboot.
    b.optionBytes = { ...b.optionBytes, sfsa: 0, sbrv: SAFEBOOT_SBRV };
    run.note('option bytes corrupted at boot (SFSA=0x00, SBRV=0x3FC00): CPU2 boots into safeboot');
  }
  if (b.pending && !isSafebootOptionBytes(b) && b.lockedUp === null) resumePending(run);
  if (isSafebootOptionBytes(b)) b.cpu2 = 'safeboot';
  else if (into === 'fus') b.cpu2 = 'fus';
  else b.cpu2 = b.stack ? 'stack' : 'fus';
  run.emit({ type: 'reset', reason, cpu2: b.cpu2, ms: TIMING.cpu2BootMs });
}

/**
 * A whole-chip reset (STM32WB.md §6: every delete, upgrade, StartWS and the second GET_STATE resets the
 * chip): USB drops and re-enumerates (~4 s), SWD/UART reconnect. Armed faults may cut power here or
 * keep USB away. Returns false when power was lost.
 */
function resetChip(run: Run, reason: string, into?: 'fus'): boolean {
  const b = run.b;
  const loss = run.takePowerLoss('reset');
  if (loss) {
    cutPower(run, loss);
    return false;
  }
  boot(run, reason, into);
  if (b.device.attachments.some((a) => a.transport === 'usb')) {
    b.counters.usbReenumerations++;
    const gone = run.takeFault('usb-gone');
    const late = run.takeFault('usb-late');
    if (gone) {
      b.usbAvailableAtMs = null;
      run.note('USB DFU did not come back after the reset (armed fault usb-gone)');
    } else if (late && 'seconds' in late) {
      b.usbAvailableAtMs = run.now() + late.seconds * 1000;
      run.note(`USB DFU re-enumerates ${late.seconds} s after the reset (armed fault usb-late)`);
    } else {
      b.usbAvailableAtMs = run.now() + TIMING.usbReenumerationMs;
    }
  }
  const ms = run.ctx.transport === 'usb' ? Math.min(TIMING.usbReenumerationMs, Math.max(0, (b.usbAvailableAtMs ?? Infinity) - run.now())) : reconnectMs(run.ctx.transport, b.fusOperator.inFlash && run.ctx.transport === 'swd');
  run.emit({ type: 'reconnect', transport: run.ctx.transport, ms });
  return true;
}

function cutPower(run: Run, loss: { at: string; mode: 'power-loss' | 'unplug' }): void {
  run.b.powered = false;
  run.emit({ type: 'power-loss', at: loss.at, mode: loss.mode, ms: 0 });
  run.note(`${loss.mode === 'unplug' ? 'unplugged' : 'power lost'} at ${loss.at} (armed fault)`);
}

function connect(run: Run): SimOutcome {
  const b = run.b;
  const t = run.ctx.transport;
  if (!b.powered) powerOn(run);
  if (t === 'usb') {
    if (!b.device.attachments.some((a) => a.transport === 'usb')) return fail('NOT_REACHABLE', 'the board is not attached over USB');
    if (b.usbAvailableAtMs === null) return fail('NOT_REACHABLE', 'the USB DFU device did not come back after the last reset (unplug and plug it again)');
    if (b.usbAvailableAtMs > run.now()) return fail('NOT_REACHABLE', `the USB DFU device has not re-enumerated yet (back in ${Math.ceil((b.usbAvailableAtMs - run.now()) / 1000)} s)`);
    if (!bootsRomBootloader(b)) return fail('NOT_REACHABLE', 'the chip boots from flash, not the ROM bootloader: no USB DFU device (BOOT0 pin / nSWboot0 / nBOOT0)');
  } else if (t === 'swd') {
    const probe = b.device.attachments.find((a) => a.transport === 'swd');
    if (!probe) return fail('NOT_REACHABLE', 'no ST-LINK probe is attached to this board');
    if (probe.connectError) return fail('PROBE_ERROR', 'ST-LINK error (DEV_CONNECT_ERR)');
    if (probe.targetAbsent) return fail('NO_TARGET', 'the probe sees no STM32 target');
  } else if (t === 'uart') {
    if (!b.device.attachments.some((a) => a.transport === 'uart')) return fail('NOT_REACHABLE', 'the board is not attached over UART');
    if (!bootsRomBootloader(b)) return fail('NOT_REACHABLE', 'the chip boots from flash, not the ROM bootloader: the UART bootloader does not answer');
  }
  b.counters.connections++;
  run.emit({ type: 'connect', transport: t, ms: TIMING.connectMs[t] });
  if (t === 'swd' && run.ctx.connectMode === 'under-reset') {
    // cli-transcripts/18 f: "reading the version table under reset (mode=UR) returns zeros, because SRAM2a is cleared by the reset".
    boot(run, 'connect under reset');
    b.sram2aCleared = true;
  }
  return { ok: true };
}

function powerCycle(run: Run): SimOutcome {
  const b = run.b;
  if (b.powered) b.powered = false;
  b.usbAvailableAtMs = run.now();
  powerOn(run);
  return { ok: true };
}

function awaitUsb(run: Run, timeoutMs: number): SimOutcome {
  const at = run.b.usbAvailableAtMs;
  const wait = at === null ? timeoutMs : Math.max(0, at - run.now());
  if (wait > timeoutMs) {
    run.emit({ type: 'wait', reason: 'USB DFU re-enumeration', ms: timeoutMs });
    return fail('TIMEOUT', at === null ? 'the USB DFU device did not come back' : `the USB DFU device was not back within ${timeoutMs / 1000} s`);
  }
  if (wait > 0) run.emit({ type: 'wait', reason: 'USB DFU re-enumeration', ms: wait });
  return { ok: true };
}

/** FUS resumes an operation a power loss interrupted (see fwUpgrade): never silently, always noted. */
function resumePending(run: Run): void {
  const b = run.b;
  const p = b.pending!;
  b.pending = null;
  if (p.operation === 'delete') {
    removeStack(run);
    run.emit({ type: 'resumed', operation: 'delete', ms: TIMING.deleteMs });
    run.note('FUS resumed the stack delete that a power loss interrupted, at boot');
    return;
  }
  const staged = p.staged!;
  const image = staged.image!;
  if (image.kind === 'fus') installFus(run, staged, image);
  else installStack(run, staged, image);
  run.emit({ type: 'resumed', operation: 'install', ms: image.kind === 'fus' ? TIMING.fusUpgradeMs : stackInstallMs(staged.size / deviceOf(b).pageSize) });
  run.note(`FUS resumed the ${image.kind === 'fus' ? 'FUS' : image.kind} ${image.version} install that a power loss interrupted, at boot`);
}

// ---------------------------------------------------------------- FUS state

function getState(run: Run): SimOutcome {
  if (run.ctx.transport === 'swd') {
    const prepared = prepareSwdFus(run);
    if (prepared) return prepared;
  }
  run.emit({ type: 'fus-command', command: 'FUS_GET_STATE', ms: TIMING.fusCommandMs });
  const status = answerGetState(run);
  run.emit({ type: 'fus-state', ...status, ms: 0 });
  return { ok: true, status };
}

/** What one FUS_GET_STATE answers, with its side effects (STM32WB.md §5-6). */
function answerGetState(run: Run): FusStatus {
  const b = run.b;
  if (b.lockedUp !== null) return UNKNOWN_ERROR;
  if (b.cpu2 === 'safeboot') return NOT_RUNNING; // P29/P30/P35: FUS cannot be started, reads v0.0.0
  if (b.cpu2 === 'stack') {
    b.fus.consecutiveGetState++;
    // FAQ ta-p/722270: "If the user application sends two consecutive FUS_GET_STATE commands, the wireless stack boots again on FUS."
    if (b.fus.consecutiveGetState >= 2) {
      if (!resetChip(run, 'second FUS_GET_STATE in a row', 'fus')) return NOT_RUNNING;
      b.fus.state = 'FUS_IDLE';
      b.fus.error = 'NO_ERROR';
      return { ...IDLE };
    }
    return { ...NOT_RUNNING };
  }
  // FUS answers its last state/error (sticky: cli-transcripts/01 starts with SERVICE_ONGOING/IMAGE_NOT_FOUND
  // left by an earlier delete), then is idle again.
  const status: FusStatus = { state: b.fus.state, error: b.fus.error };
  b.fus.state = 'FUS_IDLE';
  b.fus.error = 'NO_ERROR';
  return status;
}

function startFus(run: Run): SimOutcome {
  let last: SimOutcome = { ok: true };
  for (let i = 0; i < 2; i++) {
    last = getState(run);
    if (!last.ok || run.b.cpu2 === 'fus') break;
  }
  if (run.b.cpu2 !== 'fus' || run.b.lockedUp !== null) return fail('STATE_NOT_RUNNING', 'FUS did not start (CPU2 stays in safeboot or is locked up)', { status: last.status ?? NOT_RUNNING });
  return last;
}

// ---------------------------------------------------------------- preconditions of FUS commands

/**
 * Over SWD the FUS is reached through CubeProgrammer's FUS operator (STM32WB.md §7): it must sit at
 * 0x08000000 with nSWboot0=0 nboot1=1 nboot0=1, and it brings CPU2 into FUS itself (ST: "-fusgetstate ...
 * With this command you switch the M0+ core to execute security services", cli-transcripts/26 D).
 */
function prepareSwdFus(run: Run): SimOutcome | undefined {
  const b = run.b;
  const ob = b.optionBytes;
  if (!b.fusOperator.inFlash || ob.nSWboot0 !== 0 || ob.nBOOT0 !== 1 || ob.nBOOT1 !== 1) {
    const loaded = loadFusOperator(run);
    if (!loaded.ok) return loaded;
  }
  if (b.cpu2 === 'stack' && b.lockedUp === null) {
    b.fus.consecutiveGetState = 1;
    if (!resetChip(run, 'FUS operator: second FUS_GET_STATE', 'fus')) return fail('POWER_LOSS', 'power was lost while the operator started FUS');
  }
  return undefined;
}

function loadFusOperator(run: Run): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  if (run.ctx.transport !== 'swd') throw new SimModelError('the FUS operator is only used over SWD');
  if (b.optionBytes.rdp !== 0xaa) return fail('RDP_PROTECTED', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()}): the FUS operator cannot be loaded`);
  if (b.cpu2 === 'safeboot') {
    // Field report P30: in safeboot the flash is write protected.
    return fail('WRITE_PROTECTED', 'flash is write protected (safeboot): the FUS operator cannot be loaded at 0x08000000');
  }
  // STM32WB.md §7: the operator goes to 0x08000000 (erasing sectors 0-1, 0-3 on WB1x) and nSWboot0=0 nboot1=1 nboot0=1.
  const wanted: [string, 'nSWboot0' | 'nBOOT0' | 'nBOOT1', 0 | 1][] = [
    ['nSWboot0', 'nSWboot0', 0],
    ['nboot0', 'nBOOT0', 1],
    ['nboot1', 'nBOOT1', 1],
  ];
  const obChanged: string[] = [];
  const obUnchanged: string[] = [];
  for (const [label, key, value] of wanted) {
    if (b.optionBytes[key] === value) obUnchanged.push(label);
    else {
      b.optionBytes = { ...b.optionBytes, [key]: value };
      obChanged.push(label);
    }
  }
  const start = device.flashBase;
  const end = start + FUS_OPERATOR_SIZE;
  const clobbered = destroyRange(run, start, end, 'fus-operator');
  b.fusOperator = { ...b.fusOperator, inFlash: true };
  run.emit({ type: 'fus-operator', obChanged, obUnchanged, clobberedApplication: clobbered, ms: (obChanged.length ? TIMING.optionBytesMs : 0) + eraseMs(FUS_OPERATOR_SIZE / device.pageSize) + downloadMs('swd', FUS_OPERATOR_SIZE) });
  // "Application is running, Please Hold on..." -> "Reconnected !" (~7 s): the operator runs after a reset.
  if (!resetChip(run, 'FUS operator started')) return fail('POWER_LOSS', 'power was lost while the FUS operator started');
  writeOperatorVersions(run);
  return { ok: true };
}

/** The operator writes the FUS and stack versions at 0x20010010/14 (release notes; cli-transcripts/13). */
function writeOperatorVersions(run: Run): void {
  const b = run.b;
  if (!b.fusOperator.inFlash || run.ctx.transport !== 'swd') return;
  const fusWord = b.cpu2 === 'safeboot' || b.lockedUp !== null ? 0 : fusVersionWord(b.fus.version);
  b.fusOperator = { ...b.fusOperator, sram1: { fusVersionWord: fusWord, stackVersionWord: b.stack?.versionWord ?? 0 } };
}

/**
 * Common gate of the FUS commands (delete, upgrade, start stack, anti-rollback, keys). Returns a failed
 * outcome, or undefined when FUS is running and may be asked.
 */
function fusGate(run: Run, command: string, isFusUpdate = false): SimOutcome | undefined {
  const b = run.b;
  b.counters.fusCommands++;
  if (run.ctx.transport === 'swd') {
    const prepared = prepareSwdFus(run);
    if (prepared) return prepared;
  }
  b.fus.consecutiveGetState = 0;
  if (b.lockedUp !== null) return fail('LOCKED_UP', `CPU2 is locked up for good (${b.lockedUp})`, { status: UNKNOWN_ERROR });
  if (b.cpu2 === 'safeboot') {
    // P29/P30/P35: FUS version 0.0.0, FUS cannot be started while the option bytes force safeboot.
    return fail('STATE_NOT_RUNNING', 'CPU2 runs safeboot (SFSA=0x00, SBRV=0x3FC00): FUS is not running and cannot be started', { status: NOT_RUNNING });
  }
  if (b.cpu2 !== 'fus') {
    // community m-p/63529: FUS commands sent while the wireless stack runs are not understood.
    return fail('STATE_NOT_RUNNING', `${command}: FUS is not running (the wireless stack is); send FUS_GET_STATE twice first`, { status: NOT_RUNNING });
  }
  if (b.optionBytes.rdp !== 0xaa) {
    // STM32WB.md §4: refuse while RDP is not 0xAA. Field report P39: RDP 0xBB -> "Firmware not authentic!".
    const error: FusError = command === 'FW_UPGRADE' ? 'IMG_NOT_AUTHENTIC' : 'ERR_UNKNOWN';
    const status: FusStatus = { state: 'FUS_ERROR', error };
    setReport(b, status);
    return fail(error, `${command} refused: RDP is 0x${b.optionBytes.rdp.toString(16).toUpperCase()}, FUS operations need level 0 (0xAA)`, { status });
  }
  if (!isFusUpdate && isLockupProne(b)) {
    // ST v1.1.1 (WB5x): "On STM32WB5xxC and STM32WB5xxE, it is mandatory to install FUS V1.0.2 before any other
    // operation. Otherwise, the device might be locked in an unrecoverable state." (cli-transcripts/01: a WB55CC
    // on FUS 0.5.3 drops off USB on -fwdelete.)
    lockUp(run, `${command} on a ${b.device.key} still running FUS ${b.fus.version}`);
    return fail('LOCKED_UP', `CPU2 locked up: ${command} on a ${b.device.key} with FUS ${b.fus.version} (ST: update FUS before any other operation)`, { status: UNKNOWN_ERROR });
  }
  return undefined;
}

function lockUp(run: Run, reason: string): void {
  const b = run.b;
  b.lockedUp = reason;
  setReport(b, UNKNOWN_ERROR);
  run.emit({ type: 'locked-up', reason, ms: 0 });
  // The chip resets and drops off USB (cli-transcripts/01: "DFU disappears from Device Manager").
  resetChip(run, 'CPU2 lock-up');
}

function setReport(b: SimBoard, status: FusStatus): void {
  b.fus.state = status.state;
  b.fus.error = status.error;
}

function pollSeen(run: Run, status: FusStatus): void {
  run.emit({ type: 'fus-state', ...status, ms: TIMING.fusCommandMs });
}

// ---------------------------------------------------------------- delete

function toolRefusesDelete(run: Run): string | undefined {
  const { transport, toolVersion } = run.ctx;
  // Release notes v1.22.1, Warning 1: "With FUS v2.0.0, Coprocessor Binaries can be installed only through the USB
  // interface, Currently CubeProgrammer versions do not support "FW_delete" command when using the ST-Link interface."
  // v1.23.0 asks for CubeProgrammer >= 2.20. (Field report P46 saw the stack deleted anyway with 2.17; we model the
  // documented refusal: nothing happens on the board.)
  if (transport === 'swd' && toolVersion !== undefined && compareVersions(normalise(toolVersion), '2.20.0') < 0 && compareVersions(run.b.fus.version, '2.0.0') >= 0) {
    return `STM32CubeProgrammer ${toolVersion} cannot FW_DELETE over ST-LINK with FUS ${run.b.fus.version} (needs >= 2.20; or use USB)`;
  }
  return undefined;
}

/** `2.17` / `2.17.0` -> `2.17.0`. */
export function normalise(version: string): string {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  while (parts.length < 3) parts.push(0);
  return parts.slice(0, 3).join('.');
}

function fwDelete(run: Run): SimOutcome {
  const b = run.b;
  const refusal = toolRefusesDelete(run);
  if (refusal) return fail('UNSUPPORTED', refusal);
  const gate = fusGate(run, 'FW_DELETE');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FW_DELETE', ms: TIMING.fusCommandMs });
  if (!b.stack) {
    // STM32WB.md §4: deleting when nothing is installed reports IMG_NOT_FOUND and is harmless; FUS reports
    // SERVICE_ONGOING + IMAGE_NOT_FOUND to the next GET_STATE (cli-transcripts/14, third command).
    const status: FusStatus = { state: 'FUS_SERVICE_ONGOING', error: 'IMG_NOT_FOUND' };
    setReport(b, status);
    writeOperatorVersions(run);
    return { ok: true, warning: 'IMG_NOT_FOUND', status };
  }
  const loss = run.takePowerLoss('delete');
  if (loss) {
    b.pending = { operation: 'delete' };
    setReport(b, { state: 'FUS_SERVICE_ONGOING', error: 'NO_ERROR' });
    run.emit({ type: 'wait', reason: 'FW_DELETE', ms: TIMING.deleteMs / 2 });
    cutPower(run, loss);
    return fail('POWER_LOSS', 'power was lost while FUS deleted the stack');
  }
  run.emit({ type: 'delete', ms: TIMING.deleteMs });
  removeStack(run);
  setReport(b, IDLE);
  if (!resetChip(run, 'FW_DELETE done', 'fus')) return fail('POWER_LOSS', 'power was lost during the reset after FW_DELETE');
  writeOperatorVersions(run);
  return { ok: true, status: IDLE };
}

function removeStack(run: Run): void {
  const b = run.b;
  const device = deviceOf(b);
  // community 166069: SFSA 0xCE -> 0xF4 after delete on a 1M part: the secure area shrinks back to FUS.
  const fusStart = fusAreaStart(device, b.fus.version);
  b.stack = null;
  b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, fusStart), sbrv: sbrvFor(device, fusStart) };
  if (b.cpu2 === 'stack') b.cpu2 = 'fus';
}

// ---------------------------------------------------------------- flash writes (images, application)

/** Erases everything non-secure in [start, end): staged images, the application, the operator. Returns true when the application was hit. */
function destroyRange(run: Run, start: number, end: number, by: 'fus-operator' | 'write' | 'install'): boolean {
  const b = run.b;
  b.staged = b.staged.filter((s) => !overlaps(s.address, s.address + s.size, start, end));
  const device = deviceOf(b);
  if (overlaps(device.flashBase, device.flashBase + FUS_OPERATOR_SIZE, start, end) && by !== 'fus-operator') b.fusOperator = { ...b.fusOperator, inFlash: false };
  const app = b.application;
  if (app.present && overlaps(app.start, app.start + app.size, start, end)) {
    if (by === 'fus-operator') b.application = { ...app, clobberedByFusOperator: true };
    else b.application = { ...app, overwritten: true };
    return true;
  }
  return false;
}

function writeFlash(run: Run, w: FlashWrite, asApplication: boolean): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  const end = w.address + w.size;
  if (w.size <= 0) throw new SimModelError('a flash write needs at least one byte');
  if (w.address < device.flashBase || end > device.flashBase + device.flashSize) {
    // cli-transcripts/05: "Operation exceeds memory limits" / "failed to erase memory".
    return fail('OUT_OF_FLASH', `0x${w.address.toString(16).toUpperCase()}..0x${end.toString(16).toUpperCase()} is outside the flash (0x${device.flashBase.toString(16).toUpperCase()}..0x${(device.flashBase + device.flashSize).toString(16).toUpperCase()})`);
  }
  if (b.optionBytes.rdp !== 0xaa) return fail('RDP_PROTECTED', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()})`);
  if (b.cpu2 === 'safeboot') return fail('WRITE_PROTECTED', 'flash is write protected (safeboot: SFSA=0x00)');
  const firstPage = pageOf(device, w.address);
  const lastPage = pageOf(device, end - 1);
  const sfsa = b.optionBytes.sfsa;
  if (lastPage >= sfsa) {
    // Field report P10: "the CPU tried to erase protected sectors, starting from 0x080F4000, where the FUS is located";
    // the pages below SFSA in the range are erased before the first protected one fails.
    if (firstPage < sfsa) destroyRange(run, pageAddress(device, firstPage), pageAddress(device, sfsa), 'write');
    run.emit({ type: 'erase', firstPage, lastPage, failedFromPage: Math.max(firstPage, sfsa), ms: eraseMs(Math.max(0, sfsa - firstPage) + 1) });
    return fail('WRITE_PROTECTED', `pages ${firstPage}..${lastPage} reach the secure area (SFSA 0x${sfsa.toString(16).toUpperCase()} = 0x${secureStart(b).toString(16).toUpperCase()}): erase of page ${Math.max(firstPage, sfsa)} failed`);
  }
  const pages = lastPage - firstPage + 1;
  const hitApp = destroyRange(run, pageAddress(device, firstPage), pageAddress(device, lastPage + 1), 'write');
  run.emit({ type: 'erase', firstPage, lastPage, ms: eraseMs(pages) });
  // Power loss mid-download: a prefix of the file is in flash. The trailer (footer) is at the end of the file,
  // so FUS finds no image in it (IMG_NOT_FOUND), never a silently installed one.
  const downloadLoss = b.faults.find((f): f is Extract<Fault, { at: string }> => 'at' in f && f.at.startsWith('download:'));
  if (downloadLoss) {
    const percent = Number(downloadLoss.at.slice('download:'.length));
    const loss = run.takePowerLoss(downloadLoss.at)!;
    const written = Math.floor((w.size * percent) / 100);
    run.emit({ type: 'write', address: w.address, size: written, ms: downloadMs(run.ctx.transport, written) });
    if (written > 0) {
      if (asApplication) b.application = { present: true, start: w.address, size: written, sha256: null, clobberedByFusOperator: false, overwritten: true };
      else addStaged(b, { address: w.address, size: written, sha256: w.sha256, name: w.name, complete: written === w.size, image: written === w.size ? w.image : null });
    }
    cutPower(run, loss);
    return fail('POWER_LOSS', `power was lost at ${percent}% of the download (${written} of ${w.size} bytes written)`);
  }
  run.emit({ type: 'write', address: w.address, size: w.size, ms: downloadMs(run.ctx.transport, w.size) });
  if (asApplication) {
    b.application = { present: true, start: w.address, size: w.size, sha256: w.sha256, clobberedByFusOperator: false, overwritten: false };
  } else {
    addStaged(b, { address: w.address, size: w.size, sha256: w.sha256, name: w.name, complete: true, image: w.image });
    if (hitApp) run.note(`the image written at 0x${w.address.toString(16).toUpperCase()} overwrote part of the application`);
  }
  return { ok: true };
}

function addStaged(b: SimBoard, s: StagedImage): void {
  b.staged = [...b.staged, s].sort((x, y) => x.address - y.address);
}

// ---------------------------------------------------------------- FW_UPGRADE

/**
 * FW_UPGRADE: FUS searches flash below SFSA for an image footer; the address argument is ignored
 * (MicroPython rfcore_firmware.py citing AN5185 Table 9 footnote; ST, field report P44: "it looks for some magic
 * word starting from the beginning of the Flash memory"). The lowest complete image wins.
 */
function fwUpgrade(run: Run): SimOutcome {
  const b = run.b;
  const findImage = () => b.staged.find((s) => s.complete && s.image !== null && s.address + s.size <= secureStart(b));
  const gate = fusGate(run, 'FW_UPGRADE', findImage()?.image?.kind === 'fus');
  if (gate) return gate;
  // Over SWD the operator load above may have erased what sat at 0x08000000: search after it.
  const found = findImage();
  run.emit({ type: 'fus-command', command: 'FW_UPGRADE', ms: TIMING.fusCommandMs });
  if (!found || !found.image) {
    return fusRefuses(run, 'IMG_NOT_FOUND', 'FUS_ERROR', 'no image footer found in flash below SFSA (nothing staged, or only a partial write)');
  }
  const image = found.image;
  const ongoing: FusStateName = image.kind === 'fus' ? 'FUS_UPGRADE_ONGOING' : 'WIRELESS_STACK_UPGRADE_ONGOING';
  const refusal = checkImage(run, found, image);
  if (refusal) {
    // FUS erases an image it rejected (field report P41: "flash reset to ffffffff" after AUTH_TAG_ST_NOTFOUND).
    if (refusal.error !== 'IMG_NOT_FOUND') b.staged = b.staged.filter((s) => s !== found);
    return fusRefuses(run, refusal.error, refusal.error === 'IMG_NOT_FOUND' ? 'FUS_ERROR' : ongoing, refusal.message);
  }
  pollSeen(run, { state: ongoing, error: 'NO_ERROR' });
  const loss = run.takePowerLoss('install');
  if (loss) {
    // Assumption documented by ST for FUS (AN5185 "FUS upgrade" robustness): the image stays in flash and FUS
    // restarts the install at the next boot. The command itself reports the loss; resumePending notes the resume.
    b.pending = { operation: 'install', staged: found };
    b.staged = b.staged.filter((s) => s !== found);
    setReport(b, { state: ongoing, error: 'NO_ERROR' });
    run.emit({ type: 'wait', reason: 'install', ms: TIMING.stackInstallBaseMs / 2 });
    cutPower(run, loss);
    return fail('POWER_LOSS', `power was lost while FUS installed ${image.kind} ${image.version}`, { status: { state: ongoing, error: 'NO_ERROR' } });
  }
  b.staged = b.staged.filter((s) => s !== found);
  if (image.kind === 'fus') return finishFusUpgrade(run, found, image);
  return finishStackUpgrade(run, found, image);
}

function fusRefuses(run: Run, error: FusError, state: FusStateName, message: string): SimOutcome {
  const status: FusStatus = { state, error };
  setReport(run.b, status);
  pollSeen(run, status);
  writeOperatorVersions(run);
  return fail(error, message, { status });
}

/** The FUS upgrade graph (STM32WB.md §4, release notes §2). Returns why not, or undefined. */
export function fusUpgradeRefusal(running: string, image: Pick<ImageView, 'version' | 'fusVariant'>): string | undefined {
  const target = image.version;
  // STM32WB.md §4: "FUS (can never be downgraded; no exception)". ST (cli-transcripts/20 E): "FUS_IMAGE_NOT_AUTHENTIC
  // error message could happen when the FUS is already up to date".
  if (compareVersions(target, running) <= 0) return `FUS ${running} cannot take FUS ${target}: FUS never goes down (nor sideways)`;
  const from = (range: string) => satisfiesSimple(running, range);
  if (image.fusVariant === 'for-fus-0.5.3') {
    // Release notes v1.11.1: "to be installed exclusively on STM32WB5x containing FUS V0.5.3".
    return from('0.5.3') ? undefined : `the _for_fus_0_5_3 image installs only on FUS 0.5.3 (running ${running})`;
  }
  if (image.fusVariant === 'from-fus-1.x') {
    // STEP 6: "Download FUS v1.2.0 for FUSv1.x.y upgrade (when x < 2)".
    return from('1.0.x') || from('1.1.x') ? undefined : `the FUS 1.2.0 image (_1_2_0 / pre-v1.22.1 _FUS_fw) installs only on FUS 1.0.x/1.1.x (running ${running})`;
  }
  if (target.startsWith('1.0.')) {
    // v1.1.0 "0x080EC000 (On top of FUS v0.5.3)"; v1.5.0 STEP 5 "Download FUS 1.0.2" from 0.5.3; P49: 1.0.1 cannot go to 1.0.2.
    return from('0.5.3') ? undefined : `FUS ${target} installs only on FUS 0.5.3 (running ${running})`;
  }
  if (target.startsWith('1.1.')) {
    // v1.5.0-v1.11.0: "01000100 or 01000200 : FUSv1.0.x => Must be updated using STEP 6" (to 1.1.x). Assumption: 1.1.x -> newer 1.1.x too.
    return from('1.0.x') || from('1.1.x') ? undefined : `FUS ${target} installs only on FUS 1.0.x/1.1.x (running ${running})`;
  }
  if (target.startsWith('2.')) {
    // STEP 7: "Download latest FUS for FUSv1.2.0 upgrade". Assumption (not stated by ST): 2.x -> newer 2.x is allowed.
    // FUS 0.5.3 fed a 2.x fw.bin: the closest documented behaviour is IMG_NOT_AUTHENTIC (0.5.3 answered
    // "Firmware not authentic!" to images it would not take, field reports P38/P39; ST in cli-transcripts/20 E).
    return from('1.2.0') || from('2.x') ? undefined : `FUS ${target} installs only on FUS 1.2.0 or an older 2.x (running ${running}): update to FUS 1.2.0 first`;
  }
  return `no known upgrade path from FUS ${running} to ${target}`;
}

/** `1.0.x` / `2.x` / `0.5.3` without pulling semver ranges in for three patterns. */
function satisfiesSimple(version: string, pattern: string): boolean {
  const v = version.split('.');
  const p = pattern.split('.');
  return p.every((part, i) => part === 'x' || part === v[i]);
}

interface Refusal {
  error: FusError;
  message: string;
}

function checkImage(run: Run, staged: StagedImage, image: ImageView): Refusal | undefined {
  const b = run.b;
  const device = deviceOf(b);
  const fus = b.fus.version;
  // Assumption: FUS 1.x does not know the FUSv2-only magics (0xB10C8B99, 0x927A6741), so it finds no image at
  // all: field reports P8/P9 (stack 1.2x on FUS 1.2.0 -> FUS_IMAGE_NOT_FOUND), P40 ("This version requires FUS v.2").
  if (image.fusV2Only && compareVersions(fus, '2.0.0') < 0) {
    return { error: 'IMG_NOT_FOUND', message: `FUS ${fus} does not recognise the FUSv2-only image footer (magic 0x${image.imageMagic.toString(16).toUpperCase()}): it needs FUS >= 2.0.0` };
  }
  if (image.signature === 'customer' && b.customerAuthKey === 'none') {
    return { error: 'AUTH_TAG_CUST_NOTFOUND', message: 'customer-signed image but no customer authentication key is installed in FUS' };
  }
  if (image.authenticity === 'forged') {
    return { error: 'IMG_NOT_AUTHENTIC', message: 'the signature is not one FUS accepts (not a known ST image, not an intact simulated stand-in)' };
  }
  if (image.families.length > 0 && !image.families.includes(device.family)) {
    // Assumption: an image for another family does not authenticate on this one.
    return { error: 'IMG_NOT_AUTHENTIC', message: `image for ${image.families.join('/')}, board is ${device.family}` };
  }
  if (image.kind === 'other') return { error: 'IMG_NOT_AUTHENTIC', message: 'footer magic 0x42769811 ("other"): not an image FUS installs' };
  if (image.kind === 'fus') {
    const why = fusUpgradeRefusal(fus, image);
    if (why) return { error: 'IMG_NOT_AUTHENTIC', message: why };
    // Assumption (psdb deletes the stack before a FUS update): FUS 0.5.3 -> 1.x grows the FUS area 0xF6 -> 0xF4 on a
    // 1 MB part; a stack still ending at 0xF6 leaves it no room.
    const newStart = fusAreaStart(device, image.version);
    if (b.stack && newStart < b.stack.address + b.stack.pages * device.pageSize) {
      return { error: 'IMG_NOT_ENOUGH_SPACE', message: `FUS ${image.version} needs its area from 0x${newStart.toString(16).toUpperCase()}, where the installed stack is: delete the stack first` };
    }
    return undefined;
  }
  // Stacks and safeboot (STM32WB.md §4; release notes §4).
  if (compareVersions(fus, '1.0.1') < 0) {
    // Release notes v1.1.0: FUS 1.0.1 "MUST be installed to use Wireless Coprocessor Binaries v1.1.0". Assumption: 0.5.3 rejects them as not authentic.
    return { error: 'IMG_NOT_AUTHENTIC', message: `FUS ${fus} cannot install wireless stacks of v1.1.0 and later: update FUS first` };
  }
  if (image.kind === 'safeboot' && !image.fusV2Only && compareVersions(fus, '1.1.0') < 0) {
    // v1.13.0: "This binary is intended only for FUS versions V1.1.0 and higher."
    return { error: 'IMG_NOT_AUTHENTIC', message: `safeboot ${image.version} needs FUS >= 1.1.0 (running ${fus})` };
  }
  const ar = b.antiRollback;
  if (ar.state === 'active') {
    if (ar.floorWord === BLANK_VERSION_WORD) {
      // AN5185 Rev11 §2.4 (community td-p/800310): activated without a stack, "FUS registers 0xFFFFFFFF as the new version
      // and it is not possible to install a wireless stack". The field log (P7) shows FUS_STATE_IMG_NOT_FOUND.
      return { error: 'IMG_NOT_FOUND', message: 'anti-rollback was activated with no stack installed: FUS registered 0xFFFFFFFF and refuses every stack for good' };
    }
    if (image.versionWord >>> 0 < ar.floorWord >>> 0) {
      // v1.5.0: anti-rollback "prevents installation of any older version of firmware".
      return { error: 'FW_ROLLBACK_ERROR', message: `anti-rollback is active: ${image.version} is older than the installed ${versionOfWord(ar.floorWord)}` };
    }
  }
  return spaceRefusal(run, staged, image);
}

function versionOfWord(word: number): string {
  return `${(word >>> 24) & 0xff}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}`;
}

/**
 * Where a stack goes, and whether it fits (field reports P43/P44):
 * - the stack ends at the FUS area; it occupies ceil(size/page) pages, plus 16 KiB for a FUSv2-only image
 *   (release notes v1.22.1 Warning 2), and SFSA moves to its start.
 * - FUS installs from the download area: the image must lie below its target region, plus the FUSv2-only extra
 *   (P43: a 127 KB BLE_Stack_full at 0x080D4000, i.e. TOP - size without the 0x4000, got IMG_NO_SPACE on FUS 2.0.0).
 * - over an installed stack (no delete first), "the new stack replaces always the old one" (ST, community m-p/252073);
 *   a bigger one needs one more free sector below the old one (ST, P44: "OldStackAdd - NewStackSize - 1 Sector").
 * - it must not reach down into the application (the user's code is not FUS's to erase).
 */
function spaceRefusal(run: Run, staged: StagedImage, image: ImageView): Refusal | undefined {
  const b = run.b;
  const device = deviceOf(b);
  const fusStart = fusAreaStart(device, b.fus.version);
  const pages = footprintPages(device, staged.size, image.fusV2Only);
  const target = fusStart - pages * device.pageSize;
  const sfsaAddr = secureStart(b);
  const growing = b.stack !== null && pages > b.stack.pages;
  const needEnd = staged.address + pages * device.pageSize + (growing ? device.pageSize : 0);
  if (needEnd > sfsaAddr) {
    return {
      error: 'IMG_NOT_ENOUGH_SPACE',
      message: `image at 0x${staged.address.toString(16).toUpperCase()} needs ${pages} pages${growing ? ' + 1 sector (bigger than the installed stack)' : ''} up to 0x${needEnd.toString(16).toUpperCase()}, but SFSA is 0x${sfsaAddr.toString(16).toUpperCase()}`,
    };
  }
  const app = b.application;
  if (app.present && !app.overwritten && !app.clobberedByFusOperator && app.start + app.size > target) {
    return { error: 'IMG_NOT_ENOUGH_SPACE', message: `the stack would start at 0x${target.toString(16).toUpperCase()}, inside the application (ends 0x${(app.start + app.size).toString(16).toUpperCase()})` };
  }
  if (target < device.flashBase) return { error: 'IMG_NOT_ENOUGH_SPACE', message: 'image larger than the flash' };
  return undefined;
}

function finishFusUpgrade(run: Run, staged: StagedImage, image: ImageView): SimOutcome {
  const b = run.b;
  const was = b.fus.version;
  // psdb README: a FUS upgrade "target board will reboot at least 4 times".
  for (let i = 0; i < TIMING.fusUpgradeReboots; i++) {
    run.emit({ type: 'wait', reason: 'FUS upgrade', ms: TIMING.fusUpgradeMs / TIMING.fusUpgradeReboots });
    if (!resetChip(run, `FUS upgrade reboot ${i + 1}`, 'fus')) {
      b.pending = { operation: 'install', staged };
      return fail('POWER_LOSS', 'power was lost during a FUS upgrade reboot');
    }
  }
  installFus(run, staged, image);
  run.emit({ type: 'install', kind: 'fus', version: image.version, ms: 0 });
  let status: FusStatus = { ...IDLE };
  if (was === '0.5.3' && run.takeFault('fus-053-not-authentic-quirk')) {
    // Field report P38, cli-transcripts/14 and 20: the 0.5.3 upgrade ends with "FUS_UPGRADE_ONGOING /
    // FUS_IMAGE_NOT_AUTHENTIC / Error: Firmware not authentic!" although 0x20030030 then reads the new FUS.
    // ("FUS update tries twice": plausibly the tool re-sends FW_UPGRADE and the new FUS refuses the same image.)
    status = { state: 'FUS_UPGRADE_ONGOING', error: 'IMG_NOT_AUTHENTIC' };
  }
  pollSeen(run, status);
  writeOperatorVersions(run);
  return { ok: true, status, installed: { kind: 'fus', version: image.version } };
}

function installFus(run: Run, _staged: StagedImage, image: ImageView): void {
  const b = run.b;
  const device = deviceOf(b);
  b.fus.version = image.version;
  const newStart = fusAreaStart(device, image.version);
  destroyRange(run, newStart, device.flashBase + device.flashSize, 'install');
  if (!b.stack) b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, newStart), sbrv: sbrvFor(device, newStart) };
  // Flipper scripts/flash.py: "NEVER FLASH FUS, IT WILL ERASE CRYPTO ENCLAVE" (user keys stored in FUS are lost).
  b.userKeys = 0;
  setReport(b, IDLE);
  b.cpu2 = 'fus';
}

function finishStackUpgrade(run: Run, staged: StagedImage, image: ImageView): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  run.emit({ type: 'wait', reason: 'stack install', ms: stackInstallMs(Math.ceil(staged.size / device.pageSize)) });
  if (!resetChip(run, 'stack installed', 'fus')) {
    b.pending = { operation: 'install', staged };
    return fail('POWER_LOSS', 'power was lost during the reset after the stack install');
  }
  installStack(run, staged, image);
  run.emit({ type: 'install', kind: image.kind === 'safeboot' ? 'safeboot' : 'stack', version: image.version, ms: 0 });
  // FAQ ta-p/722270: "after the installation of a wireless stack, it by default starts running".
  if (!resetChip(run, 'wireless stack started')) return fail('POWER_LOSS', 'power was lost while the new stack started');
  // cli-transcripts/14: the last poll after a stack install says FUS_ERROR / FUS_NOT_RUNNING (the stack runs now).
  const status = b.cpu2 === 'stack' ? { ...NOT_RUNNING } : { ...IDLE };
  pollSeen(run, status);
  writeOperatorVersions(run);
  return { ok: true, status, installed: { kind: image.kind === 'safeboot' ? 'safeboot' : 'stack', version: image.version } };
}

function installStack(run: Run, staged: StagedImage, image: ImageView): void {
  const b = run.b;
  const device = deviceOf(b);
  const fusStart = fusAreaStart(device, b.fus.version);
  const pages = footprintPages(device, staged.size, image.fusV2Only);
  const address = fusStart - pages * device.pageSize;
  destroyRange(run, address, fusStart, 'install');
  const type = image.stackType;
  b.stack = {
    kind: image.kind === 'safeboot' ? 'safeboot' : 'stack',
    version: image.version,
    build: image.build ?? (image.versionWord & 0x0f),
    versionWord: image.versionWord,
    memorySizeWord: image.memorySizeWord,
    type,
    typeCode: type ? (stackTypeByName(type)?.code ?? null) : null,
    fusV2Only: image.fusV2Only,
    address,
    pages,
    sha256: staged.sha256,
    name: staged.name,
  };
  // SFSA/SBRV move to the new image start (STM32WB.md §5: SBRV = SFSA*page/4 when CPU2 boots the stack).
  b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, address), sbrv: sbrvFor(device, address) };
  setReport(b, IDLE);
}

// ---------------------------------------------------------------- start stack, anti-rollback, keys

function startStack(run: Run): SimOutcome {
  const b = run.b;
  if (b.cpu2 === 'stack' && b.lockedUp === null && run.ctx.transport !== 'swd') return { ok: true, status: { ...NOT_RUNNING } };
  const gate = fusGate(run, 'FUS_START_WS');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FUS_START_WS', ms: TIMING.fusCommandMs });
  if (!b.stack) {
    // Field report P7: "Error: Start Wireless Stack Operation Failure!" when no stack can be started.
    return fusRefuses(run, 'IMG_NOT_FOUND', 'FUS_ERROR', 'FUS_START_WS: no wireless stack is installed');
  }
  if (!resetChip(run, 'FUS_START_WS')) return fail('POWER_LOSS', 'power was lost while the stack started');
  writeOperatorVersions(run);
  return { ok: true, status: { ...NOT_RUNNING } };
}

function activateAntiRollback(run: Run): SimOutcome {
  const b = run.b;
  const gate = fusGate(run, 'ACTIVATE_ANTIROLLBACK');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FUS_ACTIVATE_ANTIROLLBACK', ms: TIMING.fusCommandMs });
  if (compareVersions(b.fus.version, '1.1.0') < 0) {
    // Release notes v1.5.0 (FUS 1.1.0): "Add Antirollback mechanism". Older FUS do not know the command.
    return fusRefuses(run, 'ERR_UNKNOWN', 'FUS_ERROR', `FUS ${b.fus.version} has no anti-rollback (added with FUS 1.1.0)`);
  }
  if (b.antiRollback.state === 'active') return { ok: true, status: { ...IDLE } };
  // Irreversible. AN5185 §2.4: with no stack installed FUS registers 0xFFFFFFFF and no stack can ever be installed.
  b.antiRollback = { state: 'active', floorWord: b.stack ? b.stack.versionWord >>> 0 : BLANK_VERSION_WORD };
  if (!b.stack) run.note('anti-rollback activated with no stack installed: no wireless stack can ever be installed on this chip');
  return { ok: true, status: { ...IDLE } };
}

function keyCommand(run: Run, op: 'storeUserKey' | 'updateAuthKey' | 'lockAuthKey'): SimOutcome {
  const b = run.b;
  const gate = fusGate(run, op);
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: op, ms: TIMING.fusCommandMs });
  if (op === 'storeUserKey') b.userKeys++;
  else if (op === 'lockAuthKey') b.customerAuthKey = 'locked';
  else {
    if (b.customerAuthKey === 'locked') return fusRefuses(run, 'AUTH_KEY_LOCKED', 'FUS_ERROR', 'the customer authentication key is locked');
    b.customerAuthKey = 'installed';
  }
  return { ok: true, status: { ...IDLE } };
}

// ---------------------------------------------------------------- option bytes

const OB_NAMES: Record<keyof OptionBytesRequest, string> = { rdp: 'rdp', sfsa: 'sfsa', sbrv: 'sbrv', nSWboot0: 'nswboot0', nBOOT0: 'nboot0', nBOOT1: 'nboot1', ese: 'ese' };

function writeOptionBytes(run: Run, values: OptionBytesRequest): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  const keys = Object.keys(values) as (keyof OptionBytesRequest)[];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const k of keys) (values[k] === b.optionBytes[k] ? unchanged : changed).push(OB_NAMES[k]);
  if (changed.length === 0) return { ok: true, changed, unchanged };
  if (b.cpu2 === 'safeboot') {
    // Field report P33 (cli-transcripts/10): "Error: Option Byte Programming failed Or modified by application after OB_LAUNCH".
    return fail('OB_FAILED', 'option byte programming failed (safeboot: the option bytes are locked)', { changed, unchanged, mismatches: keys.filter((k) => values[k] !== b.optionBytes[k]).map((k) => ({ name: OB_NAMES[k], expected: values[k]!, found: b.optionBytes[k] })) });
  }
  const mismatches: { name: string; expected: number; found: number }[] = [];
  for (const k of ['sfsa', 'sbrv'] as const) {
    const v = values[k];
    // cli-transcripts/24 A: "Error: Expected value for Option Byte "sfsa": 0xCB, found: ..." — "only CPU2 can change them".
    if (v !== undefined && v !== b.optionBytes[k]) mismatches.push({ name: OB_NAMES[k], expected: v, found: b.optionBytes[k] });
  }
  if (values.rdp !== undefined && values.rdp === 0xcc) {
    return fail('UNSUPPORTED', 'RDP level 2 (0xCC) is irreversible; the simulator does not go there', { changed, unchanged });
  }
  const next = { ...b.optionBytes };
  for (const k of ['nSWboot0', 'nBOOT0', 'nBOOT1', 'ese'] as const) {
    const v = values[k];
    if (v !== undefined) next[k] = v;
  }
  if (values.rdp !== undefined && values.rdp !== b.optionBytes.rdp) {
    if (b.optionBytes.rdp !== 0xaa && values.rdp === 0xaa) {
      // RDP regression 1 -> 0 mass-erases the non-secure flash (ST, cli-transcripts/26 F: "set the RDP level to 0xBB and
      // then revert to 0xAA" erases everything from 0x08000000 to SFSA).
      destroyRange(run, device.flashBase, secureStart(b), 'write');
      b.application = { ...b.application, present: false, sha256: null, size: 0, overwritten: false, clobberedByFusOperator: false };
      b.fusOperator = { ...b.fusOperator, inFlash: false };
    }
    next.rdp = values.rdp;
  }
  b.optionBytes = next;
  run.emit({ type: 'option-bytes', changed, ms: TIMING.optionBytesMs });
  // OBL_LAUNCH reloads the option bytes with a reset.
  if (!resetChip(run, 'option bytes reload (OBL_LAUNCH)')) return fail('POWER_LOSS', 'power was lost during the option byte reload');
  if (mismatches.length) return fail('OB_REFUSED', `${mismatches.map((m) => m.name.toUpperCase()).join(', ')}: only CPU2 (FUS) can change these`, { changed, unchanged, mismatches });
  return { ok: true, changed, unchanged };
}

// ---------------------------------------------------------------- memory

const SRAM2A = 0x20030000;
const DIT_ADDRESS = 0x20030024;
const DIT_WORDS = 13;
const OPERATOR_FUS_VERSION = 0x20010010;
const OPERATOR_STACK_VERSION = 0x20010014;
const PWR_CR4 = 0x5800040c;
const C2BOOT = 0x8000;

/** Deterministic pseudo-random word for memory content we do not model bit by bit (FNV-1a of a seed). */
function noiseWord(seed: string, address: number): number {
  let h = 0x811c9dc5;
  const s = `${seed}:${address}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The FUS device info table (STM32WB.md §5; FUS 1.1.x dump in notes/fus-internals.md and cli-transcripts/26 A). */
export function fusInfoTable(b: SimBoard): number[] {
  const uid = BigInt(b.device.uid64);
  return [
    FUS_INFO_VALID_KEY,
    b.infoTable.word04,
    b.infoTable.safebootVersionWord,
    fusVersionWord(b.fus.version),
    b.infoTable.fusMemorySizeWord,
    b.stack?.versionWord ?? 0,
    b.stack?.memorySizeWord ?? 0,
    0,
    0,
    0,
    Number(uid & 0xffffffffn),
    Number((uid >> 32n) & 0xffffffffn),
    b.infoTable.deviceInfoWord,
  ];
}

function wordAt(b: SimBoard, address: number): number {
  const device = deviceOf(b);
  if (address >= SRAM2A && address < SRAM2A + 0x2800) {
    if (b.sram2aCleared || b.cpu2 === 'safeboot' || b.lockedUp !== null) return 0;
    if (b.cpu2 === 'stack') {
      // The stack's own reference tables live there: 0x20030030 is not the FUS version (field reports P11, P23: garbage).
      return noiseWord(b.stack?.sha256 ?? 'stack', address);
    }
    if (address >= DIT_ADDRESS && address < DIT_ADDRESS + DIT_WORDS * 4) return fusInfoTable(b)[(address - DIT_ADDRESS) / 4] ?? 0;
    if (address === SRAM2A) return DIT_ADDRESS;
    return 0;
  }
  if (address === OPERATOR_FUS_VERSION) return b.fusOperator.sram1?.fusVersionWord ?? 0;
  if (address === OPERATOR_STACK_VERSION) return b.fusOperator.sram1?.stackVersionWord ?? 0;
  if (address >= device.flashBase && address < device.flashBase + device.flashSize) {
    if (address >= secureStart(b)) return 0; // secure flash reads as zero from CPU1's side
    const op = b.fusOperator.inFlash && address < device.flashBase + FUS_OPERATOR_SIZE;
    if (op) return noiseWord('fus-operator', address);
    const s = b.staged.find((x) => address >= x.address && address < x.address + x.size);
    if (s) return noiseWord(s.sha256, address - s.address);
    const app = b.application;
    if (app.present && address >= app.start && address < app.start + app.size) return noiseWord(app.sha256 ?? 'app', address - app.start);
    return 0xffffffff;
  }
  return 0;
}

function readMemory(run: Run, address: number, words: number): SimOutcome {
  if (address % 4 !== 0) throw new SimModelError(`unaligned 32-bit read at 0x${address.toString(16)}`);
  if (run.ctx.transport !== 'simulated' && run.b.optionBytes.rdp !== 0xaa && address >= 0x08000000 && address < 0x08100000) {
    return fail('RDP_PROTECTED', 'flash is read-protected (RDP level 1)');
  }
  const out: number[] = [];
  for (let i = 0; i < words; i++) out.push(wordAt(run.b, address + i * 4));
  run.emit({ type: 'fus-command', command: 'read', ms: words * TIMING.wordAccessMs });
  return { ok: true, words: out };
}

function writeMemory(run: Run, address: number, words: number[]): SimOutcome {
  const b = run.b;
  run.emit({ type: 'fus-command', command: 'write', ms: words.length * TIMING.wordAccessMs });
  if (address === PWR_CR4 && ((words[0] ?? 0) & C2BOOT) !== 0 && b.cpu2 === 'safeboot') {
    // Field report P35 (ST): "write the value 0x00008000 at the address 0x5800040C. This should work if ESE option byte
    // is checked." P29/P33: it did not help there (ESE unknown). Modelled: with ESE=1 safeboot restores the option bytes.
    if (b.optionBytes.ese === 1) {
      const device = deviceOf(b);
      const fusStart = fusAreaStart(device, b.fus.version);
      b.stack = null;
      b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, fusStart), sbrv: sbrvFor(device, fusStart) };
      b.cpu2 = 'fus';
      setReport(b, IDLE);
      run.note('C2BOOT with ESE=1: safeboot restored the option bytes (stack removed, FUS running)');
    } else {
      run.note('C2BOOT written but ESE=0: safeboot does not restore anything');
    }
  }
  return { ok: true };
}

/** The SFSA address of a board (exported for tests and the drivers). */
export function sfsaAddress(b: SimBoard): number {
  return sfsaToAddress(deviceOf(b), b.optionBytes.sfsa);
}
