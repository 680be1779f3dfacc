/**
 * A fake `STM32_Programmer_CLI` over the simulated boards (src/drivers/simulator): same command line, same
 * output as the real tool as far as cli-transcripts/ show it, timing from the model (scaled by COPRO_SIM_SPEED).
 *
 * Environment:
 *   COPRO_SIM_DIR            folder of simulated boards (default <cwd>/.copro/sim); `sn=` picks one, else the first
 *   COPRO_FAKE_CLI_VERSION   output style of that CubeProgrammer version (default 2.17.0; 2.2 .. 2.20 styles known)
 *   COPRO_FAKE_CLI_PLATFORM  windows | linux | macos (banner indent, progress bar); default: this platform
 *   COPRO_SIM_SPEED          1 = realistic durations, 1000 = tests
 *
 * Where the real output is not known (no transcript), the text is marked "unknown" in a comment and kept plausible.
 * Exit codes are undocumented (STM32WB.md §7): 0 on success, 1 after an `Error:`, and 0 where the real tool was seen
 * to exit 0 after a failure (the device vanishing in cli-transcripts/01, armed fault `exit-0-after-error`).
 */
import { readFile, appendFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerInvocation } from './overlap.js';
import {
  apply,
  modelledDuration,
  simSpeed,
  sleepModelled,
  wallMs,
  defaultSimDir,
  listSimulatedBoards,
  readSimulatedBoard,
  writeSimulatedBoard,
  lockBoard,
  advanceClock,
  viewImage,
  consumeFault,
  hasFault,
  bootsRomBootloader,
  resetBoard,
  type SimBoard,
  type SimCommand,
  type SimContext,
  type SimEvent,
  type SimOutcome,
  type FusStatus,
} from '../../src/drivers/simulator/index.js';
import { fusErrorByName } from '../../src/domain/fus.js';
import { deviceByKey } from '../../src/domain/devices.js';
import { parseArgs, ArgsError, type Command, type ConnectParams, type Parsed } from './args.js';
import { readHost, type Host } from './host.js';
import * as S from './style.js';

export interface FakeIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Modelled time the tool waits for a USB DFU device to come back after a reset before it gives up (unknown; a guess). */
const USB_RECONNECT_TIMEOUT_MS = 30_000;
/** cli-transcripts/01: after the device vanished "CubeProgrammer execution ends after around 12-13 seconds without giving any error". */
const VANISH_EXIT_MS = 12_500;

class Output {
  readonly lines: string[] = [];
  constructor(
    private readonly write: (text: string) => void,
    readonly style: S.Style,
    private readonly quiet: boolean,
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
    this.line('', `FUS state is ${s.state}`, '', `FUS status is ${fusErrorByName(s.error)?.cliStatus ?? s.error}`);
  }
}

/** Stops the command sequence with an exit code. */
class Stop {
  constructor(readonly exitCode: number) {}
}

type T3 = 'usb' | 'swd' | 'uart';

