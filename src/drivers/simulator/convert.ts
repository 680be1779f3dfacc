/**
 * Building simulated boards (the default rescue case, a described board, a `board-state.schema.json`
 * snapshot) and reading them back as a driver over a given transport could (`toBoardState`).
 */
import { deviceByKey, devicesMatching, isDeviceKey, type DeviceKey } from '../../domain/devices.js';
import { hex } from '../../domain/hex.js';
import { versionWordOf, compareVersions, BLANK_VERSION_WORD, isValidVersion } from '../../domain/version.js';
import { stackTypeByName, fusErrorByName } from '../../domain/index.js';
import { familyOf, hasUsbDfu, isSafebootSignature } from '../../domain/families.js';
import { loadCatalog } from '../../images/catalog-core.js';
import { sha256Hex } from '../../domain/sha256.js';
import type { BoardState } from '../../generated/board-state.js';
import type { SimBoard, InstalledImage, FusError, Attachment } from '../../generated/sim-board.js';
import type { Transport } from '../driver.js';
import { fusAreaStart, pageOf, sbrvFor, footprintPages } from './layout.js';
import { zeroCounters } from './model/upgrade.js';
import { busyAt, busyPhase } from './model/busy.js';

export { zeroCounters, upgradeBoard } from './model/upgrade.js';

/** A USB DFU serial like the ROM bootloader reports (12 hex digits); the default board's (public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence). */
export const DEFAULT_SERIAL = '207F38933036';

export interface BoardSpec {
  serial?: string;
  device?: DeviceKey;
  fusVersion?: string;
  /** An installed stack: a catalog image (by stack type + version) or a described one. */
  stack?: { type: string; version: string; build?: number; fusV2Only?: boolean; sizeBytes?: number } | null;
  cpu2?: SimBoard['cpu2'];
  rdp?: number;
  application?: { sizeBytes: number; sha256?: string } | null;
  antiRollback?: boolean;
  attachments?: Attachment[];
}

function digest(text: string): string {
  return sha256Hex(text);
}

/** A probe serial (24 hex digits) derived from the board serial, stable across runs. */
export function probeSerialFor(serial: string): string {
  return digest(`probe:${serial}`).slice(0, 24).toUpperCase();
}

/**
 * What a board of that device is reached through: USB DFU and an ST-LINK; a WB1x has no USB (AN2606), so its
 * ST-LINK and the ST-LINK's virtual COM port wired to the UART bootloader (as on a NUCLEO-WB15CC).
 */
export function defaultAttachments(serial: string, device: DeviceKey = 'STM32WB5xxG_1M'): Attachment[] {
  if (!hasUsbDfu(deviceByKey(device).family)) {
    return [
      { transport: 'uart', port: '/dev/ttyACM0', description: 'STLink Virtual COM Port (simulated)', manufacturer: 'STMicroelectronics' },
      { transport: 'swd', probeSerial: probeSerialFor(serial), probeFirmware: 'V3J7M2', accessPort: 0, boardName: 'NUCLEO-WB15CC' },
    ];
  }
  return [
    { transport: 'usb', serial },
    { transport: 'swd', probeSerial: probeSerialFor(serial), probeFirmware: 'V2J45S7', accessPort: 0, boardName: '--' },
  ];
}

function uidFor(serial: string): string {
  // The FUS 1.1.x dump (public FUS dumps) has UID64 0x0080E126_00658473 for the default serial.
  if (serial === DEFAULT_SERIAL) return '0x0080E12600658473';
  return '0x0080E1' + digest(`uid:${serial}`).slice(0, 10).toUpperCase();
}

/** A catalog stack image of that type and version for the device's family, if ST published one. */
function catalogStack(device: DeviceKey, type: string, version: string) {
  const family = deviceByKey(device).family;
  return loadCatalog().images.find((i) => i.kind === 'stack' && i.stackType === type && i.version === version && i.families.includes(family));
}

