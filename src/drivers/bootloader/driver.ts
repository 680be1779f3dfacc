/**
 * The `bootloader` Driver: copro talks to the STM32WB ROM bootloader itself, over any BootloaderLink (USB
 * DFU or USART), with no STM32CubeProgrammer and no process started. No Node imports: files, hashing and
 * the link are given to it (see index.ts for Node, and a browser page later).
 *
 * Rules it keeps (ST AN5185, release notes; field reports):
 * - Versions and the stack type come from the SRAM2A info table, readable while the stack runs: a read
 *   never restarts FUS. FUS_GET_STATE is only sent when the table says FUS runs (two in a row while the
 *   stack runs reboot CPU2 into FUS: ST FAQ "two consecutive FUS_GET_STATE").
 * - Before FW_UPGRADE the staging area (the application's end, or the install address, up to SFSA) is
 *   erased, the image written and read back; FW_UPGRADE is sent only when the sha256 of the bytes read back
 *   equals the image's (FUS installs the first footer it finds below SFSA, not "the file you wrote").
 * - After every reset the board is found again (DFU serial / port) and identified by its UID64.
 */
import type { AvailableImage } from '../../images/types.js';
import {
  DriverError,
  assertMayChange,
  scopeFor,
  type BoardAccess,
  type BoardState,
  type Driver,
  type DriverErrorCode,
  type DriverInfo,
  type FwUpgradeOptions,
  type OperationOptions,
  type OperationReport,
  type OptionBytesWrite,
  type ReadOptions,
} from '../driver.js';
import { LinkError, type BootloaderLink, type FusCommandName, type RawFusState } from './link.js';
import { INFO_TABLE_ADDRESS, INFO_TABLE_BYTES, parseInfoTable, type InfoTable } from './info-table.js';
import { decodeOptionBytes, encodeOptionBytes, describeOptionBytes, type OptionBytesFields } from './option-bytes.js';
import { boardStateOf, fusStatusOf, hexOf } from './board-read.js';
import type { LinkClock } from './dfu/usb.js';

export const UID64_ADDRESS = 0x1fff7580;
export const FLASH_SIZE_ADDRESS = 0x1fff75e0;
const FLASH_BASE = 0x08000000;

export interface BootloaderDriverOptions {
  /** Finds and opens the bootloader (first call and never again: resets use `reconnect`). */
  openLink: () => Promise<BootloaderLink>;
  clock: LinkClock;
  readFile: (path: string) => Promise<Uint8Array>;
  /** Lowercase hex sha256 (WebCrypto by default). */
  sha256?: (bytes: Uint8Array) => Promise<string>;
  toolVersion?: string;
  logFile?: string;
  /** Where the application ends, when the manifest names it: the staging area is erased from there to SFSA. */
  applicationEnd?: number;
  /** What the sources leave open for this transport: said once, in the first read's notes. */
  uncertainties?: string[];
  /** Bound for one re-enumeration (device ms). */
  reconnectTimeoutMs?: number;
  /** Bound for one FUS operation (device ms) and how often its state is polled (qFlipper: every second). */
  fusTimeoutMs?: number;
  fusPollMs?: number;
  /** One line per high-level step (the transcript). */
  trace?: (line: string) => void;
  /**
   * `free` (plan, status, doctor without --full): reads send no FUS_GET_STATE (two in a row reboot CPU2 into FUS)
   * and every operation that writes, resets or switches CPU2 is refused before anything is sent. Default `full`.
   * Reading memory, the option bytes and the info table through the bootloader costs nothing, so a free read
   * still shows the versions and, while the stack runs, its type.
   */
  access?: BoardAccess;
}

