/**
 * The line vocabulary of STM32_Programmer_CLI output: how a raw line is cleaned, and which lines are header fields,
 * noise, bare errors or success claims (cli-transcripts/). parse.ts walks the output with it.
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

/** Lines that carry no meaning for copro (progress, echo of what is being done, timings). */
export const NOISE: RegExp[] = [
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
];

export const SUCCESS: Array<[RegExp, SuccessKind]> = [
  [/^Firmware Upgrade Success/i, 'fw-upgrade'],
  [/^Firmware delete (finished|Success)/i, 'fw-delete'],
  [/^FusStartWS activated successfully/i, 'start-ws'],
  [/^StartFus activated successfully/i, 'start-fus'],
  [/^Option Bytes successfully programmed/i, 'option-bytes'],
  [/^File download complete/i, 'download-complete'],
  [/^Download verified successfully/i, 'download-verified'],
  [/^[\w ]+ command execution finished$/i, 'command-finished'],
];

export const FUS_STATE_NAMES = new Set(['FUS_IDLE', 'FUS_ERROR', 'FUS_SERVICE_ONGOING', 'FUS_UPGRADE_ONGOING', 'WIRELESS_STACK_UPGRADE_ONGOING']);

export type Section = 'body' | 'ob' | 'list-dfu' | 'list-stlink' | 'list-uart' | 'list-other';
