/* Generated from schemas/sim-board.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "deviceKey".
 */
export type DeviceKey =
  | 'STM32WB5xxG_1M'
  | 'STM32WB5xxY_640K'
  | 'STM32WB5xxE_512K'
  | 'STM32WB5xxC_256K'
  | 'STM32WB3xxE_512K'
  | 'STM32WB3xxC_256K'
  | 'STM32WB1xxC_320K';
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "attachment".
 */
export type Attachment =
  | {
      transport: 'usb';
      serial: string;
    }
  | {
      transport: 'swd';
      probeSerial: string;
      probeFirmware: string;
      accessPort: number;
      boardName: string;
      /**
       * The probe enumerates but cannot be opened (ST-LINK error DEV_CONNECT_ERR, public CLI log: github pcb util readme v2.17 list connect error).
       */
      connectError?: boolean;
      /**
       * The probe is there but sees no target (unpowered, unwired).
       */
      targetAbsent?: boolean;
    }
  | {
      transport: 'uart';
      /**
       * /dev/ttyACM0, COM3...
       */
      port: string;
      description: string;
      manufacturer: string;
    };
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "version".
 */
export type Version = string;
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "fusError".
 */
export type FusError =
  | 'NO_ERROR'
  | 'IMG_NOT_FOUND'
  | 'IMG_CORRUPT'
  | 'IMG_NOT_AUTHENTIC'
  | 'IMG_NOT_ENOUGH_SPACE'
  | 'IMAGE_USRABORT'
  | 'IMAGE_ERSERROR'
  | 'IMAGE_WRTERROR'
  | 'AUTH_TAG_ST_NOTFOUND'
  | 'AUTH_TAG_CUST_NOTFOUND'
  | 'AUTH_KEY_LOCKED'
  | 'FW_ROLLBACK_ERROR'
  | 'STATE_NOT_RUNNING'
  | 'ERR_UNKNOWN';
/**
 * What a power loss during a FUS operation leads to at the next boot (ST, community td-p/272587 and m-p/106679): FUS resumes and completes; the staged image is found corrupt, erased, error reported; the option bytes are corrupt (safeboot); FUS itself damaged for good (FUS update only).
 *
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "powerLossOutcome".
 */
export type PowerLossOutcome = 'resume' | 'image-corrupt' | 'ob-corrupt' | 'fus-damaged';
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "fault".
 */
export type Fault =
  | {
      kind: 'power-loss' | 'unplug';
      /**
       * download:<percent>, install, delete, reset or ob-load (option byte reload).
       */
      at: string;
      outcome?: PowerLossOutcome;
      /**
       * Picks the outcome when none is given (seed mod the outcomes possible at that point).
       */
      seed?: number;
    }
  | {
      kind:
        | 'hung-cli'
        | 'usb-gone'
        | 'corrupt-option-bytes'
        | 'exit-0-after-error'
        | 'fus-053-not-authentic-quirk'
        | 'erase-fail';
      /**
       * Stays armed after it fired (default: fires once).
       */
      persistent?: boolean;
    }
  | {
      kind: 'usb-late';
      /**
       * USB DFU comes back this many (modelled) seconds after the next reset.
       */
      seconds: number;
    };

/**
 * One simulated STM32WB board as the simulator persists it (`.copro/sim/<serial>.json`): everything the chip, its FUS and its flash hold, plus armed faults, counters and a simulated clock. Addresses, option bytes and words are plain integers. Written only by src/drivers/simulator/store.ts.
 */
