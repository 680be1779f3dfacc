/**
 * Fault injection through the bootloader driver over the virtual DFU device, at every step of the rescue and
 * upgrade cases: board faults (power loss / unplug during a download, an install, a delete, a reset; USB
 * late or gone after a reset; FUS 0.5.3's "not authentic" quirk) and USB transport faults at every n-th
 * request (stall, corrupted reply or data, timeout, unplug mid-transfer, a device that does not come back).
 * After each fault the run is repeated (a person re-running `copro apply`; each run plugs the board in again),
 * up to MAX_RUNS times, and the case is classified as in test/hardening: converged / diagnosed / lost.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RUNS, worseThanTheFault } from '../hardening/fault-harness.js';
import type { SimBoard, BoardSpec } from '../../src/drivers/simulator/index.js';
import { parseUsbFault, type UsbFault } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import { applyWith, bootloaderDriver, rescueTarget, sim, tempDir } from './helpers.js';

const SPEED = 1000;
const TARGET = { fus: '2.2.0', stackType: 'BLE_Stack_full', stackVersion: '1.24.0' };

type Verdict = 'converged' | 'diagnosed' | 'lost';
interface Case {
  stage: string;
  spec: BoardSpec;
  boardFault?: string;
  usbFault?: UsbFault;
}

const STAGES: [string, BoardSpec][] = [
  ['rescue start (FUS 0.5.3, no stack)', {}],
  ['rescue after step 1 (FUS 1.2.0)', { fusVersion: '1.2.0' }],
  ['rescue after step 2 (FUS 2.2.0, no stack)', { fusVersion: '2.2.0' }],
  ['upgrade start (FUS 1.2.0 + stack 1.13.0 running)', { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'stack' }],
];
const BOARD_FAULTS = ['power-loss@download:10', 'power-loss@download:60', 'unplug@download:95', 'power-loss@install', 'unplug@install', 'power-loss@delete', 'power-loss@reset', 'usb-late:8', 'usb-gone', 'fus-053-not-authentic-quirk'];
const USB_KINDS = ['stall', 'corrupt', 'timeout', 'unplug', 'no-return'] as const;

const atTarget = (b: SimBoard) => b.fus.version === TARGET.fus && b.stack?.type === TARGET.stackType && b.stack?.version === TARGET.stackVersion;

async function runCase(c: Case): Promise<{ verdict: Verdict; why: string }> {
  const dir = tempDir();
  let board = sim.makeBoard(c.spec);
  if (c.boardFault) board = sim.armFault(board, sim.parseFault(c.boardFault));
  await sim.writeSimulatedBoard(dir, board);
  const start = board;
  const t = await rescueTarget(dir);
  let last: { result: string; error?: string } | undefined;
  for (let i = 0; i < MAX_RUNS; i++) {
    const faults = i === 0 && c.usbFault ? [c.usbFault] : [];
    let r;
    try {
      r = await applyWith(dir, board.serial, async () => (await bootloaderDriver(dir, board.serial, { faults, speed: SPEED })).driver, t);
    } catch (e) {
      return { verdict: 'lost', why: `threw: ${(e as Error).stack}` };
    }
    last = { result: r.result.result, ...(r.result.error ? { error: r.result.error } : {}) };
    const now = await sim.readSimulatedBoard(dir, board.serial);
    const worse = worseThanTheFault(start, now);
    if (worse) return { verdict: 'lost', why: worse };
    if (r.result.result === 'provisioned' || r.result.result === 'up-to-date') {
      if (!atTarget(now)) return { verdict: 'lost', why: `claimed ${r.result.result} off target (FUS ${now.fus.version}, stack ${now.stack?.version})` };
      const again = await applyWith(dir, board.serial, async () => (await bootloaderDriver(dir, board.serial, { speed: SPEED })).driver, t);
      if (again.result.result !== 'up-to-date') return { verdict: 'lost', why: `at target but a new run says ${again.result.result}` };
      return { verdict: 'converged', why: `run ${i + 1}` };
    }
  }
  if (last && (last.result === 'failed' || last.result === 'refused') && (last.error?.length ?? 0) > 10) return { verdict: 'diagnosed', why: last.error! };
  return { verdict: 'lost', why: `no diagnosis: ${JSON.stringify(last)}` };
}

async function matrix(cases: Case[], concurrency = 3) {
  const out: { c: Case; verdict: Verdict; why: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        out.push({ c, ...(await runCase(c)) });
      }
    }),
  );
  const count = (v: Verdict) => out.filter((o) => o.verdict === v).length;
  return { out, line: `tried ${out.length}, converged ${count('converged')}, diagnosed ${count('diagnosed')}, lost ${count('lost')}` };
}

/** How many USB requests a clean run of a stage takes (the USB faults are spread over them). */
async function requestsOf(spec: BoardSpec): Promise<number> {
  const dir = tempDir();
  const board = sim.makeBoard(spec);
  await sim.writeSimulatedBoard(dir, board);
  let n = 0;
  await applyWith(dir, board.serial, async () => {
    const d = await bootloaderDriver(dir, board.serial, { speed: SPEED });
    const close = d.driver.close.bind(d.driver);
    d.driver.close = async () => {
      n = d.usb.requests;
      await close();
    };
    return d.driver;
  });
  return n;
}

describe('fault injection through the bootloader driver (virtual DFU)', () => {
  it('board faults at every step of both cases: lost = 0', async () => {
    const cases: Case[] = STAGES.flatMap(([stage, spec]) => BOARD_FAULTS.map((f) => ({ stage, spec, boardFault: f })));
    const { out, line } = await matrix(cases);
    console.log(`bootloader driver, board faults: ${line}`);
    const lost = out.filter((o) => o.verdict === 'lost');
    expect(lost.map((o) => `${o.c.stage} / ${o.c.boardFault}: ${o.why}`)).toEqual([]);
    expect(out.filter((o) => o.verdict === 'converged').length).toBeGreaterThan(cases.length / 2);
  }, 600_000);

  it('USB faults at every part of the run (stall, corrupt, timeout, unplug, no-return): lost = 0', async () => {
    const cases: Case[] = [];
    for (const [stage, spec] of [STAGES[0]!, STAGES[3]!]) {
      const total = await requestsOf(spec);
      // 4 points spread over the whole run (read, erase, program, read-back, FUS commands, reconnects); 12 points: tried 120, lost 0 (428 s under load).
      const POINTS = Number(process.env.COPRO_USB_FAULT_POINTS ?? 4);
      for (let k = 0; k < POINTS; k++) {
        const at = Math.max(1, Math.round(((k + 0.5) * total) / POINTS));
        for (const kind of USB_KINDS) cases.push({ stage: `${stage} @${at}/${total}`, spec, usbFault: parseUsbFault(`${kind}@${at}`) });
      }
    }
    const { out, line } = await matrix(cases);
    console.log(`bootloader driver, USB faults: ${line}`);
    const lost = out.filter((o) => o.verdict === 'lost');
    expect(lost.map((o) => `${o.c.stage} / ${o.c.usbFault?.kind}: ${o.why}`)).toEqual([]);
  }, 900_000);
});