class Session {
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
    return (await this.exec({ op: 'awaitUsb', timeoutMs: USB_RECONNECT_TIMEOUT_MS })).outcome.ok;
  }

  get verbose(): boolean {
    return S.verboseFusPolling(this.style, this.transport);
  }

  /** Unknown text: the real tool's words when the USB device does not come back are not in any transcript. */
  lost(): never {
    this.out.line('Error: Connection to the device is lost');
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
      if (!outcome.ok) return;
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
      this.out.line('Error: failed to erase memory'); // unknown exact text for a failed operator download
      this.failOutcome(outcome);
    }
    if (ev && ev.obChanged.length === 0) this.out.line('', "Warning: Option Bytes are unchanged, Data won't be downloaded");
    else this.programmingObBlock(); // unknown: the changed case is not in a transcript; shaped like 24 A
    if (S.printsObTime(this.style)) this.out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(0)}`);
    this.out.line('Succeeded to set nSWboot0=0 nboot1=1 nboot0=1');
    const file = S.operatorFile(this.style, this.board.device.deviceId);
    const d = deviceByKey(this.board.device.key);
    const pages = 0x2000 / d.pageSize;
    const dl = events.filter((e) => e.type === 'erase' || e.type === 'write' || e.type === 'fus-operator');
    this.out.line('');
    if (this.style.at('2.18.0')) this.out.line(`Opening and parsing file: ${file}`, 'Memory Programming ...');
    else this.out.line('Memory Programming ...', `Opening and parsing file: ${file}`);
    this.out.line(`  File          : ${file}`, `  Size          : ${S.fileSizeText(this.style, 0x2000)}`, '  Address       : 0x08000000', '', '');
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
        return this.fail('Error: Could not start service since FUS is not in IDLE state');
      case 'LOCKED_UP':
      case 'ERR_UNKNOWN':
        return this.fail(this.style.at('2.10.0') ? 'Error: FUS_STATE_ERR_UNKNOWN: Unknown error' : 'Error: FUS_STATE_ERR_UNKNOWN');
      case 'NOT_POWERED':
      case 'POWER_LOSS':
      case 'TIMEOUT':
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
function fusErrorText(error: string, s: S.Style): string {
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
      return 'FUS_STATE_FW_ROLLBACK_ERROR'; // unknown
    case 'ERR_UNKNOWN':
      return s.at('2.10.0') ? 'FUS_STATE_ERR_UNKNOWN: Unknown error' : 'FUS_STATE_ERR_UNKNOWN';
    default:
      return `FUS_STATE_${error}`;
  }
}

// ---------------------------------------------------------------------- board selection

interface Picked {
  serial: string;
  board: SimBoard;
}

async function boards(dir: string): Promise<SimBoard[]> {
  const out: SimBoard[] = [];
  for (const s of await listSimulatedBoards(dir)) out.push(await readSimulatedBoard(dir, s));
  return out;
}

function pickBoard(all: SimBoard[], c: ConnectParams): Picked | undefined {
  const sn = c.sn?.toUpperCase();
  if (c.transport === 'usb') {
    const usb = all.filter((b) => b.device.attachments.some((a) => a.transport === 'usb'));
    const hit = sn ? usb.find((b) => b.device.attachments.some((a) => a.transport === 'usb' && a.serial.toUpperCase() === sn)) : usb[(c.index ?? 1) - 1];
    return hit ? { serial: hit.serial, board: hit } : undefined;
  }
  if (c.transport === 'swd') {
    const swd = all.filter((b) => b.device.attachments.some((a) => a.transport === 'swd'));
    const hit = sn ? swd.find((b) => b.device.attachments.some((a) => a.transport === 'swd' && a.probeSerial.toUpperCase() === sn)) : swd[c.index ?? 0];
    return hit ? { serial: hit.serial, board: hit } : undefined;
  }
  const port = c.port;
  const hit = all.find((b) => b.device.attachments.some((a) => a.transport === 'uart' && (a.port === port || path.basename(a.port) === path.basename(port))));
  return hit ? { serial: hit.serial, board: hit } : undefined;
}

// ---------------------------------------------------------------------- listing (-l)

async function printList(out: Output, s: S.Style, dir: string, what: NonNullable<Parsed['list']>): Promise<void> {
  const all = await boards(dir);
  const host = await readHost(dir);
  if (what === 'all' || what === 'usb') listDfu(out, all);
  if ((what === 'all' || what === 'jlink') && S.listsJLink(s)) out.line('===== J-Link Interface =====', 'Error: No J-link probe detected.');
  if (what === 'all' || what === 'st-link') listStLink(out, s, all, host);
  if (what === 'all' || what === 'uart') listUart(out, all, host);
}

function listDfu(out: Output, all: SimBoard[]): void {
  out.line('=====  DFU Interface   =====', '');
  const visible = all.filter((b) => b.powered !== false && b.device.attachments.some((a) => a.transport === 'usb') && bootsRomBootloader(b) && b.usbAvailableAtMs !== null && b.usbAvailableAtMs <= b.clock.ms);
  if (visible.length === 0) {
    out.line('No STM32 device in DFU mode connected', '');
    return;
  }
  // Unknown beyond the first lines (cubeprogrammer-cli.md §3: "Total number of available STM32 device in DFU mode: 1" + "  Device Index           : USB1").
  out.line(`Total number of available STM32 device in DFU mode: ${visible.length}`, '');
  visible.forEach((b, i) => {
    const usb = b.device.attachments.find((a) => a.transport === 'usb');
    out.line(
      `  Device Index           : USB${i + 1}`,
      `  USB Bus Number         : 001`,
      `  USB Address Number     : ${String(i + 2).padStart(3, '0')}`,
      '  Product ID             : DFU in FS Mode',
      `  Serial number          : ${usb && usb.transport === 'usb' ? usb.serial : ''}`,
      '  Firmware version       : 0x011a',
      `  Device ID              : 0x0${b.device.deviceId.toString(16)}`,
      '',
    );
  });
}

function listStLink(out: Output, s: S.Style, all: SimBoard[], host: Host): void {
  out.line('===== STLink Interface =====');
  const probes = [
    ...host.probes,
    ...all.flatMap((b) => b.device.attachments.flatMap((a) => (a.transport === 'swd' ? [{ probeSerial: a.probeSerial, probeFirmware: a.probeFirmware, accessPort: a.accessPort, boardName: a.boardName, connectError: a.connectError ?? false }] : []))),
  ];
  if (probes.length === 0) {
    out.line('Error: No ST-Link detected!', '');
    return;
  }
  if (probes.some((p) => p.connectError)) out.line('ST-LINK error (DEV_CONNECT_ERR)');
  out.line('', '-------- Connected ST-LINK Probes List --------', '');
  probes.forEach((p, i) => {
    if (i > 0) out.line('');
    out.line(`ST-Link Probe ${i} :`, `   ST-LINK SN  : ${p.probeSerial}`, `   ST-LINK FW  :${p.connectError ? '' : ' ' + p.probeFirmware}`);
    if (S.listsProbeDetails(s)) out.line(`   Access Port Number  : ${p.accessPort}`, `   Board Name  :${p.boardName && p.boardName !== '--' ? ' ' + p.boardName : ''}`);
  });
  out.line('-----------------------------------------------', '');
}

function listUart(out: Output, all: SimBoard[], host: Host): void {
  const ports = [
    ...host.serialPorts,
    ...all.flatMap((b) => b.device.attachments.flatMap((a) => (a.transport === 'uart' ? [{ port: a.port, description: a.description, manufacturer: a.manufacturer }] : []))),
  ];
  out.line('=====  UART Interface  =====', '', `Total number of serial ports available: ${ports.length}`, '');
  for (const p of ports) {
    const name = p.port.startsWith('/dev/') ? path.basename(p.port) : p.port;
    const location = p.port.startsWith('/dev/') ? p.port : `\\\\.\\${p.port}`;
    out.line(`Port: ${name}`, `Location: ${location}`, `Description: ${p.description}`, `Manufacturer: ${p.manufacturer}`, '');
  }
}

// ---------------------------------------------------------------------- connection header

function connectModeText(c: ConnectParams): { mode: string; reset: string; ctx: SimContext['connectMode'] } {
  const hw = c.reset?.toLowerCase() === 'hwrst';
  if (c.mode === 'UR') return { mode: 'Under Reset', reset: 'Hardware reset', ctx: 'under-reset' }; // help: "Reset mode with UR connection mode is HWrst"
  if (c.mode === 'HOTPLUG') return { mode: 'Hot Plug', reset: hw ? 'Hardware reset' : 'Software reset', ctx: 'hotplug' };
  return { mode: 'Normal', reset: hw ? 'Hardware reset' : 'Software reset', ctx: 'normal' };
}

function swdProbeLines(b: SimBoard, s: S.Style): string[] {
  const probe = b.device.attachments.find((a) => a.transport === 'swd');
  const lines = [`ST-LINK SN  : ${probe && probe.transport === 'swd' ? probe.probeSerial : ''}`, `ST-LINK FW  : ${probe && probe.transport === 'swd' ? probe.probeFirmware : ''}`];
  if (s.at('2.5.0')) lines.push(`Board       : ${probe && probe.transport === 'swd' ? probe.boardName || '--' : '--'}`);
  lines.push(`Voltage     : ${b.device.voltage.toFixed(2)}V`);
  return lines;
}

function header(out: Output, s: S.Style, b: SimBoard, c: ConnectParams): void {
  const name = S.deviceName(s, b.device.deviceId, c.transport === 'jtag' ? 'swd' : c.transport);
  const flash = S.flashSizeText(b.device.flashSizeKB);
  if (c.transport === 'usb') {
    const usb = b.device.attachments.find((a) => a.transport === 'usb');
    out.line('USB speed   : Full Speed (12MBit/s)', 'Manuf. ID   : STMicroelectronics', 'Product ID  : DFU in FS Mode', `SN          : ${usb && usb.transport === 'usb' ? usb.serial : ''}`, 'FW version  : 0x011a');
    // Unknown: where exactly newer versions add these (cubeprogrammer-cli.md §3 "newer adds DFU protocol, Board, Revision ID").
    if (s.at('2.6.0')) out.line('DFU protocol: 1.1', 'Board       : --');
    out.line(`Device ID   : 0x0${b.device.deviceId.toString(16)}`);
    if (s.at('2.6.0')) out.line('Revision ID : --  ');
    out.line(`Device name : ${name}`, `Flash size  : ${flash}`, 'Device type : MCU', `Device CPU  : ${S.deviceCpu(s)}`);
  } else if (c.transport === 'swd') {
    const m = connectModeText(c);
    out.line(...swdProbeLines(b, s), `SWD freq    : ${c.freq ?? 4000} KHz`, `Connect mode: ${m.mode}`, `Reset mode  : ${m.reset}`, `Device ID   : 0x${b.device.deviceId.toString(16)}`);
    if (s.at('2.5.0')) out.line(`Revision ID : ${b.device.revision}`);
    out.line(`Device name : ${name}`, `Flash size  : ${flash}`, 'Device type : MCU', `Device CPU  : ${S.deviceCpu(s)}`);
    if (s.at('2.8.0')) out.line(`BL Version  : ${s.at('2.15.0') ? '0xD5' : '0xd5'}`, 'Debug in Low Power mode enabled'); // cli-transcripts/11 (v2.8), cubeprogrammer-cli.md (v2.17)
  } else {
    // cli-transcripts/19 A (v2.4, UART); WB specifics unknown.
    const br = c.br ?? 115200;
    out.line(
      `Serial Port ${c.port} is successfully opened.`,
      `Port configuration: parity = ${(c.parity ?? 'even').toLowerCase()}, baudrate = ${br}, data-bit = 8,`,
      '                     stop-bit = 1.0, flow-control = off',
      'Activating device: OK',
      `Chip ID: 0x${b.device.deviceId.toString(16)}`,
      'BootLoader protocol version: 3.1',
      `Device name : ${name}`,
      `Flash size  : ${flash}`,
      'Device type : MCU',
      `Device CPU  : ${S.deviceCpu(s)}`,
    );
  }
  out.line('');
}

// ---------------------------------------------------------------------- commands

async function runCommand(x: Session, c: Command): Promise<void> {
  const out = x.out;
  const s = x.style;
  switch (c.kind) {
    case 'r32': {
      const bytes = Math.max(4, Math.ceil(c.size / 4) * 4);
      const { outcome } = await x.exec({ op: 'readMemory', address: c.address, words: bytes / 4 });
      out.line('', 'Reading 32-bit memory content', `  Size          : ${bytes} Bytes`, `  Address:      : 0x${S.hex8(c.address)}`, '');
      if (!outcome.ok) x.fail('Error: Data read failed'); // unknown text
      const words = outcome.words!;
      for (let i = 0; i < words.length; i += 4) out.line(`0x${S.hex8(c.address + i * 4)} : ${words.slice(i, i + 4).map(S.hex8).join(' ')}`);
      return;
    }
    case 'w32': {
      const { outcome } = await x.exec({ op: 'writeMemory', address: c.address, words: c.data });
      out.line('', 'Downloading 32-bit data...', '');
      out.bar();
      if (!outcome.ok) x.fail('Error: Downloading 32-bit data failed'); // unknown text
      out.line('Downloading 32-bit data done successfully');
      return;
    }
    case 'fusgetstate': {
      if (x.transport === 'swd') await x.loadOperator();
      const { outcome, events } = await x.exec({ op: 'getState' });
      if (!outcome.ok) x.failOutcome(outcome);
      if (!(await x.usbBack(events))) x.lost();
      out.pair(outcome.status!);
      if (s.at('2.7.0')) out.line('Read FUS state command execution finished'); // GUI wording in cli-transcripts/13; CLI unknown
      return;
    }
    case 'startfus': {
      await x.ensureFus(x.verbose);
      out.line('StartFus activated successfully'); // community 89405 (v2.9)
      return;
    }
    case 'fwdelete':
      await deleteStep(x, false);
      if (x.verbose) out.line('fwdelete command execution finished');
      return;
    case 'fwupgrade':
      await fwUpgrade(x, c);
      return;
    case 'startws': {
      await x.ensureFus(x.verbose);
      const { outcome, events } = await x.exec({ op: 'startStack' });
      if (!outcome.ok) {
        out.line(`Error: ${fusErrorText(outcome.error ?? 'ERR_UNKNOWN', s)}`);
        x.fail('Error: Start Wireless Stack Operation Failure!'); // P7
      }
      if (!(await x.usbBack(events))) x.lost();
      if (x.transport === 'swd') out.line('Reconnecting...', 'Reconnected !', `Success with Time elapsed during Reconnect: ${Math.round(modelledDuration(events.filter((e) => e.type === 'reconnect')))} ms`);
      out.line('FusStartWS activated successfully', 'startwirelessStack command execution finished'); // cli-transcripts/18 a
      return;
    }
    case 'antirollback': {
      await x.ensureFus(x.verbose);
      const { outcome } = await x.exec({ op: 'activateAntiRollback' });
      if (!outcome.ok) x.failOutcome(outcome);
      out.line('Antirollback activated successfully'); // unknown text
      return;
    }
    case 'wusrkey':
    case 'authkeyupdate':
    case 'authkeylock': {
      await x.ensureFus(x.verbose);
      const op = c.kind === 'wusrkey' ? 'storeUserKey' : c.kind === 'authkeyupdate' ? 'updateAuthKey' : 'lockAuthKey';
      const { outcome } = await x.exec({ op });
      if (!outcome.ok) x.failOutcome(outcome);
      out.line(c.kind === 'wusrkey' ? 'Write user key command execution finished' : c.kind === 'authkeyupdate' ? 'Authentication key update command execution finished' : 'Authentication key lock command execution finished'); // unknown texts
      return;
    }
    case 'getuid64':
      out.line('', `UID64 : ${x.board.device.uid64}`); // unknown text
      return;
    case 'fusopgetversion':
      if (x.transport !== 'swd') x.fail('Error: This command is available only with SWD connection'); // unknown text
      out.line('', 'FUS Operator version : v2.0.0'); // unknown text
      return;
    case 'ob-displ':
      await obDisplay(x);
      return;
    case 'ob':
      await obProgram(x, c.values);
      return;
    case 'write':
      await writeFile(x, c.file, c.address, c.verify);
      return;
    case 'erase':
      return x.fail('Error: Mass erase command is not available for WB devices...'); // cli-transcripts/08 (wording of the error line partly unknown)
    case 'start':
      out.line('', 'Start operation achieved successfully'); // cli-transcripts/20 B
      return;
    case 'rst':
    case 'hardrst': {
      const { events } = await x.exec({ op: 'reset', kind: c.kind === 'rst' ? 'software' : 'hardware' });
      out.line('', c.kind === 'rst' ? 'Software reset is performed' : 'Hard reset is performed'); // cli-transcripts/18 b
      if (!(await x.usbBack(events))) x.lost();
      return;
    }
  }
}

/** The FW_DELETE step: as `-fwdelete`, or CubeProgrammer's `firstinstall=0` pre-step of `-fwupgrade`. */
async function deleteStep(x: Session, partOfUpgrade: boolean): Promise<void> {
  const out = x.out;
  if (x.verbose) {
    await x.ensureFus(true);
    if (partOfUpgrade) out.line('', S.oldDeleteLine(x.style), '');
    out.line('Deleting firmware ...');
    const { outcome, events } = await x.exec({ op: 'fwDelete' });
    if (outcome.error === 'LOCKED_UP') await vanish(x);
    if (!outcome.ok) x.failOutcome(outcome);
    if (!(await x.usbBack(events))) x.lost();
    out.line('Firmware delete finished');
    await x.pollAfter(true);
    return;
  }
  if (partOfUpgrade) out.line(S.oldDeleteLine(x.style));
  if (x.transport === 'swd') {
    // Release notes v1.22.1 Warning 1: refused before anything is loaded.
    const refuse = apply(x.board, { op: 'fwDelete' }, x.ctx).outcome;
    if (refuse.error === 'UNSUPPORTED') x.failOutcome(refuse);
  }
  await x.ensureFus(false);
  const { outcome, events } = await x.exec({ op: 'fwDelete' });
  if (outcome.error === 'LOCKED_UP') await vanish(x);
  if (!outcome.ok) x.failOutcome(outcome);
  if (!(await x.usbBack(events))) x.lost();
  if (outcome.warning === 'IMG_NOT_FOUND') out.line('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
  out.line('Firmware delete Success');
  await x.pollAfter(false);
}

/** cli-transcripts/01: the chip locks up, USB drops, and the tool ends some 12 s later without a word (exit 0). */
async function vanish(x: Session): Promise<never> {
  await sleepModelled(VANISH_EXIT_MS, x.speed);
  throw new Stop(0);
}

async function readBytes(x: Session, file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch {
    x.fail(`Error: File does not exist: ${file}`); // unknown text
  }
}

/** "Memory Programming ..." block of a download, from the model's erase/write events (cli-transcripts/03, 14). */
function programmingBlock(x: Session, name: string, size: number, address: number, events: SimEvent[]): number {
  const out = x.out;
  out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(x.style, size)}`, `  Address       : 0x${S.hex8(address)}`, '', '');
  const erase = events.find((e): e is Extract<SimEvent, { type: 'erase' }> => e.type === 'erase');
  const d = deviceByKey(x.board.device.key);
  out.line('Erasing memory corresponding to segment 0:');
  if (erase) {
    out.line(`Erasing internal memory sectors [${erase.firstPage} ${erase.lastPage}]`);
    // Guess: per-sector lines for short erases (6 sectors in 14 and 5 in 03 had them, 41 sectors in 14 did not).
    const count = erase.lastPage - erase.firstPage + 1;
    if (count <= 10 || erase.failedFromPage !== undefined) {
      const last = erase.failedFromPage ?? erase.lastPage;
      for (let p = erase.firstPage; p <= last; p++) {
        out.line(`erasing sector ${String(p).padStart(4, '0')} @: 0x${(d.flashBase + p * d.pageSize).toString(16).padStart(8, '0')} ${p === erase.failedFromPage ? 'failed' : 'done'}`);
      }
    }
  }
  return modelledDuration(events.filter((e) => e.type === 'erase' || e.type === 'write'));
}

