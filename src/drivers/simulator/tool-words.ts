/**
 * What STM32_Programmer_CLI prints when an operation fails, for the simulator driver's reports (issue 14: "the
 * simulator's messages never reveal more than the real tool prints"). A rehearsal must not diagnose better than a
 * real run: the model knows why something failed (a power cut, an armed fault, a damaged FUS, the page that did not
 * erase), the tool only prints FUS's state and error codes and its own fixed wording, and copro has to judge the rest
 * by reading the board back. The texts are those of the fake CLI (test/fake-cubeprogrammer), which takes them from
 * public CubeProgrammer logs or marks them reconstructed; test/simulator/tool-words.test.ts checks both agree.
 * Pure: no Node imports.
 */
import { compareVersions } from '../../domain/version.js';
import { hex } from '../../domain/hex.js';
import type { DriverErrorCode } from '../driver.js';
import { classifyErrorText } from '../cubeprogrammer/report.js';
import { warningIsFailure } from '../cubeprogrammer/parse-lines.js';
import type { SimEvent, SimOutcome } from './model.js';

/** Which part of an operation failed: the tool's words differ between a download and a FUS command. */
export type ToolPhase = 'fus' | 'download' | 'write' | 'erase' | 'option-bytes' | 'delete' | 'read';

export interface ToolStyle {
  /** CubeProgrammer version whose wording to use; undefined: a recent one (the fake CLI's default, 2.17). */
  toolVersion?: string;
  deviceId: number;
  /** Where the flash pages are (for the tool's `erasing sector NNNN @: 0x...` lines). */
  flash?: { base: number; pageSize: number };
}

/** From v2.10 some errors gained a trailing clause ("FUS_STATE_ERR_UNKNOWN: Unknown error"; fake CLI style.ts). */
function modern(s: ToolStyle): boolean {
  if (!s.toolVersion || !/^\d+\.\d+/.test(s.toolVersion)) return true;
  const v = s.toolVersion.split('.').concat('0', '0').slice(0, 3).join('.');
  return compareVersions(v, '2.10.0') >= 0;
}

/** The `Error:` text of a FUS error (public CubeProgrammer logs, as the fake CLI's fusErrorText). */
export function fusErrorLine(error: string, s: ToolStyle): string {
  switch (error) {
    case 'IMG_NOT_AUTHENTIC':
      return 'Error: Firmware not authentic!';
    case 'IMG_NOT_FOUND':
      return modern(s) ? 'Error: FUS_STATE_IMG_NOT_FOUND: Firmware/FUS upgrade requested but no image found. (such as image header corrupted or flash memory corrupted)' : 'Error: FUS_STATE_IMG_NOT_FOUND';
    case 'IMG_NOT_ENOUGH_SPACE':
      return "Error: FUS_STATE_IMG_NO_SPACE: Firmware/FUS upgrade requested, image found and authentic, but there's no space";
    case 'ERR_UNKNOWN':
      return modern(s) ? 'Error: FUS_STATE_ERR_UNKNOWN: Unknown error' : 'Error: FUS_STATE_ERR_UNKNOWN';
    default:
      return `Error: FUS_STATE_${error}`;
  }
}

/** The device stopped answering mid-command (v2.10 GUI log, community.st.com m-p/605983; as the fake CLI's `lost()`). */
export function connectionLostLines(s: ToolStyle): string[] {
  return [`Warning: Connection to device ${hex(s.deviceId, 3).toLowerCase()} is lost`, 'Disconnected from device.'];
}

/** What the tool prints when it cannot connect at all (fake CLI main.ts). */
export function noTargetLines(transport: string, s: ToolStyle): string[] {
  if (transport === 'uart') return ['Error: Activating device: KO. Please, verify the boot mode configuration and check the serial port configuration. Reset your device then try again...'];
  return [modern(s) && transport === 'swd' ? 'Error: No STM32 target found! If your product embeds Debug Authentication, please perform a discovery using Debug Authentication' : 'Error: No STM32 target found!'];
}

/**
 * The lines the tool prints for a failed model outcome in `phase`. Only what the tool can know: FUS's answer, the
 * connection it lost, the sector it could not erase; never the model's reason.
 */
