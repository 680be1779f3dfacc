/**
 * The Driver: the only way copro touches a board. Two implementations share this face:
 * `simulator/` (an in-process model of a chip and its FUS) and `cubeprogrammer/` (ST's
 * STM32_Programmer_CLI through execa, tested against the fake CLI over the same model).
 *
 * Contract (STM32CubeProgrammer CLI, UM2237): an operation's own report is never proof. Every operation returns what the
 * tool said (`OperationReport`), and the runner judges the step only by `readState()` afterwards.
 */
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';
import { swdOperatorCost } from '../domain/families.js';

export type { BoardState };

export type Transport = 'usb' | 'swd' | 'uart' | 'simulated';

export interface DriverInfo {
  kind: 'simulator' | 'cubeprogrammer' | 'bootloader';
  transport: Transport;
  /** Probe / DFU serial number this driver is bound to, if any. */
  serial: string | null;
  /** STM32CubeProgrammer version (from its banner), or `simulator`. */
  toolVersion: string;
  /** Where the full transcript of this run's tool calls goes, if anywhere. */
  logFile?: string;
}

/** Live progress while an operation runs (download %, FUS state while it installs). */
export interface Progress {
  phase: 'connect' | 'download' | 'install' | 'reset' | 'reconnect' | 'delete' | 'read' | 'option-bytes' | 'flash';
  percent?: number;
  /** Bytes of the image written so far, while it is written (the CLI shows "writing 45 % (11/24 KB)"). */
  bytes?: { done: number; total: number };
  fusState?: string;
  message?: string;
}

export interface OperationOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** What the tool reported. `ok` is the tool's claim only; verification is by read-back. */
export interface OperationReport {
  ok: boolean;
  /** The FUS state/status pairs and the error/success lines seen, in order. */
  messages: string[];
  /** A typed error the tool reported, if any. */
  error?: DriverErrorCode;
  /** Exit code of the tool process, where there was one. */
  exitCode?: number;
}

export type DriverErrorCode =
  | 'NO_TARGET' // no STM32 found on that port / serial
  | 'TIMEOUT' // the tool hung and was killed
  | 'TOOL_CRASHED' // the tool was ended by a signal copro did not send (a crash, an OOM kill) mid-command
  | 'DISCONNECTED' // the device vanished (unplug, USB did not come back)
  | 'FUS_NOT_RUNNING'
  | 'FUS_ERROR' // FUS reported an error state; see messages
  | 'NOT_AUTHENTIC'
  | 'IMG_NOT_FOUND'
  | 'NOT_ENOUGH_SPACE'
  | 'UNSUPPORTED' // this tool/transport cannot do this (e.g. FUS 2.x delete over SWD with CubeProgrammer < 2.20)
  | 'OPTION_BYTES'
  | 'REFUSED' // the driver refused before touching the board (e.g. a stand-in image to the real driver)
  | 'TOOL_ERROR' // an Error: line or an unknown output that the parser would not guess about
  | 'WRONG_BOARD' // the tool's connection header names another board than the one asked for (or first reached)
  | 'TOOL_NOT_FOUND' // STM32_Programmer_CLI is not installed where copro looked
  | 'ABORTED';

export class DriverError extends Error {
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    readonly details: { transcript?: string; logFile?: string; remedy?: string } = {},
  ) {
    super(message);
    this.name = 'DriverError';
  }
}

export interface FwUpgradeOptions extends OperationOptions {
  /** CubeProgrammer's `firstinstall=0` runs FW_DELETE before installing (STM32CubeWB release notes, upgrade procedure). copro plans the delete as its own step, so it passes true. */
  firstInstall: boolean;
  /** `startstack=1` (default) starts the stack after install. */
  startStack: boolean;
  /**
   * Where the staging area starts: the application's end when the manifest gives it (`application.end`), else the
   * image's own address. Before writing, the driver erases from there up to SFSA: FUS installs the first image
   * footer it finds below SFSA, not the file just written, so a leftover image there would be installed instead
   * (ST on community.st.com td-p/70166: "check if the flash sectors between the end of your app and SFSA option
   * byte is erased before download").
   */
  stagingStart?: number;
}

/**
 * The pages to erase before staging an image: from `stagingStart` (rounded up to a page, never above the image)
 * up to SFSA, as at most two ranges that leave out the image's own pages (the download erases those itself).
 * Pure; `sfsa` is the page number SFSA holds.
 */
