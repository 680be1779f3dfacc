/**
 * Builds a BoardState from what STM32_Programmer_CLI read. Pure: no I/O, so every branch is tested with
 * the transcripts' own numbers. Fields the reads cannot establish are "unknown", never guessed.
 *
 * STM32CubeWB release notes and AN5185, reading versions: over USB DFU / UART the FUS device info table is at 0x20030024 (+0 0xA94656B9 while FUS
 * runs, +12 FUS version, +20 stack version, +24 stack memory size, +40 UID64); over SWD CubeProgrammer's
 * FUS operator gives the FUS version at 0x20010010 and the stack version at 0x20010014 (0x20030030 reads 0).
 */
import type { BoardState } from '../../generated/board-state.js';
import { devicesMatching } from '../../domain/devices.js';
import { FUS_INFO_TABLE, FUS_INFO_VALID_KEY, fusErrorByCliStatus } from '../../domain/fus.js';
import { FAMILIES, familyByDeviceId, isSafebootSignature, swdOperatorCost, swdOperatorFootprint } from '../../domain/families.js';
import { hex } from '../../domain/hex.js';
import { decodeVersionWord, versionString } from '../../domain/version.js';
import type { CliResult, FusStatePair } from './parse.js';
import { optionByte, wordAt } from './parse.js';

/** UID64 register of STM32WB (UDN, then ST company id + device id), read over SWD. */
export const UID64_ADDRESS = 0x1fff7580;

export interface StateReading {
  transport: 'usb' | 'swd' | 'uart';
  toolVersion: string;
  /** The parse of the first, non-invasive call (`-fusgetstate`, version words, `-ob displ`). */
  first: CliResult;
  /** When the stack was running: the parse of the call that started FUS and read the versions. */
  afterStartFus?: CliResult;
  /** When the stack was running: did restarting it report success? */
  restartedStack?: boolean;
  probeSerial: string | null;
  readAt: string;
}

const FUS_STATES = new Set(['FUS_IDLE', 'WIRELESS_STACK_UPGRADE_ONGOING', 'FUS_UPGRADE_ONGOING', 'FUS_SERVICE_ONGOING', 'FUS_ERROR']);

/** Did the first FUS_GET_STATE say the wireless stack, not FUS, runs on CPU2? */
export function stackWasRunning(pair: FusStatePair | undefined): boolean {
  return pair?.status === 'FUS_NOT_RUNNING';
}

