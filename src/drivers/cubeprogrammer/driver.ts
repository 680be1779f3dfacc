/**
 * The real driver: STM32_Programmer_CLI through execa (STM32CubeProgrammer CLI, UM2237). It refuses known-bad combinations
 * before touching the board, runs each operation with its own timeout, reconnects after the resets FUS
 * does, and reports what the tool said; the runner judges every step by `readState()` afterwards.
 */
import { readFile } from 'node:fs/promises';
import type { BoardState } from '../../generated/board-state.js';
import { compareVersions } from '../../domain/version.js';
import { hex } from '../../domain/hex.js';
import { hasStandInMarker } from '../../images/standin.js';
import type { AvailableImage } from '../../images/types.js';
import type { BoardAccess, Driver, DriverInfo, FwUpgradeOptions, OperationOptions, OperationReport, OptionBytesWrite, Progress, ReadOptions } from '../driver.js';
import { mustUpdateFusFirst } from '../early-fus.js';
import { DriverError, assertMayChange, freeReadOfInfoTable, scopeFor, stagingErase, unknownNote, withoutFusFacts } from '../driver.js';
import { FUS_INFO_TABLE, FUS_INFO_VALID_KEY } from '../../domain/fus.js';
import { FAMILIES, familyByDeviceId, swdOperatorCost, swdOperatorFootprint } from '../../domain/families.js';
import { optionByte, wordAt } from './parse.js';
import { createHash } from 'node:crypto';
import { connectArgs, flashArgs, fwUpgradeArgs, optionBytesArgs, transportOf, type CliTransport } from './args.js';
import { formatArgv, runCli, type InvokeResult, type ToolChildObserver } from './invoke.js';
import { parseCliOutput, type CliResult, type ConnectHeader } from './parse.js';
import { classifyErrorText, finished, problemCode, reportFrom } from './report.js';
import { UID64_ADDRESS, buildBoardState, stackWasRunning } from './state.js';

export type OpKind = 'connect' | 'read' | 'startFus' | 'delete' | 'upgrade' | 'startStack' | 'optionBytes' | 'flash' | 'antiRollback';

/** Per-operation time limits. A FUS update reboots the chip at least 4 times; production runs took > 60 s (AN5185 and shci.h: FUS states, observed timings). */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<OpKind, number>> = {
  connect: 30_000,
  read: 90_000,
  startFus: 60_000,
  delete: 120_000,
  upgrade: 300_000,
  startStack: 60_000,
  optionBytes: 60_000,
  flash: 180_000,
  antiRollback: 60_000,
};

