/**
 * The planner's inputs and outputs. `plan()` is pure: the same BoardState, Target and images give the
 * same Plan, with no I/O. Plan/Step/Refusal are derived from schemas/plan.schema.json.
 */
import type { BoardState } from '../generated/board-state.js';
import type { Plan } from '../generated/plan.js';
import type { DeviceKey } from '../domain/devices.js';
import type { AvailableImage } from '../images/types.js';
import type { Transport } from '../drivers/driver.js';

export type { Plan };
export type Step = Plan['steps'][number];
export type Refusal = Plan['refusals'][number];
export type StepKind = Step['kind'];
export type Expectation = Step['expect'];

/** What the manifest asks for, resolved (paths absolute, names parsed); see manifest/resolve. */
export interface Target {
  /** From the manifest; when absent the board's own (unambiguous) key is used. */
  device?: DeviceKey;
  /** Semver range or exact version; `latest`; or `keep` (change FUS only when a stack requires it). */
  fus: string;
  /** `none`: no stack wanted; undefined: leave the stack as it is. */
  stack?: { type: string; range: string } | 'none';
  policy: {
    fusUpgrade: 'allow' | 'forbid';
    antiRollback: boolean;
    swdApplicationLoss: 'refuse' | 'reflash' | 'accept';
    restoreOptionBytes: boolean;
  };
  /** The user's application region [start, end) and the file to re-flash, if any. */
  application?: { start: number; end: number; file?: string; fileSha256?: string; address: number };
  /** How the board is reached: transport restrictions depend on it (STM32CubeProgrammer CLI, UM2237). */
  transport: Transport;
  /** STM32CubeProgrammer version, when a real driver is used (FUS 2.x over SWD needs >= 2.20). */
  toolVersion?: string;
  /**
   * Plan with simulated stand-in images although the state comes from the CubeProgrammer driver: only
   * when that driver runs the fake STM32_Programmer_CLI (COPRO_ALLOW_STANDIN_IMAGES=1). Never on hardware.
   */
  allowStandIns?: boolean;
}

export interface PlanInput {
  state: BoardState;
  target: Target;
  /** Every image copro could use: local files identified by content, catalog images, stand-ins. */
  images: readonly AvailableImage[];
}
