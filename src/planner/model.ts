/**
 * The planner's model of the board as the steps change it, and what it turns into: each step's
 * expectation (what the runner verifies by read-back), the plan's summaries and the image record.
 */
import type { Device } from '../domain/devices.js';
import { hex, parseHex } from '../domain/hex.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage, ImageIdentity } from '../images/types.js';
import type { Expectation, Plan, Step, Target } from './types.js';

type StepImage = NonNullable<Step['image']>;
type Summary = Plan['from'];

/** What the planner knows the board will look like after each step. */
export interface Model {
  cpu2: 'fus' | 'stack' | 'unknown';
  fus: string;
  stack: { status: 'none' | 'installed' | 'unknown'; version?: string; type?: string };
  running: boolean | 'unknown';
  antiRollback: 'active' | 'inactive' | 'unknown';
  /** Address of SFSA (start of CPU2's secure flash), when known. */
  secureStart?: number;
  optionBytes?: { nSWboot0: 0 | 1; nBOOT0: 0 | 1; nBOOT1: 0 | 1 };
  applicationSha256?: string;
  /** This plan activates anti-rollback (even where it cannot be read back). */
  antiRollbackActivated?: boolean;
  /** The image the step just wrote and asked FUS to install: its verification checks FUS installed this one. */
  written?: { address: number; sha256: string; fusV2Only?: boolean };
}

/** What every planning function shares: the inputs, the device, and the notes collected on the way. */
export interface Ctx {
  state: BoardState;
  target: Target;
  device: Device;
  warnings: string[];
  assumptions: string[];
  /** Local images the planner may not use on this board (see select.usableImage), to explain a refusal. */
  setAside?: readonly AvailableImage[];
}

export function initialModel(state: BoardState, device: Device): Model {
  const ob = state.optionBytes;
  const sfsa = ob === 'unknown' ? undefined : parseHex(ob.sfsa);
  const st = state.stack;
  return {
    cpu2: state.cpu2 === 'fus' || state.cpu2 === 'stack' ? state.cpu2 : 'unknown',
    fus: state.fus.version,
    stack:
      st.status === 'installed'
        ? { status: 'installed', version: known(st.version), type: known(st.type) }
        : { status: st.status },
    running: state.cpu2 === 'stack' ? true : state.cpu2 === 'fus' ? false : st.running,
    antiRollback: state.antiRollback,
    // SFSA only matters while a stack owns the flash above it (the planner never writes over it).
    secureStart: st.status !== 'installed' || sfsa === undefined || sfsa === 0 ? undefined : device.flashBase + sfsa * device.pageSize,
  };
}

export function known(v: string | null): string | undefined {
  return v === null || v === 'unknown' ? undefined : v;
}

export function expectationOf(m: Model): Expectation {
  const e: Expectation = {};
  if (m.cpu2 !== 'unknown') e.cpu2 = m.cpu2;
  e.fusVersion = m.fus;
  if (m.stack.status !== 'unknown') e.stackStatus = m.stack.status;
  if (m.stack.status === 'installed') {
    if (m.stack.version !== undefined) e.stackVersion = m.stack.version;
    if (m.stack.type !== undefined) e.stackType = m.stack.type;
    if (m.running !== 'unknown') e.stackRunning = m.running;
  }
  if (m.antiRollback !== 'unknown') e.antiRollback = m.antiRollback;
  if (m.optionBytes) e.optionBytes = { ...m.optionBytes };
  if (m.applicationSha256 !== undefined) e.applicationSha256 = m.applicationSha256;
  if (m.written) {
    e.installAddress = hex(m.written.address);
    e.imageSha256 = m.written.sha256;
    if (m.written.fusV2Only !== undefined) e.stackFusV2Only = m.written.fusV2Only;
  }
  return e;
}

export function optionBytesNotRestored(state: BoardState): boolean {
  const ob = state.optionBytes;
  return ob !== 'unknown' && (ob.nSWboot0 !== 1 || ob.nBOOT0 !== 1 || ob.nBOOT1 !== 1);
}

export function stepImage(img: AvailableImage): StepImage {
  const id = img.identity;
  const kind = id.kind === 'other' ? 'stack' : id.kind;
  const out: StepImage = { name: img.name, sha256: id.sha256, size: id.size, kind, version: id.version, origin: img.origin };
  if (img.path !== undefined) out.path = img.path;
  if (id.stackType !== undefined && kind === 'stack') out.stackType = id.stackType;
  if (id.fusV2Only) out.fusV2Only = true;
  if (id.catalog?.releases) out.releases = [...id.catalog.releases];
  if (img.notST) out.notST = true;
  if (img.nameTakenBy) out.nameTakenBy = { ...img.nameTakenBy };
  return out;
}

export function fetchWarning(img: AvailableImage): string {
  const t = img.nameTakenBy;
  // Never "not on this machine" about a file that is there: it is there under ST's name with other content.
  if (t) return `ST's ${img.name} (${describeImage(img.identity)}, sha256 ${img.identity.sha256}) is not here: ${t.path} has its name but holds ${t.what} (sha256 ${t.sha256}). Put ST's file there (\`copro fetch\`) or rename that file; apply refuses until then.`;
  return `${img.name} is not on this machine yet: run \`copro fetch\` before applying.`;
}

export function describeImage(id: ImageIdentity): string {
  // A file that is not ST's: its footer version is its own claim, never shown as an ST release.
  const notSt = id.catalog === undefined && id.standInFor === undefined;
  const v = notSt ? `(not an ST image; its footer says ${id.version})` : id.version;
  if (id.kind === 'fus') return `FUS ${v}`;
  if (id.kind === 'safeboot') return `Safeboot ${v}`;
  return `${id.stackType ?? 'stack'} ${v}`;
}

export function describeInstalled(state: BoardState): string {
  const st = state.stack;
  if (st.status === 'none') return 'none';
  if (st.status === 'unknown') return 'unknown';
  return `${st.type === null || st.type === 'unknown' ? 'stack of unknown type' : st.type} ${st.version ?? 'unknown'}`;
}

export function describeModelStack(m: Model): string {
  if (m.stack.status !== 'installed') return m.stack.status;
  return `${m.stack.type ?? 'stack of unknown type'} ${m.stack.version ?? 'unknown'}`;
}

export function summaryOfState(state: BoardState): Summary {
  const s: Summary = { fus: state.fus.version, stack: describeInstalled(state) };
  if (state.antiRollback !== 'unknown') s.antiRollback = state.antiRollback === 'active';
  return s;
}

export function summaryOfModel(m: Model): Summary {
  const s: Summary = { fus: m.fus, stack: describeModelStack(m) };
  if (m.antiRollbackActivated) s.antiRollback = true;
  else if (m.antiRollback !== 'unknown') s.antiRollback = m.antiRollback === 'active';
  return s;
}

export function summaryOfTarget(target: Target, state: BoardState): Summary {
  const stack = target.stack === undefined ? 'unchanged' : target.stack === 'none' ? 'none' : `${target.stack.type} ${target.stack.range}`;
  const s: Summary = { fus: target.fus, stack };
  if (target.policy.antiRollback || state.antiRollback === 'active') s.antiRollback = true;
  else if (state.antiRollback === 'inactive') s.antiRollback = false;
  return s;
}

export function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}
