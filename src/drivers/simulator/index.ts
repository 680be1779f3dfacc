/** The simulated STM32WB: a pure FUS/chip model, its persisted board store, timing, faults, and the Driver over them. */
export type { SimBoard, ImageView, StagedImage, InstalledImage, Attachment, Fault } from '../../generated/sim-board.js';
export {
  apply,
  applyAll,
  fusUpgradeRefusal,
  fusInfoTable,
  sfsaAddress,
  SimModelError,
  type SimCommand,
  type SimContext,
  type SimEvent,
  type SimOutcome,
  type SimResult,
  type SimErrorCode,
  type FusStatus,
  type FlashWrite,
  type OptionBytesRequest,
  type ConnectMode,
} from './model.js';
export { TIMING, modelledDuration, simSpeed, sleepModelled, wallMs, reconnectMs, downloadMs } from './timing.js';
export { parseFault, armFault, disarmFaults, describeFault, hasFault, consumeFault, FaultSyntaxError } from './faults.js';
export {
  defaultSimDir,
  boardFile,
  listSimulatedBoards,
  readSimulatedBoard,
  writeSimulatedBoard,
  withBoard,
  lockBoard,
  advanceClock,
  resetBoard,
  resetFleet,
  fleetSerial,
  firstOrDefaultBoard,
  SimStoreError,
  type BoardChange,
  type LockOptions,
} from './store.js';
export { makeBoard, defaultBoard, fromBoardState, toBoardState, serialFor, probeSerialFor, DEFAULT_SERIAL, type BoardSpec } from './convert.js';
export { upgradeBoard, zeroCounters } from './model/upgrade.js';
export { viewImage, viewOfIdentity, type ViewedBytes } from './image-view.js';
export { fusAreaStart, secureStart, isSafebootOptionBytes, bootsRomBootloader } from './layout.js';
export { SimulatorDriver, createSimulatorDriver, driverErrorOf, type SimulatorDriverOptions } from './driver.js';

import type { AttachedBoard } from '../driver.js';
import { listSimulatedBoards as list } from './store.js';

/** `copro devices --simulate`: the boards of a folder as attached boards. */
export async function listAttachedSimulatedBoards(dir: string): Promise<AttachedBoard[]> {
  return (await list(dir)).map((serial) => ({ transport: 'simulated' as const, serial, description: `simulated STM32WB board ${serial}` }));
}