async function fwUpgrade(x: Session, c: Extract<Command, { kind: 'fwupgrade' }>): Promise<void> {
  const out = x.out;
  const s = x.style;
  const bytes = await readBytes(x, c.file);
  const name = path.basename(c.file.replace(/\\/g, '/'));
  const viewed = viewImage(bytes, name);
  const d = deviceByKey(x.board.device.key);
  // cli-transcripts/06, STM32CubeWB issue #29: v2.7.0 read the blank version word of the FUS 1.2.0 images as
  // "V-1.-1.-1" and refused them on 256/512 KB parts before touching the board.
  if (s.at('2.7.0') && !s.at('2.8.0') && viewed.image?.kind === 'fus' && viewed.image.versionWord === 0xffffffff && d.flashSize <= 512 * 1024) {
    x.fail('Error: Could not execute fwupgrade command, Impossible to install FUS V1.0.1 on', '256/512KB Flash Parts');
  }
  if (!c.firstInstall) await deleteStep(x, true);
  else if (x.transport === 'swd') await x.loadOperator();
  out.line(S.downloadLine(s, c.address));
  out.line('');
  if (c.firstInstall && x.verbose) out.line('');
  const { outcome, events } = await x.exec({ op: 'stageImage', write: { address: c.address, size: viewed.size, sha256: viewed.sha256, name, image: viewed.image } });
  if (outcome.error === 'OUT_OF_FLASH') {
    out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(s, viewed.size)}`, `  Address       : 0x${S.hex8(c.address)}`, '', '', 'Erasing memory corresponding to segment 0:');
    x.fail('Operation exceeds memory limits', 'Error: failed to erase memory', 'Error: Failed to download image!'); // cli-transcripts/05
  }
  const ms = programmingBlock(x, name, viewed.size, c.address, events);
  if (!outcome.ok) {
    if (outcome.error === 'POWER_LOSS') x.fail('Error: failed to download Segment[0]', 'Error: failed to download the File', 'Error: Failed to download image!'); // cli-transcripts/28 C
    x.fail('Error: failed to erase memory', 'Error: Failed to download image!');
  }
  out.line('Download in Progress:');
  out.bar();
  out.line('File download complete', `Time elapsed during download operation: ${S.elapsed(ms)}`);
  if (c.verify) {
    out.line('', 'Verifying ...', '', 'Read progress:');
    out.bar();
    out.line('', 'Download verified successfully');
  }
  if (x.transport !== 'swd') await x.ensureFus(x.verbose);
  out.line('', 'Firmware Upgrade process started ...', '', 'Updating firmware ...', 'Waiting for firmware upgrade end');
  const up = await x.exec({ op: 'fwUpgrade' });
  const polls = up.events.filter((e): e is Extract<SimEvent, { type: 'fus-state' }> => e.type === 'fus-state');
  if (hasFault(x.board, 'hung-cli')) {
    // Field report P22 (cli-transcripts/08): "sometimes CLI hangs forever during -fwupgrade". The board went on.
    x.board = consumeFault(x.board, 'hung-cli').board;
    await x.save();
    if (x.verbose && polls[0]) out.pair(polls[0]);
    await new Promise<never>(() => setInterval(() => undefined, 60_000));
  }
  const status = up.outcome.status;
  const claimedError = status && status.error !== 'NO_ERROR' && status.error !== 'STATE_NOT_RUNNING' ? status.error : undefined;
  if (x.verbose) for (const p of polls) out.pair(p);
  else if ((claimedError || !up.outcome.ok) && polls.length) out.pair(polls.at(-1)!);
  if (!up.outcome.ok) x.failOutcome(up.outcome);
  if (claimedError) x.fail(`Error: ${fusErrorText(claimedError, s)}`);
  if (!(await x.usbBack(up.events))) x.lost();
  out.line('Firmware Upgrade Success');
  if (!c.startStack && x.board.cpu2 === 'stack') {
    // startstack=0: leave CPU2 in FUS (two FUS_GET_STATE).
    for (let i = 0; i < 2 && x.board.cpu2 === 'stack'; i++) {
      const r = await x.exec({ op: 'getState' });
      if (!(await x.usbBack(r.events))) x.lost();
    }
  }
}

async function writeFile(x: Session, file: string, address: number | undefined, verify: boolean): Promise<void> {
  const out = x.out;
  const bytes = await readBytes(x, file);
  const name = path.basename(file.replace(/\\/g, '/'));
  const at = address ?? 0x08000000;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // Bytes with a coprocessor image trailer are an image FUS can find (STM32WB.md §1); anything else is application code.
  const viewed = viewImage(bytes, name);
  const write = { address: at, size: bytes.length, sha256, name, image: viewed.image };
  out.line('');
  const { outcome, events } = await x.exec(viewed.image ? { op: 'stageImage', write } : { op: 'flashApplication', write });
  if (outcome.error === 'OUT_OF_FLASH') {
    out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(x.style, bytes.length)}`, `  Address       : 0x${S.hex8(at)}`, '', '', 'Erasing memory corresponding to segment 0:');
    x.fail('Operation exceeds memory limits', 'Error: failed to erase memory', 'Error: failed to download Segment[0]', 'Error: failed to download the File');
  }
  const ms = programmingBlock(x, name, bytes.length, at, events);
  if (!outcome.ok) {
    if (outcome.error === 'POWER_LOSS') x.lost();
    x.fail('Error: failed to erase memory', 'Error: failed to download Segment[0]', 'Error: failed to download the File'); // cli-transcripts/19 D, 28 C
  }
  out.line('Download in Progress:');
  out.bar();
  out.line('File download complete', `Time elapsed during download operation: ${S.elapsed(ms)}`);
  if (verify) {
    out.line('', 'Verifying ...', '', 'Read progress:');
    out.bar();
    out.line('', 'Download verified successfully');
  }
}

