/**
 * Parses STM32_Programmer_CLI output: tolerant of form, strict about meaning.
 *
 * Tolerant (STM32WB.md §7, cli-transcripts/): banners of any version, whitespace padded or collapsed, CRLF,
 * GUI/log timestamp prefixes, `0x495`/`0x0495`, sizes as Bytes / KBytes / `8.00 KB` / `695,21 KB`,
 * progress bars `[====] 100%`, `███ 100%` and the v2.21 bar glued to `Error:`.
 * Strict: every FUS state/status pair, Error/Warning/success line, r32 word, option byte and listed device
 * is reported in order; a body line it does not know is reported in `unknownLines` (never guessed at).
 */
import { parseHex } from '../../domain/hex.js';

export interface ConnectHeader {
  transport: 'usb' | 'swd' | 'uart' | 'unknown';
  /** USB DFU `SN`, or `ST-LINK SN`. */
  serial?: string;
  probeFirmware?: string;
  board?: string;
  voltage?: number;
  /** Device ID (USB/SWD) or Chip ID (UART). Absent when the DFU device is not the ROM bootloader (IAP). */
  deviceId?: number;
  /** A DFU device that prints `IAP` instead of Device ID: not ST's ROM bootloader, so no FUS commands. */
  iap: boolean;
  deviceName?: string;
  flashSizeBytes?: number;
  /** `Flash size : 512 KBytes (default)`: the tool did not read it from the chip. */
  flashSizeIsDefault?: boolean;
  revisionId?: string;
  connectMode?: string;
  bootloaderVersion?: string;
  /** UART: the serial port that was opened. */
  serialPort?: string;
}

export interface FusStatePair {
  state: string;
  status?: string;
}

export type SuccessKind =
  | 'fw-upgrade'
  | 'fw-delete'
  | 'start-ws'
  | 'start-fus'
  | 'option-bytes'
  | 'download-complete'
  | 'download-verified'
  | 'command-finished';

export interface R32Block {
  address: number;
  words: number[];
}

export interface OptionByteField {
  value: number | undefined;
  /** The `(0x80F4000)` address form of address-type fields. */
  address?: number;
  text: string;
}

/** `-ob displ`, by option byte name as printed (case kept); look up with `optionByte()`. */
export type OptionBytesDisplay = Record<string, OptionByteField>;

export interface DfuListEntry {
  index?: string;
  serial?: string;
  productId?: string;
  firmware?: string;
  deviceId?: number;
}
export interface StlinkListEntry {
  index: number;
  serial: string;
  firmware: string;
  accessPort?: number;
  board?: string;
}
export interface UartListEntry {
  port: string;
  location?: string;
  description?: string;
  manufacturer?: string;
  board?: string;
  stlinkSerial?: string;
}
export interface DeviceList {
  dfu: DfuListEntry[];
  stlink: StlinkListEntry[];
  uart: UartListEntry[];
  /** Interface-level errors (`Error: No ST-Link detected!`, `ST-LINK error (DEV_CONNECT_ERR)`). */
  errors: string[];
}

export type CliEvent =
  | { kind: 'fus'; state: string; status?: string }
  | { kind: 'error'; text: string }
  | { kind: 'warning'; text: string }
  | { kind: 'success'; success: SuccessKind; text: string }
  | { kind: 'r32'; block: R32Block }
  /** CubeProgrammer's SWD FUS operator was written to 0x08000000 / its option bytes set (the application is gone). */
  | { kind: 'fus-operator'; text: string };

export interface CliResult {
  toolVersion?: string;
  header?: ConnectHeader;
  events: CliEvent[];
  fusStates: FusStatePair[];
  errors: string[];
  warnings: string[];
  successes: SuccessKind[];
  r32: R32Block[];
  optionBytes?: OptionBytesDisplay;
  deviceList?: DeviceList;
  /** Lines after the connect header that no rule knows. The driver treats them as an error and quotes them. */
  unknownLines: string[];
}

// ---------------------------------------------------------------------------------------------- lines

