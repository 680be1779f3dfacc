/**
 * `SimulatorDriver`: the Driver over a simulated board, in process. Each operation takes the board's store
 * lock, runs the model commands a host would send (connect, FUS start, delete, download, FW_UPGRADE...),
 * saves the new state, then spends the modelled device time (scaled by COPRO_SIM_SPEED) reporting progress.
 *
 * Transport 'simulated' talks to the chip directly; 'usb' / 'uart' / 'swd' add what those paths do
 * (USB re-enumeration, the SWD FUS operator that clobbers the application, what can be read back).
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { mustUpdateFusFirst } from '../early-fus.js';
import { fusErrorByName } from '../../domain/fus.js';
import {
  DriverError,
  withoutFusFacts,
  scopeFor,
  assertMayChange,
  freeReadOfInfoTable,
  unknownNote,
  stagingErase,
  type BoardAccess,
  type ReadOptions,
  type Driver,
  type DriverInfo,
  type DriverErrorCode,
  type FwUpgradeOptions,
  type OperationOptions,
  type OperationReport,
  type OptionBytesWrite,
  type Progress,
  type Transport,
  type BoardState,
} from '../driver.js';
import type { AvailableImage } from '../../images/types.js';
import type { SimBoard } from '../../generated/sim-board.js';
import { apply, type SimCommand, type SimContext, type SimEvent, type SimOutcome, type SimErrorCode, type ConnectMode } from './model.js';
import { modelledDuration, simSpeed, sleepModelled } from './timing.js';
import { withBoard, listSimulatedBoards, resetBoard, firstOrDefaultBoard, SimStoreError } from './store.js';
import { toBoardState } from './convert.js';
import { viewImage } from './image-view.js';
import { deviceOf } from './layout.js';
import { connectionLostLines, errorCodeOfLines, fusErrorLine, noTargetLines, toolErrorLines, type ToolPhase, type ToolStyle } from './tool-words.js';

export interface SimulatorDriverOptions {
  /** Folder of simulated boards (`<cwd>/.copro/sim` for the CLI). */
  dir: string;
  /** Which board; default: the first in the folder (a default board is created in an empty folder, or for an unknown serial). */
  serial?: string;
  /** Default 'simulated'. */
  transport?: Transport;
  /** COPRO_SIM_SPEED by default. */
  speed?: number;
  /** Pretend to be this STM32CubeProgrammer version (decides tool quirks such as the FUS 2.x delete over SWD). */
  toolVersion?: string;
  /** SWD connect mode (default under reset, as ST's procedures use). */
  connectMode?: ConnectMode;
  /** `free`: free reads only, every other operation refused (see BoardAccess). Default `full`. */
  access?: BoardAccess;
}

/** A sequence of model commands against one board, collecting events. */
class Exchange {
  readonly events: SimEvent[] = [];
  constructor(
    public board: SimBoard,
    readonly ctx: SimContext,
  ) {}
  run(command: SimCommand): SimOutcome {
    const r = apply(this.board, command, this.ctx);
    this.board = r.board;
    this.events.push(...r.events);
    return r.outcome;
  }
}

const ERROR_CODES: Partial<Record<SimErrorCode, DriverErrorCode>> = {
  NOT_POWERED: 'DISCONNECTED',
  NOT_REACHABLE: 'NO_TARGET',
  NO_TARGET: 'NO_TARGET',
  PROBE_ERROR: 'NO_TARGET',
  POWER_LOSS: 'DISCONNECTED',
  CONNECTION_LOST: 'DISCONNECTED',
  TIMEOUT: 'DISCONNECTED',
  STATE_NOT_RUNNING: 'FUS_NOT_RUNNING',
  IMG_NOT_AUTHENTIC: 'NOT_AUTHENTIC',
  AUTH_TAG_ST_NOTFOUND: 'NOT_AUTHENTIC',
  AUTH_TAG_CUST_NOTFOUND: 'NOT_AUTHENTIC',
  IMG_NOT_FOUND: 'IMG_NOT_FOUND',
  IMG_NOT_ENOUGH_SPACE: 'NOT_ENOUGH_SPACE',
  UNSUPPORTED: 'UNSUPPORTED',
  OB_REFUSED: 'OPTION_BYTES',
  OB_FAILED: 'OPTION_BYTES',
  WRITE_PROTECTED: 'TOOL_ERROR',
  OUT_OF_FLASH: 'TOOL_ERROR',
  RDP_PROTECTED: 'TOOL_ERROR',
  LOCKED_UP: 'FUS_ERROR',
};

