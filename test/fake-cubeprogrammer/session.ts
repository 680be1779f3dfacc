/** The fake CLI's output channel and one connected session over a simulated board (FUS polling, the SWD operator, errors). */
import { apply, modelledDuration, sleepModelled, wallMs, writeSimulatedBoard, type SimBoard, type SimCommand, type SimContext, type SimEvent, type SimOutcome, type FusStatus } from '../../src/drivers/simulator/index.js';
import { fusErrorByName } from '../../src/domain/fus.js';
import { deviceByKey } from '../../src/domain/devices.js';
import type { Quirks } from './quirks.js';
import * as S from './style.js';

/** Modelled time the tool waits for a USB DFU device to come back after a reset before it gives up (unknown; a guess). */
export const USB_RECONNECT_TIMEOUT_MS = 30_000;
/** cli-transcripts/01: after the device vanished "CubeProgrammer execution ends after around 12-13 seconds without giving any error". */
export const VANISH_EXIT_MS = 12_500;

export class Output {
  readonly lines: string[] = [];
  constructor(
    private readonly write: (text: string) => void,
    readonly style: S.Style,
    private readonly quiet: boolean,
    readonly quirks: Quirks = { staleR32: false, erasedVersion: false },
  ) {}
  line(...ls: string[]): void {
    for (const l of ls) {
      this.lines.push(l);
      this.write(l + '\n');
    }
  }
  bar(): void {
    if (!this.quiet) this.line(S.progressBar(this.style));
  }
  pair(s: FusStatus): void {
    const state = this.quirks.fusState ?? s.state;
    const status = this.quirks.fusStatus ?? fusErrorByName(s.error)?.cliStatus ?? s.error;
    this.line('', `FUS state is ${state}`, '', `FUS status is ${status}`);
  }
}

/** Stops the command sequence with an exit code. */
export class Stop {
  constructor(readonly exitCode: number) {}
}

export type T3 = 'usb' | 'swd' | 'uart';

export class Session {
  private operatorLoaded = false;
  constructor(
    public board: SimBoard,
    readonly ctx: SimContext & { transport: T3 },
    readonly dir: string,
    readonly speed: number,
    readonly out: Output,
    readonly style: S.Style,
  ) {}

  get transport(): T3 {
    return this.ctx.transport;
  }

  /** One model command: apply, save (the device moved on, whatever the tool does next), spend its time. */
  async exec(command: SimCommand): Promise<{ outcome: SimOutcome; events: SimEvent[] }> {
    const r = apply(this.board, command, this.ctx);
    this.board = r.board;
    const ms = modelledDuration(r.events);
    await this.save(ms);
    await sleepModelled(ms, this.speed);
    return { outcome: r.outcome, events: r.events };
  }

  async save(ms = 0): Promise<void> {
    await writeSimulatedBoard(this.dir, this.board, Date.now() + wallMs(ms, this.speed));
  }

  /** After a chip reset over USB the tool waits for DFU to re-enumerate; false when it never does. */
  async usbBack(events: SimEvent[]): Promise<boolean> {
    if (this.transport !== 'usb' || !events.some((e) => e.type === 'reset')) return true;
    // A device that will never re-enumerate is lost now, whatever a wait would report.
    if (this.board.usbAvailableAtMs === null) return false;
    return (await this.exec({ op: 'awaitUsb', timeoutMs: USB_RECONNECT_TIMEOUT_MS })).outcome.ok;
  }

  get verbose(): boolean {
    return S.verboseFusPolling(this.style, this.transport);
  }

  /**
   * The device stopped answering mid-command. Wording from a v2.10 GUI log over USB DFU (community.st.com
   * m-p/605983: "Warning: Connection to device 0x495 is lost" / "Disconnected from device."); reconstructed for
   * the CLI: no CLI transcript shows this moment. Exit code 1 (assumption).
   */
  lost(): never {
    this.out.line(`Warning: Connection to device 0x${this.board.device.deviceId.toString(16)} is lost`, 'Disconnected from device.');
    throw new Stop(1);
  }

  fail(...lines: string[]): never {
    this.out.line(...lines);
    throw new Stop(1);
  }