/** `-ob displ` for WB: layout of cli-transcripts/23 (L5) with the WB fields of STM32WB.md §5; exact WB text unknown. */
async function obDisplay(x: Session): Promise<void> {
  const out = x.out;
  await x.exec({ op: 'readMemory', address: 0x58004020, words: 26 });
  const ob = x.board.optionBytes;
  const d = deviceByKey(x.board.device.key);
  const addr = (page: number) => `0x${(d.flashBase + page * d.pageSize).toString(16).toUpperCase()}`;
  const rdpText = ob.rdp === 0xaa ? 'Level 0, no protection' : ob.rdp === 0xcc ? 'Level 2, chip protection' : 'Level 1, read protection';
  out.line('');
  x.uploadObBlock();
  out.line(
    '',
    'OPTION BYTES BANK: 0',
    '',
    '   Read Out Protection:',
    '',
    `     RDP          : 0x${ob.rdp.toString(16).toUpperCase()} (${rdpText}) `,
    '',
    '   User Configuration:',
    '',
    `     nBOOT0       : 0x${ob.nBOOT0} (nBOOT0=${ob.nBOOT0}) `,
    `     nBOOT1       : 0x${ob.nBOOT1} (${ob.nBOOT1 ? 'Boot from system memory when BOOT0 = 1' : 'Boot from embedded SRAM1 when BOOT0 = 1'}) `,
    `     nSWBOOT0     : 0x${ob.nSWboot0} (${ob.nSWboot0 ? 'BOOT0 taken from PH3/BOOT0 pin' : 'BOOT0 taken from the option bit nBOOT0'}) `,
    '',
    'OPTION BYTES BANK: 1',
    '',
    '   Security Configuration Option bytes - 1:',
    '',
    `     ESE          : 0x${ob.ese} (${ob.ese ? 'Security enabled' : 'Security disabled'}) `,
    '',
    '   Security Configuration Option bytes - 2:',
    '',
    `     SFSA         : 0x${ob.sfsa.toString(16).toUpperCase()}  (${addr(ob.sfsa)}) `,
    `     FSD          : 0x0 (System and Flash secure) `,
    `     DDS          : 0x1 (CPU2 debug access disabled) `,
    `     C2OPT        : 0x1 (SBRV will address Flash) `,
    `     SBRV         : 0x${ob.sbrv.toString(16).toUpperCase()}  (0x${(d.flashBase + ob.sbrv * 4).toString(16).toUpperCase()}) `,
  );
}