export function driverErrorOf(code: SimErrorCode): DriverErrorCode {
  return ERROR_CODES[code] ?? 'FUS_ERROR';
}

function statusLines(e: Extract<SimEvent, { type: 'fus-state' }>): string[] {
  return [`FUS state is ${e.state}`, `FUS status is ${fusErrorByName(e.error)?.cliStatus ?? e.error}`];
}

/** Progress events per modelled write (a live terminal shows each; a log only milestones). */
const WRITE_SLICES = 10;

function progressOf(e: SimEvent): Progress | undefined {
  switch (e.type) {
    case 'connect':
      return { phase: 'connect' };
    case 'erase':
      return { phase: 'download', message: `erasing pages ${e.firstPage}..${e.lastPage}` };
    case 'write':
      return { phase: 'download', message: `writing ${e.size} bytes at 0x${e.address.toString(16).toUpperCase()}`, bytes: { done: 0, total: e.size } };
    case 'fus-state':
      return { phase: 'install', fusState: e.state };
    case 'reset':
      return { phase: 'reset', message: e.reason };
    case 'reconnect':
      return { phase: 'reconnect' };
    case 'delete':
      return { phase: 'delete' };
    case 'option-bytes':
    case 'fus-operator':
      return { phase: 'option-bytes' };
    default:
      return undefined;
  }
}

export class SimulatorDriver implements Driver {
  private closed = false;
  private modelled = 0;
  private readonly speed: number;
  private readonly ctx: SimContext;
  readonly access: BoardAccess;

  constructor(
    readonly dir: string,
    readonly serial: string,
    readonly transport: Transport,
    opts: { speed?: number; toolVersion?: string; connectMode?: ConnectMode; access?: BoardAccess } = {},
  ) {
    this.speed = opts.speed ?? simSpeed();
    this.access = opts.access ?? 'full';
    this.ctx = {
      transport,
      ...(transport === 'swd' ? { connectMode: opts.connectMode ?? 'under-reset' } : {}),
      ...(opts.toolVersion ? { toolVersion: opts.toolVersion } : {}),
    };
  }

  /** Modelled device time of every operation so far (benchmarks compare it with wall time). */
  get modelledMs(): number {
    return this.modelled;
  }

  info(): DriverInfo {
    return { kind: 'simulator', transport: this.transport, serial: this.serial, toolVersion: 'simulator' };
  }

