/** What a 32-bit read sees: SRAM2a (FUS info table), SRAM1 (operator versions), flash; PWR_CR4 C2BOOT writes. */
import { FUS_INFO_VALID_KEY } from '../../../domain/fus.js';
import { sfsaToAddress } from '../../../domain/devices.js';
import type { SimBoard } from '../../../generated/sim-board.js';
import { familyOf } from '../../../domain/families.js';
import { hex } from '../../../domain/hex.js';
import { deviceOf, fusAreaStart, pageOf, secureStart, sbrvFor, fusOperatorOf, FUS_OPERATOR_SIZE } from '../layout.js';
import { TIMING } from '../timing.js';
import { busyAt, busyPhase, INFO_STACK_TYPE_NVM_BACKUP, INFO_STACK_TYPE_NVM_RESTORE, type Busy } from './busy.js';
import { setReport } from './fus.js';
import { SimModelError, IDLE, Run, fail, fusVersionWord, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- memory

export const SRAM2A = 0x20030000;
export const DIT_ADDRESS = 0x20030024;
export const DIT_WORDS = 13;
/** Where the WB5x/WB3x SWD operator leaves the versions; a WB1x's operator uses its own SRAM1 words (fusOperatorOf). */
export const OPERATOR_FUS_VERSION = 0x20010010;
export const OPERATOR_STACK_VERSION = 0x20010014;
export const PWR_CR4 = 0x5800040c;
export const UID64_ENGINEERING = 0x1fff7580;
export const C2BOOT = 0x8000;

/** Deterministic pseudo-random word for memory content we do not model bit by bit (FNV-1a of a seed). */
export function noiseWord(seed: string, address: number): number {
  let h = 0x811c9dc5;
  const s = `${seed}:${address}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The FUS device info table (STM32CubeWB release notes and AN5185, reading versions; FUS 1.1.x dump in public FUS dumps and public CLI log: community r32 multiword iap security ext A). */
export function fusInfoTable(b: SimBoard, now: number = b.clock.ms): number[] {
  const uid = BigInt(b.device.uid64);
  const busy = busyAt(b, now);
  if (busy) return busyInfoTable(b, busy, now, uid);
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

/**
 * BUSY-NVM / BUSY-READ: the info table while FUS works: no stack version yet (it is being written, or erased), the
 * InfoStack type byte (word +28) showing the NVM backup / restore phase; during a FUS update the FUS version word
 * is not yet the new one (assumption: reads 0 between the reboots; a dump polled mid-update would settle it).
 */
function busyInfoTable(b: SimBoard, busy: Busy, now: number, uid: bigint): number[] {
  const phase = busyPhase(busy, now);
  const infoStack = phase === 'nvm-backup' ? INFO_STACK_TYPE_NVM_BACKUP : phase === 'nvm-restore' ? INFO_STACK_TYPE_NVM_RESTORE : 0;
  return [
    FUS_INFO_VALID_KEY,
    b.infoTable.word04,
    b.infoTable.safebootVersionWord,
    phase === 'fus-update' ? 0 : fusVersionWord(b.fus.version),
    b.infoTable.fusMemorySizeWord,
    0,
    0,
    infoStack,
    0,
    0,
    Number(uid & 0xffffffffn),
    Number((uid >> 32n) & 0xffffffffn),
    b.infoTable.deviceInfoWord,
  ];
}

export function wordAt(b: SimBoard, address: number, now: number = b.clock.ms): number {
  const device = deviceOf(b);
  if (address >= SRAM2A && address < SRAM2A + 0x2800) {
    if (b.sram2aCleared || b.cpu2 === 'safeboot' || b.lockedUp !== null) return 0;
    if (b.cpu2 === 'stack' && !busyAt(b, now)) {
      // fidelity: DIT-STACK-RUNNING
      // The stack's own reference tables live there: 0x20030030 is not the FUS version (public field reports: garbage).
      return noiseWord(b.stack?.sha256 ?? 'stack', address);
    }
    if (address >= DIT_ADDRESS && address < DIT_ADDRESS + DIT_WORDS * 4) return fusInfoTable(b, now)[(address - DIT_ADDRESS) / 4] ?? 0;
    if (address === SRAM2A) return DIT_ADDRESS;
    return 0;
  }
  // The chip's UID64 in the engineering bytes (RM0434 "Unique device ID", 0x1FFF7580, as the bootloader's virtual chip
  // serves it): over SWD the debugger reads it directly. Low word first.
  if (address === UID64_ENGINEERING || address === UID64_ENGINEERING + 4) {
    const uid = BigInt(b.device.uid64);
    return Number(address === UID64_ENGINEERING ? uid & 0xffffffffn : (uid >> 32n) & 0xffffffffn);
  }
  // fidelity: WB1X-OPERATOR-VERSIONS
  // community m-p/89405 (WB15, CubeProgrammer 2.9): the WB1x operator's versions are read at 0x20002F10, not 0x20010010.
  const op = fusOperatorOf(b);
  if (address === op.fusVersionAddress) return b.fusOperator.sram1?.fusVersionWord ?? 0;
  if (address === op.stackVersionAddress) return b.fusOperator.sram1?.stackVersionWord ?? 0;
  if (address >= device.flashBase && address < device.flashBase + device.flashSize) {
    if (address >= secureStart(b)) return 0; // secure flash reads as zero from CPU1's side
    const inOperator = b.fusOperator.inFlash && address < device.flashBase + FUS_OPERATOR_SIZE;
    if (inOperator) return noiseWord('fus-operator', address);
    const s = b.staged.find((x) => address >= x.address && address < x.address + x.size);
    if (s) return noiseWord(s.sha256, address - s.address);
    const app = b.application;
    if (app.present && address >= app.start && address < app.start + app.size) return noiseWord(app.sha256 ?? 'app', address - app.start);
    return 0xffffffff;
  }
  return 0;
}

export function readMemory(run: Run, address: number, words: number): SimOutcome {
  if (address % 4 !== 0) throw new SimModelError(`unaligned 32-bit read at 0x${address.toString(16)}`);
  if (run.ctx.transport !== 'simulated' && run.b.optionBytes.rdp !== 0xaa && address >= 0x08000000 && address < 0x08100000) {
    return fail('RDP_PROTECTED', 'flash is read-protected (RDP level 1)');
  }
  // fidelity: WB1X-SRAM1
  // RM0473: a WB1x has 12 KB of SRAM1; between its end and SRAM2A there is no memory, and a debug read there fails
  // (it never reads as the WB5x operator's version words at 0x20010010).
  const sram1End = familyOf(deviceOf(run.b)).sram1End;
  if (sram1End < SRAM2A && address < SRAM2A && address + words * 4 > sram1End) {
    run.emit({ type: 'fus-command', command: 'read', ms: TIMING.wordAccessMs });
    return fail('UNMAPPED', `no memory at ${hex(Math.max(address, sram1End))} on an ${deviceOf(run.b).family} (SRAM1 ends at ${hex(sram1End)})`);
  }
  const out: number[] = [];
  const now = run.now();
  for (let i = 0; i < words; i++) out.push(wordAt(run.b, address + i * 4, now));
  run.emit({ type: 'fus-command', command: 'read', ms: words * TIMING.wordAccessMs });
  return { ok: true, words: out };
}

export function writeMemory(run: Run, address: number, words: number[]): SimOutcome {
  const b = run.b;
  run.emit({ type: 'fus-command', command: 'write', ms: words.length * TIMING.wordAccessMs });
  if (address === PWR_CR4 && ((words[0] ?? 0) & C2BOOT) !== 0 && b.cpu2 === 'safeboot') {
    // fidelity: SAFEBOOT-C2BOOT-ESE
    // public field reports (ST): "write the value 0x00008000 at the address 0x5800040C. This should work if ESE option byte
    // is checked." public field reports: it did not help there (ESE unknown). Modelled: with ESE=1 safeboot restores the option bytes.
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