  // ------------------------------------------------------------------ FUS helpers

  /**
   * Polls FUS_GET_STATE until FUS is idle (cli-transcripts/01, 14): a stack answers NOT_RUNNING and the second
   * GET_STATE resets the chip into FUS; sticky states (SERVICE_ONGOING/IMAGE_NOT_FOUND) are printed and cleared.
   */
  async ensureFus(print: boolean): Promise<void> {
    if (this.transport === 'swd') {
      await this.loadOperator();
      return;
    }
    let notRunning = false;
    for (let i = 0; i < 6; i++) {
      const { outcome, events } = await this.exec({ op: 'getState' });
      if (!outcome.ok) this.failOutcome(outcome);
      if (!(await this.usbBack(events))) this.lost();
      const st = outcome.status!;
      if (st.error === 'ERR_UNKNOWN') {
        if (print) this.out.pair(st);
        this.fail('Error: FUS_STATE_ERR_UNKNOWN'); // cli-transcripts/11
      }
      if (st.error === 'STATE_NOT_RUNNING') {
        // cli-transcripts/03: FUS did not come up after the second GET_STATE.
        if (notRunning) this.fail('Error: Could not start service since FUS is not in IDLE state');
        notRunning = true;
        if (print) this.out.pair(st);
        continue;
      }
      if (print) this.out.pair(st);
      if (st.state === 'FUS_IDLE') return;
    }
    this.fail('Error: Could not start service since FUS is not in IDLE state');
  }

  /** After a delete: print the polls only when FUS is not idle at once (cli-transcripts/14: 1st vs 3rd command). */
  async pollAfter(print: boolean): Promise<void> {
    let first = true;
    for (let i = 0; i < 6; i++) {
      const { outcome, events } = await this.exec({ op: 'getState' });
      if (!outcome.ok) return outcome.error === 'CONNECTION_LOST' ? this.lost() : undefined;
      if (!(await this.usbBack(events))) this.lost();
      const st = outcome.status!;
      if (st.state === 'FUS_IDLE' && first) return;
      if (print) this.out.pair(st);
      if (st.state === 'FUS_IDLE' || st.error === 'STATE_NOT_RUNNING') return;
      first = false;
    }
  }