const TIMESTAMP = /^\d{2}:\d{2}:\d{2}(?:[:.]\d{3})?\s*(?::\s?)?/;
/** A progress bar, ASCII or block characters (mis-decoded as ± on some code pages), with an optional percentage. */
const PROGRESS = /^\s*(?:\[[=>\s.]*\]|[█▒▓░±■]+)\s*(?:\d{1,3}\s*%)?\s*/;

/** Splits text into clean lines: CRLF, timestamp prefixes, progress bars (keeping text glued after them). */
export function cleanLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = raw.replace(/\t/g, ' ');
    if (TIMESTAMP.test(line.trimStart())) line = line.trimStart().replace(TIMESTAMP, '');
    const bar = PROGRESS.exec(line);
    if (bar && bar[0].trim() !== '') line = line.slice(bar[0].length);
    out.push(line.trim());
  }
  return out;
}

/** `24492 Bytes`, `8 KBytes`, `8.00 KB`, `695,21 KB`, `1 MBytes`, `512 KBytes (default)` -> bytes. */
export function parseSizeBytes(text: string): number | undefined {
  const m = /^(\d+(?:[.,]\d+)?)\s*(Bytes|B|KBytes|KB|MBytes|MB)\b/i.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const n = Number(m[1].replace(',', '.'));
  const unit = m[2].toUpperCase();
  const mult = unit.startsWith('M') ? 1024 * 1024 : unit.startsWith('K') ? 1024 : 1;
  return Math.round(n * mult);
}

// ------------------------------------------------------------------------------------ classification

const HEADER_KEYS: Record<string, keyof ConnectHeader | 'usb' | 'ignore'> = {
  'usb speed': 'usb',
  'manuf. id': 'usb',
  'product id': 'usb',
  sn: 'serial',
  'st-link sn': 'serial',
  'st-link fw': 'probeFirmware',
  'fw version': 'ignore',
  'dfu protocol': 'usb',
  board: 'board',
  voltage: 'voltage',
  'swd freq': 'ignore',
  'connect mode': 'connectMode',
  'reset mode': 'ignore',
  'device id': 'deviceId',
  'chip id': 'deviceId',
  'revision id': 'revisionId',
  'device name': 'deviceName',
  'flash size': 'flashSizeBytes',
  'device type': 'ignore',
  'device cpu': 'ignore',
  'bl version': 'bootloaderVersion',
  'bootloader protocol version': 'bootloaderVersion',
};

/** Lines that carry no meaning for copro (progress, echo of what is being done, timings). */
const NOISE: RegExp[] = [
  /^-{5,}$/,
  /^Memory Programming \.\.\.$/i,
  /^Opening and parsing file: /i,
  /^(File|Size|Address:?|Bank)\s*:/i,
  /^Erasing memory corresponding to segment \d+:?$/i,
  /^Erasing internal memory sectors \[\d+ \d+\]$/i,
  /^erasing sector \d+ @: 0x[0-9a-f]+ done$/i,
  /^Not flash Memory : No erase done$/i,
  /^Download in Progress:?$/i,
  /^Time elapsed during /i,
  /^Success with Time elapsed during Reconnect/i,
  /^Reading 32-bit memory content$/i,
  /^UPLOADING( OPTION BYTES DATA)? \.\.\.$/i,
  /^PROGRAMMING OPTION BYTES AREA \.\.\.$/i,
  /^OPTION BYTE PROGRAMMING VERIFICATION:?$/i,
  /^Read progress:?$/i,
  /^Reading data\.\.\.$/i,
  /^Data read successfully$/i,
  /^r ap \d+ @0x[0-9a-f]+ /i,
  /^DFU (status|State) = \d+$/i,
  /^Reconnecting\.*$/i,
  /^Reconnected !?$/i,
  /^Disconnected$/i,
  /^Old (wireless stack|Firmware) delete \.\.\.$/i,
  /^Deleting firmware \.\.\.$/i,
  /^Download (firmware|Stack\/FUS) image at address 0x[0-9a-f]+( \.\.\.)?$/i,
  /^Firmware Upgrade process started \.\.\.$/i,
  /^Updating firmware \.\.\.$/i,
  /^Waiting for firmware upgrade end$/i,
  /^Application is running, Please Hold on\.\.\.$/i,
  /^(Software|Hard) reset is performed$/i,
  /^Verifying \.\.\.$/i,
  /^Downloading \d+-bit data\.\.\.$/i,
  /^Downloading \d+-bit data done successfully$/i,
  /^start operation achieved successfully$/i,
  /^Debug in Low Power mode enabled$/i,
  /^Serial Port \S+ is successfully opened\.?$/i,
  /^Port configuration: /i,
  /^stop-bit = /i,
  /^Activating device: OK$/i,
  /^flash loader .* is loaded$/i,
  /^Remove bank\d+ protection and erase all$/i,
  /^OPTION BYTES BANK: ?\d+$/i,
  // `-l`: interface titles and counts
  /^No STM32 device in DFU mode connected$/i,
  /^Total number of available STM32 device in DFU mode: ?\d+$/i,
  /^-+ Connected ST-LINK Probes List -+$/i,
  /^Total number of serial ports available: ?\d+$/i,
];

