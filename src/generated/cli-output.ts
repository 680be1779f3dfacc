/* Generated from schemas/cli-output.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * What `copro plan --json` and `copro status --json` print on stdout: one JSON document of the same shape whatever the number of boards (`boards` always a list, one entry per board), or, when the command fails before it has a result, an `error` (the one-line summary also goes to stderr). `copro apply --json` prints events instead (schemas/events.schema.json), its errors as an `error` event.
 */
export type CliOutput = PlanOutput | StatusOutput | ErrorOutput;

export interface PlanOutput {
  schemaVersion: 1;
  command: 'plan';
  /**
   * One entry per board planned, in the order they were read (one entry with `--state`).
   */
  boards: BoardPlan[];
}
export interface BoardPlan {
  /**
   * The board's serial number as the tool reports it (upper-case); with `--state`, the snapshot's file name.
   */
  board: string;
  plan: Plan;
}
/**
 * The ordered steps that take a board from its current state to a manifest's target, or the refusal that says why not. Printed by `copro plan --json` as `boards[i].plan` (schemas/cli-output.schema.json).
 */
export interface Plan {
  schemaVersion: 1;
  /**
   * up-to-date: nothing to do; changes: steps to run; refused: see refusals, nothing will be touched.
   */
  status: 'up-to-date' | 'changes' | 'refused';
  device: string;
  from: Summary;
  target: Summary;
  steps: Step[];
  refusals: Refusal[];
  warnings: string[];
  /**
   * Where ST's sources are unsure, the choice made.
   */
  assumptions: string[];
}
/**
 * This interface was referenced by `Plan`'s JSON-Schema
 * via the `definition` "summary".
 *
 * This interface was referenced by `Plan1`'s JSON-Schema
 * via the `definition` "summary".
 */
export interface Summary {
  /**
   * FUS version or range.
   */
  fus: string;
  /**
   * e.g. BLE_Stack_full 1.24.0, or none.
   */
  stack: string;
  antiRollback?: boolean;
}
/**
 * This interface was referenced by `Plan`'s JSON-Schema
 * via the `definition` "step".
 *
 * This interface was referenced by `Plan1`'s JSON-Schema
 * via the `definition` "step".
 */
export interface Step {
  n: number;
  kind:
    | 'start-fus'
    | 'fus-upgrade'
    | 'stack-delete'
    | 'stack-install'
    | 'safeboot-install'
    | 'start-stack'
    | 'restore-option-bytes'
    | 'flash-application'
    | 'anti-rollback';
  title: string;
  image?: Image;
  address?: string;
  reason: string;
  /**
   * The ST rule the step follows, with its source.
   */
  rule: string;
  requires: Expectation;
  expect: Expectation;
  irreversible: boolean;
  warnings: string[];
}
/**
 * This interface was referenced by `Plan`'s JSON-Schema
 * via the `definition` "image".
 *
 * This interface was referenced by `Plan1`'s JSON-Schema
 * via the `definition` "image".
 */
export interface Image {
  name: string;
  path?: string;
  sha256: string;
  size: number;
  kind: 'fus' | 'stack' | 'safeboot';
  stackType?: string;
  version: string;
  fusV2Only?: boolean;
  /**
   * file: a local file identified by content; catalog: an ST image to fetch; stand-in: a simulated image (simulator only).
   */
  origin: 'file' | 'catalog' | 'stand-in';
  releases?: string[];
  /**
   * Not one of ST's published images (the manifest says so with images.files[].notST); its version is its footer's claim, not an ST release.
   */
  notST?: boolean;
  /**
   * ST's file name of this image is taken by a local file with other content (path, its sha256, what it is): the image is present-but-different, never replaced by a stand-in; apply refuses with expected and actual sha256.
   */
  nameTakenBy?: {
    path: string;
    sha256: string;
    what: string;
  };
}
/**
 * This interface was referenced by `Plan`'s JSON-Schema
 * via the `definition` "expectation".
 *
 * This interface was referenced by `Plan1`'s JSON-Schema
 * via the `definition` "expectation".
 */
export interface Expectation {
  cpu2?: 'fus' | 'stack';
  fusVersion?: string;
  stackStatus?: 'none' | 'installed';
  stackVersion?: string;
  stackType?: string;
  stackRunning?: boolean;
  antiRollback?: 'active' | 'inactive';
  optionBytes?: {
    nSWboot0?: 0 | 1;
    nBOOT0?: 0 | 1;
    nBOOT1?: 0 | 1;
  };
  applicationSha256?: string;
  /**
   * fus-upgrade / stack-install: where copro wrote the image; the read-back checks FUS installed that image (not a stale one below SFSA).
   */
  installAddress?: string;
  /**
   * fus-upgrade / stack-install: the sha256 of the image written at installAddress (a stand-in's own).
   */
  imageSha256?: string;
  /**
   * stack-install: the installed stack is a "FUSv2 only" image (footer magic 0xB10C8B99); with FUS 2.x the 16 KB NVM area then lies below it.
   */
  stackFusV2Only?: boolean;
}
/**
 * This interface was referenced by `Plan`'s JSON-Schema
 * via the `definition` "refusal".
 *
 * This interface was referenced by `Plan1`'s JSON-Schema
 * via the `definition` "refusal".
 */
export interface Refusal {
  code: string;
  message: string;
  remedy: string;
  source: string;
}
export interface StatusOutput {
  schemaVersion: 1;
  command: 'status';
  boards: BoardStatus[];
}
export interface BoardStatus {
  /**
   * The board's serial number (upper-case), or the serial port for UART.
   */
  board: string;
  state: BoardState;
  plan?: Plan1;
}
/**
 * What a driver can know about an STM32WB coprocessor, and what it cannot ("unknown", never a guess). Written by `copro status --save`, read by `copro plan --state` and `copro sim reset --state`.
 */
