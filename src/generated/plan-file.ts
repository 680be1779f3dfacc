/* Generated from schemas/plan-file.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * A reviewed plan, written by `copro plan <manifest> --out plan.json` and carried out by `copro apply plan.json` (as `terraform plan -out` / `terraform apply planfile`). apply reads every board again and runs only if the plan it computes is this one, step for step and image for image; otherwise it refuses (exit 3) and shows the difference.
 */
export interface PlanFile {
  planFileVersion: 1;
  /**
   * ISO 8601.
   */
  createdAt: string;
  /**
   * The copro version that made the plan.
   */
  copro: string;
  manifest: {
    /**
     * The manifest, relative to the plan file's folder.
     */
    path: string;
    /**
     * The manifest's bytes when the plan was made: apply refuses if they changed.
     */
    sha256: string;
  };
  connection: {
    /**
     * Planned on simulated boards (`--simulate`).
     */
    simulated: boolean;
    port: string;
  };
  /**
   * @minItems 1
   */
  boards: [
    {
      /**
       * The board's serial number (upper-case).
       */
      board: string;
      plan: Plan;
      state: BoardState;
    },
    ...{
      /**
       * The board's serial number (upper-case).
       */
      board: string;
      plan: Plan;
      state: BoardState;
    }[]
  ];
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
 */
export interface Refusal {
  code: string;
  message: string;
  remedy: string;
  source: string;
}
/**
 * The read the plan was made from.
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