  /**
   * One host session: connect, then `body`; saves the board, then replays the events in modelled time
   * (progress callbacks, abort) while still holding the board lock.
   */
  private async session<T>(opts: OperationOptions | undefined, body: (x: Exchange) => T, ctx: SimContext = this.ctx): Promise<T> {
    if (this.closed) throw new DriverError('REFUSED', 'this simulator driver was closed');
    if (opts?.signal?.aborted) throw new DriverError('ABORTED', 'aborted before the operation started');
    type Result = { connectError: SimOutcome } | { value: T };
    try {
      return await withBoard<Result>(
        this.dir,
        this.serial,
        (board) => {
          const x = new Exchange(board, ctx);
          const connected = x.run({ op: 'connect' });
          if (!connected.ok) {
            // Still save: connecting may have powered the board up (and FUS resumed an interrupted install).
            return { board: x.board, result: { connectError: connected }, modelledMs: modelledDuration(x.events) };
          }
          const result = body(x);
          const events = x.events;
          this.modelled += modelledDuration(events);
          return {
            board: x.board,
            result: { value: result },
            modelledMs: modelledDuration(events),
            hold: () => this.replay(events, opts),
          };
        },
        { speed: this.speed, ...(opts?.signal ? { signal: opts.signal } : {}) },
      ).then((r) => {
        if ('connectError' in r) {
          // The tool only says it found no target: why (no USB on the part, DFU not back yet, BOOT0) is not printed.
          const o = r.connectError;
          const lines = o.error === 'PROBE_ERROR' ? toolErrorLines(o, 'read', { deviceId: 0 }) : noTargetLines(this.transport, this.ctx.toolVersion ? { toolVersion: this.ctx.toolVersion, deviceId: 0 } : { deviceId: 0 });
          throw new DriverError(driverErrorOf(o.error ?? 'NOT_REACHABLE'), `no STM32 found on simulated board ${this.serial} over ${this.transport}: ${lines.at(-1)}`, {
            remedy: this.transport === 'usb' ? 'USB DFU needs the ROM bootloader: BOOT0 high (or nSWboot0=0) and a reset; `copro devices` lists what is attached' : 'check the probe, the wiring and the power; `copro devices` lists what is attached',
          });
        }
        return r.value;
      });
    } catch (e) {
      if (e instanceof SimStoreError) throw new DriverError(e.code === 'NO_BOARD' ? 'NO_TARGET' : 'TOOL_ERROR', e.message);
      throw e;
    }
  }

  private async replay(events: readonly SimEvent[], opts: OperationOptions | undefined): Promise<void> {
    for (const e of events) {
      const p = progressOf(e);
      if (p) opts?.onProgress?.(p);
      try {
        if (e.type === 'write' && p) {
          // The write's modelled time in tenths, with the bytes written so far (the same total time).
          for (let k = 1; k <= WRITE_SLICES; k++) {
            await sleepModelled(e.ms / WRITE_SLICES, this.speed, opts?.signal);
            opts?.onProgress?.({ ...p, bytes: { done: Math.round((e.size * k) / WRITE_SLICES), total: e.size } });
          }
          continue;
        }
        await sleepModelled(e.ms, this.speed, opts?.signal);
      } catch {
        throw new DriverError('ABORTED', 'aborted while the simulated board was busy (the board went on: read it back)');
      }
    }
  }

  /** FUS commands over USB/UART/direct need FUS running: FUS_GET_STATE twice when the stack runs (SWD: the operator does it). */
  private ensureFus(x: Exchange): SimOutcome | undefined {
    if (this.transport === 'swd' || x.board.cpu2 !== 'stack') return undefined;
    const o = x.run({ op: 'startFus' });
    return o.ok ? undefined : o;
  }

  /** How the tool would word things for this board (its version, the device's id and flash pages). */
  /** A failed outcome as the tool words it, on one line (for read notes). */
  private toolSaid(x: Exchange, o: SimOutcome): string {
    return toolErrorLines(o, 'read', this.style(x), x.events).join(' / ') || 'no answer';
  }

  private style(x: Exchange): ToolStyle {
    const d = deviceOf(x.board);
    return { ...(this.ctx.toolVersion ? { toolVersion: this.ctx.toolVersion } : {}), deviceId: x.board.device.deviceId, flash: { base: d.flashBase, pageSize: d.pageSize } };
  }