const OB_KEYS: Record<string, 'rdp' | 'sfsa' | 'sbrv' | 'nSWboot0' | 'nBOOT0' | 'nBOOT1' | 'ese'> = {
  rdp: 'rdp',
  sfsa: 'sfsa',
  sbrv: 'sbrv',
  nswboot0: 'nSWboot0',
  nboot0: 'nBOOT0',
  nboot1: 'nBOOT1',
  ese: 'ese',
};

/** `-ob NAME=VAL ...` (cli-transcripts/23 unchanged case, 24 A programmed/failed case, 10 verification errors). */
async function obProgram(x: Session, values: [string, number][]): Promise<void> {
  const out = x.out;
  const request: Record<string, number> = {};
  for (const [name, v] of values) {
    const k = OB_KEYS[name.toLowerCase()];
    if (k) request[k] = v; // other option bytes (WRP, PCROP, BOR...) are not modelled: treated as unchanged
  }
  const before = x.board.optionBytes;
  out.line('');
  x.uploadObBlock();
  out.line('', 'PROGRAMMING OPTION BYTES AREA ...');
  const { outcome, events } = await x.exec({ op: 'writeOptionBytes', values: request });
  const changed = values.filter(([name, v]) => {
    const k = OB_KEYS[name.toLowerCase()];
    return k !== undefined && before[k] !== v;
  });
  if (changed.length === 0) {
    for (const [name, v] of values) out.line(`Warning: Option Byte: ${name.toLowerCase()}, value: 0x${v.toString(16).toUpperCase()}, was not modified.`);
    out.line('', "Warning: Option Bytes are unchanged, Data won't be downloaded");
    if (S.printsObTime(x.style)) out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(0)}`);
    return;
  }
  out.line('', '  Bank          : 0x00', '  Address       : 0x58004020', '  Size          : 104 Bytes', '');
  out.bar();
  out.line('', 'Reconnecting...', 'Reconnected !', '', '');
  if (!(await x.usbBack(events))) x.lost();
  x.uploadObBlock();
  out.line('OPTION BYTE PROGRAMMING VERIFICATION:', '');
  if (!outcome.ok) {
    for (const m of outcome.mismatches ?? []) out.line(`Error: Expected value for Option Byte "${m.name}": 0x${m.expected.toString(16).toUpperCase()}, found: 0x${m.found.toString(16).toUpperCase()}`);
    x.fail(x.style.at('2.10.0') ? 'Error: Option Byte Programming failed Or modified by application after OB_LAUNCH' : 'Error: Option Byte Programming failed');
  }
  out.line('Option Bytes successfully programmed');
  if (S.printsObTime(x.style)) out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(modelledDuration(events))}`);
}