export interface SimBoard {
  $schema?: string;
  schemaVersion: 1;
  /**
   * The board's name in its folder (file <serial>.json): its USB DFU serial, or its probe serial.
   */
  serial: string;
  device: {
    key: DeviceKey;
    /**
     * 0x495 (WB5x/WB3x) or 0x494 (WB1x).
     */
    deviceId: number;
    flashSizeKB: number;
    uid64: string;
    /**
     * Revision ID as CubeProgrammer prints it (Rev Y).
     */
    revision: string;
    /**
     * Level of the BOOT0 pin (jumper): with nSWboot0=1 it selects the ROM bootloader (USB DFU).
     */
    boot0Pin: 0 | 1;
    /**
     * Target voltage the probe reports.
     */
    voltage: number;
    /**
     * How the host can reach the board: USB DFU, an ST-LINK probe (SWD), a UART port.
     */
    attachments: Attachment[];
  };
  /**
   * False after an armed power loss / unplug; the next connection powers the board again (and FUS resumes what was interrupted).
   */
  powered: boolean;
  /**
   * What CPU2 runs: FUS, the installed wireless stack (or safeboot image), or the hardware safeboot (corrupted option bytes, SFSA=0 SBRV=0x3FC00).
   */
  cpu2: 'fus' | 'stack' | 'safeboot';
  /**
   * Why CPU2 is locked for good (WB5xxC/E on FUS 0.5.3/1.0.1 asked for anything but a FUS update, ST v1.1.1 note); null when not.
   */
  lockedUp: string | null;
  fus: {
    version: Version;
    /**
     * What the next FUS_GET_STATE answers while FUS runs (sticky until read).
     */
    state: 'FUS_IDLE' | 'WIRELESS_STACK_UPGRADE_ONGOING' | 'FUS_UPGRADE_ONGOING' | 'FUS_SERVICE_ONGOING' | 'FUS_ERROR';
    error: FusError;
    /**
     * FUS_GET_STATE commands in a row; the second while the stack runs resets the chip into FUS.
     */
    consecutiveGetState: number;
  };
  /**
   * FUS device info table words at 0x20030024 that are not derived from the rest (STM32CubeWB release notes and AN5185, reading versions; FUS 1.1.x dump in public FUS dumps).
   */
  infoTable: {
    word04: number;
    safebootVersionWord: number;
    fusMemorySizeWord: number;
    deviceInfoWord: number;
  };
  /**
   * The installed wireless stack (or safeboot image) in the secure area; null when none.
   */
  stack: null | InstalledImage;
  /**
   * Image bytes written below SFSA for FUS to find (FUS searches flash; the address argument is ignored).
   */
  staged: StagedImage[];
  application: {
    present: boolean;
    start: number;
    size: number;
    sha256: string | null;
    /**
     * CubeProgrammer's SWD FUS operator overwrote the start of the application area (0x08000000: 8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions; sectors 0-3 on a WB1x).
     */
    clobberedByFusOperator: boolean;
    /**
     * Staged image bytes were written over part of it.
     */
    overwritten: boolean;
  };
  fusOperator: {
    /**
     * 0x495_FUS_Operator.bin sits at 0x08000000.
     */
    inFlash: boolean;
    /**
     * What the operator last wrote at 0x20010010 (FUS version) and 0x20010014 (stack version); stale until it runs again (public field reports).
     */
    sram1: null | {
      fusVersionWord: number;
      stackVersionWord: number;
    };
  };
  /**
   * A connection under reset cleared SRAM2a: the info table reads 0 until CPU2 runs again (public CLI log: code string literals from parsers f).
   */
  sram2aCleared: boolean;
  optionBytes: {
    /**
     * 0xAA = level 0.
     */
    rdp: number;
    /**
     * Secure flash start page; only FUS moves it.
     */
    sfsa: number;
    /**
     * CPU2 boot vector in words from the flash base.
     */
    sbrv: number;
    nSWboot0: 0 | 1;
    nBOOT0: 0 | 1;
    nBOOT1: 0 | 1;
    ese: 0 | 1;
  };
  antiRollback:
    | {
        state: 'inactive';
      }
    | {
        state: 'active';
        /**
         * Version word registered at activation: the installed stack's, or 0xFFFFFFFF when activated with no stack (AN5185 §2.4: no stack can ever be installed).
         */
        floorWord: number;
      };
  /**
   * User keys stored in FUS; a FUS update deletes them.
   */
  userKeys: number;
  customerAuthKey: 'none' | 'installed' | 'locked';
  /**
   * A FUS operation interrupted by power loss; FUS resumes it at the next boot.
   */
  pending: null | {
    operation: 'install' | 'delete' | 'option-bytes';
    staged?: StagedImage;
    outcome?: PowerLossOutcome;
  };
  /**
   * Simulated time from which USB DFU enumerates again after a reset; null: it never comes back (until a power cycle).
   */
  usbAvailableAtMs: number | null;
  faults: Fault[];
  /**
   * What was done to the board, for tests and rehearsals to read (plan/status/doctor must leave every counter but connections unchanged).
   */
  counters: {
    resets: number;
    connections: number;
    cliProcesses: number;
    fusCommands: number;
    usbReenumerations: number;
    /**
     * CPU2 (re)boots: every chip reset and power-on boots it once.
     */
    cpu2Boots: number;
    /**
     * CubeProgrammer's SWD FUS operator written to 0x08000000 (costs the application's first sectors and nSWboot0).
     */
    fusOperatorLoads: number;
    /**
     * FUS_GET_STATE commands sent (two in a row while the stack runs reset the chip into FUS).
     */
    fusGetStates: number;
    /**
     * Option byte programming sequences (OBL_LAUNCH), from the host or the operator.
     */
    optionByteWrites: number;
    /**
     * Flash pages erased, by area.
     */
    pageErases: {
      /**
       * Pages of the application area (CPU1 code from 0x08000000: application writes, CubeProgrammer's SWD operator).
       */
      application: number;
      /**
       * Pages below SFSA written/erased for FUS to find an image (stageImage).
       */
      staging: number;
      /**
       * Pages FUS erased/programmed in the secure area (installs, deletes).
       */
      secure: number;
    };
    /**
     * Flash pages programmed, by area.
     */
    pageWrites: {
      /**
       * Pages of the application area (CPU1 code from 0x08000000: application writes, CubeProgrammer's SWD operator).
       */
      application: number;
      /**
       * Pages below SFSA written/erased for FUS to find an image (stageImage).
       */
      staging: number;
      /**
       * Pages FUS erased/programmed in the secure area (installs, deletes).
       */
      secure: number;
    };
  };
  clock: {
    /**
     * Monotonic simulated time (modelled device milliseconds).
     */
    ms: number;
    /**
     * Wall-clock epoch ms of the last save (real time since then counts, scaled by COPRO_SIM_SPEED).
     */
    wallAt: number;
  };
  /**
   * Recent things the board did on its own (FUS resumed an install at boot...).
   */
  notes: string[];
  /**
   * Why FUS itself is damaged for good (power lost during a FUS update: SBRV stuck, the stack still runs, every install fails with FUS_STATE_ERR_UNKNOWN); null when intact.
   */
  fusDamaged: string | null;
  /**
   * A FUS_v2-only image (footer magic 0xB10C8B99) has been installed on this chip: FUS 2.x keeps a 16 KiB NVM area below the stack from then on, also for legacy images and after FW_DELETE (STM32CubeWB v1.23.0 release notes).
   */
  fusV2OnlyInstalled: boolean;
  /**
   * CPU2 was switched to FUS (two FUS_GET_STATE, an install, a delete) and boots FUS at every reset and power cycle until FUS_START_WS (or the stack's own request).
   */
  fusRequested: boolean;
  /**
   * A FUS operation still running on the chip (the host stopped waiting): reads see it in progress until untilMs.
   */
  busy: null | {
    operation: 'install' | 'delete';
    state: 'WIRELESS_STACK_UPGRADE_ONGOING' | 'FUS_UPGRADE_ONGOING' | 'FUS_SERVICE_ONGOING';
    startMs: number;
    untilMs: number;
    /**
     * FUS 2.x backs up and restores the stack's NVM (pairing data) around this install (InfoStack type 0xF0 NVM_BACKUP / 0xF1 NVM_RESTORE).
     */
    nvm?: boolean;
    staged?: StagedImage;
  };
}
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "installedImage".
 */