  /** Over SWD: CubeProgrammer's FUS operator (cli-transcripts/06, 11, 13), once per invocation. */
  async loadOperator(): Promise<void> {
    if (this.operatorLoaded || this.transport !== 'swd') return;
    const { outcome, events } = await this.exec({ op: 'loadFusOperator' });
    const ev = events.find((e): e is Extract<SimEvent, { type: 'fus-operator' }> => e.type === 'fus-operator');
    const ob = this.board.optionBytes;
    const value: Record<string, number> = { nSWboot0: ob.nSWboot0, nboot0: ob.nBOOT0, nboot1: ob.nBOOT1 };
    const unchanged = ev?.obUnchanged ?? [];
    for (const name of unchanged) this.out.line(`Warning: Option Byte: ${name}, value: 0x${value[name]!.toString(16)}, was not modified.`);
    if (!outcome.ok) {
      this.out.line('Error: failed to erase memory'); // reconstructed: no public log shows a failed operator download
      this.failOutcome(outcome);
    }
    if (ev && ev.obChanged.length === 0) this.out.line('', "Warning: Option Bytes are unchanged, Data won't be downloaded");
    else this.programmingObBlock(); // reconstructed: the changed case is in no public log; shaped like 24 A
    if (S.printsObTime(this.style)) this.out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(0)}`);
    this.out.line('Succeeded to set nSWboot0=0 nboot1=1 nboot0=1');
    const file = S.operatorFile(this.style, this.board.device.deviceId);
    const d = deviceByKey(this.board.device.key);
    const bytes = ev?.bytes ?? 0x2000; // 11,584 bytes before v2.4 (reconstructed: see operatorBytesFor)
    const pages = Math.ceil(bytes / d.pageSize);
    const dl = events.filter((e) => e.type === 'erase' || e.type === 'write' || e.type === 'fus-operator');
    this.out.line('');
    if (this.style.at('2.18.0')) this.out.line(`Opening and parsing file: ${file}`, 'Memory Programming ...');
    else this.out.line('Memory Programming ...', `Opening and parsing file: ${file}`);
    this.out.line(`  File          : ${file}`, `  Size          : ${S.fileSizeText(this.style, bytes)}`, '  Address       : 0x08000000', '', '');
    this.out.line('Erasing memory corresponding to segment 0:', `Erasing internal memory sectors [0 ${pages - 1}]`, 'Download in Progress:');
    this.out.bar();
    this.out.line('File download complete', `Time elapsed during download operation: ${S.elapsed(modelledDuration(dl))}`);
    this.out.line('Application is running, Please Hold on...', 'Reconnecting...', 'Reconnected !');
    this.operatorLoaded = true;
  }

  programmingObBlock(): void {
    this.out.line('', 'PROGRAMMING OPTION BYTES AREA ...', '', '  Bank          : 0x00', '  Address       : 0x58004020', '  Size          : 104 Bytes', '');
    this.out.bar();
    this.out.line('', 'Reconnecting...', 'Reconnected !', '', '');
    this.uploadObBlock();
    this.out.line('OPTION BYTE PROGRAMMING VERIFICATION:', '', 'Option Bytes successfully programmed');
  }

  uploadObBlock(): void {
    this.out.line('UPLOADING OPTION BYTES DATA ...', '', '  Bank          : 0x00', '  Address       : 0x58004020', '  Size          : 104 Bytes', '');
    this.out.bar();
    this.out.line('');
  }

  /** The error lines for a failed model outcome (then stop). */
  failOutcome(o: SimOutcome): never {
    switch (o.error) {
      case 'STATE_NOT_RUNNING':
      case 'FUS_BUSY':
        return this.fail('Error: Could not start service since FUS is not in IDLE state');
      case 'LOCKED_UP':
      case 'ERR_UNKNOWN':
        return this.fail(this.style.at('2.10.0') ? 'Error: FUS_STATE_ERR_UNKNOWN: Unknown error' : 'Error: FUS_STATE_ERR_UNKNOWN');
      case 'NOT_POWERED':
      case 'POWER_LOSS':
      case 'TIMEOUT':
      case 'CONNECTION_LOST':
        return this.lost();
      case 'UNSUPPORTED':
        // Field report P46 (v2.17, FUS 2.x over ST-LINK).
        return this.fail('Error: Firmware delete Operation Failure! Please, try again');
      case 'RDP_PROTECTED':
      case 'WRITE_PROTECTED':
        return this.fail('Error: failed to erase memory');
      default:
        return this.fail(`Error: ${fusErrorText(o.error ?? 'ERR_UNKNOWN', this.style)}`);
    }
  }
}

/** The `Error:` text for a FUS error (cli-transcripts/14, 18 a; P7, P9, P43). */
export function fusErrorText(error: string, s: S.Style): string {
  switch (error) {
    case 'IMG_NOT_AUTHENTIC':
      return 'Firmware not authentic!';
    case 'IMG_NOT_FOUND':
      return s.at('2.10.0')
        ? 'FUS_STATE_IMG_NOT_FOUND: Firmware/FUS upgrade requested but no image found. (such as image header corrupted or flash memory corrupted)'
        : 'FUS_STATE_IMG_NOT_FOUND'; // older text unknown
    case 'IMG_NOT_ENOUGH_SPACE':
      return "FUS_STATE_IMG_NO_SPACE: Firmware/FUS upgrade requested, image found and authentic, but there's no space"; // P43 (wording partly unknown)
    case 'FW_ROLLBACK_ERROR':
      return 'FUS_STATE_FW_ROLLBACK_ERROR'; // reconstructed: no public log shows this text
    case 'ERR_UNKNOWN':
      return s.at('2.10.0') ? 'FUS_STATE_ERR_UNKNOWN: Unknown error' : 'FUS_STATE_ERR_UNKNOWN';
    default:
      return `FUS_STATE_${error}`;
  }
}

// ---------------------------------------------------------------------- board selection
