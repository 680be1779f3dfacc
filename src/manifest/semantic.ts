/**
 * What the schema cannot say: names that must exist, versions that must be possible, addresses that must
 * be page-aligned, paths that must stay in the project, fleets without duplicates, and policies that
 * contradict each other. Pure; runs on whatever parts of the manifest have the right types, so one pass
 * reports as much as it can.
 */
import * as path from 'pathe';
import semver from 'semver';
import { hex, parseHex } from '../domain/hex.js';
import { stackTypeByName } from '../domain/stack-types.js';
import type { Device } from '../domain/devices.js';
import { loadCatalog } from '../images/catalog-core.js';
import { deviceNameSuggestion, lookupDevice, stackTypeSuggestion } from './names.js';
import { displayPath, type PointedIssue } from './schema-issues.js';
import type { JsonPointer } from './yaml-source.js';

/** STM32CubeWB release notes, upgrade procedure: 0.5.3 is the oldest FUS that ever shipped; nothing older can be a target. */
export const OLDEST_FUS = '0.5.3';
/** The oldest stack ST published is 1.1.0 (st-copro-images.json); assume none before 1.0.0 exists. */
export const OLDEST_STACK = '1.0.0';
/** Flash starts here on every STM32WB (STM32CubeWB release notes, install address tables). */
const FLASH_BASE = 0x08000000;
/** Smallest flash page of any STM32WB (WB1x: 2 KiB), used when the manifest does not name the device. */
const SMALLEST_PAGE = 0x800;
/** Highest address below CPU2's area on any STM32WB (1 MB parts: FUS from 0x080F4000). */
const HIGHEST_TOP = 0x080f4000;

/** A file or folder the manifest names; the loader checks that it exists (the only I/O). */
export interface FileRef {
  pointer: JsonPointer;
  absolute: string;
  kind: 'file' | 'dir';
}