export function stagingErase(o: { stagingStart: number | undefined; address: number; size: number; sfsa: number; pageSize: number; flashBase: number }): { pages: number; ranges: [number, number][] } {
  const pageOf = (a: number) => Math.floor((a - o.flashBase) / o.pageSize);
  const from = Math.ceil((Math.min(o.stagingStart ?? o.address, o.address) - o.flashBase) / o.pageSize);
  const imageFirst = pageOf(o.address);
  const imageLast = pageOf(o.address + Math.max(1, o.size) - 1);
  const ranges: [number, number][] = [];
  if (imageFirst - 1 >= from) ranges.push([from, Math.min(imageFirst - 1, o.sfsa - 1)]);
  if (o.sfsa - 1 >= imageLast + 1) ranges.push([Math.max(imageLast + 1, from), o.sfsa - 1]);
  const valid = ranges.filter(([a, b]) => b >= a);
  return { pages: valid.reduce((n, [a, b]) => n + b - a + 1, 0), ranges: valid };
}

/**
 * How much a read may do.
 * - `full` (default for a driver opened with `access: 'full'`) reads FUS and the stack, which may need FUS
 *   started (USB/UART: two chip resets) or CubeProgrammer's FUS operator (SWD: it overwrites 0x08000000.. and
 *   sets nSWboot0=0, public field reports).
 * - `flash` reads only what needs neither (option bytes, the application as far as known): FUS, stack and
 *   CPU2 come back "unknown". The runner verifies option-byte and application steps with it, so the check
 *   does not undo what it checks. (Over SWD it may still connect under reset, as apply does.)
 * - `free` reads only what changes and costs nothing: no chip reset (SWD connects hot-plug, not under reset),
 *   no FUS_GET_STATE (two in a row reboot CPU2), no FUS start, no FUS operator, no write. Over USB DFU / UART
 *   the FUS info table is valid only while FUS runs; over SWD FUS is not read at all. What it could not read
 *   is "unknown", and a note starting with `unknown:` says what reading it would cost.
 */
export type ReadScope = 'full' | 'flash' | 'free';

export interface ReadOptions extends OperationOptions {
  scope?: ReadScope;
  /**
   * `full` reads only: when the read had to switch CPU2 from the stack to FUS, start the stack again
   * (default true, so reading never stops the user's BLE). The runner passes false after a step that
   * leaves CPU2 in FUS, so the check does not undo what it checks.
   */
  restartStack?: boolean;
}

/**
 * What a driver may do to the board it was opened for. `free`: only `free`-scope reads (any other read is
 * narrowed to `free`) and every operation that writes, resets or switches CPU2 is refused before anything is
 * sent (DriverError REFUSED). `plan`, `status` and `doctor` open drivers this way unless `--full` is given;
 * only `apply` (and `status --full`, `doctor --full`) opens them with `full`.
 */
export type BoardAccess = 'free' | 'full';

/** The scope a read really gets under an access level. */
export function scopeFor(access: BoardAccess, requested: ReadScope | undefined): ReadScope {
  return access === 'free' ? 'free' : (requested ?? 'full');
}

/** Throws before a costly operation on a driver opened for free reads only. */
export function assertMayChange(access: BoardAccess, what: string): void {
  if (access === 'full') return;
  throw new DriverError('REFUSED', `${what} changes the board (or resets it): this driver was opened for free reads only (copro plan/status/doctor without --full); only copro apply may do that`);
}

/**
 * The access rule around a driver that does not implement it itself: under `free` every read is narrowed to
 * the `free` scope and every other operation is refused before it reaches the driver.
 */
export function withAccess(d: Driver, access: BoardAccess): Driver {
  if (access === 'full') return d;
  const refuse = (what: string) => async (): Promise<never> => {
    assertMayChange(access, what);
    throw new DriverError('REFUSED', what);
  };
  return {
    info: () => d.info(),
    readState: (opts) => d.readState({ ...opts, scope: 'free' }),
    startFus: refuse('starting FUS'),
    deleteStack: refuse('deleting the stack'),
    upgrade: refuse('installing an image'),
    startStack: refuse('starting the stack'),
    writeOptionBytes: refuse('writing option bytes'),
    flash: refuse('writing flash'),
    activateAntiRollback: refuse('activating anti-rollback'),
    close: () => d.close(),
  };
}

/**
 * The cost of reading FUS and the stack over a transport, for the "unknown: ..." notes of a free read. Over SWD the
 * operator's size depends on the CubeProgrammer version (and the family): named when the connected tool is known.
 */