  /**
   * The operation's report in the tool's words only: FUS state/status pairs, the tool's fixed error texts, a lost
   * connection. The model's reasons (a power cut, an armed fault, a damaged FUS, a lock-up) are never passed on: a
   * real run does not see them, so copro must judge from the board read back on both paths (issue 14).
   */
  // fidelity: SIM-TOOL-WORDS
  private report(x: Exchange, outcome: SimOutcome, success?: string, phase: ToolPhase = 'fus'): OperationReport {
    const messages: string[] = [];
    for (const e of x.events) if (e.type === 'fus-state') messages.push(...statusLines(e));
    const s = this.style(x);
    // The board lost power (or was unplugged) during the exchange: all the tool sees is the device going away.
    const lost = x.events.some((e) => e.type === 'power-loss');
    if (outcome.warning === 'IMG_NOT_FOUND') messages.push('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
    else if (outcome.warning) messages.push(`Warning: FUS_STATE_${outcome.warning}`);
    const e = outcome.status?.error;
    const claimed = e !== undefined && e !== 'NO_ERROR' && e !== 'STATE_NOT_RUNNING' && e !== outcome.warning ? e : undefined;
    if (!outcome.ok || lost) {
      const lines = lost && (outcome.ok || !/^(POWER_LOSS|NOT_POWERED)$/.test(outcome.error ?? '')) ? connectionLostLines(s) : toolErrorLines(outcome, phase, s, x.events);
      messages.push(...lines);
      return { ok: false, messages, error: errorCodeOfLines(lines) };
    }
    if (claimed) {
      // The tool's own words say it failed (the FUS 0.5.3 "not authentic" quirk): report the claim; read-back decides.
      const line = fusErrorLine(claimed, s);
      messages.push(line);
      return { ok: false, messages, error: errorCodeOfLines([line]) };
    }
    if (success) messages.push(success);
    return { ok: true, messages };
  }

  async readState(opts?: ReadOptions): Promise<BoardState> {
    const scope = scopeFor(this.access, opts?.scope);
    if (scope === 'free') return this.readFree(opts);
    const restart = opts?.restartStack !== false;
    return this.session(opts, (x) => {
      const at = new Date().toISOString();
      const first = toBoardState(x.board, this.transport, at);
      if (scope === 'flash') return withoutFusFacts(first, 'flash-only read: FUS and the stack were not read (no FUS start, no SWD operator)');
      if (this.transport === 'swd') return this.readOverSwd(x, at, restart);
      // Same procedure as the CubeProgrammer driver: over USB/UART the versions read while the stack runs are
      // garbage (public field reports), so start FUS, read, and start the stack again.
      if (this.transport === 'simulated' || x.board.lockedUp !== null) return first;
      if (x.board.cpu2 !== 'stack') {
        // fidelity: SIM-READ-ASKS-FUS. As a real read does (CubeProgrammer's -fusgetstate): FUS is asked once, and its answer is what is known. A
        // sticky error (IMG_CORRUPT after a resumed install) is seen by this read and cleared by it, never peeked at.
        const asked = x.run({ op: 'getState' });
        return asked.ok && asked.status && x.board.cpu2 === 'fus' ? { ...first, fus: { ...first.fus, state: asked.status.state, error: asked.status.error } } : first;
      }
      const started = x.run({ op: 'startFus' });
      // (x.board changed under run(): read it afresh)
      if (!started.ok || (x.board.cpu2 as string) !== 'fus') return { ...first, notes: [...first.notes, `could not start FUS to read the versions: ${this.toolSaid(x, started)}`] };
      const inFus = toBoardState(x.board, this.transport, at);
      if (mustUpdateFusFirst(inFus)) {
        return { ...inFus, notes: [...inFus.notes, `CPU2 was left in FUS: on a ${inFus.device.flashSizeKB} KB part with FUS ${inFus.fus.version} nothing but a FUS update may run (release notes v1.1.1)`] };
      }
      if (!restart) return { ...inFus, notes: [...inFus.notes, 'versions read in FUS mode (FUS started: a reset); CPU2 left in FUS'] };
      return this.restartStackAfterRead(x, inFus, 'versions read in FUS mode (FUS started, then the stack started again: two resets)');
    });
  }

  /**
   * A free read: connect without a reset (SWD hot-plug; USB DFU / UART connect to the ROM bootloader, which
   * resets nothing) and read what the chip shows: option bytes, over USB/UART the FUS info table (valid only
   * while FUS runs), over SWD the flash. No FUS command at all.
   */
  private async readFree(opts: ReadOptions | undefined): Promise<BoardState> {
    const ctx: SimContext = this.transport === 'swd' ? { ...this.ctx, connectMode: 'hotplug' } : this.ctx;
    return this.session(
      opts,
      (x) => {
        const at = new Date().toISOString();
        const seen = toBoardState(x.board, this.transport, at);
        if (this.transport === 'simulated') return seen;
        if (this.transport === 'swd') return withoutFusFacts(seen, unknownNote('what CPU2 runs, the FUS version and the stack', 'swd', { ...(this.ctx.toolVersion ? { toolVersion: this.ctx.toolVersion } : {}), deviceId: x.board.device.deviceId }));
        // The info table at 0x20030024 is FUS's only while FUS runs (and not locked up); else it is the stack's.
        const fusRunning = x.board.cpu2 === 'fus' && x.board.lockedUp === null && !x.board.sram2aCleared;
        return freeReadOfInfoTable(seen, fusRunning);
      },
      ctx,
    );
  }

  /** Starts the installed stack again after a read that switched CPU2 to FUS, and reports the board as it then is. */
  private restartStackAfterRead(x: Exchange, inFus: BoardState, restartedNote: string): BoardState {
    const restarted = x.run({ op: 'startStack' });
    const running = restarted.ok && x.board.cpu2 === 'stack';
    return {
      ...inFus,
      cpu2: running ? 'stack' : inFus.cpu2,
      fus: running ? { ...inFus.fus, state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' } : inFus.fus,
      stack: { ...inFus.stack, running },
      notes: [...inFus.notes, running ? restartedNote : `the stack did not start again: ${restarted.ok ? 'no answer' : this.toolSaid(x, restarted)}`],
    };
  }

  /**
   * Like CubeProgrammer's "Read FUS infos" over SWD: the FUS operator is loaded (application sectors 0-1
   * overwritten, nSWboot0=0) and CPU2 switched to FUS (public field reports). An installed stack is
   * then started again, as the CubeProgrammer driver does, except where ST forbids any other operation.
   */
  private readOverSwd(x: Exchange, at: string, restart: boolean): BoardState {
    const got = x.run({ op: 'getState' });
    const inFus = toBoardState(x.board, 'swd', at);
    if (!got.ok) return { ...inFus, notes: [...inFus.notes, `FUS could not be reached through the operator: ${this.toolSaid(x, got)}`] };
    const notes = [...inFus.notes, "reading over SWD ran CubeProgrammer's FUS operator: the application's first sectors were overwritten and nSWboot0 set to 0"];
    if (!restart || inFus.stack.status !== 'installed' || (x.board.cpu2 as string) !== 'fus' || mustUpdateFusFirst(inFus) || this.fusStartedOnPurpose) return { ...inFus, notes };
    return this.restartStackAfterRead(x, { ...inFus, notes }, 'reading over SWD started FUS; the installed stack was started again');
  }

  /** CPU2 was put in FUS on purpose (startFus): a read over SWD must not start the stack again behind the plan's back. */
  private fusStartedOnPurpose = false;

  async startFus(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'starting FUS');
    this.fusStartedOnPurpose = true;
    return this.session(opts, (x) => {
      const o = this.transport === 'swd' ? x.run({ op: 'getState' }) : x.run({ op: 'startFus' });
      return this.report(x, o.ok && x.board.cpu2 !== 'fus' ? { ok: false, error: 'STATE_NOT_RUNNING', message: 'FUS did not start' } : o, 'FUS is running');
    });
  }

  async deleteStack(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'deleting the stack');
    return this.session(opts, (x) => {
      const o = this.ensureFus(x) ?? x.run({ op: 'fwDelete' });
      return this.report(x, o, 'Firmware delete Success', 'delete');
    });
  }

