/**
 * The Driver: the only way copro touches a board. Two implementations share this face:
 * `simulator/` (an in-process model of a chip and its FUS) and `cubeprogrammer/` (ST's
 * STM32_Programmer_CLI through execa, tested against the fake CLI over the same model).
 *
 * Contract (STM32WB.md §7): an operation's own report is never proof. Every operation returns what the
 * tool said (`OperationReport`), and the runner judges the step only by `readState()` afterwards.
 */
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage } from '../images/types.js';

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
  /** CubeProgrammer's `firstinstall=0` runs FW_DELETE before installing (STM32WB.md §4). copro plans the delete as its own step, so it passes true. */
  firstInstall: boolean;
  /** `startstack=1` (default) starts the stack after install. */
  startStack: boolean;
}

/**
 * How much a read may do. `full` (default) reads FUS and the stack, which may need FUS started (USB/UART) or
 * CubeProgrammer's FUS operator (SWD: it overwrites 0x08000000.. and sets nSWboot0=0, field report P47).
 * `flash` reads only what needs neither (option bytes, the application as far as known): FUS, stack and
 * CPU2 come back "unknown". The runner verifies option-byte and application steps with it, so the check
 * does not undo what it checks.
 */
export interface ReadOptions extends OperationOptions {
  scope?: 'full' | 'flash';
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

export interface OptionBytesWrite {
  nSWboot0?: 0 | 1;
  nBOOT0?: 0 | 1;
  nBOOT1?: 0 | 1;
}

export interface Driver {
  info(): DriverInfo;
  /** Reads everything the transport allows; fields it cannot know are "unknown". May switch CPU2 into FUS where that is the only way to read it (and says so in `notes`). */
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
  /** Irreversible (STM32WB.md §4): only after FUS >= 1.2.0 and a verified stack. */
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
