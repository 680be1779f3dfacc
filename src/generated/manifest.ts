/* Generated from schemas/manifest.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * A copro manifest: the FUS and wireless stack a team wants on its STM32WB boards, where the images come from, how to reach the boards, and what copro may do. Checked into the repo as copro.yaml.
 */
export interface CoproManifest {
  /**
   * Editor hint (yaml-language-server); ignored by copro.
   */
  $schema?: string;
  /**
   * Manifest format version. Always 1 for this copro.
   */
  version: 1;
  /**
   * A name for reports.
   */
  name?: string;
  /**
   * Part number (STM32WB55RG, STM32WB5MMG, STM32WB15CC...) or device key (STM32WB5xxG_1M), or `detect` to take it from the board (refused where WB5x/WB3x are ambiguous). Default: detect.
   */
  device?: string;
  /**
   * FUS target: an exact version (2.2.0), a semver range (>=2.1.0), `latest`, or `keep` (never update FUS unless the stack needs it and policy allows). FUS can never be downgraded, and no FUS older than 0.5.3 exists. Default: `latest` when a stack is given, else `keep`.
   */
  fus?: string;
  /**
   * Wireless stack target, or `none` to leave CPU2 without a stack. Absent: leave the stack as it is.
   */
  stack?:
    | 'none'
    | {
        /**
         * Stack type as in ST's file names: BLE_Stack_full, BLE_HCILayer, Thread_FTD, Zigbee_FFD, ...
         */
        type: string;
        /**
         * Exact version (1.24.0), semver range (^1.23.0) or `latest`.
         */
        version: string;
      };
  /**
   * Where images come from; files are identified by content (sha256 + footer), never by name alone.
   */
  images?: {
    /**
     * The STM32CubeWB release (e.g. v1.24.0) every image copro may choose must come from: ST's catalog images and local files alike (a local ST image of another release is not used). Must be a release copro's catalog lists.
     */
    release?: string;
    /**
     * Folder of .bin files, relative to the manifest. Default: the project's binaries/.
     */
    dir?: string;
    /**
     * Local image files to use (relative to the manifest, inside the project). sha256 pins the exact content.
     *
     * @minItems 1
     */
    files?: [
      {
        /**
         * Path of a .bin image, relative to the manifest; must stay inside the project.
         */
        path: string;
        /**
         * Expected sha256 of the file (64 hex digits).
         */
        sha256?: string;
        /**
         * Say that this file is NOT one of ST's published images (a newer ST release copro's catalog does not list yet, or a build of your own): copro cannot check it against ST's catalog, uses it only as a wireless stack and only because it is named here, and never presents its footer version as an ST release. Without it, a file whose sha256 is not in the catalog is refused. A file whose footer claims to be one of ST's published images but whose content differs (a flipped byte, an edited version, bytes appended) is refused whatever this says. Default false.
         */
        notST?: boolean;
      },
      ...{
        /**
         * Path of a .bin image, relative to the manifest; must stay inside the project.
         */
        path: string;
        /**
         * Expected sha256 of the file (64 hex digits).
         */
        sha256?: string;
        /**
         * Say that this file is NOT one of ST's published images (a newer ST release copro's catalog does not list yet, or a build of your own): copro cannot check it against ST's catalog, uses it only as a wireless stack and only because it is named here, and never presents its footer version as an ST release. Without it, a file whose sha256 is not in the catalog is refused. A file whose footer claims to be one of ST's published images but whose content differs (a flipped byte, an edited version, bytes appended) is refused whatever this says. Default false.
         */
        notST?: boolean;
      }[]
    ];
  };
  connection?: {
    /**
     * cubeprogrammer drives a real board through STM32_Programmer_CLI; bootloader talks to the chip's ROM bootloader itself (USB DFU with port: usb, or USART with port: /dev/ttyACM0 / COM3), no STM32CubeProgrammer needed; simulator rehearses on the simulated board. Default: cubeprogrammer.
     */
    driver?: 'cubeprogrammer' | 'bootloader' | 'simulator';
    /**
     * usb1, swd, or a serial device (/dev/ttyACM0, COM3). Default: usb1. With driver: bootloader, usb (any DFU device 0483:DF11, pick one with serial) or a serial device.
     */
    port?: string;
    /**
     * ST-LINK or DFU serial number (sn=). The DFU serial is a reduced chip UID that can collide between boards: copro also reads the 64-bit UID from the chip.
     */
    serial?: string;
    /**
     * SWD connect mode; UR (under reset) is ST's advice for FUS work. Only meaningful with port: swd.
     */
    mode?: 'UR' | 'HOTPLUG' | 'NORMAL';
    /**
     * UART bootloader baud rate (port is a serial device).
     */
    baudrate?: 9600 | 19200 | 38400 | 57600 | 115200 | 230400 | 460800 | 921600;
    /**
     * Path to STM32_Programmer_CLI, if not found on PATH or in the default install folders.
     */
    cubeprogrammer?: string;
    /**
     * Per-call time limit of STM32_Programmer_CLI (it can hang in -fwupgrade).
     */
    timeoutSeconds?: number;
  };
  /**
   * The user's application region (from 0x08000000). copro never writes an image into it, and over SWD re-flashes `file` after CubeProgrammer's FUS operator overwrites its first sectors.
   */
  application?: {
    /**
     * The application binary to re-flash (relative to the manifest).
     */
    file?: string;
    /**
     * Where `file` goes and where the application region starts: 8 hex digits, page-aligned (4 KiB on WB5x/WB3x, 2 KiB on WB1x). Default 0x08000000.
     */
    address?: string;
    /**
     * First address after the application region (exclusive): 8 hex digits, page-aligned, below the flash area CPU2 owns. A stack is never installed below it.
     */
    end: string;
  };
  policy?: {
    /**
     * Whether copro may update FUS (irreversible; erases user keys stored in FUS). Default allow.
     */
    fusUpgrade?: 'allow' | 'forbid';
    /**
     * Activate anti-rollback after the stack is installed and verified (irreversible). Default false.
     */
    antiRollback?: boolean;
    /**
     * Over SWD, CubeProgrammer's FUS operator overwrites the start of the application area (0x08000000: 8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions; sectors 0-3 on a WB1x). refuse (default, unless application.file is set: reflash) / reflash / accept.
     */
    swdApplicationLoss?: 'refuse' | 'reflash' | 'accept';
    /**
     * Restore nSWboot0/nBOOT0/nBOOT1 after SWD FUS work. Default true.
     */
    restoreOptionBytes?: boolean;
  };
  /**
   * A fleet: the boards (by probe/DFU serial) this manifest provisions, concurrently.
   *
   * @minItems 1
   */
  boards?: [
    {
      /**
       * ST-LINK or USB DFU serial number; quote it when it is all digits (a YAML number would lose leading zeros).
       */
      serial: string;
      /**
       * A name for reports (unique in the fleet).
       */
      name?: string;
      /**
       * Port for this board (overrides connection.port).
       */
      port?: string;
    },
    ...{
      /**
       * ST-LINK or USB DFU serial number; quote it when it is all digits (a YAML number would lose leading zeros).
       */
      serial: string;
      /**
       * A name for reports (unique in the fleet).
       */
      name?: string;
      /**
       * Port for this board (overrides connection.port).
       */
      port?: string;
    }[]
  ];
}
