/**
 * A FUS operation takes time on the chip: from FW_UPGRADE / FW_DELETE until FUS is done, a read sees it in progress
 * (FUS_GET_STATE answers the ongoing state, the info table is not the end state), not the result. The model applies
 * the result when the command ends (the host waited for it); `busy` records the window, so a reader that comes
 * earlier in device time (its host was killed or aborted while waiting: see advanceClock) sees the work going on.
 */
import type { SimBoard } from '../../../generated/sim-board.js';
import type { FusStatus, Run } from './types.js';

export type Busy = NonNullable<SimBoard['busy']>;

/** InfoStack type codes FUS 2.x shows while it saves and restores the stack's NVM around an upgrade (STM32CubeWB shci.h). */
export const INFO_STACK_TYPE_NVM_BACKUP = 0xf0;
export const INFO_STACK_TYPE_NVM_RESTORE = 0xf1;

/** The operation in progress at device time `now` (the board's clock by default), or undefined. */
export function busyAt(b: Pick<SimBoard, 'busy' | 'clock'>, now: number = b.clock.ms): Busy | undefined {
  const busy = b.busy;
  return busy && now >= busy.startMs && now < busy.untilMs ? busy : undefined;
}

/**
 * Where FUS is inside a busy window. fidelity: BUSY-NVM. FUS 2.x keeps the BLE pairing data across a stack upgrade
 * (STM32CubeWB v1.22.1/v1.23.0 release notes: "Pairing/bonding data preservation (NVM) while FW Upgrade is
 * processed"); shci.h names the phases INFO_STACK_TYPE_NVM_BACKUP (0xF0) and _NVM_RESTORE (0xF1). Assumption: backup
 * takes the first quarter of the window and restore the last (an info-table dump polled during a v1.24 upgrade would
 * settle the split).
 */
export function busyPhase(busy: Busy, now: number): 'nvm-backup' | 'install' | 'nvm-restore' | 'delete' | 'fus-update' {
  if (busy.operation === 'delete') return 'delete';
  if (busy.state === 'FUS_UPGRADE_ONGOING') return 'fus-update';
  if (!busy.nvm) return 'install';
  const quarter = (busy.untilMs - busy.startMs) / 4;
  if (now < busy.startMs + quarter) return 'nvm-backup';
  if (now >= busy.untilMs - quarter) return 'nvm-restore';
  return 'install';
}

/** What FUS_GET_STATE answers while busy (the ongoing state, no error). */
export function busyStatus(busy: Busy): FusStatus {
  return { state: busy.state, error: 'NO_ERROR' };
}

/** Records the window of the operation that started at `startMs` and ends now. */
export function recordBusy(run: Run, operation: Busy['operation'], state: Busy['state'], startMs: number, nvm = false): void {
  run.b.busy = { operation, state, startMs, untilMs: run.now(), ...(nvm ? { nvm: true } : {}) };
}
