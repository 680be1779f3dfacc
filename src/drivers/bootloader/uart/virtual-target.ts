/**
 * What a virtual ROM bootloader acts on: the simulated board (src/drivers/simulator, pure `apply`) plus the
 * bytes the host wrote to flash, which the board model does not keep (it knows staged images by footer and
 * sha256). Transport-neutral (a virtual DFU device can use it too) and Node-free: identifying image bytes
 * (sha256, footer) is injected as `view`.
 *
 * The byte overlay and the model stay consistent this way:
 * - Extended Erase / Write Memory change the overlay (erased pages, written bytes) and the board (erased
 *   pages drop staged images and damage the application, as the model's own writes do);
 * - before any command that asks the model about flash (FUS commands, option bytes, a reset) the bytes
 *   written since the last such command are handed to the model as one staged write per contiguous run
 *   (`stageImage`, or `flashApplication` for a run without footer at the flash base);
 * - after each model command, overlay pages the model no longer backs (its staged image consumed by FUS,
 *   now inside the secure area) are dropped: reads then come from the model.
 * Writes need erased bytes (0xFF): STM32WB flash cannot be programmed twice without an erase (RM0434 PROGERR).
 */
import { apply, type SimCommand, type SimEvent, type SimOutcome, type SimContext } from '../../simulator/model.js';
import { modelledDuration, TIMING } from '../../simulator/timing.js';
import { deviceOf, secureStart, pageOf, pageAddress, overlaps } from '../../simulator/layout.js';
import type { SimBoard, ImageView, Fault } from '../../../generated/sim-board.js';
import { FUS_STATE_CODES, fusErrorByName } from '../../../domain/fus.js';
import { FLASH_SIZE_ADDRESS, OPTION_BYTES_ADDRESS, OPTION_BYTES_SIZE, UID64_ADDRESS, hex32 } from './an3155.js';
import { decodeOptionBytes, encodeOptionBytes, OptionBytesError } from './option-bytes.js';

/** Where the board lives: in memory (tests) or in the simulator store (Node adapter, `.copro/sim`). */
export interface BoardHost {
  /** Loads the board (under its lock where there is one), lets `fn` change it, saves it. */
  change<T>(fn: (board: SimBoard) => { board: SimBoard; result: T; ms?: number }): Promise<T>;
  /** The board as it is now, for reads. */
  peek(): Promise<SimBoard>;
}

export class MemoryBoardHost implements BoardHost {
  constructor(public board: SimBoard) {}
  async change<T>(fn: (board: SimBoard) => { board: SimBoard; result: T }): Promise<T> {
    const out = fn(this.board);
    this.board = out.board;
    return out.result;
  }
  async peek(): Promise<SimBoard> {
    return this.board;
  }
}

export interface ViewedImage {
  sha256: string;
  image: ImageView | null;
}

/** What happens to the chip after a command (the device stops answering until it is synced again). */
export type After = { kind: 'reset' } | { kind: 'power-off'; unplug: boolean };

export interface TargetResult<T = undefined> {
  ok: boolean;
  value?: T;
  /** Why it was refused (NACK). */
  why?: string;
  /** Device time the command took. */
  ms: number;
  after?: After;
}

/** 64-bit flash programming (RM0434 / datasheet: ~82 us per double word; 0.1 ms here). */
const PROGRAM_MS_PER_DOUBLE_WORD = 0.1;
const SRAM_START = 0x20000000;
const SRAM_END = 0x20040000;
const PWR_CR4 = 0x5800040c;
const OTP_START = 0x1fff7000;
const OTP_END = 0x1fff7400;

interface Run {
  start: number;
  end: number;
}

export interface VirtualTargetOptions {
  view: (bytes: Uint8Array) => ViewedImage;
  /** Context of the model commands (default: UART). */
  ctx?: SimContext;
}

