/**
 * What a failed step means when power may have been lost during it, and the one outcome copro must remember
 * across runs: FUS damaged for good. Pure (the memory's file I/O is in board-memory.ts).
 *
 * ST lists what a power cut during a FUS operation leads to at the next boot (community threads "Wireless
 * stack update process fault recovery", td-p/272587, and "STM32WB5MMG power removed while updating FUS",
 * m-p/106679): FUS resumes and completes; or it finds the staged image corrupted, erases it and reports an
 * error; or the option bytes are corrupted (safeboot); or, during a FUS update, FUS itself is damaged for
 * good: the stack still runs, every later install fails with FUS_STATE_ERR_UNKNOWN.
 */
import type { BoardState } from '../generated/board-state.js';
import type { Step } from '../planner/types.js';

/** Where to go when FUS is damaged: only ST can say more about a given chip. */
export const ST_SUPPORT = 'ST\'s online support (https://www.st.com/content/st_com/en/support/support-home.html, "Online support" case) or the ST community forum "STM32 MCUs Wireless", with the chip\'s UID64 and the transcript of this run';

const FUS_STEPS: ReadonlySet<Step['kind']> = new Set(['fus-upgrade', 'stack-install', 'safeboot-install', 'stack-delete']);

/** A failure that looks like the board lost power or its connection in the middle of the step. */
export function looksLikePowerLoss(code: string | undefined, message: string): boolean {
  return /^(POWER_LOSS|NOT_POWERED|NOT_REACHABLE|DISCONNECTED|CONNECTION_LOST|NO_BOARD|TIMEOUT)$/.test(code ?? '') || /power (was )?lost|unplugged|no power|disconnected|did not come back|not re-?enumerated|lost the connection/i.test(message);
}

/** What to tell the person after a FUS step cut by a power loss or unplug: what FUS does at the next boot, and what to run. */
export function powerLossAdvice(step: Step, code: string | undefined, message: string): string | undefined {
  if (!FUS_STEPS.has(step.kind) || !looksLikePowerLoss(code, message)) return undefined;
  const fus = step.kind === 'fus-upgrade';
  const outcomes =
    'it finishes the operation, or finds the staged image corrupted and erases it (then run `copro apply` again: it re-reads the board and installs again), ' +
    'or the option bytes are corrupted and CPU2 boots safeboot (`copro doctor` shows it, with the recovery path)' +
    (fus ? ', or FUS itself is damaged for good (copro says so if the next attempt fails that way)' : '');
  return `If the board lost power or was unplugged during this step, FUS decides at the next boot: ${outcomes}. Keep the board on a stable supply and run \`copro apply\` again.`;
}

export interface FusDamage {
  /** The FUS version the damaged FUS still reports. */
  fusVersion: string;
  /** The version its update was meant to reach. */
  attempted: string;
  at: string;
  evidence: string;
}

/**
 * A failed FUS update after which FUS, read back, answers FUS_STATE_ERR_UNKNOWN while the board still reports the
 * old FUS: what ST describes for a FUS damaged by a power cut during its update (every install then fails that
 * way). Judged by the read-back only: the tool's text is evidence, not proof (its wording differs by version, and
 * the same words come from a FUS command sent while the stack runs), so `errorText` is only recorded.
 */
export function fusDamageFrom(step: Step, errorText: string, after: BoardState | undefined, now: Date): FusDamage | undefined {
  if (step.kind !== 'fus-upgrade' || !after) return undefined;
  if (after.fus.error !== 'ERR_UNKNOWN') return undefined;
  const before = step.requires.fusVersion;
  if (after.fus.version === 'unknown' || (before !== undefined && after.fus.version !== before)) return undefined;
  return { fusVersion: after.fus.version, attempted: step.expect.fusVersion ?? 'newer', at: now.toISOString(), evidence: `${after.fus.state}/${after.fus.error}: ${errorText}`.slice(0, 300) };
}

/** The diagnosis of a damaged FUS, for apply's failure message and `copro doctor`. */
export function fusDamageDiagnosis(d: FusDamage, memoryFile?: string): string {
  return [
    `FUS is damaged: its update to ${d.attempted} failed with FUS_STATE_ERR_UNKNOWN and the chip still reports FUS ${d.fusVersion} (first seen ${d.at}).`,
    'This is what a power cut during a FUS update leaves behind: the current wireless stack keeps running and the application can still be updated, but no FUS update or wireless stack install can succeed on this chip any more, so copro will not try again.',
    `There is no remedy copro or STM32CubeProgrammer can apply; the only path is ${ST_SUPPORT}.`,
    memoryFile ? `(If ST repairs the chip or you want copro to try once more, delete ${memoryFile}.)` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
