/**
 * How a given STM32CubeProgrammer version prints things (cli-transcripts/ are the truth; STM32WB.md §7:
 * "Output differs by CubeProgrammer version"). Each switch cites the transcripts that fix it; where the
 * version a change happened in is not known, the threshold is a guess and says so.
 */
import { normalise } from '../../src/drivers/simulator/model.js';
import { compareVersions } from '../../src/domain/version.js';

export type Platform = 'windows' | 'linux' | 'macos';

export interface Style {
  version: string;
  platform: Platform;
  at(least: string): boolean;
}

export function makeStyle(version: string, platform: Platform): Style {
  const v = normalise(version);
  return { version: v, platform, at: (least) => compareVersions(v, normalise(least)) >= 0 };
}

export function platformFromEnv(env: NodeJS.ProcessEnv): Platform {
  const p = env.COPRO_FAKE_CLI_PLATFORM?.toLowerCase();
  if (p === 'windows' || p === 'linux' || p === 'macos') return p;
  return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macos' : 'linux';
}

const DASHES = '      ' + '-'.repeat(67);

/** Banner: 6 spaces + 67 dashes; the title is indented 23 spaces on Windows (cli-transcripts/14, 16) and 24 with trailing spaces on Linux (09, 17, 23). */
export function banner(s: Style): string[] {
  const title = s.platform === 'windows' ? `${' '.repeat(23)}STM32CubeProgrammer v${s.version}` : `${' '.repeat(24)}STM32CubeProgrammer v${s.version}${' '.repeat(18)}`;
  return [DASHES, title, DASHES, ''];
}

/** 50-char progress bar: block characters on Windows, `[=====] 100% ` elsewhere (cli-transcripts/09, 14, 23). */
export function progressBar(s: Style): string {
  return s.platform === 'windows' ? `${'█'.repeat(50)} 100%` : `[${'='.repeat(50)}] 100% `;
}

export function flashSizeText(kb: number): string {
  return kb >= 1024 && kb % 1024 === 0 ? `${kb / 1024} MBytes` : `${kb} KBytes`;
}

/**
 * File sizes: `24492 Bytes` (v2.3-v2.5, cli-transcripts/14, 19), `8 KBytes` (v2.7/v2.8, 06 and 11), `8.00 KB` /
 * `127.05 KB` (newer: 13, P43; v2.15 in 28 A). Reconstructed (a guess): the switch to `x.xx KB` happened at 2.10.
 */
export function fileSizeText(s: Style, bytes: number): string {
  if (s.at('2.10.0')) return bytes >= 1024 ? `${(bytes / 1024).toFixed(2)} KB` : `${bytes} Bytes`;
  if (s.at('2.6.0') && bytes % 1024 === 0) return `${bytes / 1024} KBytes`;
  return `${bytes} Bytes`;
}

/** Device name line: STM32WBxx (v2.2, v2.5), STM32WB55xx (v2.4 over SWD), STM32WB5x (v2.7, v2.8), STM32WB5x/35xx (v2.17). */
export function deviceName(s: Style, deviceId: number, transport: 'usb' | 'swd' | 'uart'): string {
  if (deviceId === 0x494) return s.at('2.7.0') ? 'STM32WB1x' : 'STM32WBxx'; // reconstructed (a guess): no WB1x transcript
  if (!s.at('2.7.0')) return transport === 'swd' && s.at('2.4.0') && !s.at('2.5.0') ? 'STM32WB55xx' : 'STM32WBxx';
  // reconstructed (a guess): the /35xx suffix appeared between 2.8 and 2.17.
  return s.at('2.15.0') ? 'STM32WB5x/35xx' : 'STM32WB5x';
}

/** Device CPU line: `Cortex-M0+/M4` up to v2.5, `Cortex-M4` from v2.7 (cli-transcripts/06, 11). */
export function deviceCpu(s: Style): string {
  return s.at('2.7.0') ? 'Cortex-M4' : 'Cortex-M0+/M4';
}

/** "Old Firmware delete ..." (v2.2, v2.3: 14, 24 B) vs "Old wireless stack delete ..." (v2.4, v2.7: 02, 06). */
export function oldDeleteLine(s: Style): string {
  return s.at('2.4.0') ? 'Old wireless stack delete ...' : 'Old Firmware delete ...';
}

/**
 * Whether FUS state/status pairs are printed while the tool waits for FUS, and the delete is reported as
 * "Deleting firmware ... / Firmware delete finished" (USB v2.3 and v2.5: 01, 14) rather than
 * "Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty ! / Firmware delete Success" (SWD v2.7: 06; USB in P43, ~v2.19).
 * Reconstructed (a guess): USB switched with v2.7 too.
 */
export function verboseFusPolling(s: Style, transport: 'usb' | 'swd' | 'uart'): boolean {
  return transport !== 'swd' && !s.at('2.7.0');
}

/** "Download firmware image at address 0x80ec000 ..." (v2.3: lower case), "... 0x8056000 " (v2.7), "Download Stack/FUS image at address 0x80D4000 ..." (newer: P43, P28; guess 2.10). */
export function downloadLine(s: Style, address: number): string {
  if (!s.at('2.4.0')) return `Download firmware image at address 0x${address.toString(16)} ...`;
  if (!s.at('2.10.0')) return `Download firmware image at address 0x${address.toString(16).toUpperCase()} `;
  return `Download Stack/FUS image at address 0x${address.toString(16).toUpperCase()} ...`;
}

/** CubeProgrammer's FUS operator file (cli-transcripts/24 B: `FUS_Operator.bin` in v2.2; 06, 11, 13: `0x495_FUS_Operator.bin`). */
export function operatorFile(s: Style, deviceId: number): string {
  return s.at('2.4.0') ? `0x${deviceId.toString(16)}_FUS_Operator.bin` : 'FUS_Operator.bin';
}

/** `Error: No STM32 target found!` gained a Debug Authentication suffix by v2.17 (cli-transcripts/16; the 2.15 threshold is reconstructed, a guess). */
export function noTargetLine(s: Style): string {
  return s.at('2.15.0')
    ? 'Error: No STM32 target found! If your product embeds Debug Authentication, please perform a discovery using Debug Authentication'
    : 'Error: No STM32 target found!';
}

/** `-l`: J-Link section (v2.17, not v2.2: 16, 17; reconstructed threshold 2.15, a guess); probe Access Port / Board Name lines (v2.17, not v2.2; reconstructed threshold 2.10, a guess). */
export function listsJLink(s: Style): boolean {
  return s.at('2.15.0');
}
export function listsProbeDetails(s: Style): boolean {
  return s.at('2.10.0');
}

/** "Time elapsed during option Bytes configuration" (v2.18: 23; GUI 13). */
export function printsObTime(s: Style): boolean {
  return s.at('2.18.0');
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** `00:00:03.537` */
export function elapsed(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const sec = Math.floor((t % 60_000) / 1000);
  const milli = t % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(milli).padStart(3, '0')}`;
}
