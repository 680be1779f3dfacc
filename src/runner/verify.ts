/**
 * Verification by read-back: a step is done only when the board, read again, shows what the step
 * expects. Never the tool's exit code or text STM32CubeProgrammer CLI, UM2237: exit code 0 has been seen after a
 * failure; public field reports: "not authentic" printed although FUS did upgrade).
 */
import type { BoardState } from '../generated/board-state.js';
import type { Expectation } from '../planner/types.js';

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
