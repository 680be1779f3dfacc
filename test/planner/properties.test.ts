/**
 * Properties of every plan, over random start states and targets (fast-check).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { deviceByKey, DEVICE_KEYS, type DeviceKey } from '../../src/domain/devices.js';
import { hex, parseHex } from '../../src/domain/hex.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { validatorFor } from '../../src/schemas.js';
import { plan } from '../../src/planner/index.js';
import type { Plan, PlanInput, Target } from '../../src/planner/types.js';
import { board, catalog, release, SHA, target, without } from './fixtures.js';

const FUS = ['0.5.3', '1.0.1', '1.0.2', '1.1.0', '1.1.2', '1.2.0', '2.0.0', '2.1.0', '2.2.0'];
const STACK_TYPES = ['BLE_Stack_full', 'BLE_HCILayer_extended', 'Thread_FTD', 'BLE_Stack_light', 'Zigbee_FFD'];
const IMAGE_SETS = {
  all: catalog(),
  v124: release('v1.24.0'),
  v123: release('v1.23.0'),
  v1221: release('v1.22.1'),
  noFor053: without(release('v1.24.0'), SHA.FUS_FOR_053),
  no120: without(release('v1.24.0'), SHA.FUS_120),
};

const arbState = fc
  .record({
    device: fc.constantFrom(...DEVICE_KEYS),
    fus: fc.constantFrom(...FUS),
    stack: fc.oneof(
      fc.constant('none' as const),
      fc.record({
        type: fc.option(fc.constantFrom(...STACK_TYPES), { nil: null }),
        version: fc.constantFrom('1.13.0', '1.20.0', '1.22.0', '1.23.0', '1.24.0'),
        running: fc.boolean(),
        size: fc.constantFrom(0x18000, 0x24000, 0x30000),
      }),
    ),
    cpu2Unknown: fc.boolean(),
    antiRollback: fc.constantFrom('inactive', 'active', 'unknown') as fc.Arbitrary<BoardState['antiRollback']>,
    transport: fc.constantFrom('usb', 'swd') as fc.Arbitrary<'usb' | 'swd'>,
    appPresent: fc.boolean(),
    nSWboot0: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
  })
  .map((f) => {
    const s = board({
      device: f.device,
      fus: f.fus,
      stack: f.stack,
      antiRollback: f.antiRollback,
      transport: f.transport,
      application: { present: f.appPresent },
      optionBytes: { nSWboot0: f.nSWboot0 },
    });
    return f.cpu2Unknown ? { ...s, cpu2: 'unknown' as const, stack: { ...s.stack, running: 'unknown' as const } } : s;
  });

const arbTarget = (transport: 'usb' | 'swd'): fc.Arbitrary<Target> =>
  fc
    .record({
      fus: fc.constantFrom('keep', 'latest', '2.2.0', '>=2.1.0', '1.2.0', '^2.0.0', '>=1.2.0', '2.0.0'),
      stack: fc.oneof(
        fc.constant(undefined),
        fc.constant('none' as const),
        fc.record({ type: fc.constantFrom(...STACK_TYPES), range: fc.constantFrom('latest', '1.24.0', '^1.22.0', '1.21.0', '>=1.13.0 <1.20.0') }),
      ),
      // Weighted towards plans that do something: most refusals are covered one by one in refusals.test.ts.
      fusUpgrade: fc.constantFrom('allow', 'allow', 'allow', 'forbid') as fc.Arbitrary<'allow' | 'forbid'>,
      antiRollback: fc.constantFrom(false, false, false, true),
      swdApplicationLoss: fc.constantFrom('refuse', 'reflash', 'accept') as fc.Arbitrary<'refuse' | 'reflash' | 'accept'>,
      restoreOptionBytes: fc.boolean(),
      appEnd: fc.option(fc.constantFrom(0x08020000, 0x08040000, 0x080c0000), { nil: undefined, freq: 2 }),
      appFile: fc.boolean(),
      toolVersion: fc.option(fc.constantFrom('2.19.0', '2.20.0', '2.22.0'), { nil: undefined }),
    })
    .map((t) =>
      target({
        fus: t.fus,
        stack: t.stack,
        transport,
        toolVersion: t.toolVersion,
        policy: { fusUpgrade: t.fusUpgrade, antiRollback: t.antiRollback, swdApplicationLoss: t.swdApplicationLoss, restoreOptionBytes: t.restoreOptionBytes },
        ...(t.appEnd !== undefined
          ? { application: { start: 0x08000000, end: t.appEnd, address: 0x08000000, ...(t.appFile ? { file: 'app.bin', fileSha256: 'a'.repeat(64) } : {}) } }
          : {}),
      }),
    );

type ImageSet = keyof typeof IMAGE_SETS;
/** The image set travels by name, so a counterexample stays readable. */
const arbCase = arbState.chain((state) =>
  fc.record({
    state: fc.constant(state),
    target: arbTarget(state.source.transport as 'usb' | 'swd'),
    images: fc.constantFrom(...(Object.keys(IMAGE_SETS) as ImageSet[])),
  }),
);
/** Wraps a property so fast-check sees (and prints) the image set's name, not hundreds of images. */
const withInput = (check: (input: PlanInput) => void) => (c: { state: BoardState; target: Target; images: ImageSet }) => check({ ...c, images: IMAGE_SETS[c.images] });