function installedStack(device: DeviceKey, fusVersion: string, spec: NonNullable<BoardSpec['stack']>): InstalledImage {
  const d = deviceByKey(device);
  const record = catalogStack(device, spec.type, spec.version);
  const size = spec.sizeBytes ?? record?.size ?? 160 * 1024;
  const fusV2Only = spec.fusV2Only ?? record?.footer.imageMagic === '0xB10C8B99';
  const build = spec.build ?? (record ? Number.parseInt(record.footer.versionWord ?? '0', 16) & 0x0f : 0);
  const pages = footprintPages(d, size, fusV2Only);
  const address = fusAreaStart(d, fusVersion) - pages * d.pageSize;
  const f = record?.footer;
  const memorySizeWord =
    f && typeof f.flashPages === 'number' ? ((f.sram2bKB ?? 0) << 24) | ((f.sram2aKB ?? 0) << 16) | ((f.sram1KB ?? 0) << 8) | (f.flashPages & 0xff) : Math.ceil(size / d.pageSize) & 0xff;
  return {
    kind: 'stack',
    version: spec.version,
    build,
    versionWord: versionWordOf(spec.version, build),
    memorySizeWord: memorySizeWord >>> 0,
    type: spec.type,
    typeCode: stackTypeByName(spec.type)?.code ?? null,
    fusV2Only,
    address,
    pages,
    sha256: record?.sha256 ?? digest(`stack:${spec.type}:${spec.version}`),
    name: record?.names.at(-1) ?? `stm32wb5x_${spec.type}_fw.bin`,
  };
}

/**
 * A board from a short description. Defaults: the classic rescue case (STM32CubeWB release notes and AN5185, reading versions; public field reports):
 * STM32WB5xxG_1M with FUS 0.5.3 (SFSA 0xF6), no stack, RDP 0xAA, USB DFU and an ST-LINK attached.
 */
export function makeBoard(spec: BoardSpec = {}): SimBoard {
  const serial = spec.serial ?? DEFAULT_SERIAL;
  const key = spec.device ?? 'STM32WB5xxG_1M';
  const d = deviceByKey(key);
  // fidelity: WB1X-FACTORY
  // A WB1x leaves the factory with FUS 1.2.0 (release notes); the default WB5x board is the FUS 0.5.3 rescue case.
  const fusVersion = spec.fusVersion ?? familyOf(d).factoryFus;
  const stack = spec.stack ? installedStack(key, fusVersion, spec.stack) : null;
  const secure = stack ? stack.address : fusAreaStart(d, fusVersion);
  const app = spec.application ?? null;
  if (app && d.flashBase + app.sizeBytes > secure) {
    throw new Error(`an application of ${app.sizeBytes} bytes would reach the secure area (0x${secure.toString(16).toUpperCase()}) of this ${key}`);
  }
  return {
    schemaVersion: 1,
    serial,
    device: {
      key,
      deviceId: d.deviceId,
      flashSizeKB: d.flashSize / 1024,
      uid64: uidFor(serial),
      revision: 'Rev Y',
      boot0Pin: 1,
      voltage: 3.26,
      attachments: spec.attachments ?? defaultAttachments(serial, key),
    },
    powered: true,
    cpu2: spec.cpu2 ?? (stack ? 'stack' : 'fus'),
    lockedUp: null,
    fus: { version: fusVersion, state: 'FUS_IDLE', error: 'NO_ERROR', consecutiveGetState: 0 },
    infoTable: { word04: 0x00000001, safebootVersionWord: 0x01010000, fusMemorySizeWord: 0x00000006, deviceInfoWord: d.deviceId === 0x494 ? 0x00000494 : 0x00000496 },
    stack,
    staged: [],
    application: app
      ? { present: true, start: d.flashBase, size: app.sizeBytes, sha256: app.sha256 ?? digest(`app:${serial}`), clobberedByFusOperator: false, overwritten: false }
      : { present: false, start: d.flashBase, size: 0, sha256: null, clobberedByFusOperator: false, overwritten: false },
    fusOperator: { inFlash: false, sram1: null },
    sram2aCleared: false,
    optionBytes: { rdp: spec.rdp ?? 0xaa, sfsa: pageOf(d, secure), sbrv: sbrvFor(d, secure), nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ese: 1 },
    antiRollback: spec.antiRollback ? { state: 'active', floorWord: stack ? stack.versionWord : BLANK_VERSION_WORD } : { state: 'inactive' },
    userKeys: 0,
    customerAuthKey: 'none',
    pending: null,
    usbAvailableAtMs: 0,
    faults: [],
    fusDamaged: null,
    fusV2OnlyInstalled: stack?.fusV2Only ?? false,
    fusRequested: (spec.cpu2 ?? (stack ? 'stack' : 'fus')) === 'fus' && stack !== null,
    busy: null,
    counters: zeroCounters(),
    clock: { ms: 0, wallAt: 0 },
    notes: [],
  };
}

/** The default board: STM32WB5xxG_1M, FUS 0.5.3 (SFSA 0xF6 era), no stack, RDP 0xAA. */
export function defaultBoard(serial?: string): SimBoard {
  return makeBoard(serial ? { serial } : {});
}