export interface InstalledImage {
  kind: 'stack' | 'safeboot';
  version: Version;
  build: number;
  versionWord: number;
  memorySizeWord: number;
  /**
   * Stack type name (BLE_Stack_full...), as recorded from the install.
   */
  type: string | null;
  /**
   * InfoStack type code the running stack reports.
   */
  typeCode: number | null;
  fusV2Only: boolean;
  /**
   * Start of the installed image (= SFSA page address).
   */
  address: number;
  /**
   * Pages the secure area holds for it (image pages, plus 4 for a FUSv2-only image).
   */
  pages: number;
  sha256: string;
  name: string;
}
/**
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "stagedImage".
 */
export interface StagedImage {
  address: number;
  /**
   * Bytes actually written (less than the file after a power loss mid-download).
   */
  size: number;
  /**
   * Of the whole file that was being written.
   */
  sha256: string;
  name: string;
  complete: boolean;
  /**
   * null when FUS would find no footer (not an image, or a partial write).
   */
  image: null | ImageView;
}
/**
 * What FUS can learn from an image in flash: its footer, and whether its signature is one it accepts.
 *
 * This interface was referenced by `SimBoard`'s JSON-Schema
 * via the `definition` "imageView".
 */
export interface ImageView {
  kind: 'fus' | 'stack' | 'safeboot' | 'other';
  version: Version;
  build?: number;
  versionWord: number;
  memorySizeWord: number;
  imageMagic: number;
  fusV2Only: boolean;
  /**
   * Flash pages from the footer's memorySize.
   */
  pages: number;
  /**
   * Which authentication tag the signature footer carries; none: a footer without any signature (FUS answers AUTH_TAG_ST_NOTFOUND).
   */
  signature: 'st' | 'customer' | 'none';
  /**
   * st: a catalog image (genuine ST); simulated: an intact copro stand-in (genuine for the simulator); forged: anything else.
   */
  authenticity: 'st' | 'simulated' | 'forged';
  /**
   * For the two FUS 1.2.0 images (told apart by sha256 only).
   */
  fusVariant: 'for-fus-0.5.3' | 'from-fus-1.x' | null;
  stackType: string | null;
  families: ('STM32WB5x' | 'STM32WB3x' | 'STM32WB1x')[];
  /**
   * The ST image it is, or stands in for.
   */
  catalogSha256?: string;
}