/** Failure lines the GUI and some versions print without an `Error:` prefix. */
const BARE_ERRORS: RegExp[] = [
  /^erasing sector \d+ @: 0x[0-9a-f]+ failed$/i,
  /^sector \d+ does not exist$/i,
  /^Operation exceeds memory limits$/i,
  /^failed to erase memory$/i,
  /^Option Byte Programming failed/i,
  /^Failed to set nSWboot0=/i,
  /^Expected value for Option Byte /i,
  /^Downloading \d+-bit data failed/i,
  /^ST-LINK error \(.*\)$/i,
];

const SUCCESS: Array<[RegExp, SuccessKind]> = [
  [/^Firmware Upgrade Success/i, 'fw-upgrade'],
  [/^Firmware delete (finished|Success)/i, 'fw-delete'],
  [/^FusStartWS activated successfully/i, 'start-ws'],
  [/^StartFus activated successfully/i, 'start-fus'],
  [/^Option Bytes successfully programmed/i, 'option-bytes'],
  [/^File download complete/i, 'download-complete'],
  [/^Download verified successfully/i, 'download-verified'],
  [/^[\w ]+ command execution finished$/i, 'command-finished'],
];

const FUS_STATE_NAMES = new Set(['FUS_IDLE', 'FUS_ERROR', 'FUS_SERVICE_ONGOING', 'FUS_UPGRADE_ONGOING', 'WIRELESS_STACK_UPGRADE_ONGOING']);

type Section = 'body' | 'ob' | 'list-dfu' | 'list-stlink' | 'list-uart' | 'list-other';

