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
import type { BoardState } from '../../src/generated/board-state.js';
import { collectImages } from '../../src/images/inventory.js';
import type { AvailableImage } from '../../src/images/types.js';
import { plan } from '../../src/planner/index.js';
import type { Plan, Target } from '../../src/planner/types.js';
import { runStep, FLASH_ONLY_STEPS, mergeFlashRead } from '../../src/runner/execute.js';
import { privateVerifiedCopy } from '../../src/runner/preflight.js';
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
 * Each step runs through the runner's own runStep: one driver call, then a strict read-back against the
 * step's `expect` (flash-only reads for the late SWD steps, merged onto the last full read, as `apply` does).
 * The drivers read FUS and stack versions themselves where the transport needs FUS started (P23).
 */
async function execute(driver: Driver, p: Plan, appFile?: string): Promise<BoardState> {
  let lastFull = await driver.readState();
  let state = lastFull;
  for (const step of p.steps) {
    const outcome = await runStep(step, { driver, lastFullState: lastFull, applicationFile: appFile, verifiedImage: privateVerifiedCopy });
    expect(outcome.mismatches, `step ${step.n} ${step.title}`).toEqual([]);
    expect(outcome.ok, `step ${step.n} ${step.title}: ${outcome.error?.message}`).toBe(true);
    state = outcome.state!;
    if (!FLASH_ONLY_STEPS.has(step.kind)) lastFull = state;
  }
  return state;
}

/** The read `apply` makes for its final re-plan: after late SWD steps, a flash-only read on the last full one. */
async function readAfter(driver: Driver, p: Plan, executed: BoardState): Promise<BoardState> {
  const last = p.steps[p.steps.length - 1];
  if (last && FLASH_ONLY_STEPS.has(last.kind)) return mergeFlashRead(executed, await driver.readState({ scope: 'flash' }));
  return driver.readState();
}


async function rehearse(name: string, start: BoardState, want: Target): Promise<{ plan: Plan; end: BoardState; again: Plan }> {
  // end: the board read back for planning again (FUS started where only that shows its version).
  const dir = path.join(work, name);
  await sim.resetBoard(dir, start);
  const driver = await sim.createSimulatorDriver({ dir, transport: start.source.transport });
  try {
    const p = plan({ state: await driver.readState(), target: want, images });
    const executed = await execute(driver, p);
    const end = await readAfter(driver, p, executed);
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
        async (device, fus, stack, fusTarget, stackTarget, anyTransport) => {
          // A WB1x has no USB DFU (AN2606): its ROM bootloader is reached over UART instead.
          const transport = device === 'STM32WB1xxC_320K' && anyTransport === 'usb' ? 'uart' : anyTransport;
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