/** The board as the plan's last step says it will be: what the runner verifies by read-back. */
function boardAfter(input: PlanInput, p: Plan): BoardState {
  const s = structuredClone(input.state);
  const last = p.steps[p.steps.length - 1];
  if (!last) return s;
  const e = last.expect;
  const device = deviceByKey(p.device as DeviceKey);
  if (e.cpu2) s.cpu2 = e.cpu2;
  if (e.fusVersion) s.fus.version = e.fusVersion;
  if (e.stackStatus === 'none') s.stack = { status: 'none', version: null, type: null, running: false };
  if (e.stackStatus === 'installed') {
    const install = [...p.steps].reverse().find((x) => x.kind === 'stack-install');
    s.stack = {
      status: 'installed',
      version: e.stackVersion ?? s.stack.version,
      type: e.stackType ?? s.stack.type,
      running: e.stackRunning ?? s.stack.running,
      ...(install ? { installAddress: install.address } : {}),
    };
  }
  if (e.antiRollback) s.antiRollback = e.antiRollback;
  if (s.optionBytes !== 'unknown') {
    const install = [...p.steps].reverse().find((x) => x.kind === 'stack-install');
    const secure = s.stack.status === 'installed' ? (install ? parseHex(install.address!)! : undefined) : device.top;
    s.optionBytes = {
      ...s.optionBytes,
      ...(e.optionBytes ?? {}),
      ...(secure !== undefined ? { sfsa: hex((secure - device.flashBase) / device.pageSize, 2) } : {}),
    };
  }
  return s;
}

const validatePlan = validatorFor<Plan>('plan');
const RUNS = { numRuns: Number(process.env.PLANNER_RUNS ?? 500) };

