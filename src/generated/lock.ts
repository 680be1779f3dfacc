/* Generated from schemas/lock.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * copro.lock: the exact images (by content) a project's plans may use, like a package lock. Written by copro. Keyed by sha256, with the family and kind of each image: two different images of the same version (the two FUS 1.2.0 images, a WB15 and a WB55 stack) are two entries, and manifests for different families can share one folder. A plan image whose content is not pinned, while an entry pins other content for the same family, kind, stack type and version, is refused (unless both are ST's published images). copro still reads lockVersion 1 files (pinned by kind/type/version only) and rewrites them as lockVersion 2 the next time it pins an image.
 */
export interface CoproLock {
  lockVersion: 2;
  images: LockEntry[];
}
/**
 * This interface was referenced by `CoproLock`'s JSON-Schema
 * via the `definition` "entry".
 */
export interface LockEntry {
  /**
   * The image's content (a stand-in pins the ST image it stands for). Unique in the lock.
   */
  sha256: string;
  /**
   * The families the image is for (empty: unknown, as for an image that is not ST's).
   */
  families: ('STM32WB5x' | 'STM32WB3x' | 'STM32WB1x')[];
  kind: 'fus' | 'stack' | 'safeboot' | 'other';
  stackType: string | null;
  /**
   * The footer version (for an image that is not ST's: its own claim).
   */
  version: string;
  size: number;
  /**
   * File name (ST's name for a catalog image); for people, not a key.
   */
  name: string;
  /**
   * One of ST's published images (sha256 in copro's catalog).
   */
  st: boolean;
}