  async upgrade(image: AvailableImage, address: number, opts: FwUpgradeOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'installing an image');
    if (!image.path) throw new DriverError('REFUSED', `${image.name}: no local bytes to download (fetch the image first)`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(image.path);
    } catch (e) {
      throw new DriverError('REFUSED', `${image.name}: cannot read ${image.path}: ${(e as Error).message}`);
    }
    const viewed = viewImage(bytes, path.basename(image.path));
    if (opts.startStack) this.fusStartedOnPurpose = false; // startstack=1: the stack is meant to run afterwards
    return this.session(opts, (x) => {
      const notReady = this.ensureFus(x);
      if (notReady) return this.report(x, notReady);
      if (!opts.firstInstall) {
        // CubeProgrammer's firstinstall=0 runs FW_DELETE first (STM32CubeWB release notes, upgrade procedure); nothing installed = harmless IMG_NOT_FOUND.
        const deleted = x.run({ op: 'fwDelete' });
        if (!deleted.ok) return this.report(x, deleted, undefined, 'delete');
      }
      // The staging area (application end or image address .. SFSA) is erased first: FUS installs the first
      // image footer it finds below SFSA, so a leftover there would be installed instead (community td-p/70166).
      const d = deviceOf(x.board);
      const erase = stagingErase({ stagingStart: opts.stagingStart, address, size: viewed.size, sfsa: x.board.optionBytes.sfsa, pageSize: d.pageSize, flashBase: d.flashBase });
      for (const [firstPage, lastPage] of erase.ranges) {
        const erased = x.run({ op: 'erasePages', firstPage, lastPage });
        if (!erased.ok) return this.report(x, erased, undefined, 'erase');
      }
      const staged = x.run({ op: 'stageImage', write: { address, size: viewed.size, sha256: viewed.sha256, name: image.name, image: viewed.image } });
      if (!staged.ok) return this.report(x, staged, undefined, 'download');
      if (this.transport !== 'swd' && x.board.cpu2 !== 'fus') {
        const again = this.ensureFus(x);
        if (again) return this.report(x, again);
      }
      const upgraded = x.run({ op: 'fwUpgrade' });
      if (upgraded.ok && upgraded.installed?.kind !== 'fus' && !opts.startStack && x.board.cpu2 === 'stack') {
        // startstack=0: leave CPU2 in FUS (two FUS_GET_STATE).
        x.run({ op: 'startFus' });
      }
      return this.report(x, upgraded, 'Firmware Upgrade Success');
    });
  }

  async startStack(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'starting the stack');
    this.fusStartedOnPurpose = false;
    return this.session(opts, (x) => this.report(x, x.run({ op: 'startStack' }), 'FusStartWS activated successfully'));
  }

  async writeOptionBytes(ob: OptionBytesWrite, opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'writing option bytes');
    return this.session(opts, (x) => this.report(x, x.run({ op: 'writeOptionBytes', values: { ...ob } }), 'Option Bytes successfully programmed', 'option-bytes'));
  }

  async flash(file: string, address: number, opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'writing flash');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new DriverError('REFUSED', `cannot read ${file}: ${(e as Error).message}`);
    }
    if (bytes.length === 0) throw new DriverError('REFUSED', `${file} is empty`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.session(opts, (x) =>
      this.report(x, x.run({ op: 'flashApplication', write: { address, size: bytes.length, sha256, name: path.basename(file), image: null } }), 'File download complete', 'write'),
    );
  }

  async activateAntiRollback(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.access, 'activating anti-rollback');
    return this.session(opts, (x) => {
      const o = this.ensureFus(x) ?? x.run({ op: 'activateAntiRollback' });
      return this.report(x, o, 'Anti-rollback activated');
    });
  }

  async close(): Promise<void> {
    // Locks are taken per operation, so there is nothing to release; further calls are refused.
    this.closed = true;
  }
}

/** Opens a simulator driver on a board of `dir` (creating the default board when the folder is empty or the serial is new). */
export async function createSimulatorDriver(opts: SimulatorDriverOptions): Promise<SimulatorDriver> {
  let serial = opts.serial;
  if (serial === undefined) serial = await firstOrDefaultBoard(opts.dir);
  else if (!(await listSimulatedBoards(opts.dir)).includes(serial)) await resetBoard(opts.dir, undefined, serial);
  return new SimulatorDriver(opts.dir, serial, opts.transport ?? 'simulated', {
    ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
    ...(opts.toolVersion ? { toolVersion: opts.toolVersion } : {}),
    ...(opts.connectMode ? { connectMode: opts.connectMode } : {}),
    ...(opts.access ? { access: opts.access } : {}),
  });
}