const FUS_ERRORS: readonly FusError[] = [
  'NO_ERROR', 'IMG_NOT_FOUND', 'IMG_CORRUPT', 'IMG_NOT_AUTHENTIC', 'IMG_NOT_ENOUGH_SPACE', 'IMAGE_USRABORT', 'IMAGE_ERSERROR', 'IMAGE_WRTERROR',
  'AUTH_TAG_ST_NOTFOUND', 'AUTH_TAG_CUST_NOTFOUND', 'AUTH_KEY_LOCKED', 'FW_ROLLBACK_ERROR', 'STATE_NOT_RUNNING', 'ERR_UNKNOWN',
];

function fusErrorOf(name: string): FusError {
  const n = name.replace(/^FUS_STATE_/, '').replace(/^FUS_/, '');
  if ((FUS_ERRORS as readonly string[]).includes(n)) return n as FusError;
  const byCli = fusErrorByName(n);
  return byCli && (FUS_ERRORS as readonly string[]).includes(byCli.name) ? (byCli.name as FusError) : 'NO_ERROR';
}

function parseHexField(text: string): number {
  return Number.parseInt(text.replace(/^0x/i, ''), 16);
}

/**
 * A simulated board that matches a snapshot (`copro sim reset --state`). Unknown fields take the values a
 * board like that most likely has, and the board's notes say which were guessed.
 */
export function fromBoardState(snapshot: BoardState, serial?: string): SimBoard {
  const guessed: string[] = [];
  const deviceId = parseHexField(snapshot.device.deviceId);
  let key: DeviceKey;
  if (snapshot.device.key !== 'unknown' && isDeviceKey(snapshot.device.key)) key = snapshot.device.key;
  else {
    const candidates = devicesMatching(deviceId, snapshot.device.flashSizeKB * 1024);
    key = candidates[0]?.key ?? 'STM32WB5xxG_1M';
    guessed.push(`device key (picked ${key})`);
  }
  const ob = snapshot.optionBytes === 'unknown' ? undefined : snapshot.optionBytes;
  let fusVersion = snapshot.fus.version;
  if (fusVersion === 'unknown' || !isValidVersion(fusVersion)) {
    fusVersion = ob?.sfsa === '0xF6' ? '0.5.3' : '1.2.0';
    guessed.push(`FUS version (picked ${fusVersion})`);
  }
  let stackSpec: BoardSpec['stack'] = null;
  if (snapshot.stack.status === 'installed') {
    let version = snapshot.stack.version ?? 'unknown';
    if (version === 'unknown' || !isValidVersion(version)) {
      version = '1.0.0';
      guessed.push('stack version (picked 1.0.0)');
    }
    const type = snapshot.stack.type && snapshot.stack.type !== 'unknown' ? snapshot.stack.type : 'BLE_Stack_full';
    if (type !== snapshot.stack.type) guessed.push(`stack type (picked ${type})`);
    stackSpec = { type, version, ...(snapshot.stack.build !== undefined ? { build: snapshot.stack.build } : {}), ...(snapshot.stack.fusV2Only !== undefined ? { fusV2Only: snapshot.stack.fusV2Only } : {}) };
    const d = deviceByKey(key);
    const address = snapshot.stack.installAddress ? parseHexField(snapshot.stack.installAddress) : ob ? d.flashBase + parseHexField(ob.sfsa) * d.pageSize : undefined;
    if (address !== undefined) {
      const fusStart = fusAreaStart(d, fusVersion);
      // The 16 KiB NVM area below a FUS_v2-only stack is not part of its size: decide v2-only as installedStack()
      // will (the snapshot's word, else the catalog image's footer magic), or the stack moves down by 0x4000.
      const v2 = stackSpec.fusV2Only ?? catalogStack(key, type, version)?.footer.imageMagic === '0xB10C8B99';
      stackSpec.fusV2Only = v2;
      const extra = v2 ? 0x4000 : 0;
      if (address < fusStart) stackSpec.sizeBytes = fusStart - address - extra;
    }
  }
  const cpu2: SimBoard['cpu2'] =
    snapshot.cpu2 === 'unknown' ? (stackSpec && snapshot.stack.running === true ? 'stack' : 'fus') : snapshot.cpu2 === 'stack' && !stackSpec ? 'fus' : snapshot.cpu2;
  const probe = snapshot.device.probeSerial;
  const board = makeBoard({
    serial: serial ?? (probe && /^[A-Za-z0-9_.&-]{1,64}$/.test(probe) ? probe : DEFAULT_SERIAL),
    device: key,
    fusVersion,
    stack: stackSpec,
    cpu2,
    ...(ob ? { rdp: parseHexField(ob.rdp) } : {}),
    application: snapshot.application.present === true ? { sizeBytes: 64 * 1024, ...(snapshot.application.sha256 ? { sha256: snapshot.application.sha256 } : {}) } : null,
    antiRollback: snapshot.antiRollback === 'active',
  });
  if (snapshot.device.uid64 !== 'unknown') board.device.uid64 = snapshot.device.uid64;
  if (ob) {
    board.optionBytes = {
      ...board.optionBytes,
      sfsa: parseHexField(ob.sfsa),
      sbrv: parseHexField(ob.sbrv),
      nSWboot0: ob.nSWboot0,
      nBOOT0: ob.nBOOT0,
      nBOOT1: ob.nBOOT1,
      ...(ob.ese !== undefined ? { ese: ob.ese } : {}),
    };
    if (isSafebootSignature(deviceByKey(key).family, board.optionBytes.sfsa, board.optionBytes.sbrv)) board.cpu2 = 'safeboot';
  }
  if (snapshot.fus.state !== 'unknown') {
    board.fus.state = snapshot.fus.state;
    board.fus.error = fusErrorOf(snapshot.fus.error);
  }
  if (snapshot.application.clobberedByFusOperator) board.application.clobberedByFusOperator = true;
  if (guessed.length) board.notes.push(`built from a snapshot; guessed: ${guessed.join(', ')}`);
  return board;
}

