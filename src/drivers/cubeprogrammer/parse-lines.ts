/**
 * The line vocabulary of STM32_Programmer_CLI output: how a raw line is cleaned, and which lines are header fields,
 * noise, bare errors or success claims (public CLI logs). parse.ts walks the output with it.
 */
import type { ConnectHeader, SuccessKind } from './parse-types.js';

// ---------------------------------------------------------------------------------------------- lines

export const TIMESTAMP = /^\d{2}:\d{2}:\d{2}(?:[:.]\d{3})?\s*(?::\s?)?/;
/** A progress bar, ASCII or block characters (mis-decoded as ± on some code pages), with an optional percentage. */
export const PROGRESS = /^\s*(?:\[[=>\s.]*\]|[█▒▓░±■]+)\s*(?:\d{1,3}\s*%)?\s*/;

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

export const HEADER_KEYS: Record<string, keyof ConnectHeader | 'usb' | 'ignore'> = {
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

/**
 * A line with the wording differences between CubeProgrammer versions taken out, for matching known messages:
 * runs of whitespace, space before punctuation (`Reconnected !`), trailing ellipses, `!` and `.`
 * (`Memory Programming ...`, `Flash already empty !`, `Serial Port COM3 is successfully opened.`).
 * Public logs show both forms of each (fixtures/variants/ name where).
 */
export function canonical(line: string): string {
  return line
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .replace(/ +([!.,:;])/g, '$1')
    .replace(/[\s.!]+$/, '')
    .trim();
}

/**
 * Words that turn a success into something else. A success message is recognised only when none of them is in
 * the line: tolerant of a trailing clause (`Firmware Upgrade Success, stack started`), strict about meaning
 * (`Firmware Upgrade Success: not verified` is no success).
 */
export const NEGATIVE = /\b(?:not|no|never|none|fail(?:s|ed|ure)?|errors?|abort(?:ed)?|unable|cannot|can't|couldn't|won't|incomplete|invalid|denied|refused|timeout|timed out|lost|ko|partial(?:ly)?|skipped|unsuccessful(?:ly)?|corrupt(?:ed)?|unknown)\b/i;

/** Lines that carry no meaning for copro (progress, echo of what is being done, timings), in canonical form. */
export const NOISE: RegExp[] = [
  /^-{5,}$/,
  /^Memory Programming$/i,
  /^Opening and parsing file: /i,
  /^(File|Size|Address:?|Bank)\s*:/i,
  /^Erasing memory corresponding to segment \d+:?$/i,
  /^Erasing internal memory sectors \[\d+ \d+\]$/i,
  /^erasing sector \d+ @: 0x[0-9a-f]+ done$/i,
  /^Not flash Memory: No erase done$/i,
  /^Download in Progress:?$/i,
  /^Time elapsed during /i,
  /^Success with Time elapsed during Reconnect/i,
  /^Reading 32-bit memory content$/i,
  /^UPLOADING( OPTION BYTES DATA)?$/i,
  /^PROGRAMMING OPTION BYTES AREA$/i,
  /^OPTION BYTE PROGRAMMING VERIFICATION:?$/i,
  /^Read progress:?$/i,
  /^Reading data$/i,
  /^Data read successfully$/i,
  /^r ap \d+ @0x[0-9a-f]+ /i,
  /^DFU (status|State) = \d+$/i,
  /^Reconnecting$/i,
  /^Reconnected$/i,
  /^Disconnected$/i,
  // v2.10 GUI log after "Connection to device 0x495 is lost" (community.st.com m-p/605983); the loss itself is not noise.
  /^Disconnected from device$/i,
  /^Old (wireless stack|Firmware) delete$/i,
  /^Deleting firmware$/i,
  /^Download (firmware|Stack\/FUS) image at address 0x[0-9a-f]+$/i,
  /^Firmware Upgrade process started$/i,
  /^Updating firmware$/i,
  /^Waiting for firmware upgrade end$/i,
  /^Application is running, Please Hold on$/i,
  /^(Software|Hard) reset is performed$/i,
  /^Verifying$/i,
  /^Downloading \d+-bit data$/i,
  /^Downloading \d+-bit data done successfully$/i,
  /^start operation achieved successfully$/i,
  /^RUNNING Program$/i,
  /^Debug in Low Power mode enabled$/i,
  /^Debug in Low Power mode is not supported for this device$/i,
  /^Serial Port \S+ is successfully opened$/i,
  /^Port configuration: /i,
  /^stop-bit = /i,
  /^Activating device: OK$/i,
  // UART retries the tool makes itself (qa-community.st.com 129741, community.st.com m-p/685233); a failure follows as its own line.
  /^Reemission of \w+ command$/i,
  /^Retrying UART init connection$/i,
  /^flash loader .* is loaded$/i,
  /^Remove bank\d+ protection and erase all$/i,
  /^OPTION BYTES BANK: ?\d+$/i,
  // `-l`: interface titles and counts
  /^No STM32 device in DFU mode connected$/i,
  /^Total number of available STM32 device in DFU mode: ?\d+$/i,
  /^-+ Connected ST-LINK Probes List -+$/i,
  /^Total number of serial ports available: ?\d+$/i,
];

/** Failure lines the GUI and some versions print without an `Error:` prefix (canonical form). */
export const BARE_ERRORS: RegExp[] = [
  /^erasing sector \d+ @: 0x[0-9a-f]+ failed$/i,
  /^sector \d+ does not exist$/i,
  /^Operation exceeds memory limits$/i,
  /^failed to erase memory$/i,
  /^Option Byte Programming failed/i,
  /^Failed to set nSWboot0=/i,
  /^Expected value for Option Byte /i,
  /^Downloading \d+-bit data failed/i,
  /^ST-LINK error \(.*\)$/i,
  // The UART bootloader stopped answering (community.st.com m-p/167616, m-p/685233; qa-community.st.com 129741).
  /^Timeout error occur+ed while waiting for acknowledgement/i,
  /^No response from target/i,
  // v2.3 UART (community.st.com 0D50X0000C9h1fV).
  /^failed to read the requested memory content/i,
  /^Could not read flash size at address/i,
];

/** Success messages (canonical form), matched from the start of the line; see `successOf`. */
export const SUCCESS: Array<[RegExp, SuccessKind]> = [
  [/^Firmware Upgrade Success(?:ful(?:ly)?)?/i, 'fw-upgrade'],
  [/^Firmware delete (?:finished|Success(?:ful(?:ly)?)?)/i, 'fw-delete'],
  [/^FusStartWS activated successfully/i, 'start-ws'],
  [/^StartFus activated successfully/i, 'start-fus'],
  [/^Option Bytes? successfully programmed/i, 'option-bytes'],
  [/^File download complete(?:d)?/i, 'download-complete'],
  [/^Download verified successfully/i, 'download-verified'],
  [/^[\w ]+ command execution finished/i, 'command-finished'],
];

/**
 * The success a line claims, if any: a known message at the start, then nothing or a clause after a separator,
 * and no word of NEGATIVE anywhere in the line.
 */
export function successOf(line: string): SuccessKind | undefined {
  const c = canonical(line);
  if (NEGATIVE.test(c)) return undefined;
  for (const [re, kind] of SUCCESS) {
    const m = re.exec(c);
    if (!m) continue;
    const tail = c.slice(m[0].length);
    if (tail === '' || /^[\s,:;(-]/.test(tail)) return kind;
  }
  return undefined;
}

/** Warnings that mean no failure (public CLI log: community reserved message fus upgrade swd, 06, 11; community.st.com td-p/689083), canonical form. */
export const BENIGN_WARNINGS: RegExp[] = [
  /^Option Byte: \w+, value: 0x[0-9a-f]+, was not modified$/i,
  /^Option Bytes are unchanged, Data won't be downloaded$/i,
  /^FUS_STATE_IMG_NOT_FOUND, Flash already empty$/i,
];

/**
 * A warning whose words say something failed is an error, whatever the prefix: v2.19 prints
 * `Warning: Firmware upgrade Error!` after FUS_IMAGE_NOT_FOUND (qa-community.st.com 150494), v2.10
 * `Warning: Connection to device 0x495 is lost` (community.st.com m-p/605983).
 */
export function warningIsFailure(text: string): boolean {
  const c = canonical(text);
  if (BENIGN_WARNINGS.some((re) => re.test(c))) return false;
  return /\b(?:errors?|fail(?:s|ed|ure)?|lost|not authentic|corrupt(?:ed)?|abort(?:ed)?|timeout|timed out|refused|denied)\b/i.test(c);
}

export const FUS_STATE_NAMES = new Set(['FUS_IDLE', 'FUS_ERROR', 'FUS_SERVICE_ONGOING', 'FUS_UPGRADE_ONGOING', 'WIRELESS_STACK_UPGRADE_ONGOING']);

export type Section = 'body' | 'ob' | 'list-dfu' | 'list-stlink' | 'list-uart' | 'list-other';