export function buildBoardState(r: StateReading): BoardState {
  const notes: string[] = [];
  const header = r.first.header ?? r.afterStartFus?.header;
  if (!header || header.deviceId === undefined) throw new Error('no device header in the read-back (caller checks the connection first)');

  const flashSizeKB = header.flashSizeBytes !== undefined ? Math.round(header.flashSizeBytes / 1024) : 0;
  const matches = header.flashSizeBytes !== undefined ? devicesMatching(header.deviceId, header.flashSizeBytes) : [];
  if (header.flashSizeIsDefault) notes.push('the CLI printed a default flash size (not read from the chip)');
  if (matches.length > 1) notes.push(`device id ${hex(header.deviceId, 3)} with ${flashSizeKB} KB matches ${matches.map((d) => d.key).join(' and ')}: the manifest must name the device`);
  if (matches.length === 0) notes.push(`device id ${hex(header.deviceId, 3)} with ${flashSizeKB} KB is not an STM32WB part copro knows`);

  const firstPair = r.first.fusStates[r.first.fusStates.length - 1];
  const wasRunning = stackWasRunning(firstPair);
  const versions = r.afterStartFus ?? r.first;
  const family = familyByDeviceId(header.deviceId) ?? FAMILIES.STM32WB5x;
  const words = readVersionWords(r.transport, versions, notes, family.swdOperator);

  // Option bytes (`-ob displ`); the WB names are matched case-insensitively.
  const ob = r.first.optionBytes;
  const obValue = (name: string) => optionByte(ob, name)?.value;
  const rdp = obValue('RDP');
  const sfsa = obValue('SFSA');
  const sbrv = obValue('SBRV');
  const bit = (name: string) => {
    const v = obValue(name);
    return v === 0 || v === 1 ? v : undefined;
  };
  const nSWboot0 = bit('nSWBOOT0');
  const nBOOT0 = bit('nBOOT0');
  const nBOOT1 = bit('nBOOT1');
  const ese = bit('ESE');
  let optionBytes: BoardState['optionBytes'] = 'unknown';
  if (rdp !== undefined && sfsa !== undefined && sbrv !== undefined && nSWboot0 !== undefined && nBOOT0 !== undefined && nBOOT1 !== undefined) {
    optionBytes = { rdp: hex(rdp, 2), sfsa: hex(sfsa, 2), sbrv: hex(sbrv, 5), nSWboot0, nBOOT0, nBOOT1, ...(ese !== undefined ? { ese } : {}) };
  } else {
    const missing = ['RDP', 'SFSA', 'SBRV', 'nSWBOOT0', 'nBOOT0', 'nBOOT1'].filter((n) => obValue(n) === undefined);
    notes.push(`option bytes not fully read (${ob ? `missing ${missing.join(', ')}` : 'no -ob displ output'})`);
  }
  // SFSA = 0 with SBRV 0x3FC00 = safeboot (corrupted option bytes; ST wiki). 0x3FC00 is a WB5x value: on a WB1x SFSA = 0 alone.
  const safeboot = sfsa !== undefined && sbrv !== undefined && isSafebootSignature(family.family, sfsa, sbrv);

  // FUS state as the first (non-invasive) FUS_GET_STATE reported it.
  const fusState: BoardState['fus']['state'] = firstPair && FUS_STATES.has(firstPair.state) ? (firstPair.state as BoardState['fus']['state']) : 'unknown';
  const fusError = firstPair?.status ? (fusErrorByCliStatus(firstPair.status)?.name ?? 'unknown') : 'unknown';
  if (!firstPair) notes.push('the CLI printed no FUS state');

  let cpu2: BoardState['cpu2'] = 'unknown';
  if (safeboot) cpu2 = 'safeboot';
  else if (wasRunning || r.restartedStack === true) cpu2 = 'stack'; // (over SWD the stack is restarted after the operator's read)
  else if (firstPair && FUS_STATES.has(firstPair.state)) cpu2 = 'fus';

  const fusVersion = words.fus === undefined ? 'unknown' : versionString(decodeVersionWord(words.fus));
  let stack: BoardState['stack'];
  if (words.stack === undefined) {
    stack = { status: 'unknown', version: 'unknown', type: 'unknown', running: wasRunning ? (r.restartedStack === true ? true : 'unknown') : 'unknown' };
  } else if (words.stack === 0) {
    stack = { status: 'none', version: null, type: null, running: false };
  } else {
    const v = decodeVersionWord(words.stack);
    const version = versionString(v);
    // STM32CubeWB release notes and AN5185, reading versions: the stack type is not reported in FUS mode. What copro
    // meant to install is not filled in: FUS may have installed another image (a leftover below SFSA).
    const type = 'unknown';
    const running = wasRunning || r.restartedStack !== undefined ? r.restartedStack === true : false;
    stack = { status: 'installed', version, build: v.build, type, running };
    if (sfsa !== undefined && !safeboot) stack.installAddress = hex(0x08000000 + sfsa * pageSizeOf(header.deviceId));
  }
  if (wasRunning) {
    notes.push(
      r.restartedStack
        ? 'CPU2 ran the wireless stack: copro started FUS to read the versions (a chip reset) and started the stack again'
        : 'CPU2 ran the wireless stack: copro started FUS to read the versions, and starting the stack again was not confirmed',
    );
  }

  const uid64 = readUid64(r.transport, r.transport === 'swd' ? r.first : versions);
  const application: BoardState['application'] = { present: 'unknown' };
  if (r.transport === 'swd') {
    application.clobberedByFusOperator = true;
    // Its size depends on the CubeProgrammer version (8 KB from v2.4, 11,584 bytes before) and the family's pages.
    const f = swdOperatorFootprint(r.toolVersion, header.deviceId);
    notes.push(`reading over SWD runs CubeProgrammer's FUS operator: ${f ? `flash sectors ${f.sectors} (${f.range})` : swdOperatorCost(undefined)} now hold it and the application must be re-flashed`);
  }
  notes.push('anti-rollback cannot be read back');

  return {
    schemaVersion: 1,
    source: { driver: 'cubeprogrammer', transport: r.transport, readAt: r.readAt, toolVersion: r.toolVersion },
    device: {
      deviceId: hex(header.deviceId, 3),
      flashSizeKB: Math.max(1, flashSizeKB),
      key: matches.length === 1 && matches[0] ? matches[0].key : 'unknown',
      uid64,
      probeSerial: r.probeSerial,
    },
    cpu2,
    fus: { version: fusVersion, state: fusState, error: fusError },
    stack,
    optionBytes,
    antiRollback: 'unknown',
    application,
    notes,
  };
}