export function toolErrorLines(o: SimOutcome, phase: ToolPhase, s: ToolStyle, events: readonly SimEvent[] = []): string[] {
  const erase = [...events].reverse().find((e): e is Extract<SimEvent, { type: 'erase' }> => e.type === 'erase');
  const f = erase?.failedFromPage;
  // The sector the tool saw fail (community td-p/311243: "erasing sector 0012 @: 0x0800c000 failed").
  const failedSector = f !== undefined && s.flash ? [`erasing sector ${String(f).padStart(4, '0')} @: 0x${(s.flash.base + f * s.flash.pageSize).toString(16).padStart(8, '0')} failed`] : [];
  const downloadTail = phase === 'download' ? ['Error: Failed to download image!'] : ['Error: failed to download Segment[0]', 'Error: failed to download the File'];
  switch (o.error) {
    case 'NOT_POWERED':
    case 'POWER_LOSS':
    case 'TIMEOUT':
    case 'CONNECTION_LOST':
      // public CLI log (github STM32CubeWB issue 6, CubeProgrammer 2.4 over USB): a download cut off ends with the download errors; anything else loses the device.
      if (o.error === 'POWER_LOSS' && phase === 'download') return ['Error: failed to download Segment[0]', 'Error: failed to download the File', 'Error: Failed to download image!'];
      return connectionLostLines(s);
    case 'NOT_REACHABLE':
    case 'NO_TARGET':
      return noTargetLines('usb', s);
    case 'PROBE_ERROR':
      return ['ST-LINK error (DEV_CONNECT_ERR)', 'Error: No ST-Link detected!'];
    case 'STATE_NOT_RUNNING':
    case 'FUS_BUSY':
      return ['Error: Could not start service since FUS is not in IDLE state']; // public CLI log (ST community, "STM32WBxx FUS seems to be deleted", USB DFU)
    case 'LOCKED_UP':
      // public CLI log (ST community, custom STM32WB55CC board, FUS 0.5.3, -fwdelete over USB): the chip locks up during a delete, USB drops, the tool ends without a word.
      return phase === 'delete' ? [] : [fusErrorLine('ERR_UNKNOWN', s)];
    case 'UNSUPPORTED':
      if (phase === 'delete') return ['Error: Firmware delete Operation Failure! Please, try again']; // public field report (CubeProgrammer 2.17, FUS 2.x over ST-LINK)
      return [`Error: ${o.message ?? 'not supported'}`]; // the simulator's own limit (RDP level 2), not a chip behaviour
    case 'OUT_OF_FLASH':
      return ['Operation exceeds memory limits', 'Error: failed to erase memory', ...downloadTail]; // public GUI log (github STM32CubeWB issue 41)
    case 'RDP_PROTECTED':
    case 'WRITE_PROTECTED':
    case 'ERASE_FAILED':
      if (phase === 'erase') return [...failedSector, 'Error: failed to erase memory'];
      return [...failedSector, 'Error: failed to erase memory', ...downloadTail]; // public logs: github STM32CubeWB issues 41 and 6; ST community td-p/865533 (CubeProgrammer 2.20)
    case 'OB_REFUSED':
    case 'OB_FAILED':
      // public GUI log (ST community, "option byte programming failed", STM32WB55RG over SWD): the verification names each option byte that did not take.
      return [
        ...(o.mismatches ?? []).map((m) => `Error: Expected value for Option Byte "${m.name}": 0x${m.expected.toString(16).toUpperCase()}, found: 0x${m.found.toString(16).toUpperCase()}`),
        modern(s) ? 'Error: Option Byte Programming failed Or modified by application after OB_LAUNCH' : 'Error: Option Byte Programming failed',
      ];
    case 'UNMAPPED':
      return ['Error: Data read failed'];
    default:
      return [fusErrorLine(o.error ?? 'ERR_UNKNOWN', s)];
  }
}

/** The DriverErrorCode of the tool's lines, classified exactly as the CubeProgrammer driver classifies them. */
export function errorCodeOfLines(lines: readonly string[]): DriverErrorCode {
  for (const l of lines) {
    const m = /^(Error|Warning):\s*(.*)$/.exec(l);
    if (!m) continue;
    if (m[1] === 'Error' || warningIsFailure(m[2]!)) return classifyErrorText(m[2]!);
  }
  return 'TOOL_ERROR';
}