/** Which serial a driver over that transport sees for this board. */
export function serialFor(board: SimBoard, transport: Transport): string | null {
  if (transport === 'simulated') return board.serial;
  for (const a of board.device.attachments) {
    if (a.transport === 'usb' && transport === 'usb') return a.serial;
    if (a.transport === 'swd' && transport === 'swd') return a.probeSerial;
    if (a.transport === 'uart' && transport === 'uart') return a.port;
  }
  return null;
}

function versionWithBuild(word: number): { version: string; build: number } {
  return { version: `${(word >>> 24) & 0xff}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}`, build: word & 0x0f };
}

/**
 * What a driver over `transport` could read of this board (STM32CubeWB release notes and AN5185, reading versions), "unknown" where it could not:
 * - `simulated`: everything the simulator knows, including the installed stack's type.
 * - USB DFU / UART: FUS version and stack version from the FUS info table while FUS runs; while the stack runs only
 *   that it runs (0x20030030 is not the FUS version then: public field reports). The stack type is not reported in
 *   FUS mode. Anti-rollback has no read-out.
 * - SWD: CubeProgrammer's operator reads FUS/stack versions at 0x20010010/14 in either mode.
 */
export function toBoardState(board: SimBoard, transport: Transport, readAt?: string): BoardState {
  const sim = transport === 'simulated';
  const notes: string[] = [];
  const locked = board.lockedUp !== null;
  const canReadVersions = sim || (!locked && board.cpu2 !== 'safeboot' && (board.cpu2 === 'fus' || transport === 'swd'));
  let key: BoardState['device']['key'] = board.device.key;
  if (!sim && devicesMatching(board.device.deviceId, board.device.flashSizeKB * 1024).length !== 1) {
    key = 'unknown';
    notes.push(`device id ${hex(board.device.deviceId, 3)} with ${board.device.flashSizeKB} KB fits both a WB5x and a WB3x part: the key cannot be told over ${transport}`);
  }
  const stack = board.stack;
  let fusVersion = board.fus.version;
  if (!canReadVersions) {
    fusVersion = 'unknown';
    // Over a real transport only FUS's answer is seen, never why (issue 14: no more than the tool prints).
    if (locked) notes.push(sim ? `CPU2 is locked up (${board.lockedUp}): nothing answers` : 'FUS answers FUS_STATE_ERR_UNKNOWN: the FUS and stack versions cannot be read');
    else if (board.cpu2 === 'safeboot') notes.push(`CPU2 runs safeboot (SFSA=0x00, SBRV=${hex(board.optionBytes.sbrv, 5)}): FUS version reads 0.0.0`);
    else notes.push(`the wireless stack runs: the FUS version is readable over ${transport} only after starting FUS (two FUS_GET_STATE)`);
  }
  const fusStatus: BoardState['fus'] = locked
    ? { version: fusVersion, state: 'FUS_ERROR', error: 'ERR_UNKNOWN' }
    : board.cpu2 === 'fus'
      ? { version: fusVersion, state: board.fus.state, error: board.fus.error }
      : { version: fusVersion, state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' };
  let stackState: BoardState['stack'];
  if (!stack) stackState = { status: locked || board.cpu2 === 'safeboot' ? 'unknown' : 'none', version: null, type: null, running: false };
  else {
    const v = versionWithBuild(stack.versionWord);
    const type = sim ? (stack.type ?? 'unknown') : 'unknown';
    if (!sim) notes.push('the stack type is not reported by the chip in FUS mode; only the simulator knows what was installed');
    stackState = {
      status: 'installed',
      version: canReadVersions ? v.version : 'unknown',
      ...(canReadVersions ? { build: Math.min(v.build, 15) } : {}),
      type,
      running: board.cpu2 === 'stack' && !locked,
      installAddress: hex(stack.address),
      ...(sim ? { fusV2Only: stack.fusV2Only } : {}),
    };
  }
  const ob = board.optionBytes;
  const app = board.application;
  const appState: BoardState['application'] = { present: app.present };
  if (app.present && app.sha256 && !app.overwritten && !app.clobberedByFusOperator) appState.sha256 = app.sha256;
  if (app.clobberedByFusOperator) appState.clobberedByFusOperator = true;
  if (!sim && ob.rdp !== 0xaa) {
    appState.present = 'unknown';
    delete appState.sha256;
    notes.push('flash is read-protected (RDP level 1): the application cannot be read');
  }
  if (!sim) notes.push(`anti-rollback has no read-out over ${transport}`);
  if (sim && board.pending) notes.push(`an interrupted ${board.pending.operation} is pending: FUS resumes it at the next boot`);
  // The model's own log (what a fault did, why a command failed) is not something a read over a real transport sees.
  notes.push(...(sim ? board.notes : board.notes.filter((n) => n.startsWith('built from a snapshot'))));
  const busy = busyAt(board);
  if (busy && !locked) {
    // BUSY-READ: a read while FUS works sees the work, not its result (the result is applied when the window ends).
    const phase = busyPhase(busy, board.clock.ms);
    notes.push(`FUS is busy (${busy.state}${phase.startsWith('nvm') ? `, ${phase === 'nvm-backup' ? 'NVM backup' : 'NVM restore'}` : ''}): the ${busy.operation} is still in progress${sim ? `, about ${Math.ceil((busy.untilMs - board.clock.ms) / 1000)} s left` : ''}; read again when it is done`);
    return {
      ...base(),
      cpu2: 'fus',
      fus: { version: busy.state === 'FUS_UPGRADE_ONGOING' ? 'unknown' : fusVersion === 'unknown' && canReadVersionsInFus(board, transport) ? board.fus.version : fusVersion, state: busy.state, error: 'NO_ERROR' },
      stack: { status: 'unknown', version: 'unknown', type: 'unknown', running: false },
    };
  }
  return base();
  function base(): BoardState {
  return {
    schemaVersion: 1,
    source: { driver: 'simulator', transport, ...(readAt ? { readAt } : {}), toolVersion: 'simulator' },
    device: {
      deviceId: hex(board.device.deviceId, 3),
      flashSizeKB: board.device.flashSizeKB,
      key,
      uid64: board.device.uid64,
      probeSerial: serialFor(board, transport),
    },
    cpu2: locked ? 'unknown' : board.cpu2,
    fus: fusStatus,
    stack: stackState,
    optionBytes: {
      rdp: hex(ob.rdp, 2),
      sfsa: hex(ob.sfsa, 2),
      sbrv: hex(ob.sbrv, 5),
      nSWboot0: ob.nSWboot0,
      nBOOT0: ob.nBOOT0,
      nBOOT1: ob.nBOOT1,
      ese: ob.ese,
    },
    antiRollback: sim ? board.antiRollback.state : 'unknown',
    application: appState,
    notes,
  };
  }
}

/** While FUS runs (as during a busy window), USB/UART read the FUS version from the info table too. */
function canReadVersionsInFus(board: SimBoard, transport: Transport): boolean {
  return board.lockedUp === null && board.cpu2 !== 'safeboot' && transport !== 'swd';
}

/** Sanity: a stack's secure area never overlaps FUS (used by tests and the store's checks). */
export function secureLayoutProblems(board: SimBoard): string[] {
  const d = deviceByKey(board.device.key);
  const problems: string[] = [];
  const fusStart = fusAreaStart(d, board.fus.version);
  if (board.stack && board.stack.address + board.stack.pages * d.pageSize > fusStart) problems.push('the stack overlaps the FUS area');
  if (board.stack && compareVersions(board.fus.version, '0.0.1') < 0) problems.push('a stack without FUS');
  return problems;
}
