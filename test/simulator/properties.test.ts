/**
 * Properties of the model under random operation sequences (fast-check): SFSA moves only by FUS, FUS never
 * goes down, nothing is ever written into the FUS area or the secure area, and the state survives a store
 * round trip (a process restart).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  apply,
  makeBoard,
  armFault,
  writeSimulatedBoard,
  readSimulatedBoard,
  viewImage,
  fusAreaStart,
  type SimBoard,
  type SimCommand,
  type SimContext,
  type FlashWrite,
  type Fault,
} from '../../src/drivers/simulator/index.js';
import { deviceByKey, type DeviceKey } from '../../src/domain/devices.js';
import { compareVersions } from '../../src/domain/version.js';
import { assertValid } from '../../src/schemas.js';
import { IMG, standInBytes, standInWrite } from './helpers.js';
import { tempDir } from './transcript.js';

const IMAGES: FlashWrite[] = [
  standInWrite(IMG.FUS_1_2_0_FOR_053, 0x080ec000),
  standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000),
  standInWrite(IMG.FUS_1_0_2, 0x080ec000),
  standInWrite(IMG.FUS_2_0_0, 0x080ee000),
  standInWrite(IMG.FUS_2_2_0, 0x080ee000),
  standInWrite(IMG.BLE_FULL_1_13_0),
  standInWrite(IMG.BLE_FULL_1_24_0_V2),
  standInWrite(IMG.BLE_HCI_1_24_0),
  standInWrite(IMG.MAC_1_24_0),
  (() => {
    const bytes = standInBytes(IMG.BLE_HCI_1_24_0);
    bytes[10] = (bytes[10]! + 1) & 0xff; // tampered
    const v = viewImage(bytes, 'tampered.bin');
    return { address: 0x080e1000, size: v.size, sha256: v.sha256, name: 'tampered.bin', image: v.image };
  })(),
];

const DEVICES: DeviceKey[] = ['STM32WB5xxG_1M', 'STM32WB5xxE_512K', 'STM32WB5xxC_256K', 'STM32WB5xxY_640K'];
const FUS = ['0.5.3', '1.0.1', '1.1.0', '1.2.0', '2.0.0', '2.2.0'];

const board = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    fusVersion: fc.constantFrom(...FUS),
    stack: fc.option(fc.constantFrom({ type: 'BLE_HCILayer', version: '1.24.0' }, { type: 'Mac_802_15_4', version: '1.24.0' }), { nil: null }),
    app: fc.option(fc.integer({ min: 1, max: 16 }), { nil: null }),
    stackRuns: fc.boolean(),
  })
  .map((r) => {
    const hasStack = r.stack !== null && compareVersions(r.fusVersion, '1.0.1') >= 0;
    return makeBoard({
      device: r.device,
      fusVersion: r.fusVersion,
      stack: hasStack ? r.stack : null,
      cpu2: hasStack && r.stackRuns ? 'stack' : 'fus',
      application: r.app ? { sizeBytes: r.app * 0x1000 } : null,
    });
  });

const context: fc.Arbitrary<SimContext> = fc.oneof(
  fc.constant<SimContext>({ transport: 'simulated' }),
  fc.constant<SimContext>({ transport: 'usb', toolVersion: '2.17.0' }),
  fc.constant<SimContext>({ transport: 'uart', toolVersion: '2.20.0' }),
  fc.constantFrom<SimContext>({ transport: 'swd', connectMode: 'under-reset', toolVersion: '2.17.0' }, { transport: 'swd', connectMode: 'hotplug', toolVersion: '2.20.0' }),
);

type Step = { kind: 'command'; command: SimCommand; ctx: SimContext } | { kind: 'fault'; fault: Fault };

const address = fc.oneof(fc.constantFrom(0x08000000, 0x08010000, 0x08040000, 0x08080000, 0x080c7000, 0x080ec000, 0x080ee000, 0x080f4000), fc.integer({ min: 0, max: 260 }).map((p) => 0x08000000 + p * 0x1000));

const command: fc.Arbitrary<SimCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<SimCommand>({ op: 'getState' }, { op: 'startFus' }, { op: 'fwDelete' }, { op: 'fwUpgrade' }, { op: 'startStack' }, { op: 'connect' }) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...IMAGES), fc.option(address, { nil: undefined })).map(([w, at]) => ({ op: 'stageImage', write: at === undefined ? w : { ...w, address: at } }) as SimCommand) },
  { weight: 1, arbitrary: fc.tuple(address, fc.integer({ min: 1, max: 0x40000 })).map(([a, size]) => ({ op: 'flashApplication', write: { address: a, size, sha256: 'b'.repeat(64), name: 'app.bin', image: null } }) as SimCommand) },
  {
    weight: 1,
    arbitrary: fc
      .record({ sfsa: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), nSWboot0: fc.option(fc.constantFrom<0 | 1>(0, 1), { nil: undefined }), rdp: fc.option(fc.constantFrom(0xaa, 0xbb), { nil: undefined }) })
      .map((v) => ({ op: 'writeOptionBytes', values: Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) }) as SimCommand),
  },
  { weight: 1, arbitrary: fc.constantFrom<SimCommand>({ op: 'reset', kind: 'software' }, { op: 'powerCycle' }, { op: 'activateAntiRollback' }, { op: 'readMemory', address: 0x20030024, words: 13 }, { op: 'awaitUsb', timeoutMs: 10_000 }) },
);

const fault: fc.Arbitrary<Fault> = fc.constantFrom<Fault>(
  { kind: 'power-loss', at: 'install' },
  { kind: 'power-loss', at: 'delete' },
  { kind: 'unplug', at: 'reset' },
  { kind: 'power-loss', at: 'download:50' },
  { kind: 'usb-late', seconds: 20 },
  { kind: 'usb-gone' },
  { kind: 'fus-053-not-authentic-quirk' },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(command, context).map(([c, ctx]) => ({ kind: 'command', command: c, ctx }) as Step) },
  { weight: 1, arbitrary: fault.map((f) => ({ kind: 'fault', fault: f }) as Step) },
);

/**
 * What this step wrote into the FUS area or the secure area, judged by the areas as they are after the step. Content
 * written earlier is not judged again: FUS itself may move SFSA below it (corrupted option bytes put SFSA at 0x00),
 * which makes old content "secure" without anything having been written there.
 */