export interface ReconnectPolicy {
  /** Give up after this long without the device coming back (USB re-enumerates in about 4 s). */
  limitMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface CubeProgrammerDriverOptions {
  executable: string;
  /** `usb1`, `swd`, or a serial device for the UART bootloader. */
  port: string;
  serial?: string;
  mode?: string;
  baudrate?: number;
  /** One limit for every operation, or per operation kind. */
  timeoutMs?: number | Partial<Record<OpKind, number>>;
  logFile?: string;
  /** copro's simulated stand-in images are for the simulator only. */
  allowStandInImages?: boolean;
  /** `free`: free reads only, every other operation refused before a CLI call (see BoardAccess). Default `full`. */
  access?: BoardAccess;
  /** Added to the CLI's environment (LD_LIBRARY_PATH from locate). */
  env?: Record<string, string>;
  /** From the `--version` banner, when already known. */
  toolVersion?: string;
  /** The device id the manifest's part has (0x494 for a WB1x): where the SWD operator's version words are read before any connection. */
  deviceId?: number;
  reconnect?: Partial<ReconnectPolicy>;
  /** Told when each tool process starts and ends (the board lock records them). */
  onChild?: ToolChildObserver;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** ST release notes (FUS v2.0.0): FW_delete over ST-LINK needs STM32CubeProgrammer >= 2.20. */
const MIN_TOOL_FOR_FUS2_OVER_SWD = '2.20.0';

export class CubeProgrammerDriver implements Driver {
  readonly transport: CliTransport;
  private toolVersion: string;
  private header: ConnectHeader | undefined;
  private connectedOnce = false;
  private lastFusVersion: string | undefined;
  /** CPU2 was put in FUS on purpose (startFus): a read over SWD must not start the stack again behind the plan's back. */
  private fusStartedOnPurpose = false;
  private readonly reconnect: ReconnectPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: CubeProgrammerDriverOptions) {
    this.transport = transportOf(o.port);
    this.toolVersion = o.toolVersion ?? 'unknown';
    this.reconnect = { limitMs: 20_000, firstDelayMs: 500, maxDelayMs: 4_000, ...o.reconnect };
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  info(): DriverInfo {
    return {
      kind: 'cubeprogrammer',
      transport: this.transport,
      serial: this.o.serial ?? this.header?.serial ?? null,
      toolVersion: this.toolVersion,
      ...(this.o.logFile ? { logFile: this.o.logFile } : {}),
    };
  }

  async close(): Promise<void> {
    // Nothing held between calls: every CLI invocation connects and disconnects.
  }

  // ------------------------------------------------------------------------------------------ read

  async readState(opts: ReadOptions = {}): Promise<BoardState> {
    const scope = scopeFor(this.o.access ?? 'full', opts.scope);
    if (scope === 'free') return this.readFree(opts);
    if (scope === 'flash') return this.readFlashOnly(opts);
    if (this.transport === 'swd') this.verifiedApplication = undefined; // this read loads the FUS operator
    // One GET_STATE does not switch CPU2 (two do: STM32CubeWB release notes and AN5185, reading versions, so the first call is non-invasive over USB/UART.
    const swdAt = this.swdVersionAddress();
    let versionRead = this.transport === 'swd' ? ['-r32', hex(swdAt), '8'] : ['-r32', '0x20030024', '52'];
    const uidRead = this.transport === 'swd' ? ['-r32', hex(UID64_ADDRESS), '8'] : [];
    let first = await this.call('read', ['-fusgetstate', ...versionRead, ...uidRead, '-ob', 'displ'], opts);
    const connectedId = first.parsed.header?.deviceId;
    if (this.transport === 'swd' && connectedId !== undefined && this.swdVersionAddress(connectedId) !== swdAt) {
      // The board is of another family than assumed (a WB1x with `device: detect`): its operator's words are elsewhere.
      versionRead = ['-r32', hex(this.swdVersionAddress(connectedId)), '8'];
      first = await this.call('read', ['-fusgetstate', ...versionRead, ...uidRead, '-ob', 'displ'], opts);
    }
    this.assertRomBootloader(first.parsed);
    this.assertUnderstood(first);

    let afterStartFus: CliResult | undefined;
    let restartedStack: boolean | undefined;
    const restart = opts.restartStack !== false;
    if (stackWasRunning(first.parsed.fusStates[first.parsed.fusStates.length - 1])) {
      // Versions read while the stack runs are garbage (public field reports): start FUS, read, start the stack again.
      const second = await this.call('startFus', ['-startfus', ...versionRead], opts);
      this.assertUnderstood(second);
      afterStartFus = second.parsed;
      const peek = buildBoardState({ transport: this.transport, toolVersion: this.toolVersion, first: first.parsed, afterStartFus, restartedStack: false, probeSerial: null, readAt: new Date(0).toISOString() });
      if (restart && !mustUpdateFusFirst(peek)) {
        const third = await this.call('startStack', ['-startwirelessstack'], opts);
        restartedStack = third.parsed.errors.length === 0 && (third.parsed.successes.includes('start-ws') || finished(third.parsed, /startwirelessstack/i));
      }
    }
    const build = () =>
      buildBoardState({
        transport: this.transport,
        toolVersion: this.toolVersion,
        first: first.parsed,
        afterStartFus,
        restartedStack,
        probeSerial: this.o.serial ?? this.header?.serial ?? null,
        readAt: (this.o.now?.() ?? new Date()).toISOString(),
      });
    let state = build();
    if (restart && this.transport === 'swd' && state.stack.status === 'installed' && state.cpu2 === 'fus' && !mustUpdateFusFirst(state) && !this.fusStartedOnPurpose) {
      // Over SWD the FUS operator's read leaves CPU2 in FUS ("Read FUS infos", public field reports): a stack that is
      // installed is started again, as after an install (startstack=1), so reading never stops the user's BLE.
      const again = await this.call('startStack', ['-startwirelessstack'], opts);
      restartedStack = again.parsed.errors.length === 0 && (again.parsed.successes.includes('start-ws') || finished(again.parsed, /startwirelessstack/i));
      state = build();
      state.notes.push(restartedStack ? 'reading over SWD started FUS; the installed stack was started again' : 'reading over SWD started FUS, and the stack did not start again');
    }
    if (state.fus.version !== 'unknown') this.lastFusVersion = state.fus.version;
    return state;
  }

  // ------------------------------------------------------------------------------------ operations

  async startFus(opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'starting FUS');
    await this.refuseIap(opts);
    const { inv, parsed } = await this.call('startFus', ['-startfus'], opts);
    const last = parsed.fusStates[parsed.fusStates.length - 1];
    const ok = parsed.successes.includes('start-fus') || finished(parsed, /startfus/i) || last?.state === 'FUS_IDLE';
    this.fusStartedOnPurpose = true;
    return reportFrom(parsed, inv.exitCode, ok, this.operatorMessages());
  }

  async deleteStack(opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'deleting the stack');
    await this.refuseIap(opts);
    this.refuseFus2OverOldSwd('FW_DELETE', this.lastFusVersion);
    this.sfsa = undefined; // FW_DELETE moves SFSA up
    const { inv, parsed } = await this.call('delete', ['-fwdelete'], opts);
    // `Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !` is not a failure: there was nothing to delete (STM32CubeWB release notes, upgrade procedure).
    const alreadyEmpty = parsed.warnings.some((w) => /IMG_NOT_FOUND.*already empty/i.test(w));
    const ok = parsed.successes.includes('fw-delete') || finished(parsed, /fwdelete/i) || alreadyEmpty;
    return reportFrom(parsed, inv.exitCode, ok, [...(alreadyEmpty ? ['no stack was installed: nothing to delete'] : []), ...this.operatorMessages()]);
  }

