/**
 * Turns what the bootloader read (device id, flash size, UID64, option bytes, the SRAM2A info table, FUS
 * state) into a BoardState. Pure; no Node imports.
 */
import type { BoardState } from '../../generated/board-state.js';
import { devicesMatching } from '../../domain/devices.js';
import { isSafebootForDeviceId } from '../../domain/families.js';
import { fusStateName, fusErrorByCode } from '../../domain/fus.js';
import { stackTypeByCode } from '../../domain/stack-types.js';
import type { RawFusState } from './link.js';
import type { InfoTable } from './info-table.js';
import { plausibleVersionWord, versionOfWord } from './info-table.js';
import type { OptionBytesFields } from './option-bytes.js';

export interface RawRead {
  transport: 'usb' | 'uart';
  toolVersion: string;
  serial: string | null;
  deviceId: number;
  flashSizeKB: number;
  uid64: bigint;
  optionBytes: OptionBytesFields | 'unknown';
  table: InfoTable;
  /** FUS_GET_STATE's answer, when it was safe to ask (FUS runs). */
  fus?: RawFusState;
  flashBase: number;
  pageSize: number;
  application: BoardState['application'];
  notes: string[];
}

export function hexOf(n: number | bigint, digits: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(digits, '0');
}

export function fusStatusOf(raw: RawFusState): { state: BoardState['fus']['state']; error: string } {
  return { state: fusStateName(raw.state) ?? 'FUS_ERROR', error: fusErrorByCode(raw.error)?.name ?? `0x${raw.error.toString(16).toUpperCase()}` };
}

export function boardStateOf(r: RawRead, readAt: string): BoardState {
  const notes = [...r.notes];
  const candidates = devicesMatching(r.deviceId, r.flashSizeKB * 1024);
  const key = candidates.length === 1 ? candidates[0]!.key : 'unknown';
  if (candidates.length !== 1) notes.push(`device id ${hexOf(r.deviceId, 3)} with ${r.flashSizeKB} KB fits ${candidates.length === 0 ? 'no known' : 'more than one'} STM32WB part: name the device in the manifest`);
  const ob = r.optionBytes;
  const t = r.table;
  let cpu2: BoardState['cpu2'] = 'unknown';
  let fus: BoardState['fus'] = { version: 'unknown', state: 'unknown', error: 'unknown' };
  let stack: BoardState['stack'] = { status: 'unknown', version: 'unknown', type: 'unknown', running: 'unknown' };
  const installAddress = ob !== 'unknown' ? hexOf(r.flashBase + ob.sfsa * r.pageSize, 8) : undefined;
  if (t.kind === 'fus') {
    cpu2 = 'fus';
    const st = r.fus ? fusStatusOf(r.fus) : { state: 'unknown' as const, error: 'unknown' };
    fus = { version: plausibleVersionWord(t.fusVersionWord) ? versionOfWord(t.fusVersionWord).version : 'unknown', ...st };
    if (plausibleVersionWord(t.stackVersionWord)) {
      const v = versionOfWord(t.stackVersionWord);
      const type = t.stackTypeCode !== 0 ? (stackTypeByCode(t.stackTypeCode)?.name ?? 'unknown') : 'unknown';
      if (type === 'unknown') notes.push('the stack type is not in the FUS table while FUS runs; it is read from the stack\'s own table once the stack runs');
      stack = { status: 'installed', version: v.version, build: v.build, type, running: false, ...(installAddress ? { installAddress } : {}) };
    } else stack = { status: 'none', version: null, type: null, running: false };
    if (r.uid64 !== t.uid64 && t.uid64 !== 0n) notes.push(`UID64 in the FUS table (${hexOf(t.uid64, 16)}) differs from the one read at 0x1FFF7580 (${hexOf(r.uid64, 16)})`);
  } else if (t.kind === 'stack') {
    cpu2 = 'stack';
    fus = { version: versionOfWord(t.fusVersionWord).version, state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' };
    const v = versionOfWord(t.stackVersionWord);
    stack = { status: 'installed', version: v.version, build: v.build, type: t.stackType ?? 'unknown', running: true, ...(installAddress ? { installAddress } : {}) };
    if (!t.stackType) notes.push(`the running stack reports type code 0x${(t.infoStack & 0xff).toString(16)}, which copro does not know`);
  } else {
    if (r.fus) {
      const st = fusStatusOf(r.fus);
      fus = { version: 'unknown', ...st };
      if (st.error === 'STATE_NOT_RUNNING') cpu2 = ob !== 'unknown' && isSafebootForDeviceId(r.deviceId, ob.sfsa, ob.sbrv) ? 'safeboot' : 'unknown';
    }
    notes.push(t.kind === 'blank' ? 'the SRAM2A info table reads all zero (CPU2 in safeboot, locked up, or SRAM2A cleared by a reset)' : `the SRAM2A info table could not be read: ${t.why}`);
  }
  // SFSA = 0 with SBRV 0x3FC00 on WB5x (ST wiki); on a WB1x SFSA = 0 alone (its safeboot SBRV is in no public log).
  if (ob !== 'unknown' && isSafebootForDeviceId(r.deviceId, ob.sfsa, ob.sbrv)) {
    cpu2 = 'safeboot';
    notes.push(`option bytes SFSA=0x00 SBRV=${hexOf(ob.sbrv, 5)}: CPU2 boots safeboot`);
  }
  notes.push(`anti-rollback has no read-out over the ${r.transport === 'usb' ? 'USB DFU' : 'UART'} bootloader`);
  return {
    schemaVersion: 1,
    source: { driver: 'bootloader', transport: r.transport, readAt, toolVersion: r.toolVersion },
    device: { deviceId: hexOf(r.deviceId, 3), flashSizeKB: r.flashSizeKB, key, uid64: hexOf(r.uid64, 16), probeSerial: r.serial },
    cpu2,
    fus,
    stack,
    optionBytes:
      ob === 'unknown'
        ? 'unknown'
        : { rdp: hexOf(ob.rdp, 2), sfsa: hexOf(ob.sfsa, 2), sbrv: hexOf(ob.sbrv, 5), nSWboot0: ob.nSWboot0, nBOOT0: ob.nBOOT0, nBOOT1: ob.nBOOT1, ese: ob.ese },
    antiRollback: 'unknown',
    application: r.application,
    notes,
  };
}