export async function webCryptoSha256(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as unknown as { crypto: { subtle: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto.subtle;
  const d = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A device that vanished (unplug, power cut, no re-enumeration) and a bootloader that stops answering are one
 * thing to the runner: a lost connection (DISCONNECTED), as the CubeProgrammer driver classifies "Connection to
 * device 0x495 is lost" and acknowledgement timeouts. The runner's power-loss diagnosis and its recovery (read
 * the board again, run again) are then the same on both drivers.
 */
const LINK_TO_DRIVER: Record<LinkError['code'], DriverErrorCode> = {
  NOT_FOUND: 'NO_TARGET',
  DISCONNECTED: 'DISCONNECTED',
  TIMEOUT: 'DISCONNECTED',
  NACK: 'TOOL_ERROR',
  PROTOCOL: 'TOOL_ERROR',
  PERMISSION: 'NO_TARGET',
  UNSUPPORTED: 'UNSUPPORTED',
};

/** The CubeProgrammer driver's remedy for a lost connection (the same words on both drivers). */
export const LOST_CONNECTION_REMEDY = 'check the cable and BOOT0; power-cycle the board and read its state before running again';

/** The wording of a lost connection: what the link saw, said as the connection lost (a reconnect that ran out already says so). */
function lostConnectionMessage(e: LinkError): string {
  return /did not come back/.test(e.message) ? e.message : `lost the connection to the bootloader: ${e.message}`;
}

export function driverErrorOfLink(e: LinkError, logFile?: string): DriverError {
  const code = LINK_TO_DRIVER[e.code];
  const remedy =
    e.code === 'PERMISSION'
      ? 'Linux: install the udev rule for 0483:DF11 (copro doctor shows how); Windows: the DFU device needs the WinUSB driver (ST\'s STM32Bootloader.inf or Zadig)'
      : e.code === 'NOT_FOUND'
        ? 'put the chip in its ROM bootloader (BOOT0 high, then reset or plug in) and check the cable'
        : code === 'DISCONNECTED'
          ? LOST_CONNECTION_REMEDY
          : undefined;
  return new DriverError(code, code === 'DISCONNECTED' ? lostConnectionMessage(e) : e.message, { ...(logFile ? { logFile } : {}), ...(remedy ? { remedy } : {}) });
}

/** What FUS ended in after a command, and what was seen on the way. */
interface FusOutcome {
  table: InfoTable;
  status?: RawFusState;
  seen: string[];
}

function ongoing(state: number): boolean {
  return state >= 0x10 && state <= 0x3f;
}

export class BootloaderDriver implements Driver {
  private l: BootloaderLink | undefined;
  private lost = false;
  private uid: bigint | undefined;
  private saidUncertain = false;
  private closed = false;
  private readonly sha256: (bytes: Uint8Array) => Promise<string>;
  /** The staged bytes verified by read-back since the last flash change: FW_UPGRADE needs this. */
  private verifiedStage: { address: number; size: number; sha256: string } | undefined;
  /** The application this driver wrote and verified (readState reads it back). */
  private application: { address: number; size: number; sha256: string } | undefined;

  constructor(private readonly o: BootloaderDriverOptions) {
    this.sha256 = o.sha256 ?? webCryptoSha256;
  }

  /** Progress every 10 % (a line per block would flood a log). */
  private throttled(opts: OperationOptions | undefined): OperationOptions['onProgress'] {
    let last = -100;
    let lastMessage = '';
    return (p) => {
      const pct = p.percent ?? 0;
      if (p.message !== lastMessage || pct - last >= 10 || pct === 100) {
        last = pct;
        lastMessage = p.message ?? '';
        opts?.onProgress?.(p);
      }
    };
  }

  info(): DriverInfo {
    return { kind: 'bootloader', transport: this.l?.transport ?? 'usb', serial: this.l?.name ?? null, toolVersion: this.o.toolVersion ?? 'copro bootloader driver', ...(this.o.logFile ? { logFile: this.o.logFile } : {}) };
  }

  private trace(line: string): void {
    this.o.trace?.(line);
  }

  private async link(): Promise<BootloaderLink> {
    if (this.closed) throw new DriverError('REFUSED', 'this bootloader driver was closed');
    if (!this.l) {
      try {
        this.l = await this.o.openLink();
      } catch (e) {
        throw e instanceof LinkError ? driverErrorOfLink(e, this.o.logFile) : e;
      }
      this.uid = await this.readUid(this.l);
      this.trace(`opened ${this.l.transport} ${this.l.name}: UID64 ${hexOf(this.uid, 16)}`);
    }
    if (this.lost) await this.afterReset();
    return this.l;
  }

  private async readUid(l: BootloaderLink): Promise<bigint> {
    const b = await l.readMemory(UID64_ADDRESS, 8);
    const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** After a reset: wait for the same board (bounded), and check it is the same chip by its UID64. */
  private async afterReset(): Promise<void> {
    const l = this.l!;
    const timeout = this.o.reconnectTimeoutMs ?? 30_000;
    this.trace(`waiting for ${l.name} to come back (at most ${Math.round(timeout / 1000)} s)`);
    try {
      await l.reconnect(timeout);
    } catch (e) {
      throw e instanceof LinkError ? driverErrorOfLink(e, this.o.logFile) : e;
    }
    this.lost = false;
    const uid = await this.readUid(l);
    if (this.uid !== undefined && uid !== this.uid) {
      throw new DriverError('DISCONNECTED', `a different board came back as ${l.name} (UID64 ${hexOf(uid, 16)}, expected ${hexOf(this.uid, 16)}): DFU serial numbers can collide; unplug the other board`, this.o.logFile ? { logFile: this.o.logFile } : {});
    }
  }

  /** Runs `fn` on the link; a link that went away is marked lost (the next use reconnects). */
  private async on<T>(fn: (l: BootloaderLink) => Promise<T>): Promise<T> {
    const l = await this.link();
    try {
      return await fn(l);
    } catch (e) {
      if (e instanceof LinkError && (e.code === 'DISCONNECTED' || e.code === 'TIMEOUT')) this.lost = true;
      throw e;
    }
  }

  private async readTable(): Promise<InfoTable> {
    return parseInfoTable(await this.on((l) => l.readMemory(INFO_TABLE_ADDRESS, INFO_TABLE_BYTES)));
  }

  private async optionBytes(): Promise<OptionBytesFields> {
    return decodeOptionBytes(await this.on((l) => l.readOptionBytes()));
  }

  // ------------------------------------------------------------------ read

  async readState(opts?: ReadOptions): Promise<BoardState> {
    this.checkAbort(opts);
    try {
      return await this.read(scopeFor(this.o.access ?? 'full', opts?.scope) === 'free');
    } catch (e) {
      throw e instanceof LinkError ? driverErrorOfLink(e, this.o.logFile) : e;
    }
  }

  private async read(free = false): Promise<BoardState> {
    const l = await this.link();
    const deviceId = await this.on((x) => x.deviceId());
    const fs = await this.on((x) => x.readMemory(FLASH_SIZE_ADDRESS, 2));
    const flashSizeKB = fs[0]! | (fs[1]! << 8);
    const uid64 = await this.on((x) => this.readUid(x));
    const ob = await this.optionBytes();
    this.trace(`option bytes: ${describeOptionBytes(ob)}`);
    const table = await this.readTable();
    let fus: RawFusState | undefined;
    const notes: string[] = [];
    // GET_STATE only where it cannot restart FUS: FUS's own table is there, or no table at all (safeboot, lock-up).
    // A free read never sends it (one more would reboot CPU2 into FUS if the stack had started in between).
    if (table.kind !== 'stack' && !free) fus = await this.on((x) => x.fusGetState());
    if (table.kind !== 'stack' && free) notes.push('free read: FUS\'s state was not asked (a FUS_GET_STATE); the versions come from the info table');
    if (!this.saidUncertain) {
      this.saidUncertain = true;
      const u = this.o.uncertainties ?? [];
      if (u.length) notes.push(`unconfirmed by the sources (${this.o.logFile ? `this run's transcript of every request, ${this.o.logFile}, settles it on a real board` : 'a transcript from a real board would settle it'}): ${u.join('; ')}`);
    }
    const pageSize = deviceId === 0x494 ? 2048 : 4096;
    const application = await this.readApplication(ob, notes);
    return boardStateOf(
      { transport: l.transport, toolVersion: this.o.toolVersion ?? 'copro bootloader driver', serial: l.name, deviceId, flashSizeKB, uid64, optionBytes: ob, table, ...(fus ? { fus } : {}), flashBase: FLASH_BASE, pageSize, application, notes },
      new Date().toISOString(),
    );
  }

  private async readApplication(ob: OptionBytesFields, notes: string[]): Promise<BoardState['application']> {
    if (ob.rdp !== 0xaa) {
      notes.push('flash is read-protected (RDP level 1): the application cannot be read');
      return { present: 'unknown' };
    }
    const app = this.application;
    if (app) {
      const sha = await this.sha256(await this.on((l) => l.readMemory(app.address, app.size)));
      if (sha === app.sha256) return { present: true, sha256: sha };
      notes.push(`the application written at ${hexOf(app.address, 8)} reads back differently now`);
      return { present: true };
    }
    const head = await this.on((l) => l.readMemory(FLASH_BASE, 8));
    return { present: !head.every((b) => b === 0xff) };
  }

  // ------------------------------------------------------------------ FUS

  private checkAbort(opts?: OperationOptions): void {
    if (opts?.signal?.aborted) throw new DriverError('ABORTED', 'aborted before the operation started');
  }

  /** Reports a failure in flight as the tool's claim; the runner reads the board back either way. */
  private failure(e: unknown, messages: string[]): OperationReport {
    if (e instanceof DriverError) {
      if (e.code === 'ABORTED' || e.code === 'REFUSED') throw e;
      return { ok: false, messages: [...messages, `Error: ${e.message}`], error: e.code };
    }
    if (e instanceof LinkError) {
      const d = driverErrorOfLink(e);
      return { ok: false, messages: [...messages, `Error: ${d.message}`], error: d.code };
    }
    throw e;
  }

  /** Brings CPU2 into FUS: nothing when FUS runs; two FUS_GET_STATE when the stack runs (the chip resets into FUS). */
  private async ensureFus(messages: string[]): Promise<InfoTable> {
    const t = await this.readTable();
    if (t.kind !== 'stack') return t;
    messages.push('the wireless stack runs: FUS_GET_STATE twice to start FUS (the chip resets)');
    const first = await this.on((l) => l.fusGetState());
    messages.push(`FUS_GET_STATE: ${fusStatusOf(first).state} / ${fusStatusOf(first).error}`);
    try {
      await this.on((l) => l.fusGetState());
    } catch (e) {
      if (!(e instanceof LinkError && e.code === 'DISCONNECTED')) throw e;
    }
    this.lost = true;
    const after = await this.waitForFus('FUS start', messages, true);
    if (after.table.kind !== 'fus') throw new DriverError('FUS_NOT_RUNNING', 'FUS did not start (the info table does not show FUS after two FUS_GET_STATE)');
    return after.table;
  }

  /**
   * Waits (bounded) until FUS is done: the board comes back after its resets, the table shows the stack
   * running, or FUS reports a state that is not "ongoing". Polls like qFlipper (every second).
   */
  private async waitForFus(what: string, messages: string[], expectReset: boolean): Promise<FusOutcome> {
    const clock = this.o.clock;
    const deadline = clock.now() + (this.o.fusTimeoutMs ?? 120_000);
    const seen: string[] = [];
    if (expectReset) this.lost = true;
    for (;;) {
      try {
        const table = await this.readTable();
        if (table.kind === 'stack') return { table, seen };
        if (table.kind === 'fus') {
          const raw = await this.on((l) => l.fusGetState());
          const st = fusStatusOf(raw);
          const line = `FUS state is ${st.state} / ${st.error}`;
          if (seen[seen.length - 1] !== line) {
            seen.push(line);
            messages.push(line);
          }
          if (!ongoing(raw.state) || raw.error !== 0) return { table, status: raw, seen };
        }
      } catch (e) {
        if (!(e instanceof LinkError) || (e.code !== 'DISCONNECTED' && e.code !== 'TIMEOUT')) throw e;
        if (e instanceof LinkError && e.code === 'TIMEOUT' && !this.lost) this.lost = true;
      }
      if (clock.now() > deadline) throw new DriverError('TIMEOUT', `${what}: FUS did not finish within ${Math.round((this.o.fusTimeoutMs ?? 120_000) / 1000)} s`, this.o.logFile ? { logFile: this.o.logFile } : {});
      await clock.sleep(this.o.fusPollMs ?? 1000);
    }
  }

  /** Sends a FUS command. FW_UPGRADE only right after the staged bytes were verified by read-back. */
  private async fusCommand(command: FusCommandName, messages: string[]): Promise<FusOutcome> {
    if (command === 'FW_UPGRADE' && !this.verifiedStage) throw new DriverError('REFUSED', 'FW_UPGRADE without a staged image verified by read-back: not sent');
    this.trace(`FUS command ${command}`);
    await this.on((l) => l.fusCommand(command));
    if (command === 'FW_UPGRADE') this.verifiedStage = undefined;
    return this.waitForFus(command, messages, true);
  }

  private reportOf(out: FusOutcome, messages: string[], success: string, okWhen: (o: FusOutcome) => boolean): OperationReport {
    const err = out.status && out.status.error !== 0 ? fusStatusOf(out.status).error : undefined;
    if (okWhen(out) && !err) return { ok: true, messages: [...messages, success] };
    const code: DriverErrorCode = err === 'IMG_NOT_AUTHENTIC' || err === 'AUTH_TAG_ST_NOTFOUND' || err === 'AUTH_TAG_CUST_NOTFOUND' ? 'NOT_AUTHENTIC' : err === 'IMG_NOT_FOUND' ? 'IMG_NOT_FOUND' : err === 'IMG_NOT_ENOUGH_SPACE' ? 'NOT_ENOUGH_SPACE' : 'FUS_ERROR';
    return { ok: false, messages: [...messages, `Error: FUS reported ${err ?? 'no success'}`], error: code };
  }

  async startFus(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'starting FUS');
    this.checkAbort(opts);
    const messages: string[] = [];
    try {
      const t = await this.ensureFus(messages);
      return { ok: t.kind === 'fus', messages: [...messages, t.kind === 'fus' ? 'FUS is running' : 'FUS did not start'], ...(t.kind === 'fus' ? {} : { error: 'FUS_NOT_RUNNING' as const }) };
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  async deleteStack(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'deleting the stack');
    this.checkAbort(opts);
    const messages: string[] = [];
    try {
      await this.ensureFus(messages);
      opts?.onProgress?.({ phase: 'delete' });
      const out = await this.fusCommand('FW_DELETE', messages);
      // Deleting when nothing is installed: IMG_NOT_FOUND, harmless (ST; the read-back decides).
      if (out.status?.error === 0x01) return { ok: true, messages: [...messages, 'Warning: FUS_STATE_IMG_NOT_FOUND (nothing was installed)'] };
      return this.reportOf(out, messages, 'FW_DELETE done', (o) => o.table.kind === 'fus');
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  /** Erases the staging area, writes the image, reads it back; sets `verifiedStage` only when the bytes match. */
  private async stage(bytes: Uint8Array, sha: string, address: number, messages: string[], opts: FwUpgradeOptions): Promise<boolean> {
    this.verifiedStage = undefined;
    const ob = await this.optionBytes();
    const l = await this.link();
    const deviceId = await l.deviceId();
    const page = deviceId === 0x494 ? 2048 : 4096;
    const sfsaAddress = FLASH_BASE + ob.sfsa * page;
    if (address + bytes.length > sfsaAddress) {
      messages.push(`Error: the image (${hexOf(address, 8)}..${hexOf(address + bytes.length, 8)}) reaches the secure area (SFSA ${hexOf(sfsaAddress, 8)})`);
      return false;
    }
    // The runner passes the application's end (manifest `application.end`); without it, the image's address.
    const from = Math.min(opts.stagingStart ?? this.o.applicationEnd ?? address, address);
    const first = Math.ceil((from - FLASH_BASE) / page);
    const pages: number[] = [];
    for (let p = first; p < ob.sfsa; p++) pages.push(p);
    this.trace(`erasing pages ${first}..${ob.sfsa - 1} (${hexOf(FLASH_BASE + first * page, 8)}..SFSA)`);
    messages.push(`erased the staging area ${hexOf(FLASH_BASE + first * page, 8)}..${hexOf(sfsaAddress, 8)} (${pages.length} pages): no stale image left for FUS to find`);
    await this.on((x) => x.erasePages(pages, (p) => opts.onProgress?.({ phase: 'download', percent: Math.round((p.done / p.total) * 20), message: 'erasing the staging area' })));
    await this.on((x) => x.writeMemory(address, bytes, (p) => opts.onProgress?.({ phase: 'download', percent: 20 + Math.round((p.done / p.total) * 70), bytes: { done: p.done, total: p.total }, message: `writing ${hexOf(address, 8)}` })));
    const back = await this.on((x) => x.readMemory(address, bytes.length));
    opts.onProgress?.({ phase: 'download', percent: 100, message: 'read back' });
    const got = await this.sha256(back);
    if (got !== sha) {
      messages.push(`Error: the staged bytes read back with sha256 ${got}, not the image's ${sha}: FW_UPGRADE not sent`);
      return false;
    }
    messages.push(`staged ${bytes.length} bytes at ${hexOf(address, 8)}, read back: sha256 ${sha} (verified)`);
    this.verifiedStage = { address, size: bytes.length, sha256: sha };
    return true;
  }

  async upgrade(image: AvailableImage, address: number, opts: FwUpgradeOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'installing an image');
    this.checkAbort(opts);
    if (!image.path) throw new DriverError('REFUSED', `${image.name}: no local bytes to download (fetch the image first)`);
    let bytes: Uint8Array;
    try {
      bytes = await this.o.readFile(image.path);
    } catch (e) {
      throw new DriverError('REFUSED', `${image.name}: cannot read ${image.path}: ${(e as Error).message}`);
    }
    const sha = await this.sha256(bytes);
    if (image.identity.sha256 && sha !== image.identity.sha256) throw new DriverError('REFUSED', `${image.name} changed on disk (sha256 ${sha}, identified as ${image.identity.sha256})`);
    const messages: string[] = [];
    try {
      await this.ensureFus(messages);
      if (!opts.firstInstall) {
        const del = await this.fusCommand('FW_DELETE', messages);
        if (del.status && del.status.error !== 0 && del.status.error !== 0x01) return this.reportOf(del, messages, '', () => false);
      }
      if (!(await this.stage(bytes, sha, address, messages, { ...opts, onProgress: this.throttled(opts) }))) return { ok: false, messages, error: 'TOOL_ERROR' };
      opts.onProgress?.({ phase: 'install', message: `FW_UPGRADE ${image.name}` });
      const out = await this.fusCommand('FW_UPGRADE', messages);
      const isFus = image.identity.kind === 'fus';
      const report = this.reportOf(out, messages, 'Firmware Upgrade Success', (o) => (isFus ? o.table.kind === 'fus' : o.table.kind === 'stack' || (o.table.kind === 'fus' && o.status?.error === 0)));
      if (report.ok && !isFus && !opts.startStack && out.table.kind === 'stack') {
        // startstack=0: leave CPU2 in FUS.
        await this.ensureFus(report.messages);
      }
      return report;
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  async startStack(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'starting the stack');
    this.checkAbort(opts);
    const messages: string[] = [];
    try {
      const t = await this.readTable();
      if (t.kind === 'stack') return { ok: true, messages: ['the wireless stack already runs'] };
      const out = await this.fusCommand('START_WS', messages);
      return this.reportOf(out, messages, 'FUS_START_WS: the wireless stack runs', (o) => o.table.kind === 'stack');
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  async writeOptionBytes(want: OptionBytesWrite, opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'writing option bytes');
    this.checkAbort(opts);
    const messages: string[] = [];
    try {
      const now = await this.optionBytes();
      const next: OptionBytesFields = { ...now, ...(want.nSWboot0 !== undefined ? { nSWboot0: want.nSWboot0 } : {}), ...(want.nBOOT0 !== undefined ? { nBOOT0: want.nBOOT0 } : {}), ...(want.nBOOT1 !== undefined ? { nBOOT1: want.nBOOT1 } : {}) };
      const changed = (['nSWboot0', 'nBOOT0', 'nBOOT1'] as const).filter((k) => next[k] !== now[k]);
      if (changed.length === 0) return { ok: true, messages: ['option bytes already as wanted: nothing written'] };
      opts?.onProgress?.({ phase: 'option-bytes' });
      this.trace(`writing option bytes: ${changed.map((k) => `${k}=${next[k]}`).join(' ')}`);
      await this.on((l) => l.writeOptionBytes(encodeOptionBytes(next)));
      this.lost = true;
      // With software BOOT0 = flash (nSWboot0=0, nBOOT0=1) or nBOOT1=0 the chip no longer starts the ROM bootloader.
      if ((next.nSWboot0 === 0 && next.nBOOT0 === 1) || next.nBOOT1 === 0) {
        return { ok: true, messages: [...messages, `option bytes written (${changed.join(', ')}); the chip now boots from flash, so the bootloader cannot read them back: done, not verifiable here`] };
      }
      const back = await this.optionBytes();
      const wrong = changed.filter((k) => back[k] !== next[k]);
      if (wrong.length) return { ok: false, messages: [...messages, `Error: option bytes read back ${wrong.map((k) => `${k}=${back[k]}`).join(' ')}`], error: 'OPTION_BYTES' };
      return { ok: true, messages: [...messages, `option bytes written and read back after the reload reset: ${changed.map((k) => `${k}=${next[k]}`).join(' ')}`] };
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  async flash(file: string, address: number, opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'writing flash');
    this.checkAbort(opts);
    let bytes: Uint8Array;
    try {
      bytes = await this.o.readFile(file);
    } catch (e) {
      throw new DriverError('REFUSED', `cannot read ${file}: ${(e as Error).message}`);
    }
    if (bytes.length === 0) throw new DriverError('REFUSED', `${file} is empty`);
    const messages: string[] = [];
    try {
      const sha = await this.sha256(bytes);
      const l = await this.link();
      const page = (await l.deviceId()) === 0x494 ? 2048 : 4096;
      const first = Math.floor((address - FLASH_BASE) / page);
      const last = Math.floor((address + bytes.length - 1 - FLASH_BASE) / page);
      const pages: number[] = [];
      for (let p = first; p <= last; p++) pages.push(p);
      this.verifiedStage = undefined;
      this.application = undefined;
      opts?.onProgress?.({ phase: 'flash', message: `erasing ${pages.length} pages` });
      await this.on((x) => x.erasePages(pages));
      const progress = this.throttled(opts);
      await this.on((x) => x.writeMemory(address, bytes, (p) => progress?.({ phase: 'flash', percent: Math.round((p.done / p.total) * 100) })));
      const got = await this.sha256(await this.on((x) => x.readMemory(address, bytes.length)));
      if (got !== sha) return { ok: false, messages: [...messages, `Error: the application reads back with sha256 ${got}, not ${sha}`], error: 'TOOL_ERROR' };
      this.application = { address, size: bytes.length, sha256: sha };
      return { ok: true, messages: [...messages, `application written at ${hexOf(address, 8)} and read back (sha256 ${sha})`] };
    } catch (e) {
      return this.failure(e, messages);
    }
  }

  async activateAntiRollback(opts?: OperationOptions): Promise<OperationReport> {
    assertMayChange(this.o.access ?? 'full', 'activating anti-rollback');
    // The public sources give the ROM bootloader's relay codes of FW_DELETE, FW_UPGRADE, GET_STATE and START_WS only,
    // not FUS_ACTIVATE_ANTIROLLBACK's: no code is guessed for an irreversible command. `copro plan/apply` refuse such a
    // manifest before the board is read (ANTI_ROLLBACK_NOT_ON_DRIVER); this is the driver's own last word.
    this.checkAbort(opts);
    throw new DriverError('UNSUPPORTED', 'the bootloader driver cannot activate anti-rollback: the ROM bootloader command that relays FUS_ACTIVATE_ANTIROLLBACK is not publicly documented; nothing was sent', {
      remedy: 'activate it with connection.driver: cubeprogrammer over USB DFU or UART (STM32_Programmer_CLI -antirollback)',
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.l?.close().catch(() => undefined);
    this.l = undefined;
  }
}