function regionProblems(before: SimBoard, b: SimBoard): string[] {
  const d = deviceByKey(b.device.key);
  const fusStart = fusAreaStart(d, b.fus.version);
  const secure = d.flashBase + b.optionBytes.sfsa * d.pageSize;
  const problems: string[] = [];
  const earlier = new Set(before.staged.map((s) => `${s.address}:${s.sha256}`));
  for (const s of b.staged) {
    if (earlier.has(`${s.address}:${s.sha256}`)) continue;
    if (s.address + s.size > fusStart) problems.push(`staged image at 0x${s.address.toString(16)} reaches the FUS area`);
    if (s.address + s.size > secure) problems.push(`staged image at 0x${s.address.toString(16)} reaches the secure area`);
  }
  const app = b.application;
  const appWritten = app.present && (app.start !== before.application.start || app.size !== before.application.size || app.sha256 !== before.application.sha256 || !before.application.present);
  if (appWritten && app.start + app.size > secure && !app.overwritten) problems.push('application inside the secure area');
  if (b.stack && b.stack.address + b.stack.pages * d.pageSize !== fusStart) problems.push('the stack does not end at the FUS area');
  return problems;
}

// A fixed number of runs of CPU-bound work: the timeout catches a hang, not a slow (shared, loaded) machine.
describe('model properties under random operation sequences', { timeout: 300_000 }, () => {
  it('SFSA moves only by FUS, FUS never goes down, nothing is written into the FUS or secure area', () => {
    fc.assert(
      fc.property(board, fc.array(step, { minLength: 1, maxLength: 30 }), (start, steps) => {
        let b = start;
        for (const s of steps) {
          if (s.kind === 'fault') {
            b = armFault(b, s.fault);
            continue;
          }
          const r = apply(b, s.command, s.ctx);
          // FUS moves SFSA: its own commands, an operation it resumes at boot, or option bytes it left corrupted (a FUS
          // update tried at RDP 0xBB corrupts them at the next option byte reload: RDP-FUS).
          const byFus = s.command.op === 'fwDelete' || s.command.op === 'fwUpgrade' || r.events.some((e) => e.type === 'resumed' || (e.type === 'note' && /option bytes corrupted/.test(e.message)));
          if (!byFus) expect(r.board.optionBytes.sfsa, `${s.command.op} moved SFSA`).toBe(b.optionBytes.sfsa);
          expect(compareVersions(r.board.fus.version, b.fus.version), `${s.command.op}: FUS went down`).toBeGreaterThanOrEqual(0);
          expect(regionProblems(b, r.board), s.command.op).toEqual([]);
          expect(r.board.clock.ms).toBeGreaterThanOrEqual(b.clock.ms);
          b = r.board;
        }
      }),
      {
        numRuns: 300,
        examples: [
          // Found by CI (seed 277553713): a FUS update refused at RDP 0xBB corrupts the option bytes at the next reset
          // (SFSA 0x00); the FUS image staged before that is then below SFSA without having been written there.
          [
            makeBoard({ device: 'STM32WB5xxG_1M', fusVersion: '0.5.3', stack: null, cpu2: 'fus', application: { sizeBytes: 0x4000 } }),
            [
              { kind: 'command', command: { op: 'stageImage', write: IMAGES[0]! }, ctx: { transport: 'uart', toolVersion: '2.20.0' } },
              { kind: 'command', command: { op: 'writeOptionBytes', values: { rdp: 0xbb } }, ctx: { transport: 'uart', toolVersion: '2.20.0' } },
              { kind: 'command', command: { op: 'fwUpgrade' }, ctx: { transport: 'uart', toolVersion: '2.20.0' } },
              { kind: 'fault', fault: { kind: 'power-loss', at: 'install' } },
              { kind: 'command', command: { op: 'reset', kind: 'software' }, ctx: { transport: 'uart', toolVersion: '2.20.0' } },
            ],
          ],
        ],
      },
    );
  });

  it('the state survives a store round trip (a process restart) after any sequence', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(board, fc.array(step, { maxLength: 20 }), async (start, steps) => {
        let b: SimBoard = { ...start, serial: `P${n++}` };
        for (const s of steps) b = s.kind === 'fault' ? armFault(b, s.fault) : apply(b, s.command, s.ctx).board;
        assertValid('sim-board', b, 'board after random steps');
        await writeSimulatedBoard(dir, b, 123);
        const back = await readSimulatedBoard(dir, b.serial);
        expect(back).toEqual({ ...b, clock: { ...b.clock, wallAt: 123 } });
      }),
      { numRuns: 60 },
    );
  });
});
