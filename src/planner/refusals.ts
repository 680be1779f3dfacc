/**
 * Refusals: a plan that will not touch the board says why (code, message), what to do (remedy) and which
 * rule or report stands behind it (source). Internally the planner throws `Refused` and `plan()` turns it
 * into a Plan with status 'refused'.
 */
import type { Refusal } from './types.js';

export type RefusalCode =
  | 'FUS_DOWNGRADE'
  | 'FUS_UPGRADE_FORBIDDEN'
  | 'NO_FUS_PATH'
  | 'IMAGE_MISSING'
  | 'IMAGE_WRONG_FAMILY'
  | 'ADDRESS_OVERLAPS_APPLICATION'
  | 'ADDRESS_INVALID'
  | 'RDP_NOT_LEVEL0'
  | 'ANTI_ROLLBACK_WITHOUT_STACK'
  | 'ANTI_ROLLBACK_FUS_TOO_OLD'
  | 'ANTI_ROLLBACK_ACTIVE_BLOCKS'
  | 'SAFEBOOT'
  | 'DEVICE_AMBIGUOUS'
  | 'DEVICE_MISMATCH'
  | 'STATE_UNKNOWN'
  | 'TARGET_INVALID'
  | 'TOOL_TOO_OLD'
  | 'SWD_APPLICATION_LOSS'
  | 'STACK_TOO_BIG'
  | 'NO_USB_DFU'
  | 'ANTI_ROLLBACK_NOT_ON_DRIVER';

export function refusal(code: RefusalCode, message: string, remedy: string, source: string): Refusal {
  return { code, message, remedy, source };
}

export class Refused extends Error {
  constructor(readonly refusals: Refusal[]) {
    super(refusals.map((r) => `${r.code}: ${r.message}`).join('; '));
    this.name = 'Refused';
  }
}

export function refuse(code: RefusalCode, message: string, remedy: string, source: string): never {
  throw new Refused([refusal(code, message, remedy, source)]);
}