/** Parses one invocation's output. Pure. */
export function parseCliOutput(text: string): CliResult {
  const r: CliResult = { events: [], fusStates: [], errors: [], warnings: [], successes: [], r32: [], unknownLines: [] };
  let section: Section = 'body';
  /** An Error line whose text may continue on the next line(s). */
  let openError: { index: number; empty: boolean } | undefined;
  let lastWasBlank = true;
  const listState: ListState = { list: () => list() };

  const header = (): ConnectHeader => (r.header ??= { transport: 'unknown', iap: false });
  const list = (): DeviceList => (r.deviceList ??= { dfu: [], stlink: [], uart: [], errors: [] });
  const addError = (text: string) => {
    r.events.push({ kind: 'error', text });
    r.errors.push(text);
    if (section.startsWith('list')) list().errors.push(text);
    openError = { index: r.errors.length - 1, empty: text === '' };
  };
  const extendError = (more: string) => {
    if (!openError) return;
    const i = openError.index;
    const joined = openError.empty ? more : `${r.errors[i]} ${more}`;
    r.errors[i] = joined;
    const ev = r.events.filter((e) => e.kind === 'error')[i];
    if (ev && ev.kind === 'error') ev.text = joined;
    openError.empty = false;
  };

  for (const line of cleanLines(text)) {
    if (line === '') {
      lastWasBlank = true;
      // A blank line ends a continued error unless the error text has not started yet (v2.21 `██Error:`).
      if (openError && !openError.empty) openError = undefined;
      continue;
    }
    const wasBlank = lastWasBlank;
    lastWasBlank = false;

    // Banner: `STM32CubeProgrammer v2.17.0` (trailing spaces tolerated by cleanLines).
    const banner = /^STM32CubeProgrammer\s+(?:version\s*:\s*)?v?(\d+\.\d+\.\d+)$/i.exec(line);
    if (banner) {
      r.toolVersion ??= banner[1];
      section = 'body';
      openError = undefined;
      continue;
    }

    // -l interface titles: `=====  DFU Interface   =====`
    const iface = /^=+\s*(.+?)\s+Interface\s*=+$/i.exec(line);
    if (iface) {
      const name = (iface[1] ?? '').toLowerCase();
      section = name === 'dfu' ? 'list-dfu' : name === 'stlink' || name === 'st-link' ? 'list-stlink' : name === 'uart' ? 'list-uart' : 'list-other';
      list();
      openError = undefined;
      continue;
    }

    const err = /^(?:Error|ERROR)\s*[:!]\s*(.*)$/.exec(line);
    if (err) {
      addError((err[1] ?? '').trim());
      continue;
    }
    if (openError?.empty) {
      // `██Error:` then the message on the next line(s) (v2.21).
      extendError(line);
      continue;
    }

    const warn = /^Warning\s*:\s*(.*)$/i.exec(line);
    if (warn) {
      openError = undefined;
      r.events.push({ kind: 'warning', text: (warn[1] ?? '').trim() });
      r.warnings.push((warn[1] ?? '').trim());
      continue;
    }

    // A probe list printed without its interface title (`-l st-link-only` in some versions).
    if (!section.startsWith('list') && (/^-+ Connected ST-LINK Probes List -+$/i.test(line) || /^ST-Link Probe \d+\s*:?$/i.test(line))) {
      section = 'list-stlink';
      list();
    }
    if (section.startsWith('list') && parseListLine(line, section, listState)) {
      openError = undefined;
      continue;
    }

    // Option bytes display (`-ob displ`): section titles and `NAME : 0xVAL (desc)` fields.
    if (/^OPTION BYTES BANK: ?\d+$/i.test(line)) {
      section = 'ob';
      r.optionBytes ??= {};
      openError = undefined;
      continue;
    }
    if (section === 'ob') {
      if (/^[A-Za-z][\w\s\-/()]*:$/.test(line)) continue; // `Read Out Protection:`
      const field = parseOptionByteLine(line);
      if (field) {
        (r.optionBytes ??= {})[field.name] = field.field;
        continue;
      }
      section = 'body';
    }

    const fus = /^(?:FUS|RSS) (state|status) is (\S+)$/i.exec(line);
    if (fus) {
      openError = undefined;
      // Early versions said `RSS state is RSS_IDLE` for `FUS state is FUS_IDLE`.
      const value = (fus[2] ?? '').replace(/^RSS_/, 'FUS_');
      if ((fus[1] ?? '').toLowerCase() === 'state') {
        r.fusStates.push({ state: value });
        r.events.push({ kind: 'fus', state: value });
      } else {
        const last = r.fusStates[r.fusStates.length - 1];
        const lastEv = [...r.events].reverse().find((e) => e.kind === 'fus');
        if (last && last.status === undefined && lastEv && lastEv.kind === 'fus') {
          last.status = value;
          lastEv.status = value;
        } else {
          // A status with no state before it: keep it, with the state unknown.
          r.fusStates.push({ state: 'unknown', status: value });
          r.events.push({ kind: 'fus', state: 'unknown', status: value });
        }
      }
      continue;
    }
    // GUI "Read FUS state": a bare `FUS_STATE_IDLE`.
    const bareState = /^FUS_STATE_([A-Z_]+)$/.exec(line);
    if (bareState && (FUS_STATE_NAMES.has(`FUS_${bareState[1]}`) || FUS_STATE_NAMES.has(bareState[1] ?? ''))) {
      const state = FUS_STATE_NAMES.has(`FUS_${bareState[1]}`) ? `FUS_${bareState[1]}` : (bareState[1] ?? '');
      r.fusStates.push({ state });
      r.events.push({ kind: 'fus', state });
      continue;
    }

    const r32 = /^0x([0-9A-Fa-f]{1,8})\s*:\s*((?:[0-9A-Fa-f]{8}\s*)+)$/.exec(line);
    if (r32) {
      openError = undefined;
      const block: R32Block = { address: Number.parseInt(r32[1] ?? '0', 16), words: (r32[2] ?? '').trim().split(/\s+/).map((w) => Number.parseInt(w, 16) >>> 0) };
      r.r32.push(block);
      r.events.push({ kind: 'r32', block });
      continue;
    }

    const success = SUCCESS.find(([re]) => re.test(line));
    if (success) {
      openError = undefined;
      r.successes.push(success[1]);
      r.events.push({ kind: 'success', success: success[1], text: line });
      continue;
    }

    if (/^Succeeded to set nSWboot0=/i.test(line) || /FUS_Operator\.bin/i.test(line)) {
      r.events.push({ kind: 'fus-operator', text: line });
      continue;
    }

    if (BARE_ERRORS.some((re) => re.test(line))) {
      addError(line);
      continue;
    }

    if (parseHeaderLine(line, header)) {
      openError = undefined;
      continue;
    }

    if (NOISE.some((re) => re.test(line))) {
      openError = undefined;
      continue;
    }

    // The second line of a wrapped error (`... Impossible to install FUS V1.0.1 on` / `256/512KB Flash Parts`).
    if (openError && !wasBlank) {
      extendError(line);
      continue;
    }
    r.unknownLines.push(line);
  }
  return r;
}

