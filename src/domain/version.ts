/**
 * Firmware versions: the 32-bit version word of the image footer and of the FUS device info table,
 * and the semver strings copro reasons with.
 *
 * AN5185 image footer: `major<<24 | minor<<16 | sub<<8 | branch<<4 | build` (0x01180003 = 1.24.0, build 3.
 * Release notes: "Decode, never compare strings" ("1.13" < "1.9" as text).
 */
import semver from 'semver';

export interface FirmwareVersion {
  major: number;
  minor: number;
  sub: number;
  branch: number;
  build: number;
}

/** Both FUS 1.2.0 images carry this blank word (AN5185: "to be able to upgrade from all versions of FUS"). */
export const BLANK_VERSION_WORD = 0xffffffff;

export function decodeVersionWord(word: number): FirmwareVersion {
  const w = word >>> 0;
  return {
    major: (w >>> 24) & 0xff,
    minor: (w >>> 16) & 0xff,
    sub: (w >>> 8) & 0xff,
    branch: (w >>> 4) & 0x0f,
    build: w & 0x0f,
  };
}

export function encodeVersionWord(v: FirmwareVersion): number {
  return (
    (((v.major & 0xff) << 24) | ((v.minor & 0xff) << 16) | ((v.sub & 0xff) << 8) | ((v.branch & 0x0f) << 4) | (v.build & 0x0f)) >>> 0
  );
}

/** `1.24.0`: the part of a version that upgrade rules talk about. */
export function versionString(v: FirmwareVersion): string {
  return `${v.major}.${v.minor}.${v.sub}`;
}

/** `1.24.0.3`: how ST's tools print a version with its build number. */
export function versionStringWithBuild(v: FirmwareVersion): string {
  return `${v.major}.${v.minor}.${v.sub}.${v.build}`;
}

/** Encodes a `x.y.z` string as a version word (branch and build zero). */
export function versionWordOf(version: string, build = 0): number {
  const parsed = semver.parse(version);
  if (!parsed) throw new Error(`not a version: ${JSON.stringify(version)}`);
  return encodeVersionWord({ major: parsed.major, minor: parsed.minor, sub: parsed.patch, branch: 0, build });
}

/** Compares two `x.y.z` strings numerically (semver), never as text. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

export function isValidVersion(v: string): boolean {
  return semver.valid(v) !== null;
}

/** True when `version` satisfies the semver range (an exact version is a range too). */
export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: false });
}

export function isValidRange(range: string): boolean {
  return semver.validRange(range) !== null;
}
