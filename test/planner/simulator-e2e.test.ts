/**
 * End to end on the simulator: each plan's steps run through the SimulatorDriver, the board is read back
 * after every step and must show the step's `expect`; at the end the board is at the target and planning
 * again gives 'up-to-date'. Also as a property over random start states.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Driver } from '../../src/drivers/driver.js';
import type { DeviceKey } from '../../src/domain/devices.js';
import { parseHex } from '../../src/domain/hex.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { collectImages } from '../../src/images/inventory.js';
import type { AvailableImage } from '../../src/images/types.js';
import { plan } from '../../src/planner/index.js';
import type { Plan, Step, Target } from '../../src/planner/types.js';
import { compareWithExpectation } from '../../src/runner/verify.js';
import { board, target } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIM = path.resolve(here, '../../src/drivers/simulator/index.ts');
const simulatorAvailable = existsSync(SIM);

interface SimulatorApi {
  createSimulatorDriver(opts: { dir: string; serial?: string; transport?: BoardState['source']['transport'] }): Driver | Promise<Driver>;
  resetBoard(dir: string, snapshot?: BoardState): unknown;
}

let sim: SimulatorApi;
let work: string;
let images: AvailableImage[];

/**
 * The tiny executor: one driver call per step, then a read-back compared with the step's expect. A field the
 * transport cannot read back ('unknown': FUS/stack version while the stack runs over USB, anti-rollback) is
 * unverified, not a mismatch; on the omniscient 'simulated' transport everything is compared.
 */
async function execute(driver: Driver, p: Plan, appFile?: string): Promise<BoardState> {
  let state = await driver.readState();
  for (const step of p.steps) {
    await run(driver, step, appFile);
    state = await driver.readState();
    const mismatches = compareWithExpectation(step.expect, state).filter((m) => m.actual !== 'unknown' || state.source.transport === 'simulated');
    expect(mismatches, `step ${step.n} ${step.title}`).toEqual([]);
  }
  return state;
}

/**
 * What the shell must do before planning: the FUS version is readable only with FUS running (STM32WB.md §5).
 * When the stack runs, start FUS, read the versions, start the stack again, and report the board as it is
 * then (stack running) with the versions read meanwhile.
 */
async function readForPlanning(driver: Driver): Promise<BoardState> {
  const state = await driver.readState();
  if (state.fus.version !== 'unknown' || state.cpu2 !== 'stack') return state;
  await driver.startFus();
  const inFus = await driver.readState();
  // Not on WB5xxC/E still on FUS 0.5.3/1.0.1: starting the stack is "any other operation" (release notes v1.1.1).
  const size = inFus.device.flashSizeKB;
  if ((size === 256 || size === 512) && (inFus.fus.version === '0.5.3' || inFus.fus.version === '1.0.1')) return inFus;
  await driver.startStack();
  const after = await driver.readState();
  return { ...after, fus: { ...inFus.fus, state: after.fus.state, error: after.fus.error }, stack: { ...inFus.stack, running: after.stack.running } };
}

function imageOf(step: Step): AvailableImage {
  const found = images.find((i) => i.identity.sha256 === step.image!.sha256);
  if (!found) throw new Error(`no image ${step.image!.sha256} for step ${step.n}`);
  return found;
}

async function run(driver: Driver, step: Step, appFile?: string): Promise<void> {
  switch (step.kind) {
    case 'start-fus':
      await driver.startFus();
      return;
    case 'stack-delete':
      await driver.deleteStack();
      return;
    case 'fus-upgrade':
    case 'stack-install':
    case 'safeboot-install':
      await driver.upgrade(imageOf(step), parseHex(step.address!)!, { firstInstall: true, startStack: step.kind === 'stack-install' });
      return;
    case 'start-stack':
      await driver.startStack();
      return;
    case 'restore-option-bytes':
      await driver.writeOptionBytes({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 });
      return;
    case 'flash-application':
      await driver.flash(appFile!, parseHex(step.address!)!);
      return;
    case 'anti-rollback':
      await driver.activateAntiRollback();
      return;
  }
}

async function rehearse(name: string, start: BoardState, want: Target): Promise<{ plan: Plan; end: BoardState; again: Plan }> {
  // end: the board read back for planning again (FUS started where only that shows its version).
  const dir = path.join(work, name);
  await sim.resetBoard(dir, start);
  const driver = await sim.createSimulatorDriver({ dir, transport: start.source.transport });
  try {
    const p = plan({ state: await readForPlanning(driver), target: want, images });
    await execute(driver, p);
    const end = await readForPlanning(driver);
    const again = plan({ state: end, target: want, images });
    return { plan: p, end, again };
  } finally {
    await driver.close();
  }
}