/** What the virtual AN3155 bootloader needs from the chip behind it. */
export interface BootloaderTarget {
  /** The chip came out of reset / power-up and the host synced (0x7F): does the ROM bootloader run? */
  boot(): Promise<TargetResult>;
  powered(): Promise<boolean>;
  deviceId(): Promise<number>;
  readProtected(): Promise<boolean>;
  read(address: number, length: number): Promise<TargetResult<Uint8Array>>;
  write(address: number, data: Uint8Array): Promise<TargetResult>;
  erase(pages: readonly number[]): Promise<TargetResult>;
  fusGetState(): Promise<TargetResult<{ state: number; error: number } | null>>;
  fusCommand(command: 'FW_UPGRADE' | 'FW_DELETE' | 'START_WS'): Promise<TargetResult<Uint8Array>>;
  /** The host went away: what it wrote becomes the model's. */
  flush(): Promise<void>;
  /** The USB-serial adapter is pulled: the board loses power. */
  unplug(note: string): Promise<void>;
}

export class VirtualTarget implements BootloaderTarget {
  /** Page index -> page bytes, for pages this host erased or wrote. */
  private readonly pages = new Map<number, Uint8Array>();
  /** Bytes written since the last hand-over to the model. */
  private pending: Run[] = [];
  /** Runs handed to the model: kept in the overlay while the model still has them. */
  private committed: { run: Run; sha256: string; application: boolean }[] = [];
  private readonly ctx: SimContext;
  readonly events: SimEvent[] = [];

  constructor(
    readonly host: BoardHost,
    private readonly opts: VirtualTargetOptions,
  ) {
    this.ctx = opts.ctx ?? { transport: 'uart' };
  }

  // ------------------------------------------------------------------ model plumbing

  /** Runs model commands under one board change; stops at the first failure. */
  private async model(commands: SimCommand[], extra?: (b: SimBoard) => SimBoard): Promise<{ outcome: SimOutcome; events: SimEvent[]; board: SimBoard }> {
    return this.host.change((board) => {
      let b = extra ? extra(board) : board;
      const events: SimEvent[] = [];
      let outcome: SimOutcome = { ok: true };
      for (const c of commands) {
        const r = apply(b, c, this.ctx);
        b = r.board;
        events.push(...r.events);
        outcome = r.outcome;
        if (!outcome.ok) break;
      }
      this.events.push(...events);
      this.reconcile(b);
      return { board: b, result: { outcome, events, board: b }, ms: modelledDuration(events) };
    });
  }

  private static afterOf(events: SimEvent[]): After | undefined {
    const loss = events.find((e): e is Extract<SimEvent, { type: 'power-loss' }> => e.type === 'power-loss');
    if (loss) return { kind: 'power-off', unplug: loss.mode === 'unplug' };
    if (events.some((e) => e.type === 'reset')) return { kind: 'reset' };
    return undefined;
  }

  /** Drops overlay pages the model no longer backs. */
  private reconcile(b: SimBoard): void {
    const device = deviceOf(b);
    const secure = secureStart(b);
    const backed = (c: (typeof this.committed)[number]) =>
      c.application ? b.application.present && b.application.start === c.run.start && b.application.sha256 === c.sha256 : b.staged.some((s) => s.address === c.run.start && s.sha256 === c.sha256);
    const gone = this.committed.filter((c) => !backed(c));
    this.committed = this.committed.filter(backed);
    for (const c of gone) for (let p = pageOf(device, c.run.start); p <= pageOf(device, c.run.end - 1); p++) if (!this.pendingTouches(device.flashBase, device.pageSize, p)) this.pages.delete(p);
    for (const p of [...this.pages.keys()]) if (pageAddress(device, p) >= secure) this.pages.delete(p);
  }

  private pendingTouches(base: number, pageSize: number, page: number): boolean {
    const a = base + page * pageSize;
    return this.pending.some((r) => overlaps(r.start, r.end, a, a + pageSize));
  }

