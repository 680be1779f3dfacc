/**
 * The pure model of an STM32WB's coprocessor side: `apply(board, command, ctx) -> { board, events, outcome }`.
 * No I/O, no clock reads, no Node modules (it runs in a browser too): the board carries its own simulated
 * clock, advanced by the modelled duration of each command's events (timing.ts). The store, the driver and
 * the fake STM32_Programmer_CLI sit on top.
 *
 * One file per part of the chip: power.ts (power, resets, connections, boot), fus.ts (FUS state machine,
 * delete, start stack, anti-rollback, keys), operator.ts (CubeProgrammer's SWD FUS operator), flash.ts
 * (erase/write below SFSA), install.ts (FW_UPGRADE: authentication, upgrade graph, placement),
 * option-bytes.ts, memory.ts (what a 32-bit read sees). Every rule cites its source; where the sources say
 * nothing, the choice is marked "Assumption" (docs/fidelity.md lists them all).
 */
export { apply, applyAll } from './apply.js';
export {
  SimModelError,
  fusVersionWord,
  type ConnectMode,
  type SimContext,
  type FusStatus,
  type FlashWrite,
  type OptionBytesRequest,
  type SimCommand,
  type Cpu2Mode,
  type SimEvent,
  type SimErrorCode,
  type SimOutcome,
  type SimResult,
} from './types.js';
export { fusUpgradeRefusal } from './install.js';
export { normalise } from './fus.js';
export { fusInfoTable, sfsaAddress } from './memory.js';
