/**
 * Verification by read-back: a step is done only when the board, read again, shows what the step
 * expects. Never the tool's exit code or text STM32CubeProgrammer CLI, UM2237: exit code 0 has been seen after a
 * failure; public field reports: "not authentic" printed although FUS did upgrade).
 */
import type { BoardState } from '../generated/board-state.js';
import type { Expectation, Step } from '../planner/types.js';
import type { Device } from '../domain/devices.js';
import { compareVersions } from '../domain/version.js';
import { hex, parseHex } from '../domain/hex.js';

export interface Mismatch {
  field: string;
  expected: unknown;
  actual: unknown;
}

/** What the board shows against what a step expects; empty when everything matches. Pure. */
export function compareWithExpectation(expect: Expectation, state: BoardState): Mismatch[] {
  const out: Mismatch[] = [];
  const check = (field: string, expected: unknown, actual: unknown) => {
    if (expected !== undefined && expected !== actual) out.push({ field, expected, actual });
  };
  check('cpu2', expect.cpu2, state.cpu2);
  check('fus.version', expect.fusVersion, state.fus.version);
  check('stack.status', expect.stackStatus, state.stack.status);
  if (expect.stackStatus !== 'none') {
    check('stack.version', expect.stackVersion, state.stack.version);
    // The type is unreadable in FUS mode (STM32CubeWB release notes and AN5185, reading versions): an "unknown" read-back is not a mismatch, only a
    // known different type is. The runner reports it as unverified instead.
    if (expect.stackType !== undefined && state.stack.type !== 'unknown' && state.stack.type !== null) {
      check('stack.type', expect.stackType, state.stack.type);
    }
    check('stack.running', expect.stackRunning, state.stack.running);
  }
  check('antiRollback', expect.antiRollback, state.antiRollback);
  if (expect.optionBytes) {
    const ob = state.optionBytes;
    for (const [k, v] of Object.entries(expect.optionBytes)) {
      check(`optionBytes.${k}`, v, ob === 'unknown' ? 'unknown' : ob[k as keyof typeof ob]);
    }
  }
  if (expect.applicationSha256 !== undefined) check('application.sha256', expect.applicationSha256, state.application.sha256 ?? 'unknown');
  return out;
}

/** Expected fields the read-back could not confirm (e.g. stack type in FUS mode): reported, not failed. */
export function unverifiedFields(expect: Expectation, state: BoardState): string[] {
  const out: string[] = [];
  if (expect.stackType !== undefined && (state.stack.type === 'unknown' || state.stack.type === null) && expect.stackStatus !== 'none') out.push('stack.type');
  return out;
}

export function formatMismatches(ms: Mismatch[]): string {
  return ms.map((m) => `${m.field}: expected ${JSON.stringify(m.expected)}, board shows ${JSON.stringify(m.actual)}`).join('; ');
}

/** FUS 2.x's NVM area below a "FUS_v2 only" stack, and below legacy stacks once one was installed (STM32CubeWB v1.23.0 release notes). */
const NVM_AREA = 0x4000;

/**
 * Where FUS puts the stack a `stack-install` step wrote: right below FUS ("the secure flash just fits what is
 * needed", ST on community.st.com m-p/252073), ceil(size / page) pages, 0x4000 lower for a "FUS_v2 only" image
 * (release notes v1.22.1) and, on FUS 2.x, possibly for a legacy one too (v1.23.0). FUS ignores the address the
 * image was written to (it searches for a footer below SFSA), so this, not the step's address, is what the
 * read-back must show. Pure.
 */
export function expectedStackStarts(step: Pick<Step, 'kind' | 'image' | 'expect'>, device: Device): number[] {
  const img = step.image;
  if (step.kind !== 'stack-install' || !img) return [];
  const base = device.top - Math.ceil(img.size / device.pageSize) * device.pageSize - (img.fusV2Only ? NVM_AREA : 0);
  const fus2 = step.expect.fusVersion !== undefined && compareVersions(step.expect.fusVersion, '2.0.0') >= 0;
  return !img.fusV2Only && fus2 ? [base, base - NVM_AREA] : [base];
}

/**
 * Checks that FUS installed the image the step wrote, not a leftover below SFSA (FUS installs the first footer it
 * finds there): the version and type are compared by `compareWithExpectation`; this adds where the stack starts,
 * which tells its size when its type cannot be read (FUS mode). Empty when it matches or cannot be read (then
 * `installAddressUnread` says so).
 */
export function installedImageMismatches(step: Pick<Step, 'kind' | 'image' | 'expect'>, state: BoardState, device: Device | undefined): Mismatch[] {
  if (step.kind !== 'stack-install' || !device || state.stack.status !== 'installed' || state.stack.installAddress === undefined) return [];
  const starts = expectedStackStarts(step, device);
  const at = parseHex(state.stack.installAddress);
  if (starts.length === 0 || (at !== undefined && starts.includes(at))) return [];
  return [{ field: 'stack.installAddress', expected: starts.map((a) => hex(a)).join(' or '), actual: state.stack.installAddress }];
}

/** stack-install: the install address was not in the read-back (option bytes unreadable), so the check above could not run. */
export function installAddressUnread(step: Pick<Step, 'kind'>, state: BoardState): boolean {
  return step.kind === 'stack-install' && state.stack.status === 'installed' && state.stack.installAddress === undefined;
}
