/**
 * What copro knows about one coprocessor image, from its content (footer, sha256) and the catalog.
 * Produced by `images/identify`; consumed by the planner, the drivers and `copro identify`.
 */
import type { DeviceKey, Family } from '../domain/devices.js';

export type ImageKind = 'fus' | 'stack' | 'safeboot' | 'other';

/** Image footer magics (AN5185 image footer). */
export const IMAGE_MAGIC = {
  STACK: 0x23372991,
  FUS: 0x32279221,
  OTHER: 0x42769811,
  STACK_FUSV2_ONLY: 0xb10c8b99,
  SAFEBOOT_V2: 0x927a6741,
} as const;

/** Signature footer magics: ST-signed, customer-signed. */
export const SIGNATURE_MAGIC = { ST: 0xd3a12c5e, CUSTOMER: 0xe2b51d4a } as const;

export interface ImageIdentity {
  sha256: string;
  size: number;
  kind: ImageKind;
  /** Stack type name from the catalog or the file name; undefined when it cannot be known. */
  stackType?: string;
  /** Where the stack type came from: the catalog is authoritative, a name is only a claim. */
  stackTypeSource?: 'catalog' | 'file-name' | 'stand-in';
  /** x.y.z; from the footer, or from the catalog where the footer word is blank (FUS 1.2.0). */
  version: string;
  build?: number;
  versionSource: 'footer' | 'catalog';
  /** Footer magic 0xB10C8B99 (stack) or 0x927A6741 (safeboot 2.0.1): needs FUS 2.x. */
  fusV2Only: boolean;
  imageMagic: number;
  versionWord: number;
  memorySizeWord: number;
  flashPages: number;
  signature: 'st' | 'customer' | 'simulated' | 'none';
  families: Family[];
  /** A known ST image: the catalog record's releases and names. */
  catalog?: { releases: string[]; names: string[]; installAddress: Partial<Record<DeviceKey, string>>; rawUrl: string; latestRelease: string };
  /** A deterministic simulated stand-in for a catalog image (accepted by the simulator only). */
  standInFor?: string;
  warnings: string[];
}

/** An image copro may use: its identity and where its bytes are (if they are here at all). */
export interface AvailableImage {
  identity: ImageIdentity;
  /** Local path of the bytes; undefined for a catalog image not yet fetched. */
  path?: string;
  /** Display name: the file name, or the catalog's latest name. */
  name: string;
  origin: 'file' | 'catalog' | 'stand-in';
  /** Named one by one in the manifest's `images.files` (a deliberate choice, e.g. of an image not in the catalog). */
  listed?: boolean;
  /**
   * The manifest says this file is not one of ST's published images (`images.files[].notST: true`): it may be
   * used where the manifest names it, and its footer version is never presented as an ST release.
   */
  notST?: boolean;
  /** A local file whose name is ST's name of another image (in the release in effect): what the name claims. */
  misnamed?: { name: string; sha256: string; what: string };
  /**
   * A catalog image whose ST file name is taken by a local file with other content: copro never stands in
   * for it (the file is present but differs); `path` holds `sha256`, which is `what`.
   */
  nameTakenBy?: { path: string; sha256: string; what: string };
}
