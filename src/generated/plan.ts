/* Generated from schemas/plan.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

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
