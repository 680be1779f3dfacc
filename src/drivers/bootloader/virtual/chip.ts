/**
 * What the ROM bootloader does with the simulated chip, byte by byte: flash pages erased and programmed,
 * memory read back, option bytes, FUS commands relayed (AN3156 for DFU, AN3155 for USART: the same chip
 * behind both). The FUS and chip rules stay in the simulator model (`apply`); this file turns bytes into
 * model commands and model state into bytes. No Node imports.
 *
 * Flash bytes: the model knows *what* is in flash (staged images, the application) but not the bytes. The
 * bytes a host writes are kept here, page by page (`overlay`), so a read-back returns exactly what was
 * programmed; when a host finishes a contiguous write, the model is told what those bytes are (an image
 * FUS would find, or the application). Pages nobody wrote read as the model says (0xFF when blank).
 */
import type { SimBoard } from '../../../generated/sim-board.js';
// The model's own modules, not simulator/index.ts (which also exports the Node store and driver).
import { apply, type SimCommand, type SimOutcome, type SimEvent } from '../../simulator/model.js';
import { TIMING, downloadMs, modelledDuration } from '../../simulator/timing.js';
import type { ViewedBytes } from '../../simulator/image-view.js';
import { deviceOf, pageOf, secureStart, overlaps, FUS_OPERATOR_SIZE, bootsRomBootloader } from '../../simulator/layout.js';
import { FUS_STATE_CODES, fusErrorByName } from '../../../domain/fus.js';
import { stackTypeByName } from '../../../domain/stack-types.js';
import type { BoardAccess } from './board-access.js';
import { encodeOptionBytes, decodeOptionBytes, complementMismatches, FACTORY_FIELDS, type OptionBytesFields } from '../option-bytes.js';
import { INFO_TABLE_ADDRESS } from '../info-table.js';
import { versionWordOf } from '../../../domain/version.js';

/** RM0434: UID64 at 0x1FFF7580 (UDN, then company + device id), flash size in KB at 0x1FFF75E0. */
export const UID64_ADDRESS = 0x1fff7580;
export const FLASH_SIZE_ADDRESS = 0x1fff75e0;
const ENGINEERING = { start: 0x1fff7000, end: 0x1fff8000 };
const SRAM = { start: 0x20000000, end: 0x20040000 };

/** Which bytes FUS would see: injected (the Node adapter identifies them with the image footer parser and sha256). */
export type ViewBytes = (bytes: Uint8Array, name: string) => Promise<ViewedBytes> | ViewedBytes;

export type ChipFailure = 'target' | 'address' | 'erase' | 'prog' | 'verify' | 'vendor' | 'gone';

export interface ChipResult<T = undefined> {
  ok: boolean;
  failure?: ChipFailure;
  message?: string;
  value?: T;
  /** Modelled device time the operation took. */
  ms: number;
  /** The chip reset (or lost power): the USB device goes away. */
  reset?: boolean;
}

interface WriteRun {
  start: number;
  end: number;
}

const ok = <T>(ms: number, value?: T, reset = false): ChipResult<T> => ({ ok: true, ms, ...(value !== undefined ? { value } : {}), ...(reset ? { reset } : {}) });
const failed = <T = undefined>(failure: ChipFailure, message: string, ms = 0, reset = false): ChipResult<T> => ({ ok: false, failure, message, ms, ...(reset ? { reset } : {}) });

function resetIn(events: readonly SimEvent[]): boolean {
  return events.some((e) => e.type === 'reset' || e.type === 'power-loss' || e.type === 'locked-up');
}