  /** Hands the bytes written since the last model command to the model (see the file comment). */
  private async commit(): Promise<SimEvent[]> {
    if (this.pending.length === 0) return [];
    const runs = this.pending;
    this.pending = [];
    const board = await this.host.peek();
    const device = deviceOf(board);
    const writes: { command: SimCommand; run: Run; sha256: string; application: boolean }[] = [];
    for (const run of runs) {
      const { bytes, viewed } = this.viewRun(this.bytesOf(device.flashBase, device.pageSize, run.start, run.end - run.start));
      const application = viewed.image === null && run.start === device.flashBase;
      const write = { address: run.start, size: bytes.length, sha256: viewed.sha256, name: `uart-write@${hex32(run.start)}`, image: viewed.image };
      writes.push({ command: application ? { op: 'flashApplication', write } : { op: 'stageImage', write }, run, sha256: viewed.sha256, application });
    }
    // A download fault still armed fires now: after the last byte the host wrote (every frame was ACKed).
    const loss = board.faults.find((f): f is Extract<Fault, { at: string }> => 'at' in f && f.at.startsWith('download:'));
    this.committed.push(...writes.map((w) => ({ run: w.run, sha256: w.sha256, application: w.application })));
    const r = await this.model(
      writes.map((w) => w.command),
      loss ? (b) => ({ ...b, faults: b.faults.filter((f) => f !== b.faults.find((g) => 'at' in g && g.at === loss.at)) }) : undefined,
    );
    if (loss) await this.cutPower(loss.kind === 'unplug', `${loss.kind === 'unplug' ? 'unplugged' : 'power lost'} right after the UART download (armed fault ${loss.kind}@${loss.at})`);
    return r.events;
  }

  /**
   * STM32WB flash is programmed by double words, so a host pads an image whose size is not a multiple of 8
   * with 0xFF (real ST images are multiples of 4). FUS finds the footer all the same: the run is viewed
   * without that padding when the padded bytes show no image.
   */
  private viewRun(bytes: Uint8Array): { bytes: Uint8Array; viewed: ViewedImage } {
    const viewed = this.opts.view(bytes);
    if (viewed.image) return { bytes, viewed };
    for (let trim = 1; trim < 8 && trim < bytes.length && bytes[bytes.length - trim] === 0xff; trim++) {
      const shorter = bytes.subarray(0, bytes.length - trim);
      const v = this.opts.view(shorter);
      if (v.image) return { bytes: shorter, viewed: v };
    }
    return { bytes, viewed };
  }

  private async cutPower(unplug: boolean, note: string): Promise<void> {
    await this.host.change((b) => ({ board: { ...b, powered: false, notes: [...b.notes, note].slice(-10) }, result: undefined }));
    this.events.push({ type: 'power-loss', at: 'download', mode: unplug ? 'unplug' : 'power-loss', ms: 0 });
  }