export interface SemanticContext {
  manifestDir: string;
  projectRoot: string;
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface VersionRule {
  what: 'FUS' | 'stack';
  allowKeep: boolean;
  oldest: string;
}

/** Version target checks: an exact version, a range with at least one possible version, `latest`, `keep` (FUS only). */
function checkVersionTarget(pointer: JsonPointer, text: string, rule: VersionRule): PointedIssue[] {
  const where = displayPath(pointer);
  if (text === 'latest' || (text === 'keep' && rule.allowKeep)) return [];
  if (text === 'keep') {
    return [{ pointer, anchor: 'value', code: 'bad-version', message: `${where}: "keep" applies to fus only; a stack version is an exact version, a range or latest`, hint: 'leave `stack` out to keep the installed stack' }];
  }
  const range = semver.validRange(text);
  if (range === null) {
    const fourPart = /^v?(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(text);
    const hint = fourPart
      ? `ST tools print a build number as the 4th part; copro targets major.minor.sub: write ${fourPart[1]}.${fourPart[2]}.${fourPart[3]}`
      : `expected an exact version (${rule.what === 'FUS' ? '2.2.0' : '1.24.0'}), a semver range (${rule.what === 'FUS' ? '>=2.1.0' : '^1.23.0'}), latest${rule.allowKeep ? ' or keep' : ''}`;
    return [{ pointer, anchor: 'value', code: 'bad-version', message: `${where}: "${text}" is not a version or a version range`, hint }];
  }
  let lowest: semver.SemVer | null = null;
  try {
    lowest = semver.minVersion(range);
  } catch {
    lowest = null;
  }
  if (lowest === null) {
    return [{ pointer, anchor: 'value', code: 'impossible-range', message: `${where}: no version satisfies "${text}" (the range is empty)` }];
  }
  if (!semver.intersects(range, `>=${rule.oldest}`)) {
    const why = rule.what === 'FUS' ? `no FUS older than ${rule.oldest} exists, and FUS can never be downgraded` : `no wireless stack older than ${rule.oldest} exists`;
    return [{ pointer, anchor: 'value', code: 'impossible-range', message: `${where}: "${text}" asks for a ${rule.what} version below ${rule.oldest}: ${why}` }];
  }
  return [];
}

function checkDevice(m: Rec, out: PointedIssue[]): Device | undefined {
  const name = str(m.device);
  if (name === undefined || name === 'detect') return undefined;
  const device = lookupDevice(name);
  if (!device) {
    out.push({ pointer: ['device'], anchor: 'value', code: 'unknown-device', message: `unknown device "${name}"${deviceNameSuggestion(name)}`, hint: 'expected an STM32WB part number (STM32WB55RG, STM32WB5MMG, STM32WB15CC...), a device key (STM32WB5xxG_1M) or detect' });
  }
  return device;
}

function checkStack(m: Rec, out: PointedIssue[]): void {
  if (typeof m.fus === 'string') out.push(...checkVersionTarget(['fus'], m.fus, { what: 'FUS', allowKeep: true, oldest: OLDEST_FUS }));
  if (!isRecord(m.stack)) return;
  const type = str(m.stack.type);
  if (type !== undefined) {
    const known = stackTypeByName(type);
    if (!known) {
      out.push({ pointer: ['stack', 'type'], anchor: 'value', code: 'unknown-stack-type', message: `unknown stack type "${type}"${stackTypeSuggestion(type)}`, hint: 'stack types are spelled as in ST\'s file names: BLE_Stack_full, BLE_HCILayer, Thread_FTD, Zigbee_FFD, Mac_802_15_4...' });
    } else if (known.name !== type) {
      out.push({ pointer: ['stack', 'type'], anchor: 'value', code: 'stack-type-case', severity: 'warning', message: `stack type "${type}" is spelled "${known.name}" by ST; copro uses "${known.name}"` });
    }
  }
  const version = str(m.stack.version);
  if (version !== undefined) out.push(...checkVersionTarget(['stack', 'version'], version, { what: 'stack', allowKeep: false, oldest: OLDEST_STACK }));
}

function checkApplication(m: Rec, device: Device | undefined, out: PointedIssue[]): void {
  if (!isRecord(m.application)) return;
  const app = m.application;
  const page = device?.pageSize ?? SMALLEST_PAGE;
  const pageWords = `${page / 1024} KiB flash page${device ? ` (${device.key})` : ' (the smallest page of any STM32WB; name the device for the exact rule)'}`;
  const parse = (key: 'address' | 'end'): number | undefined => {
    const t = str(app[key]);
    return t !== undefined && /^0x[0-9a-fA-F]{8}$/.test(t) ? parseHex(t) : undefined;
  };
  const address = app.address === undefined ? FLASH_BASE : parse('address');
  const end = parse('end');
  for (const [key, value] of [['address', app.address === undefined ? undefined : address], ['end', end]] as const) {
    if (value === undefined || value % page === 0) continue;
    const down = value - (value % page);
    out.push({ pointer: ['application', key], anchor: 'value', code: 'unaligned-address', message: `application.${key} ${hex(value)} is not aligned to a ${pageWords}`, hint: `the nearest aligned addresses are ${hex(down)} and ${hex(down + page)}` });
  }
  if (address !== undefined && app.address !== undefined && address < FLASH_BASE) {
    out.push({ pointer: ['application', 'address'], anchor: 'value', code: 'bad-region', message: `application.address ${hex(address)} is below the start of flash (${hex(FLASH_BASE)})` });
  }
  if (address !== undefined && end !== undefined && end <= address) {
    out.push({ pointer: ['application', 'end'], anchor: 'value', code: 'bad-region', message: `application.end ${hex(end)} must be above application.address ${hex(address)} (end is the first address after the application)` });
  }
  const top = device?.top ?? HIGHEST_TOP;
  if (end !== undefined && end > top) {
    // STM32CubeWB release notes, install address tables: images go below TOP; the application must leave room for FUS and the stack above it.
    out.push({ pointer: ['application', 'end'], anchor: 'value', code: 'bad-region', message: `application.end ${hex(end)} runs into the flash CPU2 owns: ${device ? `on ${device.key} FUS and the stack live below ${hex(top)} and above` : `no STM32WB has application flash at or above ${hex(top)}`}` });
  }
}

/**
 * `images.release` bounds every image copro may choose, so it must be a release ST published (one the
 * catalog lists): an unknown tag would otherwise silently fall back to local files of any release.
 */
function checkRelease(m: Rec, out: PointedIssue[]): void {
  const images = isRecord(m.images) ? m.images : undefined;
  const release = str(images?.release);
  if (release === undefined || !/^v1\.[0-9]+\.[0-9]+$/.test(release)) return; // the schema's pattern reports the rest
  const catalog = loadCatalog();
  const known = Object.keys(catalog.releases);
  if (known.includes(release)) return;
  const wanted = semver.coerce(release);
  const nearest = wanted ? [...known].sort((a, b) => Math.abs(semver.compare(semver.coerce(a)!, wanted)) - Math.abs(semver.compare(semver.coerce(b)!, wanted)))[0] : undefined;
  const newer = wanted !== null && semver.gt(wanted, semver.coerce(catalog.latestRelease)!);
  out.push({
    pointer: ['images', 'release'],
    anchor: 'value',
    code: 'unknown-release',
    message: `images.release: ${release} is not an STM32CubeWB release copro knows (${known[0]}..${catalog.latestRelease}, ${known.length} releases)${newer ? `; the newest is ${catalog.latestRelease}` : ''}`,
    hint: newer
      ? `use release ${catalog.latestRelease}, or leave images.release out and name newer files one by one in images.files (with notST: true: copro cannot check them against ST's catalog)`
      : `did you mean ${nearest ?? catalog.latestRelease}?`,
  });
}

function checkFleet(m: Rec, out: PointedIssue[]): void {
  if (!Array.isArray(m.boards)) return;
  const serials = new Map<string, number>();
  const names = new Map<string, number>();
  m.boards.forEach((b: unknown, i: number) => {
    if (!isRecord(b)) return;
    const serial = str(b.serial);
    if (serial !== undefined) {
      // Probe serials are hex text: 066dff and 066DFF are the same probe.
      const key = serial.trim().toUpperCase();
      const first = serials.get(key);
      if (first === undefined) serials.set(key, i);
      else out.push({ pointer: ['boards', i, 'serial'], anchor: 'value', code: 'duplicate-board', message: `duplicate board serial "${serial}"`, related: ['boards', first, 'serial'], hint: 'one board is provisioned once per run; remove the duplicate' });
    }
    const name = str(b.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first === undefined) names.set(name, i);
      else out.push({ pointer: ['boards', i, 'name'], anchor: 'value', code: 'duplicate-board', message: `duplicate board name "${name}"`, related: ['boards', first, 'name'], hint: 'reports and events name boards by name; make each one unique' });
    }
  });
}

function checkPolicies(m: Rec, out: PointedIssue[]): void {
  const policy = isRecord(m.policy) ? m.policy : {};
  const app = isRecord(m.application) ? m.application : undefined;
  if (policy.antiRollback === true && m.stack === 'none') {
    // STM32CubeWB release notes, upgrade procedure, docs/field-failures.md public field reports: activated with no stack, anti-rollback blocks every future install.
    out.push({ pointer: ['policy', 'antiRollback'], anchor: 'value', code: 'policy-conflict', message: 'policy.antiRollback is true but stack is none: anti-rollback with no stack installed locks CPU2 out of every future stack', hint: 'anti-rollback is irreversible; set it only with a stack to install and verify first' });
  }
  if (policy.swdApplicationLoss === 'reflash' && (app === undefined || typeof app.file !== 'string')) {
    out.push({ pointer: ['policy', 'swdApplicationLoss'], anchor: 'value', code: 'policy-conflict', message: 'policy.swdApplicationLoss is reflash but application.file is not set: there is nothing to re-flash', hint: 'set application.file (and application.end), or choose refuse/accept' });
  }
  const conn = isRecord(m.connection) ? m.connection : undefined;
  if (!conn) return;
  if (conn.driver === 'simulator' && typeof conn.cubeprogrammer === 'string') {
    out.push({ pointer: ['connection', 'cubeprogrammer'], anchor: 'key', code: 'ignored-setting', severity: 'warning', message: 'connection.cubeprogrammer is ignored with driver: simulator (the simulated board needs no STM32_Programmer_CLI)' });
  }
  const port = (str(conn.port) ?? 'usb1').toLowerCase();
  if (conn.mode !== undefined && port !== 'swd') {
    out.push({ pointer: ['connection', 'mode'], anchor: 'key', code: 'ignored-setting', severity: 'warning', message: `connection.mode applies to SWD only; it is ignored with port ${port}` });
  }
  if (conn.baudrate !== undefined && (port.startsWith('usb') || port === 'swd')) {
    out.push({ pointer: ['connection', 'baudrate'], anchor: 'key', code: 'ignored-setting', severity: 'warning', message: `connection.baudrate applies to a UART port only; it is ignored with port ${port}` });
  }
}

/** Paths must resolve inside the project: a manifest from a pull request must not read /etc or ~/.ssh. */
function checkPaths(m: Rec, ctx: SemanticContext, out: PointedIssue[]): FileRef[] {
  const refs: FileRef[] = [];
  const root = path.resolve(ctx.projectRoot);
  const consider = (pointer: JsonPointer, p: unknown, kind: 'file' | 'dir'): void => {
    if (typeof p !== 'string' || p === '') return;
    const absolute = path.resolve(ctx.manifestDir, p);
    if (!isInside(root, absolute)) {
      out.push({ pointer, anchor: 'value', code: 'path-outside-project', message: `${displayPath(pointer)} "${p}" resolves to ${absolute}, outside the project (${root})`, hint: `keep the ${kind === 'dir' ? 'folder' : 'file'} inside the project; paths are relative to the manifest` });
      return;
    }
    refs.push({ pointer, absolute, kind });
  };
  const images = isRecord(m.images) ? m.images : undefined;
  if (images) {
    consider(['images', 'dir'], images.dir, 'dir');
    if (Array.isArray(images.files)) images.files.forEach((f: unknown, i: number) => isRecord(f) && consider(['images', 'files', i, 'path'], f.path, 'file'));
  }
  if (isRecord(m.application)) consider(['application', 'file'], m.application.file, 'file');
  return refs;
}

export interface SemanticResult {
  issues: PointedIssue[];
  files: FileRef[];
  device?: Device;
}

export function semanticIssues(data: unknown, ctx: SemanticContext): SemanticResult {
  if (!isRecord(data)) return { issues: [], files: [] };
  const out: PointedIssue[] = [];
  const device = checkDevice(data, out);
  checkStack(data, out);
  checkApplication(data, device, out);
  checkRelease(data, out);
  checkFleet(data, out);
  checkPolicies(data, out);
  const files = checkPaths(data, ctx, out);
  return { issues: out, files, ...(device ? { device } : {}) };
}