// ---------------------------------------------------------------------- main

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

/** Runs one invocation; resolves with the exit code (never, for the `hung-cli` fault). */
export async function main(argv: readonly string[], io: FakeIo): Promise<number> {
  const style = S.makeStyle(io.env.COPRO_FAKE_CLI_VERSION ?? '2.17.0', S.platformFromEnv(io.env));
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    for (const l of S.banner(style)) io.stdout(l + '\n');
    io.stdout(`Error: ${e.message}\n`);
    return 1;
  }
  const out = new Output(io.stdout, style, parsed.quiet);
  let code = 0;
  try {
    code = await run(parsed, out, style, io);
  } finally {
    if (parsed.log !== undefined) {
      const file = parsed.log || path.join(homedir(), '.STM32Programmer', 'trace.log');
      await mkdir(path.dirname(file), { recursive: true });
      const now = timestamp(new Date());
      await appendFile(file, out.lines.map((l) => `${now} ${l}`).join('\n') + '\n');
    }
  }
  return code;
}

async function run(parsed: Parsed, out: Output, style: S.Style, io: FakeIo): Promise<number> {
  out.line(...S.banner(style));
  if (parsed.version) {
    out.line(`STM32CubeProgrammer version: ${style.version} `); // unknown exact text
    return 0;
  }
  if (parsed.help) {
    out.line('Usage :', 'STM32_Programmer_CLI.exe [command_1] [Arguments_1][[command_2] [Arguments_2]...]', '(fake STM32_Programmer_CLI over copro simulated boards)');
    return 0;
  }
  const dir = io.env.COPRO_SIM_DIR ? path.resolve(io.cwd, io.env.COPRO_SIM_DIR) : defaultSimDir(io.cwd);
  const speed = simSpeed(io.env);
  if (parsed.list) await printList(out, style, dir, parsed.list);
  const c = parsed.connect;
  if (!c) {
    if (parsed.commands.length > 0) {
      out.line('Error: No connection established: use -c port=...'); // unknown text
      return 1;
    }
    return 0;
  }
  if (c.transport === 'jtag') {
    out.line('Error: No debug probe detected.'); // the simulator has no JTAG / J-Link boards
    return 1;
  }
  // "Default board when none exists" (the store's rule): an empty folder gets the classic rescue-case board.
  if ((await listSimulatedBoards(dir)).length === 0) await resetBoard(dir);
  const picked = pickBoard(await boards(dir), c);
  if (!picked) {
    if (c.transport === 'usb') out.line(...(style.at('2.3.0') ? ['', ''] : []), 'Error: No STM32 target found!'); // unknown exact text for USB
    else if (c.transport === 'swd') out.line('Error: No ST-Link detected!');
    else out.line(`Error: Cannot open port ${c.port}`); // unknown text
    return 1;
  }
  // Overlap is recorded, not hidden: see overlap.ts (the store lock below keeps the board file whole only).
  const unregister = await registerInvocation(dir, picked.serial, parsed.commands.map((cmd) => cmd.kind));
  const release = await lockBoard(dir, picked.serial).catch(async (e: unknown) => {
    await unregister();
    throw e;
  });
  try {
    let board = advanceClock(await readSimulatedBoard(dir, picked.serial), Date.now(), speed);
    board.counters = { ...board.counters, cliProcesses: board.counters.cliProcesses + 1 };
    const m = connectModeText(c);
    const ctx: SimContext & { transport: T3 } = { transport: c.transport, toolVersion: style.version, ...(c.transport === 'swd' ? { connectMode: m.ctx } : {}) };
    const x = new Session(board, ctx, dir, speed, out, style);
    // USB DFU enumeration prints two more blank lines after the banner (cli-transcripts/01, 14).
    if (c.transport === 'usb') out.line('', '');
    const probe = board.device.attachments.find((a) => a.transport === 'swd');
    if (c.transport === 'swd' && probe && probe.transport === 'swd' && probe.connectError) {
      await x.save();
      out.line('ST-LINK error (DEV_CONNECT_ERR)', 'Error: No ST-Link detected!'); // unknown combination
      return 1;
    }
    const connected = await x.exec({ op: 'connect' });
    board = x.board;
    if (!connected.outcome.ok) {
      if (c.transport === 'swd') out.line(...swdProbeLines(board, style)); // cli-transcripts/16 (failed)
      out.line(c.transport === 'uart' ? 'Error: Activating device: KO. Please, verify the boot mode configuration and check the serial port configuration. Reset your device then try again...' : S.noTargetLine(style));
      return 1;
    }
    header(out, style, board, c);
    try {
      for (const cmd of parsed.commands) await runCommand(x, cmd);
      return 0;
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      if (e.exitCode !== 0 && hasFault(x.board, 'exit-0-after-error')) {
        // cli-transcripts/19 A: "The command finishes with exit code 0" after an error.
        x.board = consumeFault(x.board, 'exit-0-after-error').board;
        await x.save();
        return 0;
      }
      return e.exitCode;
    }
  } finally {
    await release();
    await unregister();
  }
}

/** Entry point of the executable shim. */
export async function runFromProcess(): Promise<void> {
  const code = await main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), env: process.env, cwd: process.cwd() });
  process.exitCode = code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runFromProcess();