  async upgrade(image: AvailableImage, address: number, opts: FwUpgradeOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'installing an image');
    const file = await this.refuseImage(image);
    await this.refuseIap(opts);
    const target = image.identity.kind === 'fus' ? image.identity.version : undefined;
    this.refuseFus2OverOldSwd(image.identity.kind === 'fus' ? 'FUS upgrade' : 'install', this.lastFusVersion, target);
    if (opts.startStack) this.fusStartedOnPurpose = false; // startstack=1: the stack is meant to run afterwards
    const erase = await this.stagingEraseArgs(image.identity.size, address, opts);
    this.sfsa = undefined;
    const { inv, parsed } = await this.call('upgrade', [...erase.args, ...fwUpgradeArgs(file, address, opts)], opts);
    const report = reportFrom(parsed, inv.exitCode, parsed.successes.includes('fw-upgrade'), [...erase.messages, ...this.operatorMessages()]);
    // The stack's type is not recorded from what was meant to be installed: FUS does not report it, and a type
    // copro did not read is never shown as read (FUS may have installed a leftover image instead).
    return report;
  }

  /** SFSA (a page number) as the last `-ob displ` of this driver showed it; cleared by anything that may move it. */
  private sfsa: number | undefined;

  /**
   * `-e [first last]` (sector codes = pages, CLI help) over the staging area outside the image's own pages (the
   * download erases those), from the application's end (or the image's address) up to SFSA: FUS installs the
   * first image footer it finds below SFSA, not the file just written (ST, community td-p/70166: "check if the
   * flash sectors between the end of your app and SFSA option byte is erased before download").
   */
  private async stagingEraseArgs(size: number, address: number, opts: FwUpgradeOptions): Promise<{ args: string[]; messages: string[] }> {
    if (this.sfsa === undefined) {
      // Over SWD hot-plug: connecting under reset here would restart what the plan just stopped.
      await this.call('read', ['-ob', 'displ'], opts, this.transport === 'swd' ? { mode: 'HOTPLUG' } : {});
    }
    const sfsa = this.sfsa;
    if (sfsa === undefined) throw new DriverError('TOOL_ERROR', 'SFSA was not in the -ob displ output: the staging area below it cannot be erased before the download, so nothing was written', this.o.logFile ? { logFile: this.o.logFile } : {});
    const pageSize = this.header?.deviceId === 0x494 ? 0x800 : 0x1000;
    const e = stagingErase({ stagingStart: opts.stagingStart, address, size, sfsa, pageSize, flashBase: 0x08000000 });
    const from = Math.ceil((Math.min(opts.stagingStart ?? address, address) - 0x08000000) / pageSize);
    return {
      args: e.ranges.flatMap(([a, b]) => ['-e', `[${a}`, `${b}]`]),
      messages: [`staging area ${hex(0x08000000 + from * pageSize)}..${hex(0x08000000 + sfsa * pageSize)} (SFSA): ${e.pages} page(s) outside the image erased before the download${opts.stagingStart === undefined ? ' (the manifest gives no application.end: erased from the image\'s address)' : ''}`],
    };
  }

  async startStack(opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'starting the stack');
    await this.refuseIap(opts);
    this.fusStartedOnPurpose = false;
    const { inv, parsed } = await this.call('startStack', ['-startwirelessstack'], opts);
    const ok = parsed.successes.includes('start-ws') || finished(parsed, /startwirelessstack/i);
    return reportFrom(parsed, inv.exitCode, ok, this.operatorMessages());
  }

  async writeOptionBytes(ob: OptionBytesWrite, opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'writing option bytes');
    const args = optionBytesArgs(ob);
    if (args.length === 0) return { ok: true, messages: ['no option byte to write'] };
    this.sfsa = undefined;
    const { inv, parsed } = await this.call('optionBytes', args, opts);
    const unchanged = parsed.warnings.some((w) => /Option Bytes are unchanged/i.test(w));
    return reportFrom(parsed, inv.exitCode, parsed.successes.includes('option-bytes') || unchanged);
  }

  async flash(file: string, address: number, opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'writing flash');
    const { inv, parsed } = await this.call('flash', flashArgs(file, address), opts);
    const verified = parsed.successes.includes('download-complete') && parsed.successes.includes('download-verified');
    // `-v` makes CubeProgrammer read the written range back and compare it: the only read-back of the
    // application this driver has (reading it over SWD needs no operator, but copro does not upload flash).
    const bytes = verified ? await readFile(file).catch(() => undefined) : undefined;
    this.verifiedApplication = bytes ? { address, sha256: createHash('sha256').update(bytes).digest('hex') } : undefined;
    return reportFrom(parsed, inv.exitCode, verified);
  }

  /** The application this driver wrote and CubeProgrammer verified, since the last FUS operator load. */
  private verifiedApplication: { address: number; sha256: string } | undefined;

  /** Option bytes only (`-ob displ`): no FUS start, no SWD operator; the application as far as this driver verified it. */
  private async readFlashOnly(opts: OperationOptions): Promise<BoardState> {
    const { parsed } = await this.call('read', ['-ob', 'displ'], opts);
    this.assertRomBootloader(parsed);
    const full = buildBoardState({ transport: this.transport, toolVersion: this.toolVersion, first: parsed, probeSerial: this.o.serial ?? this.header?.serial ?? null, readAt: (this.o.now?.() ?? new Date()).toISOString() });
    const application: BoardState['application'] = this.verifiedApplication ? { present: true, sha256: this.verifiedApplication.sha256 } : { present: 'unknown' };
    return withoutFusFacts({ ...full, application, notes: full.notes.filter((n) => !/FUS operator|FUS state/.test(n)) }, 'flash-only read (-ob displ): FUS and the stack were not read');
  }

  /**
   * A free read: no FUS_GET_STATE (two in a row reboot CPU2 into FUS), no FUS start, no FUS operator, no reset.
   * USB DFU / UART: the FUS info table and the option bytes (the table is FUS's only while FUS runs, ST's public documentation
   * §5). SWD: connected hot-plug (mode=UR would reset the chip), option bytes and UID64 only.
   */
  private async readFree(opts: OperationOptions): Promise<BoardState> {
    const readAt = (this.o.now?.() ?? new Date()).toISOString();
    const probeSerial = this.o.serial ?? this.header?.serial ?? null;
    if (this.transport === 'swd') {
      const { parsed } = await this.call('read', ['-r32', hex(UID64_ADDRESS), '8', '-ob', 'displ'], opts, { mode: 'HOTPLUG' });
      this.assertRomBootloader(parsed);
      const full = buildBoardState({ transport: 'swd', toolVersion: this.toolVersion, first: parsed, probeSerial, readAt });
      const application: BoardState['application'] = this.verifiedApplication ? { present: true, sha256: this.verifiedApplication.sha256 } : { present: 'unknown' };
      return withoutFusFacts({ ...full, application, notes: full.notes.filter((n) => !/FUS operator|FUS state/.test(n)) }, unknownNote('what CPU2 runs, the FUS version and the stack', 'swd', { ...(this.toolVersion !== 'unknown' ? { toolVersion: this.toolVersion } : {}), deviceId: parsed.header?.deviceId ?? this.header?.deviceId ?? this.o.deviceId }));
    }
    const { parsed } = await this.call('read', ['-r32', hex(FUS_INFO_TABLE), '52', '-ob', 'displ'], opts);
    this.assertRomBootloader(parsed);
    const state = buildBoardState({ transport: this.transport, toolVersion: this.toolVersion, first: parsed, probeSerial, readAt });
    const fusRunning = wordAt(parsed, FUS_INFO_TABLE) === FUS_INFO_VALID_KEY;
    const free = freeReadOfInfoTable(state, fusRunning);
    if (free.fus.version !== 'unknown') this.lastFusVersion = free.fus.version;
    return free;
  }

  async activateAntiRollback(opts: OperationOptions = {}): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'activating anti-rollback');
    if (this.transport === 'swd') {
      // CLI help: "-antirollback ... (Only on Bootloader interface)".
      throw new DriverError('UNSUPPORTED', 'anti-rollback can only be activated through the bootloader interface (USB DFU or UART), not over SWD', {
        remedy: 'connect the board over USB DFU (BOOT0 high) and run again',
      });
    }
    await this.refuseIap(opts);
    const { inv, parsed } = await this.call('antiRollback', ['-antirollback'], opts);
    // No success line for -antirollback has been seen verbatim: claim success only on a clean run and exit 0.
    return reportFrom(parsed, inv.exitCode, inv.exitCode === 0, ['anti-rollback cannot be read back: the tool\'s claim is all there is']);
  }

  // -------------------------------------------------------------------------------------- refusals

  /** A stand-in image is copro's simulated copy of an ST image: never write it to a real chip. */
  private async refuseImage(image: AvailableImage): Promise<string> {
    if (!image.path) throw new DriverError('REFUSED', `${image.name} is not a local file (fetch it first)`);
    const declared = image.origin === 'stand-in' || image.identity.signature === 'simulated' || image.identity.standInFor !== undefined;
    if (!this.o.allowStandInImages) {
      const bytes = declared ? undefined : new Uint8Array(await readFile(image.path));
      if (declared || (bytes && hasStandInMarker(bytes))) {
        throw new DriverError('REFUSED', `${image.name} is a copro stand-in (simulated image), not an ST image: refusing to write it to a real board`, {
          remedy: 'use the ST image from STM32CubeWB (Projects/STM32WB_Copro_Wireless_Binaries) or `copro fetch`',
        });
      }
    }
    return image.path;
  }

  /**
   * ST release notes (FUS v2.0.0): "Coprocessor Binaries can be installed only through the USB interface";
   * CubeProgrammer < 2.20 lacks FW_delete over ST-LINK (public field reports).
   */
  private refuseFus2OverOldSwd(what: string, runningFus: string | undefined, installingFus?: string): void {
    // An unknown version (no call made yet) is treated as too old: never more forgiving than the tool.
    if (this.transport !== 'swd' || (this.toolVersion !== 'unknown' && compareVersions(this.toolVersion, MIN_TOOL_FOR_FUS2_OVER_SWD) >= 0)) return;
    const fus2 = (v: string | undefined) => v !== undefined && v !== 'unknown' && Number(v.split('.')[0]) >= 2;
    const reason = fus2(runningFus)
      ? `FUS ${runningFus} runs on this board`
      : fus2(installingFus)
        ? `this installs FUS ${installingFus}`
        : runningFus === undefined
          ? 'the FUS version is not known yet (read the board state first)'
          : undefined;
    if (!reason) return;
    throw new DriverError('UNSUPPORTED', `${what} over SWD with STM32CubeProgrammer ${this.toolVersion} is refused: ${reason}, and CubeProgrammer < ${MIN_TOOL_FOR_FUS2_OVER_SWD} cannot delete or install with FUS 2.x over ST-LINK`, {
      remedy: `connect over USB DFU (-c port=usb1, BOOT0 high) or install STM32CubeProgrammer >= ${MIN_TOOL_FOR_FUS2_OVER_SWD}`,
    });
  }

  /** A DFU device that prints `IAP` is not ST's ROM bootloader: FUS commands are impossible (public field reports). */
  private async refuseIap(opts: OperationOptions): Promise<void> {
    if (this.transport !== 'usb') return;
    if (!this.header) {
      const probe = await this.call('connect', [], opts);
      this.assertUnderstood(probe);
    }
    if (this.header?.iap) throw iapError();
  }

  private assertRomBootloader(parsed: CliResult): void {
    if (parsed.header?.iap) throw iapError();
  }

  /**
   * Where CubeProgrammer's SWD FUS operator leaves the version words: 0x20010010 on WB5x/WB3x, 0x20002F10 on a WB1x
   * (community m-p/89405), whose SRAM1 ends below 0x20010010. The family comes from the device id of the last
   * connection, else from the manifest's device; with neither, WB5x (readState reads again if the header disagrees).
   */
  private swdVersionAddress(deviceId = this.header?.deviceId ?? this.o.deviceId): number {
    return (familyByDeviceId(deviceId ?? 0x495) ?? FAMILIES.STM32WB5x).swdOperator.fusVersionAddress;
  }

  private operatorMessages(): string[] {
    if (this.transport !== 'swd') return [];
    this.verifiedApplication = undefined; // the operator overwrote it
    // What the connected version does: 8 KB (sectors 0-1; 0-3 on a WB1x) from v2.4 on; the older operator
    // ("FUS_Operator.bin", before v2.4) was 11,584 bytes, sectors 0-2 (reconstructed: no public log shows its download).
    const f = swdOperatorFootprint(this.toolVersion, this.header?.deviceId);
    const what = f ? `flash sectors ${f.sectors} (${f.range}${f.bytes % 1024 ? `, ${f.bytes.toLocaleString('en-US')} bytes` : ''}; STM32CubeProgrammer ${this.toolVersion})` : swdOperatorCost(undefined);
    return [
      `SWD: CubeProgrammer's FUS operator overwrote ${what} and set nSWboot0=0: the application must be re-flashed and nSWboot0/nBOOT0/nBOOT1 restored (STM32CubeProgrammer CLI, UM2237)`,
    ];
  }

  // ------------------------------------------------------------------------------------------ calls

  private timeoutFor(kind: OpKind): number {
    const t = this.o.timeoutMs;
    if (typeof t === 'number') return t;
    return t?.[kind] ?? DEFAULT_TIMEOUTS_MS[kind];
  }

  /**
   * One CLI invocation, reconnecting with bounded backoff when the device is not (yet) there after a reset:
   * only when the CLI never connected, so no command ran and a retry cannot repeat one.
   */
  private async call(kind: OpKind, command: string[], opts: OperationOptions, connect: { mode?: string } = {}): Promise<{ inv: InvokeResult; parsed: CliResult }> {
    const args = [...connectArgs({ ...this.o, ...connect }), ...command];
    const started = Date.now();
    let delay = this.reconnect.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) throw new DriverError('ABORTED', `interrupted before: ${formatArgv([this.o.executable, ...args])}`);
      progress(opts, { phase: attempt === 1 ? phaseOf(kind) : 'reconnect', message: formatArgv(['STM32_Programmer_CLI', ...args]) });
      const inv = await runCli({ executable: this.o.executable, args, env: this.o.env, timeoutMs: this.timeoutFor(kind), logFile: this.o.logFile, signal: opts.signal, onChild: this.o.onChild });
      // The board named by --serial, or else the one the first call reached: another one answering is never "the board".
      const expected = this.o.serial ?? this.header?.serial;
      const parsed = parseCliOutput(inv.stdout, expected ? { serial: expected } : {});
      if (parsed.toolVersion) this.toolVersion = parsed.toolVersion;
      this.assertNoGuess(inv, parsed);
      const connected = parsed.header !== undefined && (parsed.header.deviceId !== undefined || parsed.header.iap);
      if (connected) {
        this.header = { ...this.header, ...parsed.header } as ConnectHeader;
        const sfsa = optionByte(parsed.optionBytes, 'SFSA')?.value;
        if (sfsa !== undefined) this.sfsa = sfsa;
        this.connectedOnce = true;
        for (const f of parsed.fusStates) progress(opts, { phase: phaseOf(kind), fusState: f.state, message: f.status });
        return { inv, parsed };
      }
      const reason = parsed.errors[0] ?? (inv.stdout.trim() === '' ? 'no output' : 'no device header in the output');
      const elapsed = Date.now() - started;
      // After a reset the USB device re-enumerates and SWD must reconnect (AN5185 and shci.h: FUS states, observed timings): retry, bounded.
      if (this.connectedOnce && elapsed + delay <= this.reconnect.limitMs) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.reconnect.maxDelayMs);
        continue;
      }
      const where = this.describeTarget();
      if (this.connectedOnce) {
        throw new DriverError('DISCONNECTED', `${where} did not come back within ${Math.round(this.reconnect.limitMs / 1000)} s after a reset (${attempt} attempts; last: ${reason})`, {
          transcript: inv.stdout,
          logFile: this.o.logFile,
          remedy: 'check the cable and BOOT0; power-cycle the board and read its state before running again',
        });
      }
      throw new DriverError('NO_TARGET', `no STM32 found on ${where}: ${reason}`, {
        transcript: inv.stdout,
        logFile: this.o.logFile,
        remedy: this.transport === 'usb' ? 'USB DFU needs the ROM bootloader: BOOT0 high (or nSWboot0=0) and a reset; `copro devices` lists what is attached' : 'check the probe, the wiring and the power; `copro devices` lists what is attached',
      });
    }
  }

  private describeTarget(): string {
    return `${this.o.port}${this.o.serial ? ` (sn=${this.o.serial})` : ''}`;
  }

  /** Output the parser understood but could only turn into a fact by guessing (issue 13): stop, quoting the line. */
  private assertNoGuess(inv: InvokeResult, parsed: CliResult): void {
    const first = parsed.problems[0];
    if (!first) return;
    const wrongBoard = first.kind === 'foreign-serial';
    throw new DriverError(problemCode(first), `STM32_Programmer_CLI ${this.toolVersion}: ${parsed.problems.slice(0, 3).map((p) => p.message).join('; ')}`, {
      transcript: inv.stdout,
      logFile: this.o.logFile,
      remedy: wrongBoard
        ? 'another board answered on this port: name the board with --serial (`copro devices` lists them) and run again'
        : 'copro stops rather than guess: read the board again; if this repeats, report it with the log file',
    });
  }

  /** Output the parser does not know is an error that quotes the line: the driver does not guess. */
  private assertUnderstood(c: { inv: InvokeResult; parsed: CliResult }): void {
    // A bootloader that stopped answering mid-read is a lost connection, not a tool error (issue 14).
    const lost = c.parsed.errors.find((e) => classifyErrorText(e) === 'DISCONNECTED');
    if (lost !== undefined) {
      throw new DriverError('DISCONNECTED', `${this.describeTarget()} stopped answering during the read: ${JSON.stringify(lost)}`, {
        transcript: c.inv.stdout,
        logFile: this.o.logFile,
        remedy: 'check the cable and BOOT0; power-cycle the board and read its state before running again',
      });
    }
    if (c.parsed.unknownLines.length === 0) return;
    throw new DriverError('TOOL_ERROR', `STM32_Programmer_CLI ${this.toolVersion} printed output copro does not understand: ${c.parsed.unknownLines.slice(0, 3).map((l) => JSON.stringify(l)).join(', ')}`, {
      transcript: c.inv.stdout,
      logFile: this.o.logFile,
      remedy: 'report it with the log file; a CubeProgrammer version copro has fixtures for avoids it',
    });
  }
}

function iapError(): DriverError {
  return new DriverError('UNSUPPORTED', 'the USB DFU device is not the ST ROM bootloader (it reports "IAP"): FUS commands are impossible through it', {
    remedy: 'start the ROM bootloader: BOOT0 high (or nSWboot0=0, nBOOT0=0) and reset, then run again',
  });
}

function phaseOf(kind: OpKind): Progress['phase'] {
  switch (kind) {
    case 'connect':
      return 'connect';
    case 'read':
      return 'read';
    case 'delete':
      return 'delete';
    case 'upgrade':
      return 'install';
    case 'optionBytes':
      return 'option-bytes';
    case 'flash':
      return 'flash';
    default:
      return 'reset';
  }
}

function progress(opts: OperationOptions, p: Progress): void {
  opts.onProgress?.(p);
}