export interface BoardState {
  $schema?: string;
  schemaVersion: 1;
  source: {
    driver: 'simulator' | 'cubeprogrammer' | 'bootloader' | 'snapshot';
    transport: 'usb' | 'swd' | 'uart' | 'simulated';
    /**
     * ISO 8601 time of the read-back.
     */
    readAt?: string;
    /**
     * STM32CubeProgrammer version that read it, when known.
     */
    toolVersion?: string;
  };
  device: {
    /**
     * 0x495 (WB5x/WB3x) or 0x494 (WB1x).
     */
    deviceId: string;
    flashSizeKB: number;
    /**
     * Device key of ST's release-note tables, or unknown when the read-back is ambiguous (WB5x and WB3x share id 0x495).
     */
    key:
      | 'STM32WB5xxG_1M'
      | 'STM32WB5xxY_640K'
      | 'STM32WB5xxE_512K'
      | 'STM32WB5xxC_256K'
      | 'STM32WB3xxE_512K'
      | 'STM32WB3xxC_256K'
      | 'STM32WB1xxC_320K'
      | 'unknown';
    uid64: string;
    /**
     * ST-LINK or USB DFU serial number; null in simulation without one.
     */
    probeSerial: string | null;
  };
  /**
   * What CPU2 runs: FUS, the wireless stack, or nothing usable (safeboot / corrupted option bytes).
   */
  cpu2: 'fus' | 'stack' | 'safeboot' | 'unknown';
  fus: {
    /**
     * This interface was referenced by `BoardState`'s JSON-Schema
     * via the `definition` "versionOrUnknown".
     */
    version: string;
    state:
      | 'FUS_IDLE'
      | 'WIRELESS_STACK_UPGRADE_ONGOING'
      | 'FUS_UPGRADE_ONGOING'
      | 'FUS_SERVICE_ONGOING'
      | 'FUS_ERROR'
      | 'unknown';
    /**
     * SHCI error name (NO_ERROR, IMG_NOT_FOUND, ...), or unknown.
     */
    error: string;
    /**
     * FUS 2.x's 16 KB NVM area: present once a "FUS_v2 only" binary (footer magic 0xB10C8B99) has been installed, kept by FW_DELETE; from then on legacy binaries' install addresses are also corrected by -0x4000 (STM32CubeWB v1.23.0 release notes). Absent from a read: unknown (the planner then picks the safe, lower address and says so).
     */
    nvmArea?: 'present' | 'absent' | 'unknown';
  };
  stack: {
    status: 'none' | 'installed' | 'unknown';
    /**
     * x.y.z of the installed stack; null when none.
     */
    version: string | null;
    build?: number;
    /**
     * Stack type name (BLE_Stack_full, ...); unknown in FUS mode unless recorded from the install; null when none.
     */
    type: string | null;
    running: boolean | 'unknown';
    /**
     * This interface was referenced by `BoardState`'s JSON-Schema
     * via the `definition` "address".
     */
    installAddress?: string;
    /**
     * The installed image has the FUSv2-only magic 0xB10C8B99.
     */
    fusV2Only?: boolean;
  };
  optionBytes:
    | 'unknown'
    | {
        /**
         * 0xAA = level 0.
         */
        rdp: string;
        /**
         * Secure flash start, a page index (0xF4 on a 1M part = no stack).
         */
        sfsa: string;
        /**
         * CPU2 boot vector, in words from the flash base.
         */
        sbrv: string;
        nSWboot0: 0 | 1;
        nBOOT0: 0 | 1;
        nBOOT1: 0 | 1;
        ese?: 0 | 1;
      };
  antiRollback: 'active' | 'inactive' | 'unknown';
  application: {
    present: boolean | 'unknown';
    /**
     * Of the application region as read back, when known.
     */
    sha256?: string;
    /**
     * The SWD FUS operator overwrote 0x08000000..0x08001FFF.
     */
    clobberedByFusOperator?: boolean;
  };
  /**
   * What could not be read, and why.
   */
  notes: string[];
}
/**
 * The ordered steps that take a board from its current state to a manifest's target, or the refusal that says why not. Printed by `copro plan --json` as `boards[i].plan` (schemas/cli-output.schema.json).
 */
export interface Plan1 {
  schemaVersion: 1;
  /**
   * up-to-date: nothing to do; changes: steps to run; refused: see refusals, nothing will be touched.
   */
  status: 'up-to-date' | 'changes' | 'refused';
  device: string;
  from: Summary;
  target: Summary;
  steps: Step[];
  refusals: Refusal[];
  warnings: string[];
  /**
   * Where ST's sources are unsure, the choice made.
   */
  assumptions: string[];
}
export interface ErrorOutput {
  schemaVersion: 1;
  /**
   * The subcommand that failed (`copro` when none was recognised).
   */
  command: string;
  error: CliErrorInfo;
}
export interface CliErrorInfo {
  /**
   * The exit code's meaning (docs/exit-codes.md).
   */
  kind: 'board-failed' | 'refused' | 'invalid-input' | 'environment' | 'not-confirmed' | 'internal' | 'interrupted';
  /**
   * The process's exit code.
   */
  exitCode: number;
  /**
   * What went wrong, as on stderr, without the `copro:` prefix.
   */
  message: string;
  /**
   * What to do about it, as the `  remedy:` line on stderr says.
   */
  remedy?: string;
  /**
   * Manifest errors, one per problem, at their file, line and column.
   */
  issues?: {
    file: string;
    line: number;
    column: number;
    message: string;
    /**
     * What to do about it.
     */
    remedy?: string;
  }[];
}