function pageSizeOf(deviceId: number): number {
  return deviceId === 0x494 ? 0x800 : 0x1000;
}

/** FUS and stack version words, or undefined where the read does not establish them (with a note why). */
function readVersionWords(transport: StateReading['transport'], parsed: CliResult, notes: string[], operator: { fusVersionAddress: number; stackVersionAddress: number }): { fus?: number; stack?: number } {
  if (transport === 'swd') {
    // The operator's words: 0x20010010/14 on WB5x/WB3x, 0x20002F10/14 on a WB1x (community m-p/89405).
    const fus = wordAt(parsed, operator.fusVersionAddress);
    const stack = wordAt(parsed, operator.stackVersionAddress);
    if (fus === undefined) {
      notes.push(`the FUS operator version words (${hex(operator.fusVersionAddress)}) were not in the output`);
      return {};
    }
    if (fus === 0) {
      // public field reports: "v0.0.0.0" means the operator could not talk to FUS, not FUS 0.0.0.
      notes.push('FUS version read as 0.0.0.0 through the SWD operator: FUS did not answer, versions unknown');
      return {};
    }
    return { fus, stack };
  }
  const key = wordAt(parsed, FUS_INFO_TABLE);
  if (key === undefined) {
    notes.push('the FUS info table (0x20030024) was not in the output');
    return {};
  }
  if (key !== FUS_INFO_VALID_KEY) {
    // public field reports: 0x20030030 read AE1C889C when FUS was not running / not the ROM bootloader.
    notes.push(`FUS info table not valid (key ${hex(key)} instead of ${hex(FUS_INFO_VALID_KEY)}): FUS is not running, versions unknown`);
    return {};
  }
  return { fus: wordAt(parsed, FUS_INFO_TABLE + 12), stack: wordAt(parsed, FUS_INFO_TABLE + 20) };
}

function readUid64(transport: StateReading['transport'], parsed: CliResult): string {
  const [lo, hi] =
    transport === 'swd' ? [wordAt(parsed, UID64_ADDRESS), wordAt(parsed, UID64_ADDRESS + 4)] : wordAt(parsed, FUS_INFO_TABLE) === FUS_INFO_VALID_KEY ? [wordAt(parsed, FUS_INFO_TABLE + 40), wordAt(parsed, FUS_INFO_TABLE + 44)] : [undefined, undefined];
  if (lo === undefined || hi === undefined) return 'unknown';
  return '0x' + hi.toString(16).toUpperCase().padStart(8, '0') + lo.toString(16).toUpperCase().padStart(8, '0');
}