  private bytesOf(base: number, pageSize: number, address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const a = address + i;
      const page = Math.floor((a - base) / pageSize);
      const off = (a - base) % pageSize;
      const n = Math.min(pageSize - off, length - i);
      const p = this.pages.get(page);
      if (p) out.set(p.subarray(off, off + n), i);
      else out.fill(0xff, i, i + n);
      i += n;
    }
    return out;
  }

  // ------------------------------------------------------------------ commands

  /** The chip came out of reset / power-up and the host synced: the bootloader runs (or not). */
  async boot(): Promise<TargetResult> {
    const r = await this.model([{ op: 'connect' }]);
    // The model's `connect` time is the host opening its side; the bootloader answers 0x7F at once (a power-up boots first).
    const ms = modelledDuration(r.events.filter((e) => e.type !== 'connect'));
    return { ok: r.outcome.ok, ms, ...(r.outcome.ok ? {} : { why: r.outcome.message ?? 'not reachable' }) };
  }

  async deviceId(): Promise<number> {
    return (await this.host.peek()).device.deviceId;
  }

  /** True when flash reads and writes are refused (RDP level 1: AN3155 NACKs Read/Write Memory). */
  async readProtected(): Promise<boolean> {
    return (await this.host.peek()).optionBytes.rdp !== 0xaa;
  }

  async read(address: number, length: number): Promise<TargetResult<Uint8Array>> {
    const b = await this.host.peek();
    const device = deviceOf(b);
    const end = address + length;
    const inRange = (lo: number, hi: number) => address >= lo && end <= hi;
    if (inRange(device.flashBase, device.flashBase + device.flashSize)) {
      if (b.optionBytes.rdp !== 0xaa) return { ok: false, why: 'flash is read-protected (RDP level 1)', ms: 0 };
      const out = new Uint8Array(length);
      // Overlay pages first, the model for the rest (word reads).
      for (let i = 0; i < length; ) {
        const a = address + i;
        const page = pageOf(device, a);
        const off = a - pageAddress(device, page);
        const n = Math.min(device.pageSize - off, length - i);
        const p = this.pages.get(page);
        if (p) out.set(p.subarray(off, off + n), i);
        else out.set(await this.modelBytes(a, n), i);
        i += n;
      }
      return { ok: true, value: out, ms: 0 };
    }
    if (inRange(SRAM_START, SRAM_END)) return { ok: true, value: await this.modelBytes(address, length), ms: 0 };
    if (inRange(OPTION_BYTES_ADDRESS, OPTION_BYTES_ADDRESS + OPTION_BYTES_SIZE)) {
      const block = encodeOptionBytes(b.optionBytes);
      return { ok: true, value: block.slice(address - OPTION_BYTES_ADDRESS, end - OPTION_BYTES_ADDRESS), ms: 0 };
    }
    if (inRange(UID64_ADDRESS, UID64_ADDRESS + 8)) {
      // RM0434 UID64: UDN at +0, then device id + ST company id at +4 (little endian words).
      const uid = BigInt(b.device.uid64);
      const bytes = new Uint8Array(8);
      for (let i = 0; i < 8; i++) bytes[i] = Number((uid >> BigInt(8 * i)) & 0xffn);
      return { ok: true, value: bytes.slice(address - UID64_ADDRESS, end - UID64_ADDRESS), ms: 0 };
    }
    if (inRange(FLASH_SIZE_ADDRESS, FLASH_SIZE_ADDRESS + 4)) {
      const kb = b.device.flashSizeKB;
      const bytes = Uint8Array.of(kb & 0xff, (kb >> 8) & 0xff, 0xff, 0xff);
      return { ok: true, value: bytes.slice(address - FLASH_SIZE_ADDRESS, end - FLASH_SIZE_ADDRESS), ms: 0 };
    }
    if (inRange(OTP_START, OTP_END)) return { ok: true, value: new Uint8Array(length).fill(0xff), ms: 0 };
    return { ok: false, why: `${hex32(address)}..${hex32(end)} is not readable through the bootloader here`, ms: 0 };
  }

  private async modelBytes(address: number, length: number): Promise<Uint8Array> {
    const first = address & ~3;
    const words = Math.ceil((address + length - first) / 4);
    const board = await this.host.peek();
    const r = apply(board, { op: 'readMemory', address: first, words }, this.ctx);
    const all = new Uint8Array(words * 4);
    (r.outcome.words ?? []).forEach((w, i) => {
      for (let k = 0; k < 4; k++) all[i * 4 + k] = (w >>> (8 * k)) & 0xff;
    });
    return all.slice(address - first, address - first + length);
  }

  async write(address: number, data: Uint8Array): Promise<TargetResult> {
    if (address === OPTION_BYTES_ADDRESS) return this.writeOptionBytes(data);
    const b = await this.host.peek();
    const device = deviceOf(b);
    const end = address + data.length;
    if (address >= SRAM_START && end <= SRAM_END) {
      if (address % 4 || data.length % 4) return { ok: false, why: 'SRAM writes are by whole words here', ms: 0 };
      return this.writeWords(address, data);
    }
    if (address === PWR_CR4 && data.length === 4) return this.writeWords(address, data);
    if (!(address >= device.flashBase && end <= device.flashBase + device.flashSize)) return { ok: false, why: `${hex32(address)}..${hex32(end)} is not writable`, ms: 0 };
    if (b.optionBytes.rdp !== 0xaa) return { ok: false, why: 'flash is read-protected (RDP level 1)', ms: 0 };
    if (b.cpu2 === 'safeboot') return { ok: false, why: 'flash is write protected (safeboot: SFSA=0x00)', ms: 0 };
    if (end > secureStart(b)) return { ok: false, why: `${hex32(address)}..${hex32(end)} reaches the secure area (SFSA ${hex32(secureStart(b))})`, ms: 0 };
    const current = (await this.read(address, data.length)).value!;
    for (let i = 0; i < data.length; i++) {
      if (current[i] !== 0xff) return { ok: false, why: `${hex32(address + i)} is not erased (programming error: erase the page first)`, ms: 0 };
    }
    // A download fault armed on the board (copro sim fault power-loss@download:P) fires once the host has written
    // P% of the erased span it is filling (the staging area ends at the next unerased page or SFSA).
    const fault = b.faults.find((f): f is Extract<Fault, { at: string }> => 'at' in f && f.at.startsWith('download:'));
    let cut: number | undefined;
    if (fault) {
      const run = this.runFor(address);
      const start = run?.start ?? address;
      const span = this.erasedSpanEnd(device, start, secureStart(b)) - start;
      const at = start + Math.floor((span * Number(fault.at.slice('download:'.length))) / 100 / 8) * 8;
      if (at < end) cut = Math.max(address, at);
    }
    const stop = cut ?? end;
    for (let a = address; a < stop; ) {
      const page = pageOf(device, a);
      const off = a - pageAddress(device, page);
      const n = Math.min(device.pageSize - off, stop - a);
      let p = this.pages.get(page);
      if (!p) {
        p = await this.modelBytes(pageAddress(device, page), device.pageSize);
        this.pages.set(page, p);
      }
      p.set(data.subarray(a - address, a - address + n), off);
      a += n;
    }
    if (stop > address) this.addPending(address, stop);
    const ms = Math.ceil((stop - address) / 8) * PROGRAM_MS_PER_DOUBLE_WORD;
    if (cut !== undefined) {
      const unplug = fault!.kind === 'unplug';
      await this.host.change((bd) => ({ board: { ...bd, faults: bd.faults.filter((f) => !('at' in f && f.at === fault!.at)) }, result: undefined }));
      await this.commit();
      await this.cutPower(unplug, `${unplug ? 'unplugged' : 'power lost'} during the UART download at ${hex32(cut)} (armed fault ${fault!.kind}@${fault!.at})`);
      return { ok: false, why: 'power lost mid-write', ms, after: { kind: 'power-off', unplug } };
    }
    return { ok: true, ms };
  }

  private runFor(address: number): Run | undefined {
    return this.pending.find((r) => r.end === address || (address >= r.start && address < r.end));
  }

  private erasedSpanEnd(device: ReturnType<typeof deviceOf>, from: number, secure: number): number {
    let page = pageOf(device, from);
    while (pageAddress(device, page + 1) < secure) {
      const p = this.pages.get(page + 1);
      if (!p || !p.every((x) => x === 0xff)) break;
      page++;
    }
    return Math.min(pageAddress(device, page + 1), secure);
  }

  private addPending(start: number, end: number): void {
    const runs = [...this.pending, { start, end }].sort((x, y) => x.start - y.start);
    const merged: Run[] = [];
    for (const r of runs) {
      const last = merged[merged.length - 1];
      if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
      else merged.push({ ...r });
    }
    this.pending = merged;
  }

  private async writeWords(address: number, data: Uint8Array): Promise<TargetResult> {
    const words: number[] = [];
    for (let i = 0; i < data.length; i += 4) words.push((data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0);
    const r = await this.model([{ op: 'writeMemory', address, words }]);
    return { ok: r.outcome.ok, ms: modelledDuration(r.events) };
  }

  /** Extended Erase of pages, in order; stops at the first page it may not erase (field report P10: pages before it are erased). */
  async erase(pages: readonly number[]): Promise<TargetResult> {
    const b = await this.host.peek();
    const device = deviceOf(b);
    if (b.optionBytes.rdp !== 0xaa) return { ok: false, why: 'flash is read-protected (RDP level 1)', ms: 0 };
    if (b.cpu2 === 'safeboot') return { ok: false, why: 'flash is write protected (safeboot: SFSA=0x00)', ms: 0 };
    const pageCount = device.flashSize / device.pageSize;
    const ok: number[] = [];
    let why: string | undefined;
    for (const p of pages) {
      if (p >= pageCount) {
        why = `page ${p} does not exist (${pageCount} pages)`;
        break;
      }
      if (p >= b.optionBytes.sfsa) {
        why = `page ${p} is in the secure area (SFSA 0x${b.optionBytes.sfsa.toString(16).toUpperCase()})`;
        break;
      }
      ok.push(p);
    }
    await this.commit();
    for (const p of ok) this.pages.set(p, new Uint8Array(device.pageSize).fill(0xff));
    // Pending bytes on erased pages are gone.
    this.pending = this.pending.flatMap((r) => splitOutPages(r, ok, device.flashBase, device.pageSize));
    await this.host.change((bd) => ({ board: erasePagesOnBoard(bd, ok), result: undefined }));
    const ms = ok.length * TIMING.pageEraseMs;
    this.events.push({ type: 'erase', firstPage: ok[0] ?? 0, lastPage: ok[ok.length - 1] ?? 0, ms });
    return why ? { ok: false, why, ms } : { ok: true, ms };
  }

  private async writeOptionBytes(block: Uint8Array): Promise<TargetResult> {
    if (block.length !== OPTION_BYTES_SIZE) return { ok: false, why: `the option bytes are written as one ${OPTION_BYTES_SIZE}-byte block here`, ms: 0 };
    let f;
    try {
      f = decodeOptionBytes(block);
    } catch (e) {
      if (e instanceof OptionBytesError) return { ok: false, why: e.message, ms: 0 };
      throw e;
    }
    await this.commit();
    const before = (await this.host.peek()).optionBytes;
    const values = { rdp: f.rdp, sfsa: f.sfsa, sbrv: f.sbrv, nSWboot0: f.nSWboot0, nBOOT0: f.nBOOT0, nBOOT1: f.nBOOT1, ese: f.ese };
    const r = await this.model([{ op: 'writeOptionBytes', values }]);
    let events = r.events;
    // AN3155: the bootloader resets the chip after an option bytes write, changed or not.
    if (!VirtualTarget.afterOf(events)) events = [...events, ...(await this.model([{ op: 'reset', kind: 'software' }])).events];
    void before;
    const ms = modelledDuration(events);
    return { ok: true, ms, after: VirtualTarget.afterOf(events) ?? { kind: 'reset' }, ...(r.outcome.ok ? {} : { why: r.outcome.message ?? 'refused' }) };
  }

  /** FUS_GET_STATE: [state, error] codes. No reply when the chip reset meanwhile (a second GET_STATE while the stack runs). */
  async fusGetState(): Promise<TargetResult<{ state: number; error: number } | null>> {
    await this.commit();
    const r = await this.model([{ op: 'getState' }]);
    const after = VirtualTarget.afterOf(r.events);
    const s = r.outcome.status;
    const value = after || !s ? null : { state: FUS_STATE_CODES[s.state], error: fusErrorByName(s.error)?.code ?? 0xff };
    return { ok: true, value, ms: modelledDuration(r.events), ...(after ? { after } : {}) };
  }

  /** A FUS command: the reply [status, state, error] comes first, then the chip resets if it does. */
  async fusCommand(command: 'FW_UPGRADE' | 'FW_DELETE' | 'START_WS'): Promise<TargetResult<Uint8Array>> {
    const pre = await this.commit();
    const op: SimCommand['op'] = command === 'FW_UPGRADE' ? 'fwUpgrade' : command === 'FW_DELETE' ? 'fwDelete' : 'startStack';
    const r = await this.model([{ op } as SimCommand]);
    const events = [...pre, ...r.events];
    const o = r.outcome;
    const after = VirtualTarget.afterOf(events);
    const s = o.status;
    const state = s ? FUS_STATE_CODES[s.state] : 0xff;
    const error = s ? (fusErrorByName(s.error)?.code ?? 0xff) : 0xff;
    // A refusal before FUS starts working (gate, image check) is answered; accepted commands answer 0 and FUS works on.
    const refused = !o.ok && after?.kind !== 'power-off' && !events.some((e) => e.type === 'reset');
    const reply = refused ? Uint8Array.of(0x01, state, error) : Uint8Array.of(0x00, state, error);
    return { ok: true, value: reply, ms: modelledDuration(events), ...(after ? { after } : {}) };
  }

  /** A chip reset the device itself causes (option bytes reload is modelled above; this is for GO-less tests). */
  async reset(): Promise<TargetResult> {
    await this.commit();
    const r = await this.model([{ op: 'reset', kind: 'software' }]);
    return { ok: r.outcome.ok, ms: modelledDuration(r.events), after: VirtualTarget.afterOf(r.events) ?? { kind: 'reset' } };
  }

  /** The host went away: what it wrote becomes the model's staged bytes. */
  async flush(): Promise<void> {
    await this.commit();
  }

  async unplug(note: string): Promise<void> {
    await this.commit();
    await this.host.change((b) => ({ board: { ...b, powered: false, notes: [...b.notes, note].slice(-10) }, result: undefined }));
  }

  /** Whether the board has power (an armed power loss cut it). */
  async powered(): Promise<boolean> {
    return (await this.host.peek()).powered;
  }
}

