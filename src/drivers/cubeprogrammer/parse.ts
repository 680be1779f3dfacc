/**
 * Parses STM32_Programmer_CLI output: tolerant of form, strict about meaning.
 *
 * Tolerant (STM32CubeProgrammer CLI, UM2237, public CLI logs): banners of any version, whitespace padded or collapsed, CRLF,
 * GUI/log timestamp prefixes, `0x495`/`0x0495`, sizes as Bytes / KBytes / `8.00 KB` / `695,21 KB`,
 * progress bars `[====] 100%`, `███ 100%` and the v2.21 bar glued to `Error:`.
 * Strict: every FUS state/status pair, Error/Warning/success line, r32 word, option byte and listed device
 * is reported in order; a body line it does not know is reported in `unknownLines` (never guessed at).
 */
import { parseHex } from '../../domain/hex.js';
import { BARE_ERRORS, FUS_STATE_NAMES, HEADER_KEYS, NOISE, canonical, cleanLines, parseSizeBytes, successOf, warningIsFailure, type Section } from './parse-lines.js';
import { parseListLine, type ListState } from './parse-list.js';
import type { CliResult, ConnectHeader, DeviceList, OptionBytesDisplay, OptionByteField, ParseOptions, ParseProblem, R32Block } from './parse-types.js';
import { checkMeaning, fusStatusKnown } from './parse-checks.js';

export * from './parse-types.js';
export { canonical, cleanLines, parseSizeBytes, successOf, warningIsFailure } from './parse-lines.js';

/** Header fields that have one value per connection: a second, different value is a contradiction. */
const SINGLE_VALUED: ReadonlyArray<keyof ConnectHeader> = ['serial', 'deviceId', 'flashSizeBytes', 'deviceName', 'revisionId', 'probeFirmware', 'bootloaderVersion', 'serialPort'];

/** Parses one invocation's output. Pure. */
export function parseCliOutput(text: string, options: ParseOptions = {}): CliResult {
  const r: CliResult = { events: [], fusStates: [], errors: [], warnings: [], successes: [], r32: [], unknownLines: [], problems: [] };
  const problem = (p: ParseProblem) => r.problems.push(p);
  /** Where each r32 word, option byte and header field was first printed (to quote both lines of a contradiction). */
  const wordLine = new Map<number, { word: number; line: string }>();
  const obLine = new Map<string, { value: number | undefined; line: string }>();
  const headerLine = new Map<keyof ConnectHeader, string>();
  let current = '';
  const headerChanged = (k: keyof ConnectHeader, before: unknown): void => {
    if (!SINGLE_VALUED.includes(k)) return;
    const now = r.header?.[k];
    if (now === undefined || now === before) return;
    if (before !== undefined) {
      problem({ kind: 'conflicting-value', line: current, message: `the connection header gives two different values for ${k}: ${JSON.stringify(headerLine.get(k) ?? String(before))} and ${JSON.stringify(current)}` });
    } else {
      headerLine.set(k, current);
    }
  };
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
    if (warn && warningIsFailure(warn[1] ?? '')) {
      // The words say a failure, whatever the prefix (Warning vs Error differs between versions).
      addError((warn[1] ?? '').trim());
      openError = undefined;
      continue;
    }
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
        const key = field.name.toLowerCase();
        const before = obLine.get(key);
        if (before && before.value !== field.field.value) {
          problem({ kind: 'conflicting-value', line, message: `option byte ${field.name} printed twice with different values: ${JSON.stringify(before.line)} and ${JSON.stringify(line)}` });
        } else if (!before) {
          obLine.set(key, { value: field.field.value, line });
        }
        (r.optionBytes ??= {})[field.name] = field.field;
        continue;
      }
      section = 'body';
    }

    const canon = canonical(line);
    const fus = /^(?:FUS|RSS) (state|status) is (\S+)$/i.exec(canon);
    if (fus) {
      openError = undefined;
      // Early versions said `RSS state is RSS_IDLE` for `FUS state is FUS_IDLE`.
      const value = (fus[2] ?? '').replace(/^RSS_/, 'FUS_');
      const isState = (fus[1] ?? '').toLowerCase() === 'state';
      if (isState && !FUS_STATE_NAMES.has(value)) {
        problem({ kind: 'unknown-fus-state', line, message: `FUS state ${JSON.stringify(value)} is not a state copro knows (${[...FUS_STATE_NAMES].join(', ')}): ${JSON.stringify(line)}` });
      }
      if (!isState && !fusStatusKnown(value)) {
        problem({ kind: 'unknown-fus-status', line, message: `FUS status ${JSON.stringify(value)} is not a status copro knows: ${JSON.stringify(line)}` });
      }
      if (isState) {
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
      block.words.forEach((word, i) => {
        const address = (block.address + i * 4) >>> 0;
        const before = wordLine.get(address);
        if (before && before.word !== word) {
          problem({ kind: 'conflicting-value', line, message: `two different values for 0x${address.toString(16).toUpperCase().padStart(8, '0')} in one output: ${JSON.stringify(before.line)} and ${JSON.stringify(line)}` });
        } else if (!before) {
          wordLine.set(address, { word, line });
        }
      });
      r.r32.push(block);
      r.events.push({ kind: 'r32', block });
      continue;
    }

    const success = successOf(line);
    if (success) {
      openError = undefined;
      r.successes.push(success);
      r.events.push({ kind: 'success', success, text: line });
      continue;
    }

    if (/^Succeeded to set nSWboot0=/i.test(line) || /FUS_Operator\.bin/i.test(line)) {
      r.events.push({ kind: 'fus-operator', text: line });
      continue;
    }

    if (BARE_ERRORS.some((re) => re.test(canon))) {
      addError(line);
      continue;
    }

    current = line;
    if (parseHeaderLine(line, header, headerChanged)) {
      openError = undefined;
      continue;
    }

    if (NOISE.some((re) => re.test(canon))) {
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
  for (const p of checkMeaning(r, options, headerLine)) problem(p);
  return r;
}

/** `changed` is told which field a line set and what it held before (to find contradictions). */
function parseHeaderLine(line: string, header: () => ConnectHeader, changed: (key: keyof ConnectHeader, before: unknown) => void): boolean {
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
  const key0 = field === 'usb' || field === 'ignore' ? undefined : field;
  const before = key0 === undefined ? undefined : h[key0];
  try {
    return setHeaderField(h, field, key, value);
  } finally {
    if (key0 !== undefined) changed(key0, before);
  }
}

function setHeaderField(h: ConnectHeader, field: keyof ConnectHeader | 'usb' | 'ignore', key: string, value: string): boolean {
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
      // The DBGMCU device id is 12 bits, printed `0x495` or `0x0495` (public CLI log: community custom wb55cc fwdelete, 14, 16): anything
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
/** The 32-bit word read at `address`, from any r32 block of the result. */
export function wordAt(result: Pick<CliResult, 'r32'>, address: number): number | undefined {
  for (const b of result.r32) {
    const i = (address - b.address) / 4;
    if (Number.isInteger(i) && i >= 0 && i < b.words.length) return b.words[i];
  }
  return undefined;
}