/** The chip seen by a bootloader host. One per simulated board, kept across USB re-enumerations (flash is not volatile). */
export class VirtualChip {
  /** Programmed pages: page base address -> page bytes. */
  private readonly overlay = new Map<number, Uint8Array>();
  private run: WriteRun | undefined;
  /** Modelled device time of everything this chip did for its host (benchmarks compare wall time with it). */
  modelledMs = 0;
  /**
   * The chip lost power in front of its host (an armed power loss or unplug fired, or the cable was pulled): a
   * real USB device drops off the bus at that moment and a UART bootloader stops answering. Cleared when the
   * board is plugged in again.
   */
  lostPower = false;
  /** Every chip reset the host's commands caused, with the model's reason (benchmarks show which FUS rule forced it). */
  readonly resets: { command: string; reason: string }[] = [];
  /** Until when (wall ms) the board was busy at the last look: the chip is not on the bus before then. */
  private busyUntilWall = 0;

  constructor(
    readonly access: BoardAccess,
    private readonly view: ViewBytes,
    readonly transport: 'usb' | 'uart',
  ) {}

  private ctx() {
    return { transport: this.transport } as const;
  }

  /** Runs model commands under the board lock; the time they took is charged unless `chargeMs` says otherwise. */
  private async model(commands: readonly SimCommand[], chargeMs?: (events: SimEvent[]) => number): Promise<{ outcome: SimOutcome; events: SimEvent[]; board: SimBoard }> {
    const r = await this.access.transact((board) => {
      let b = board;
      const events: SimEvent[] = [];
      let outcome: SimOutcome = { ok: true };
      for (const c of commands) {
        const x = apply(b, c, this.ctx());
        b = x.board;
        events.push(...x.events);
        outcome = x.outcome;
        if (!outcome.ok) break;
      }
      const ms = chargeMs ? chargeMs(events) : modelledDuration(events);
      // The board's clock moves by what is charged (bytes already paid for block by block are not paid twice).
      b = { ...b, clock: { ...b.clock, ms: board.clock.ms + ms } };
      return { board: b, result: { outcome, events, board: b }, modelledMs: ms };
    });
    this.modelledMs += chargeMs ? chargeMs(r.events) : modelledDuration(r.events);
    if (r.events.some((e) => e.type === 'power-loss') || !r.board.powered) this.lostPower = true;
    for (const e of r.events) if (e.type === 'reset') this.resets.push({ command: commands.map((c) => c.op).join(', '), reason: e.reason });
    return r;
  }

  /** Whether the bootloader answers now: powered, attached, booting from ROM, not busy, USB enumerated (the model decides). */
  async present(): Promise<boolean> {
    // While the chip is busy (a reset re-enumerating, an operation), it is not on the bus: a host polling for it
    // during those seconds needs no read of the board each time (host CPU a real device does not cost).
    if (Date.now() < this.busyUntilWall) return false;
    const { board, busyUntilWall } = await this.access.peek();
    this.busyUntilWall = busyUntilWall;
    if (Date.now() < busyUntilWall) return false;
    if (!board.powered) return false;
    return apply(board, { op: 'connect' }, this.ctx()).outcome.ok && bootsRomBootloader(board);
  }

  /** Plugging the board in (a new host session): powers it if it had lost power; FUS resumes what was cut. */
  async plugIn(): Promise<SimOutcome> {
    const { outcome } = await this.model([{ op: 'connect' }], () => 0);
    this.lostPower = false;
    return outcome;
  }

  async board(): Promise<SimBoard> {
    return (await this.access.peek()).board;
  }

  async serial(): Promise<string> {
    const b = await this.board();
    const usb = b.device.attachments.find((a) => a.transport === 'usb');
    return usb && 'serial' in usb ? usb.serial : b.serial;
  }

  // ------------------------------------------------------------ flash