function splitOutPages(r: Run, erased: readonly number[], base: number, pageSize: number): Run[] {
  let parts: Run[] = [r];
  for (const p of erased) {
    const a = base + p * pageSize;
    const z = a + pageSize;
    parts = parts.flatMap((x) => (overlaps(x.start, x.end, a, z) ? [{ start: x.start, end: Math.max(x.start, a) }, { start: Math.min(z, x.end), end: x.end }].filter((y) => y.end > y.start) : [x]));
  }
  return parts;
}

/**
 * Page erase on the board model: staged images on those pages are gone, an application there is damaged,
 * the SWD FUS operator at 0x08000000 too (the same effects the model gives its own flash writes).
 */
export function erasePagesOnBoard(board: SimBoard, pages: readonly number[]): SimBoard {
  if (pages.length === 0) return board;
  const device = deviceOf(board);
  const hit = (start: number, end: number) => pages.some((p) => overlaps(start, end, pageAddress(device, p), pageAddress(device, p + 1)));
  const app = board.application;
  return {
    ...board,
    staged: board.staged.filter((s) => !hit(s.address, s.address + s.size)),
    application: app.present && hit(app.start, app.start + app.size) ? { ...app, overwritten: true } : app,
    fusOperator: board.fusOperator.inFlash && hit(device.flashBase, device.flashBase + 0x2000) ? { ...board.fusOperator, inFlash: false } : board.fusOperator,
  };
}
