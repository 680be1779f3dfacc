/** Boards saved by an older copro, brought up to the current schema (pure; the store and apply() use it). */
import type { SimBoard } from '../../../generated/sim-board.js';

/** Every counter at zero. */
export function zeroCounters(): SimBoard['counters'] {
  return {
    resets: 0,
    connections: 0,
    cliProcesses: 0,
    fusCommands: 0,
    usbReenumerations: 0,
    cpu2Boots: 0,
    fusOperatorLoads: 0,
    fusGetStates: 0,
    optionByteWrites: 0,
    pageErases: { application: 0, staging: 0, secure: 0 },
    pageWrites: { application: 0, staging: 0, secure: 0 },
  };
}

/**
 * Brings a board saved by an older copro up to the current schema (fields added since are filled with what
 * such a board had: no damage, nothing counted yet). Pure; unknown input is returned as is for the validator.
 */
export function upgradeBoard(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const b = { ...(raw as Record<string, unknown>) };
  const stack = b.stack as { fusV2Only?: boolean } | null | undefined;
  if (!('fusDamaged' in b)) b.fusDamaged = null;
  if (!('fusV2OnlyInstalled' in b)) b.fusV2OnlyInstalled = stack?.fusV2Only === true;
  if (!('fusRequested' in b)) b.fusRequested = b.cpu2 === 'fus' && stack !== null && stack !== undefined;
  if (!('busy' in b)) b.busy = null;
  if (typeof b.counters === 'object' && b.counters !== null) b.counters = { ...zeroCounters(), ...(b.counters as object) };
  return b;
}

/** A typed board with every field of the current schema (for apply(), which may be handed an old literal). */
export function upgradeSimBoard(board: SimBoard): SimBoard {
  return upgradeBoard(board) as SimBoard;
}
