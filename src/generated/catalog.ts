/* Generated from schemas/catalog.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "sha256".
 */
export type Sha256 = string;
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "hex32".
 */
export type Hex32 = string;
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "family".
 */
export type Family = 'STM32WB5x' | 'STM32WB3x' | 'STM32WB1x';
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "releaseTag".
 */
export type ReleaseTag = string;
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
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
 * Every coprocessor image ST published in STM32CubeWB (FUS, wireless stacks, safeboot), one record per distinct content (sha256). Built by scripts/build-catalog.mjs from st-copro-images.json; shipped as binaries/catalog.json. The images themselves are ST's (SLA0044) and are not redistributed.
 */
export interface Catalog {
  schemaVersion: 1;
  about: string;
  /**
   * The reference file the catalog was built from.
   */
  source: {
    file: string;
    sha256: Sha256;
  };
  /**
   * The newest STM32CubeWB release the catalog covers.
   */
  latestRelease: string;
  /**
   * STM32CubeWB release tag -> commit and date.
   */
  releases: {
    [k: string]: CatalogRelease;
  };
  /**
   * Device key -> the parts and release-note table column it stands for.
   */
  deviceKeys: {
    [k: string]: string;
  };
  images: CatalogImage[];
}
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "release".
 */
export interface CatalogRelease {
  commit: string;
  date: string;
}
/**
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "image".
 */
export interface CatalogImage {
  sha256: Sha256;
  size: number;
  kind: 'fus' | 'stack' | 'safeboot';
  /**
   * Stack type name (as in ST's file names); null for FUS and safeboot.
   */
  stackType: string | null;
  version: string;
  /**
   * release-notes: the footer cannot say (blank 0xFFFFFFFF word of FUS 1.2.0, or no footer).
   */
  versionSource: 'footer' | 'release-notes';
  versionSourceDetail: string | null;
  /**
   * The version as the release-notes table writes it (e.g. V1.0.0 for the FUS 1.2.0 image for FUS 0.5.3, an ST inconsistency).
   */
  versionNotes: string | null;
  footer: CatalogFooter;
  /**
   * Every file name ST shipped this content under, oldest first.
   *
   * @minItems 1
   */
  names: [string, ...string[]];
  /**
   * @minItems 1
   */
  families: [Family, ...Family[]];
  /**
   * Release tags that shipped this content, oldest first.
   *
   * @minItems 1
   */
  releases: [ReleaseTag, ...ReleaseTag[]];
  latestRelease: ReleaseTag;
  /**
   * The release notes' compatibility column as written ('FUS_v2 only', '-', ...). Use the footer magic, not this text (rules §4).
   */
  fusCompatibility: string | null;
  installAddress: CatalogInstallAddress;
  /**
   * Download URL pinned to the release commit.
   */
  rawUrl: string;
}
/**
 * The image's trailer as recorded from the real file (AN5185 image footer). valid=false: no signature trailer (the v1.5.0 FUS).
 *
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "footer".
 */
export interface CatalogFooter {
  valid: boolean;
  imageMagic: Hex32 | null;
  imageMagicName: ('STACK' | 'FUS' | 'OTHER' | 'STACK_FUSV2_ONLY' | 'SAFEBOOT_V2') | null;
  versionWord: Hex32 | null;
  flashPages: number | null;
  sram1KB: number | null;
  sram2aKB: number | null;
  sram2bKB: number | null;
  info1: Hex32 | null;
  signatureMagic: Hex32;
  /**
   * The 20 bytes at size-104 (info1, info2, memorySize, version, magic; little-endian).
   */
  imageFooterHex: string | null;
  /**
   * The last 20 bytes of the file.
   */
  signatureFooterHex: string;
}
/**
 * Install address per device from the release-notes table of the latest release that shipped this content; null = the table says the image is not for that device.
 *
 * This interface was referenced by `Catalog`'s JSON-Schema
 * via the `definition` "installAddress".
 */
export interface CatalogInstallAddress {
  STM32WB5xxG_1M?: Hex32 | null;
  STM32WB5xxY_640K?: Hex32 | null;
  STM32WB5xxE_512K?: Hex32 | null;
  STM32WB5xxC_256K?: Hex32 | null;
  STM32WB3xxE_512K?: Hex32 | null;
  STM32WB3xxC_256K?: Hex32 | null;
  STM32WB1xxC_320K?: Hex32 | null;
}