  private flashChecks(b: SimBoard, address: number, end: number): ChipResult | undefined {
    const d = deviceOf(b);
    if (address < d.flashBase || end > d.flashBase + d.flashSize) return failed('address', `0x${address.toString(16)} is outside the flash`);
    if (b.optionBytes.rdp !== 0xaa) return failed('target', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()})`);
    // public field reports: in safeboot the flash is write protected.
    if (b.cpu2 === 'safeboot') return failed('prog', 'flash is write protected (safeboot)');
    if (end > secureStart(b)) return failed('target', `0x${(end - 1).toString(16)} is in the secure area (SFSA)`);
    return undefined;
  }

  /** DfuSe erase / AN3155 Extended Erase of one page. Mirrors what the model's writes do to what was there. */
  async erasePage(address: number): Promise<ChipResult> {
    await this.flush();
    const { board } = await this.access.peek();
    const d = deviceOf(board);
    const base = d.flashBase + pageOf(d, address) * d.pageSize;
    const refused = this.flashChecks(board, base, base + d.pageSize);
    if (refused) return { ...refused, failure: refused.failure === 'prog' || refused.failure === 'target' ? 'erase' : refused.failure, ms: TIMING.pageEraseMs };
    const ms = TIMING.pageEraseMs;
    // A page the model holds nothing on (no staged image, application or operator) changes nothing in the model:
    // the board file is not rewritten (its clock takes the erase time from the real time the host waits for it).
    if (!this.blankInModel(board, base, d.pageSize)) {
      await this.access.transact((b) => {
        const next = structuredClone(b);
        const end = base + d.pageSize;
        next.staged = next.staged.filter((s) => !overlaps(s.address, s.address + s.size, base, end));
        if (next.fusOperator.inFlash && overlaps(d.flashBase, d.flashBase + FUS_OPERATOR_SIZE, base, end)) next.fusOperator = { ...next.fusOperator, inFlash: false };
        const app = next.application;
        if (app.present && overlaps(app.start, app.start + app.size, base, end)) next.application = { ...app, overwritten: true };
        next.clock = { ...next.clock, ms: next.clock.ms + ms };
        return { board: next, result: undefined, modelledMs: ms };
      });
    }
    this.modelledMs += ms;
    this.overlay.set(base, new Uint8Array(d.pageSize).fill(0xff));
    return ok(ms);
  }

  /** Whether a page holds nothing (the model has nothing there): it may be programmed without an erase. */
  private blankInModel(b: SimBoard, base: number, size: number): boolean {
    const d = deviceOf(b);
    if (b.staged.some((s) => overlaps(s.address, s.address + s.size, base, base + size))) return false;
    if (b.application.present && overlaps(b.application.start, b.application.start + b.application.size, base, base + size)) return false;
    if (b.fusOperator.inFlash && overlaps(d.flashBase, d.flashBase + FUS_OPERATOR_SIZE, base, base + size)) return false;
    return true;
  }

  /** Programs bytes (one DFU block / one Write Memory). Flash must be erased (0xFF) where it is written (RM0434: PROGERR). */
  async program(address: number, data: Uint8Array): Promise<ChipResult> {
    const { board } = await this.access.peek();
    const end = address + data.length;
    const refused = this.flashChecks(board, address, end);
    if (refused) return refused;
    const d = deviceOf(board);
    // RM0434: flash is programmed by 64-bit double words; a write that does not start on one is refused (PGAERR).
    if (address % 8 !== 0) return failed('prog', `0x${address.toString(16)} is not double-word aligned`);
    for (let a = address; a < end; ) {
      const base = d.flashBase + pageOf(d, a) * d.pageSize;
      let page = this.overlay.get(base);
      if (!page) {
        if (!this.blankInModel(board, base, d.pageSize)) return failed('prog', `page at 0x${base.toString(16)} was not erased`);
        page = new Uint8Array(d.pageSize).fill(0xff);
        this.overlay.set(base, page);
      }
      const upto = Math.min(end, base + d.pageSize);
      for (let i = a; i < upto; i++) {
        if (page[i - base] !== 0xff) return failed('prog', `0x${i.toString(16)} is already programmed (erase first)`);
      }
      a = upto;
    }
    for (let i = 0; i < data.length; i++) {
      const a = address + i;
      const base = d.flashBase + pageOf(d, a) * d.pageSize;
      this.overlay.get(base)![a - base] = data[i]!;
    }
    if (this.run && this.run.end === address) this.run.end = end;
    else {
      await this.flush();
      this.run = { start: address, end };
    }
    const ms = downloadMs(this.transport, data.length);
    this.modelledMs += ms;
    return ok(ms);
  }

  private allProgrammed(flashBase: number, pageSize: number, start: number, end: number): boolean {
    for (let base = flashBase + Math.floor((start - flashBase) / pageSize) * pageSize; base < end; base += pageSize) if (!this.overlay.has(base)) return false;
    return true;
  }

  private bytesOf(start: number, end: number, pageSize: number, flashBase: number): Uint8Array {
    const out = new Uint8Array(end - start).fill(0xff);
    for (let a = start; a < end; a++) {
      const base = flashBase + Math.floor((a - flashBase) / pageSize) * pageSize;
      const page = this.overlay.get(base);
      if (page) out[a - start] = page[a - base]!;
    }
    return out;
  }

  /** Tells the model what the last contiguous write put in flash (an image FUS may find, or the application). */
  async flush(): Promise<ChipResult> {
    const run = this.run;
    if (!run) return ok(0);
    this.run = undefined;
    const { board } = await this.access.peek();
    const d = deviceOf(board);
    const bytes = this.bytesOf(run.start, run.end, d.pageSize, d.flashBase);
    const viewed = await this.view(bytes, `bytes at 0x${run.start.toString(16).toUpperCase()}`);
    const write = { address: run.start, size: bytes.length, sha256: viewed.sha256, name: `0x${run.start.toString(16).toUpperCase()}`, image: viewed.image };
    const asApplication = viewed.image === null && run.start === d.flashBase;
    // The erase and the bytes were paid block by block: only a power cut (armed fault) is taken from the model here.
    const r = await this.model([asApplication ? { op: 'flashApplication', write } : { op: 'stageImage', write }], () => 0);
    if (!r.outcome.ok && r.outcome.error === 'POWER_LOSS') {
      // The model decided how much of the write reached flash before the cut: drop the rest of the bytes.
      const kept = r.board.staged.find((s) => s.address === run.start)?.size ?? (r.board.application.start === run.start && r.board.application.present ? r.board.application.size : 0);
      for (let a = run.start + kept; a < run.end; a++) {
        const base = d.flashBase + pageOf(d, a) * d.pageSize;
        const page = this.overlay.get(base);
        if (page) page[a - base] = 0xff;
      }
      return failed('gone', r.outcome.message ?? 'power lost', 0, true);
    }
    return ok(0);
  }

  // ------------------------------------------------------------ reads

  /** Reads memory as the bootloader would: flash (programmed bytes, else the model), SRAM, the engineering bytes. */
  async read(address: number, length: number): Promise<ChipResult<Uint8Array>> {
    await this.flush();
    const { board } = await this.access.peek();
    const d = deviceOf(board);
    const end = address + length;
    const ms = downloadMs(this.transport, length);
    this.modelledMs += ms;
    const inFlash = address >= d.flashBase && end <= d.flashBase + d.flashSize;
    if (inFlash && board.optionBytes.rdp !== 0xaa) return failed('target', 'flash is read-protected (RDP level 1)', ms);
    const out = new Uint8Array(length);
    if (address >= ENGINEERING.start && end <= ENGINEERING.end) {
      out.fill(0xff);
      const uid = BigInt(board.device.uid64);
      const put32 = (at: number, v: number) => {
        for (let i = 0; i < 4; i++) if (at + i >= address && at + i < end) out[at + i - address] = (v >>> (8 * i)) & 0xff;
      };
      put32(UID64_ADDRESS, Number(uid & 0xffffffffn));
      put32(UID64_ADDRESS + 4, Number((uid >> 32n) & 0xffffffffn));
      put32(FLASH_SIZE_ADDRESS, 0xffff0000 | board.device.flashSizeKB);
      return ok(ms, out);
    }
    if (!inFlash && !(address >= SRAM.start && end <= SRAM.end)) return failed('address', `0x${address.toString(16)}..0x${end.toString(16)} is not readable through the bootloader`, ms);
    if (inFlash && board.cpu2 !== 'safeboot' && end <= secureStart(board) && this.allProgrammed(d.flashBase, d.pageSize, address, end)) {
      // Every byte is in pages this host erased or programmed: the bytes are known here, the model adds nothing.
      return ok(ms, this.bytesOf(address, end, d.pageSize, d.flashBase));
    }
    // Whole 32-bit words from the model, then the programmed flash bytes over them.
    const first = address & ~3;
    const words = Math.ceil((end - first) / 4);
    const got = apply(board, { op: 'readMemory', address: first, words }, this.ctx());
    if (!got.outcome.ok) return failed('target', got.outcome.message ?? 'read refused', ms);
    const raw = new Uint8Array(words * 4);
    got.outcome.words!.forEach((w, i) => {
      for (let k = 0; k < 4; k++) raw[i * 4 + k] = (w >>> (8 * k)) & 0xff;
    });
    out.set(raw.subarray(address - first, address - first + length));
    if (inFlash) {
      for (let a = address; a < end; a++) {
        const base = d.flashBase + pageOf(d, a) * d.pageSize;
        const page = this.overlay.get(base);
        if (page) out[a - address] = page[a - base]!;
      }
    }
    this.stackTableOver(board, address, out);
    return ok(ms, out);
  }

  /**
   * While the wireless stack runs, the table at 0x20030024 is the stack's own (tl.h MB_DeviceInfoTable_t), not
   * FUS's; the model answers it as noise (what tools that expect FUS's layout show: public field reports). The
   * bootloader reads the real layout: safeboot, FUS version, FUS memory size, FUS info, stack version, stack
   * memory size, InfoStack (type code). Assumption until a transcript from a board with a running stack shows it.
   */
  private stackTableOver(board: SimBoard, address: number, out: Uint8Array): void {
    if (board.cpu2 !== 'stack' || board.lockedUp !== null || board.sram2aCleared || !board.stack) return;
    const s = board.stack;
    const table = [
      board.infoTable.safebootVersionWord,
      versionWordOf(board.fus.version),
      board.infoTable.fusMemorySizeWord,
      0,
      s.versionWord >>> 0,
      s.memorySizeWord >>> 0,
      s.typeCode ?? (s.type ? (stackTypeByName(s.type)?.code ?? 0) : 0),
      0,
    ];
    table.forEach((w, i) => {
      for (let k = 0; k < 4; k++) {
        const a = INFO_TABLE_ADDRESS + i * 4 + k;
        if (a >= address && a < address + out.length) out[a - address] = (w >>> (8 * k)) & 0xff;
      }
    });
  }

  // ------------------------------------------------------------ option bytes

  async optionBytes(): Promise<ChipResult<Uint8Array>> {
    await this.flush();
    const { board } = await this.access.peek();
    const ob = board.optionBytes;
    const ms = downloadMs(this.transport, 128);
    this.modelledMs += ms;
    return ok(ms, encodeOptionBytes(fieldsOf(ob)));
  }

  /** Writes the 128 option bytes; the chip reloads them (OBL_LAUNCH) and resets, whatever changed. */
  async writeOptionBytes(bytes: Uint8Array): Promise<ChipResult> {
    await this.flush();
    if (bytes.length !== 128) return failed('target', `option bytes are 128 bytes, not ${bytes.length}`);
    const bad = complementMismatches(bytes);
    // RM0434: a value whose complement does not match sets OPTVERR at load. Refused here (never more forgiving).
    if (bad.length) return failed('verify', `option bytes ${bad.join(', ')}: value and complement do not match`);
    const { board } = await this.access.peek();
    const now = fieldsOf(board.optionBytes);
    const want = decodeOptionBytes(bytes);
    const unmodelled = (Object.keys(FACTORY_FIELDS) as (keyof typeof FACTORY_FIELDS)[]).filter((k) => want[k] !== now[k]);
    // Assumption: WRP, PCROP, watchdog, BOR... are not modelled; a write changing them is refused rather than faked.
    if (unmodelled.length) return failed('target', `option bytes ${unmodelled.join(', ')} are not modelled by the simulator`);
    const values: Record<string, number> = {};
    for (const k of ['rdp', 'sfsa', 'sbrv', 'nSWboot0', 'nBOOT0', 'nBOOT1', 'ese'] as const) if (want[k] !== now[k]) values[k] = want[k];
    const commands: SimCommand[] = Object.keys(values).length ? [{ op: 'writeOptionBytes', values }] : [{ op: 'reset', kind: 'software' }];
    const r = await this.model(commands);
    return { ok: true, ms: modelledDuration(r.events), reset: true, ...(r.outcome.ok ? {} : { message: r.outcome.message }) };
  }

  // ------------------------------------------------------------ FUS

  /** FUS_GET_STATE relayed by the bootloader: [state, error] as in shci.h. */
  async fusGetState(): Promise<ChipResult<Uint8Array>> {
    await this.flush();
    const r = await this.model([{ op: 'getState' }]);
    const ms = modelledDuration(r.events);
    if (!r.outcome.ok || !r.outcome.status) return failed('gone', r.outcome.message ?? 'no answer', ms, resetIn(r.events));
    const st = r.outcome.status;
    return { ok: true, ms, value: new Uint8Array([FUS_STATE_CODES[st.state], fusErrorByName(st.error)?.code ?? 0xff]), reset: resetIn(r.events) };
  }

  /** FW_DELETE / FW_UPGRADE / START_WS relayed to FUS. FUS's verdict is read with GET_STATE; the bootloader only relays. */
  async fusCommand(code: number): Promise<ChipResult> {
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    const op: SimCommand | undefined = code === 0x52 ? { op: 'fwDelete' } : code === 0x53 ? { op: 'fwUpgrade' } : code === 0x5a ? { op: 'startStack' } : undefined;
    if (!op) return failed('target', `0x${code.toString(16)} is not a FUS command the bootloader relays`);
    const r = await this.model([op]);
    const ms = modelledDuration(r.events);
    const reset = resetIn(r.events);
    if (!r.outcome.ok && r.outcome.error === 'STATE_NOT_RUNNING' && !reset) {
      // Assumption: FUS commands while the wireless stack runs are not understood (community m-p/63529); the
      // bootloader reports the failure rather than pretending (stricter than silence).
      return failed('vendor', r.outcome.message ?? 'FUS is not running', ms);
    }
    return { ok: true, ms, reset };
  }

  /** Leaving the bootloader (DFU manifestation / AN3155 Go): a reset; the chip boots what BOOT0 and the option bytes say. */
  async leave(): Promise<ChipResult> {
    await this.flush();
    const r = await this.model([{ op: 'reset', kind: 'software' }]);
    return { ok: true, ms: modelledDuration(r.events), reset: true };
  }

  /** The host unplugs the cable (armed fault): the board loses power. */
  async unplug(): Promise<void> {
    this.run = undefined;
    this.lostPower = true;
    await this.access.transact((b) => ({ board: { ...b, powered: false, notes: [...b.notes, 'unplugged mid-transfer (armed USB fault)'].slice(-10) }, result: undefined, modelledMs: 0 }));
  }

  /** The device will not come back after the next reset (the model's usb-gone fault). */
  async neverReturn(): Promise<void> {
    await this.access.transact((b) => ({ board: { ...b, faults: [...b.faults, { kind: 'usb-gone' as const }] }, result: undefined, modelledMs: 0 }));
  }
}

function fieldsOf(ob: SimBoard['optionBytes']): OptionBytesFields {
  return { ...FACTORY_FIELDS, rdp: ob.rdp, ese: ob.ese, nBOOT1: ob.nBOOT1, nSWboot0: ob.nSWboot0, nBOOT0: ob.nBOOT0, sfsa: ob.sfsa, sbrv: ob.sbrv };
}