export function fusReadCost(transport: Transport, tool: { toolVersion?: string; deviceId?: number } = {}): string {
  return transport === 'swd'
    ? `reading it would run CubeProgrammer's FUS operator (it overwrites ${swdOperatorCost(tool.toolVersion, tool.deviceId)} and sets nSWboot0=0)`
    : 'reading it would reset the chip (FUS started, then the stack again: two resets)';
}

/** The note a free read adds for what it could not know. */
export function unknownNote(what: string, transport: Transport, tool: { toolVersion?: string; deviceId?: number } = {}): string {
  return `unknown: ${what}: ${fusReadCost(transport, tool)} (--full)`;
}

/** A `flash`-scope read: what FUS and the stack are is not read at all. */
export function withoutFusFacts(s: BoardState, note: string): BoardState {
  return {
    ...s,
    cpu2: 'unknown',
    fus: { version: 'unknown', state: 'unknown', error: 'unknown' },
    stack: { status: 'unknown', version: 'unknown', type: 'unknown', running: 'unknown' },
    antiRollback: 'unknown',
    notes: [...s.notes, note],
  };
}

/**
 * A `free`-scope read over USB DFU / UART from the FUS device info table alone (no FUS_GET_STATE): valid only
 * while FUS runs (key 0xA94656B9, STM32CubeWB release notes and AN5185, reading versions; otherwise CPU2 runs something else (most likely the stack)
 * and FUS, the stack and CPU2 are unknown. FUS's own state is never asked (that takes a FUS_GET_STATE).
 */
export function freeReadOfInfoTable(s: BoardState, fusRunning: boolean): BoardState {
  const transport = s.source.transport;
  const notes = s.notes.filter((n) => !/printed no FUS state|FUS_GET_STATE/.test(n));
  if (s.cpu2 === 'safeboot') return { ...s, fus: { ...s.fus, state: 'unknown', error: 'unknown' }, notes };
  if (fusRunning) return { ...s, cpu2: 'fus', fus: { ...s.fus, state: 'unknown', error: 'unknown' }, stack: { ...s.stack, running: s.stack.status === 'installed' ? false : s.stack.running }, notes: [...notes, 'free read: FUS runs (its info table is valid); its state was not asked (a FUS_GET_STATE)'] };
  return {
    ...withoutFusFacts({ ...s, notes }, unknownNote('what CPU2 runs (FUS is not running: most likely the wireless stack), the FUS version and the stack', transport === 'simulated' ? 'usb' : transport)),
  };
}

export interface OptionBytesWrite {
  nSWboot0?: 0 | 1;
  nBOOT0?: 0 | 1;
  nBOOT1?: 0 | 1;
}

export interface Driver {
  info(): DriverInfo;
  /** Reads what the scope allows (see ReadScope); fields it cannot know are "unknown". A `full` read may switch CPU2 into FUS where that is the only way to read it (and says so in `notes`). */
  readState(opts?: ReadOptions): Promise<BoardState>;
  /** Brings CPU2 into FUS (FUS_GET_STATE twice / -startfus). Resets the chip if the stack was running. */
  startFus(opts?: OperationOptions): Promise<OperationReport>;
  /** FW_DELETE of the installed wireless stack. */
  deleteStack(opts?: OperationOptions): Promise<OperationReport>;
  /** Writes the image below SFSA at `address` and asks FUS to install it (FUS or stack or safeboot). */
  upgrade(image: AvailableImage, address: number, opts: FwUpgradeOptions): Promise<OperationReport>;
  /** FUS_START_WS. */
  startStack(opts?: OperationOptions): Promise<OperationReport>;
  writeOptionBytes(ob: OptionBytesWrite, opts?: OperationOptions): Promise<OperationReport>;
  /** Writes a user application file at an address (re-flash after the SWD FUS operator). */
  flash(file: string, address: number, opts?: OperationOptions): Promise<OperationReport>;
  /** Irreversible (STM32CubeWB release notes, upgrade procedure): only after FUS >= 1.2.0 and a verified stack. */
  activateAntiRollback(opts?: OperationOptions): Promise<OperationReport>;
  /** Releases whatever the driver holds (nothing for the CLI; the store lock for the simulator). */
  close(): Promise<void>;
}

/** Lists the boards a driver kind can see (`copro devices`). */
export interface AttachedBoard {
  transport: Transport;
  serial: string;
  description: string;
}