function parseHeaderLine(line: string, header: () => ConnectHeader): boolean {
  if (/^IAP$/.test(line)) {
    const h = header();
    h.iap = true;
    if (h.transport === 'unknown') h.transport = 'usb';
    return true;
  }
  const uartPort = /^Serial Port (\S+) is successfully opened\.?$/i.exec(line);
  if (uartPort) {
    const h = header();
    h.transport = 'uart';
    h.serialPort = uartPort[1];
    return true;
  }
  const kv = /^([A-Za-z][\w .-]*?)\s*:\s*(.*)$/.exec(line);
  if (!kv) return false;
  const key = (kv[1] ?? '').toLowerCase().replace(/\s+/g, ' ');
  const value = (kv[2] ?? '').trim();
  const field = HEADER_KEYS[key];
  if (field === undefined) return false;
  const h = header();
  switch (field) {
    case 'ignore':
      break;
    case 'usb':
      h.transport = 'usb';
      break;
    case 'serial':
      h.serial = value;
      h.transport = key === 'st-link sn' ? 'swd' : 'usb';
      break;
    case 'probeFirmware':
      h.probeFirmware = value;
      h.transport = 'swd';
      break;
    case 'voltage': {
      const v = Number.parseFloat(value.replace(',', '.'));
      if (Number.isFinite(v)) h.voltage = v;
      break;
    }
    case 'deviceId': {
      // The DBGMCU device id is 12 bits, printed `0x495` or `0x0495` (cli-transcripts/01, 14, 16): anything
      // else is not a device id, and the header stays without one (the driver then refuses, never guesses).
      const id = /^0x[0-9a-f]{3,4}$/i.test(value.trim()) ? parseHex(value) : undefined;
      if (id !== undefined) h.deviceId = id;
      if (key === 'chip id') h.transport = 'uart';
      break;
    }
    case 'flashSizeBytes': {
      const size = parseSizeBytes(value);
      if (size !== undefined) h.flashSizeBytes = size;
      if (/\(default\)/i.test(value)) h.flashSizeIsDefault = true;
      break;
    }
    case 'board':
      if (value && value !== '--') h.board = value;
      break;
    default:
      (h as unknown as Record<string, string>)[field] = value;
  }
  return true;
}

