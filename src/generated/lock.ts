/* Generated from schemas/lock.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

/**
 * copro.lock: the exact images (by sha256) a project's plans may use, like a package lock. Written by copro; a file whose content differs from its pin is refused.
 */
export interface CoproLock {
  lockVersion: 1;
  images: LockEntry[];
}
/**
 * This interface was referenced by `CoproLock`'s JSON-Schema
 * via the `definition` "entry".
 */
export interface LockEntry {
  /**
   * File name (ST's name for a catalog image).
   */
  name: string;
  sha256: string;
  size: number;
  version: string;
  kind: 'fus' | 'stack' | 'safeboot' | 'other';
  stackType: string | null;
}
