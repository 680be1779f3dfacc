/* Generated from schemas/board-state.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * This interface was referenced by `BoardState`'s JSON-Schema
 * via the `definition` "versionOrUnknown".
 */
export type VersionOrUnknown = string;
/**
 * This interface was referenced by `BoardState`'s JSON-Schema
 * via the `definition` "address".
 */
export type Address = string;

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
    version: VersionOrUnknown;
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
    version: VersionOrUnknown | null;
    build?: number;
    /**
     * Stack type name (BLE_Stack_full, ...); unknown in FUS mode unless recorded from the install; null when none.
     */
    type: string | null;
    running: boolean | 'unknown';
    installAddress?: Address;
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
     * The SWD FUS operator overwrote the start of the application area (0x08000000: 8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions; sectors 0-3 on a WB1x).
     */
    clobberedByFusOperator?: boolean;
  };
  /**
   * What could not be read, and why.
   */
  notes: string[];
}