/** `RDP          : 0xAA (Level 0, no protection)`, `SFSA : 0xF4  (0x80F4000)`, `RDP : Enabled (...)`. */
export function parseOptionByteLine(line: string): { name: string; field: OptionByteField } | undefined {
  // The closing parenthesis is optional: excerpts get cut mid-description.
  const m = /^([A-Za-z][A-Za-z0-9_]*)\s*:\s*(\S+)\s*(?:\((.*?)\)?)?\s*$/.exec(line);
  if (!m || /^(Error|Warning)$/i.test(m[1] ?? '')) return undefined;
  const raw = m[2] ?? '';
  const paren = m[3];
  const value = parseHex(raw);
  const field: OptionByteField = { value, text: line };
  const addr = paren !== undefined ? /^\s*0x([0-9A-Fa-f]+)\s*$/.exec(paren) : null;
  if (addr) field.address = Number.parseInt(addr[1] ?? '0', 16);
  return { name: m[1] ?? '', field };
}

/** Case-insensitive lookup of an option byte (`nSWBOOT0` vs `nSWboot0`). */
export function optionByte(ob: OptionBytesDisplay | undefined, name: string): OptionByteField | undefined {
  if (!ob) return undefined;
  const key = Object.keys(ob).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : ob[key];
}

interface ListState {
  list: () => DeviceList;
  /** `Board Name` / `ST-LINK SN` printed before `Port:` (Windows, STLINK-V3 virtual COM port). */
  pendingUart?: Partial<UartListEntry>;
}

function parseListLine(line: string, section: Section, st: ListState): boolean {
  if (NOISE.some((re) => re.test(line))) return true;
  const list = st.list();
  const kv = /^([A-Za-z][\w .-]*?)\s*:\s*(.*)$/.exec(line);
  const key = (kv?.[1] ?? '').toLowerCase().replace(/\s+/g, ' ');
  const value = (kv?.[2] ?? '').trim();
  if (section === 'list-stlink') {
    const probe = /^ST-Link Probe (\d+)\s*:?$/i.exec(line);
    if (probe) {
      list.stlink.push({ index: Number(probe[1]), serial: '', firmware: '' });
      return true;
    }
    const cur = list.stlink[list.stlink.length - 1];
    if (!kv || !cur) return false;
    if (key === 'st-link sn') cur.serial = value;
    else if (key === 'st-link fw') cur.firmware = value;
    else if (key === 'access port number') cur.accessPort = Number(value);
    else if (key === 'board name') {
      if (value) cur.board = value;
    } else return false;
    return true;
  }
  if (section === 'list-dfu') {
    // Entries start at `Device Index : USB1`; field names beyond that are matched loosely (not seen verbatim).
    if (!kv) return false;
    if (key === 'device index') {
      list.dfu.push({ index: value });
      return true;
    }
    let cur = list.dfu[list.dfu.length - 1];
    if (!cur) list.dfu.push((cur = {}));
    if (key === 'serial number' || key === 'sn') cur.serial = value;
    else if (key === 'product id') cur.productId = value;
    else if (key === 'firmware version' || key === 'fw version') cur.firmware = value;
    else if (key === 'device id') cur.deviceId = /^0x[0-9a-f]{3,4}$/i.test(value.trim()) ? parseHex(value) : undefined;
    else if (!/^(usb bus number|usb address number|usb speed|manuf\. id)$/.test(key)) return false;
    return true;
  }
  if (section === 'list-uart') {
    if (!kv) return false;
    if (key === 'port') {
      list.uart.push({ port: value, ...st.pendingUart });
      st.pendingUart = undefined;
      return true;
    }
    if (key === 'board name' || key === 'st-link sn') {
      const slot = (st.pendingUart ??= {});
      if (key === 'board name') slot.board = value;
      else slot.stlinkSerial = value;
      return true;
    }
    const cur = list.uart[list.uart.length - 1];
    if (!cur) return false;
    if (key === 'location') cur.location = value;
    else if (key === 'description') cur.description = value;
    else if (key === 'manufacturer') cur.manufacturer = value;
    else return false;
    return true;
  }
  return false;
}

/** The 32-bit word read at `address`, from any r32 block of the result. */
export function wordAt(result: Pick<CliResult, 'r32'>, address: number): number | undefined {
  for (const b of result.r32) {
    const i = (address - b.address) / 4;
    if (Number.isInteger(i) && i >= 0 && i < b.words.length) return b.words[i];
  }
  return undefined;
}
