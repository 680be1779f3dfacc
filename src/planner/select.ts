/**
 * Which of the available images the planner may use, and in which order of preference. Pure.
 */
import semver from 'semver';
import type { Family } from '../domain/devices.js';
import { stackTypeByName } from '../domain/stack-types.js';
import type { AvailableImage } from '../images/types.js';

/** Local bytes first; a stand-in only on the simulator (the real driver refuses it); a catalog image needs `copro fetch`. */
function originRank(origin: AvailableImage['origin'], simulated: boolean): number {
  if (origin === 'file') return 0;
  if (origin === 'stand-in') return simulated ? 1 : 9;
  return 2;
}

/** Can this image be written to this board at all (ignoring version rules)? `simulated`: the board is the simulator. */
export function usableImage(img: AvailableImage, simulated: boolean): boolean {
  const id = img.identity;
  if (id.signature === 'none') return false; // AN5185 image footer: the v1.5.0 FUS without a signature trailer: never install it
  if ((img.origin === 'stand-in' || id.signature === 'simulated') && !simulated) return false;
  // An image that is neither ST's (sha256 in the catalog) nor a verified stand-in may be forged or modified:
  // copro cannot check ST's signature (only FUS can), so it never offers such a file as FUS or safeboot, and as
  // a stack only when the manifest names it in images.files and says it is not ST's (`notST: true`).
  const known = id.catalog !== undefined || id.standInFor !== undefined;
  if (!known && (id.kind !== 'stack' || img.listed !== true || img.notST !== true)) return false;
  return semver.valid(id.version) !== null;
}

export function forFamily(img: AvailableImage, family: Family): boolean {
  return img.identity.families.includes(family);
}

/** Newest version first; then origin preference; then sha256, so the choice is deterministic. */
export function compareImages(simulated: boolean) {
  return (a: AvailableImage, b: AvailableImage): number =>
    semver.rcompare(a.identity.version, b.identity.version) ||
    originRank(a.origin, simulated) - originRank(b.origin, simulated) ||
    (a.identity.sha256 < b.identity.sha256 ? -1 : a.identity.sha256 > b.identity.sha256 ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The ST image an available image stands for: its own sha256, or the one it is a stand-in for. */
export function contentKey(img: AvailableImage): string {
  return img.identity.standInFor ?? img.identity.sha256;
}

/** Canonical stack type name (`ble_stack_full` -> `BLE_Stack_full`). */
export function canonicalStackType(name: string): string {
  return stackTypeByName(name)?.name ?? name;
}

export function sameStackType(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return canonicalStackType(a) === canonicalStackType(b);
}

/** `latest` in a manifest's stack version means any version, newest first. */
export function normaliseRange(range: string): string {
  return range.trim() === 'latest' ? '*' : range;
}