describe.skipIf(!simulatorAvailable)('plans executed on the simulator', () => {
  beforeAll(async () => {
    sim = (await import(SIM)) as SimulatorApi;
    work = await mkdtemp(path.join(tmpdir(), 'copro-planner-e2e-'));
    images = (await collectImages({ standIns: true, release: 'v1.24.0', standInDir: path.join(work, 'standins') })).images;
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const blefull = { type: 'BLE_Stack_full', range: '1.24.0' };
  const onSim = (f: Parameters<typeof board>[0]) => board({ transport: 'simulated', ...f });
  const simTarget = (t: Parameters<typeof target>[0] = {}) => target({ transport: 'simulated', ...t });
  const cases: { name: string; start: BoardState; want: Target; steps: string[] }[] = [
    { name: 'fus-053-old-stack', start: onSim({ fus: '0.5.3', stack: { type: 'BLE_Stack_full', version: '1.0.0' } }), want: simTarget({ stack: blefull }), steps: ['start-fus', 'stack-delete', 'fus-upgrade', 'fus-upgrade', 'stack-install'] },
    { name: 'fus-120-empty', start: onSim({ fus: '1.2.0' }), want: simTarget({ stack: blefull }), steps: ['fus-upgrade', 'stack-install'] },
    { name: 'fus-110-keep-stack', start: onSim({ fus: '1.1.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), want: simTarget({ fus: 'latest' }), steps: ['start-fus', 'fus-upgrade', 'fus-upgrade', 'start-stack'] },
    {
      name: 'wb55c-101-early',
      start: onSim({ device: 'STM32WB5xxC_256K', fus: '1.0.1', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }),
      want: simTarget({ fus: 'keep', stack: { type: 'BLE_HCILayer_extended', range: 'latest' } }),
      steps: ['start-fus', 'fus-upgrade', 'stack-delete', 'stack-install'],
    },
    { name: 'anti-rollback', start: onSim({ fus: '2.2.0' }), want: simTarget({ stack: blefull, policy: { antiRollback: true } }), steps: ['stack-install', 'start-fus', 'anti-rollback', 'start-stack'] },
    { name: 'wb1x', start: onSim({ device: 'STM32WB1xxC_320K', fus: '1.2.0' }), want: simTarget({ stack: blefull }), steps: ['fus-upgrade', 'stack-install'] },
    // Real transports: what a driver can read over them (no anti-rollback, no FUS version while the stack runs).
    { name: 'usb-upgrade', start: board({ fus: '1.1.2', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), want: target({ transport: 'usb', stack: blefull }), steps: ['start-fus', 'stack-delete', 'fus-upgrade', 'fus-upgrade', 'stack-install'] },
    {
      name: 'usb-512k-named',
      start: board({ device: 'STM32WB5xxE_512K', fus: '2.2.0' }),
      want: target({ transport: 'usb', device: 'STM32WB5xxE_512K', stack: blefull, policy: { antiRollback: true } }),
      steps: ['stack-install', 'start-fus', 'anti-rollback', 'start-stack'],
    },
    {
      name: 'swd-accept',
      start: board({ fus: '1.2.0', transport: 'swd', application: { present: true } }),
      want: target({ transport: 'swd', toolVersion: '2.20.0', stack: blefull, policy: { swdApplicationLoss: 'accept' } }),
      steps: ['fus-upgrade', 'stack-install', 'restore-option-bytes'],
    },
  ];

  it.each(cases)('$name: reaches the target and re-plans to up-to-date', async ({ name, start, want, steps }) => {
    const r = await rehearse(name, start, want);
    expect(r.plan.refusals).toEqual([]);
    expect(r.plan.steps.map((s) => s.kind)).toEqual(steps);
    expect(r.end.fus.version).toBe(r.plan.target.fus);
    expect(r.again.status, JSON.stringify(r.again.steps.map((s) => s.title).concat(r.again.refusals.map((x) => x.code)))).toBe('up-to-date');
  });

  it('random start states reach their target on the simulator', async () => {
    const devices: DeviceKey[] = ['STM32WB5xxG_1M', 'STM32WB5xxE_512K', 'STM32WB5xxC_256K', 'STM32WB3xxE_512K', 'STM32WB1xxC_320K'];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...devices),
        fc.constantFrom('0.5.3', '1.0.1', '1.1.0', '1.1.2', '1.2.0', '2.0.0', '2.1.0', '2.2.0'),
        fc.oneof(fc.constant('none' as const), fc.record({ type: fc.constantFrom('BLE_Stack_full', 'BLE_HCILayer_extended', 'Thread_FTD'), version: fc.constantFrom('1.13.0', '1.20.0'), running: fc.boolean() })),
        fc.constantFrom('keep', 'latest', '>=2.1.0'),
        fc.oneof(fc.constant(undefined), fc.constant('none' as const), fc.record({ type: fc.constantFrom('BLE_Stack_full', 'BLE_HCILayer_extended'), range: fc.constantFrom('latest', '1.24.0') })),
        fc.constantFrom('simulated', 'usb') as fc.Arbitrary<'simulated' | 'usb'>,
        async (device, fus, stack, fusTarget, stackTarget, transport) => {
          const fixture = board({ device, fus, stack, transport });
          const start: BoardState = { ...fixture, source: { ...fixture.source, driver: 'simulator' } };
          const want = target({ transport, device, fus: fusTarget, stack: stackTarget });
          const first = plan({ state: start, target: want, images });
          if (first.status === 'refused') return; // refusals are checked elsewhere; nothing to execute
          const r = await rehearse(`random-${n++}`, start, want);
          expect(r.plan.status).not.toBe('refused');
          if (want.stack !== undefined && want.stack !== 'none') expect(r.end.stack).toMatchObject({ status: 'installed', running: true });
          expect(r.again.status, JSON.stringify(r.again.steps.map((s) => s.title).concat(r.again.refusals.map((x) => x.code)))).toBe('up-to-date');
        },
      ),
      { numRuns: Number(process.env.PLANNER_E2E_RUNS ?? 60) },
    );
  });
});