// A fixed number of runs of CPU-bound work: the timeout catches a hang, not a slow (shared, loaded) machine.
describe('plan properties', { timeout: 300_000 }, () => {
  it('every plan matches plan.schema.json and is deterministic', () => {
    fc.assert(
      fc.property(arbCase, withInput((input) => {
        const p = plan(input);
        expect(validatePlan(p), JSON.stringify(validatePlan.errors)).toBe(true);
        expect(plan(structuredClone(input))).toEqual(p);
        expect(p.status === 'refused' ? p.refusals.length > 0 && p.steps.length === 0 : p.refusals.length === 0).toBe(true);
        expect(p.status === 'up-to-date').toBe(p.steps.length === 0 && p.refusals.length === 0);
      })),
      RUNS,
    );
  });

  it('FUS never goes down, and every FUS hop is an edge of ST\'s graph', () => {
    fc.assert(
      fc.property(arbCase, withInput((input) => {
        const p = plan(input);
        let fus = input.state.fus.version;
        for (const s of p.steps) {
          expect(s.requires.fusVersion).toBe(fus);
          if (s.kind === 'fus-upgrade') {
            const to = s.expect.fusVersion!;
            expect(semver.gt(to, fus)).toBe(true);
            // 0.5.3 only with the image made for it; that image only on 0.5.3; FUS 1.x (< 1.2.0) only to 1.2.0.
            const for053 = s.image!.sha256.startsWith(SHA.FUS_FOR_053);
            expect(for053).toBe(fus === '0.5.3');
            if (semver.lt(fus, '1.2.0')) expect(to).toBe('1.2.0');
            if (semver.lt(fus, '1.2.0') && fus !== '0.5.3') expect(s.image!.sha256.startsWith(SHA.FUS_120)).toBe(true);
            expect(s.irreversible).toBe(true);
          } else {
            expect(s.expect.fusVersion).toBe(fus);
          }
          fus = s.expect.fusVersion!;
        }
      })),
      RUNS,
    );
  });

  it('no stack is installed on a FUS too old for it, nor inside the application, nor over the FUS', () => {
    fc.assert(
      fc.property(arbCase, withInput((input) => {
        const p = plan(input);
        const device = p.status === 'refused' ? undefined : deviceByKey(p.device as DeviceKey);
        for (const s of p.steps) {
          if (s.kind === 'stack-install') {
            const fus = s.requires.fusVersion!;
            expect(semver.gte(fus, '1.0.1')).toBe(true);
            if (s.image!.fusV2Only) {
              expect(semver.gte(fus, '2.0.0')).toBe(true);
              if (s.image!.releases!.some((r) => semver.gte(semver.coerce(r)!, '1.23.0'))) expect(semver.gte(fus, '2.1.0')).toBe(true);
            }
            expect(s.requires.stackStatus).toBe('none');
          }
          if (s.image) {
            const at = parseHex(s.address!)!;
            const app = input.target.application;
            if (app) expect(at).toBeGreaterThanOrEqual(app.end);
            expect(at + s.image.size).toBeLessThanOrEqual(device!.top);
            expect(at % device!.pageSize).toBe(0);
            expect(s.image.kind === 'fus' || s.image.origin !== 'stand-in').toBe(true);
          }
        }
      })),
      RUNS,
    );
  });

  it('steps only where the state needs them; anti-rollback only when safe', () => {
    fc.assert(
      fc.property(arbCase, withInput((input) => {
        const p = plan(input);
        const ks = p.steps.map((s) => s.kind);
        p.steps.forEach((s, i) => {
          if (s.kind === 'start-fus') {
            expect(s.requires.cpu2).not.toBe('fus');
            expect(['fus-upgrade', 'stack-delete', 'stack-install', 'start-stack', 'anti-rollback']).toContain(ks[i + 1]);
          }
          if (s.kind === 'stack-delete') expect(s.requires.stackStatus).toBe('installed');
          if (s.kind === 'start-stack') expect(s.requires.cpu2).toBe('fus');
          if (s.kind === 'anti-rollback') {
            expect(semver.gte(s.requires.fusVersion!, '1.2.0')).toBe(true);
            // FUS runs it; a stack is installed (and, if installed by this plan, was verified running by the install step).
            expect(s.requires).toMatchObject({ stackStatus: 'installed', cpu2: 'fus' });
            if (ks.includes('stack-install')) expect(p.steps.find((x) => x.kind === 'stack-install')!.expect.stackRunning).toBe(true);
            expect(input.target.policy.antiRollback).toBe(true);
          }
          if (s.kind === 'fus-upgrade') expect(input.target.policy.fusUpgrade).toBe('allow');
          if (s.kind === 'restore-option-bytes' || s.kind === 'flash-application') expect(input.target.transport).toBe('swd');
        });
        expect(new Set(ks.filter((k) => k !== 'fus-upgrade' && k !== 'start-fus')).size).toBe(ks.filter((k) => k !== 'fus-upgrade' && k !== 'start-fus').length);
        if (input.state.antiRollback === 'active') expect(ks).not.toContain('anti-rollback');
      })),
      RUNS,
    );
  });

  it("a plan's final expectation is the target, and re-planning from it gives 'up-to-date'", () => {
    fc.assert(
      fc.property(arbCase, withInput((input) => {
        const p = plan(input);
        if (p.status !== 'changes') return;
        const e = p.steps[p.steps.length - 1]!.expect;
        const t = input.target;
        expect(e.fusVersion).toBe(p.target.fus);
        if (t.fus !== 'keep' && t.fus !== 'latest') expect(semver.satisfies(e.fusVersion!, t.fus)).toBe(true);
        if (t.stack === 'none') expect(e.stackStatus).toBe('none');
        if (t.stack !== undefined && t.stack !== 'none') {
          expect(e).toMatchObject({ stackStatus: 'installed', stackType: t.stack.type, stackRunning: true, cpu2: 'stack' });
          if (t.stack.range !== 'latest') expect(semver.satisfies(e.stackVersion!, t.stack.range)).toBe(true);
          expect(p.target.stack).toBe(`${t.stack.type} ${e.stackVersion}`);
        }
        // Anti-rollback: verified where it can be read; where it cannot, activated in the run that installs the stack.
        if (t.policy.antiRollback && input.state.antiRollback === 'inactive') expect(e.antiRollback).toBe('active');
        if (t.policy.antiRollback && (input.state.antiRollback !== 'unknown' || p.steps.some((s) => s.kind === 'stack-install'))) expect(p.target.antiRollback).toBe(true);
        const again = plan({ ...input, state: boardAfter(input, p) });
        expect(again.status, JSON.stringify(again.steps.map((s) => s.title).concat(again.refusals.map((r) => r.code)))).toBe('up-to-date');
      })),
      RUNS,
    );
  });
});

