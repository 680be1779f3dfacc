/**
 * Issue 14: "the simulator's messages never reveal more than the real tool prints (a rehearsal must not diagnose
 * better than a real run can)". The same failing scenarios run through the simulator driver and through the real
 * CubeProgrammer driver + fake STM32_Programmer_CLI on identical boards. The simulator path must say nothing the
 * tool does not print (no fault names, no "armed", no "damaged for good", no model reason), type the failure the
 * same way, and its read-back must not carry model-only notes.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { armFault, parseFault, makeBoard, writeSimulatedBoard, createSimulatorDriver, type SimBoard } from '../../src/drivers/simulator/index.js';
import { createCubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/index.js';
import { DriverError, type Driver, type OperationReport } from '../../src/drivers/driver.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { identifyBytes } from '../../src/images/index.js';
import type { AvailableImage } from '../../src/images/types.js';
import { IMG, record, standInBytes } from './helpers.js';
import { makeProject, manifestText, runCli, SERIAL } from '../hardening/helpers.js';
import { tempDir, writeFile } from './transcript.js';

const FAKE_CLI = path.join(import.meta.dirname, '..', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');

/** Words only the model knows: why a command failed, what a fault did, what FUS will do at the next boot. */
export const MODEL_ONLY = /damaged|armed|\bfault\b|power (?:was )?lost|power-loss|unplugged|locked up|for good|resum|pending|outcome=|secure area|reach(?:es)? the|s left|SFSA 0x|needs level|RDP is 0x|is not running and cannot|the wireless stack runs\)/i;

function imageFile(dir: string, prefix: string): AvailableImage {
  const bytes = standInBytes(prefix);
  const name = record(prefix).names.at(-1)!;
  return { identity: identifyBytes(bytes, name), path: writeFile(dir, name, bytes), name, origin: 'stand-in' };
}

interface Scenario {
  name: string;
  board: (serial: string) => SimBoard;
  op: (d: Driver, dir: string) => Promise<OperationReport>;
}

const fusUpdate = (d: Driver, dir: string) => d.upgrade(imageFile(dir, IMG.FUS_2_2_0), 0x080ee000, { firstInstall: true, startStack: false });
const stackInstall = (d: Driver, dir: string) => d.upgrade(imageFile(dir, IMG.BLE_FULL_1_24_0_V2), 0x080d0000, { firstInstall: true, startStack: true });
const withFault = (b: SimBoard, f: string) => armFault(b, parseFault(f));

const SCENARIOS: Scenario[] = [
  {
    name: 'FUS damaged: a FUS update',
    board: (serial) => ({ ...makeBoard({ serial, fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), fusDamaged: 'power lost while FUS 1.2.0 installed FUS 2.2.0' }),
    op: fusUpdate,
  },
  ...(['resume', 'image-corrupt', 'ob-corrupt', 'fus-damaged'] as const).map((outcome) => ({
    name: `power loss during a FUS update (${outcome})`,
    board: (serial: string) => withFault(makeBoard({ serial, fusVersion: '1.2.0', stack: null }), `power-loss@install:outcome=${outcome}`),
    op: fusUpdate,
  })),
  { name: 'power loss mid-download', board: (serial) => withFault(makeBoard({ serial, fusVersion: '2.2.0', stack: null }), 'power-loss@download:50'), op: stackInstall },
  { name: 'an erase that fails on some pages', board: (serial) => withFault(makeBoard({ serial, fusVersion: '2.2.0', stack: null }), 'erase-fail'), op: stackInstall },
  { name: 'RDP 0xBB: a FUS update', board: (serial) => makeBoard({ serial, fusVersion: '1.2.0', stack: null, rdp: 0xbb }), op: fusUpdate },
  { name: 'RDP 0xBB: a stack delete', board: (serial) => makeBoard({ serial, fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, rdp: 0xbb }), op: (d) => d.deleteStack() },
];

interface PathResult {
  report: OperationReport | { thrown: string; code: string };
  after: BoardState | { thrown: string; code: string };
  /** The real path: everything STM32_Programmer_CLI printed (its log). */
  transcript?: string;
}

const caught = (e: unknown) => {
  if (e instanceof DriverError) return { thrown: e.message, code: e.code };
  throw e;
};

async function simulatorPath(s: Scenario, serial: string): Promise<PathResult> {
  const dir = tempDir('copro-words-sim-');
  await writeSimulatedBoard(dir, s.board(serial));
  const d = await createSimulatorDriver({ dir, serial, transport: 'usb', speed: 1000 });
  const report = await s.op(d, dir).catch(caught);
  const after = await d.readState().catch(caught);
  await d.close();
  return { report, after };
}

async function realPath(s: Scenario, serial: string): Promise<PathResult> {
  const dir = tempDir('copro-words-cli-');
  await writeSimulatedBoard(dir, s.board(serial));
  const saved = { dir: process.env.COPRO_SIM_DIR, speed: process.env.COPRO_SIM_SPEED };
  process.env.COPRO_SIM_DIR = dir;
  process.env.COPRO_SIM_SPEED = '1000';
  try {
    const logFile = path.join(dir, 'cli.log');
    const d = await createCubeProgrammerDriver({ executable: FAKE_CLI, port: 'usb1', serial, logFile, allowStandInImages: true, reconnect: { limitMs: 2_000, firstDelayMs: 200, maxDelayMs: 500 } });
    const report = await s.op(d, dir).catch(caught);
    const transcript = await readFile(logFile, 'utf8');
    const after = await d.readState().catch(caught);
    await d.close();
    return { report, after, transcript };
  } finally {
    for (const [k, v] of [['COPRO_SIM_DIR', saved.dir], ['COPRO_SIM_SPEED', saved.speed]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const squash = (t: string) => t.replace(/\s+/g, ' ').replace(/[\s.!]+$/, '').trim();
const textOf = (r: PathResult['report']) => ('thrown' in r ? r.thrown : r.messages.join('\n'));
const codeOf = (r: PathResult['report']) => ('thrown' in r ? r.code : r.ok ? 'OK' : r.error);

describe('the simulator driver says no more than STM32_Programmer_CLI prints', () => {
  it.each(SCENARIOS.map((s, i) => [s.name, s, `TW${String(i).padStart(4, '0')}`] as const))('%s', async (_name, s, serial) => {
    const sim = await simulatorPath(s, serial);
    const real = await realPath(s, serial);
    const simText = textOf(sim.report);
    // Typed the same way: the simulator's error code is the one the real driver gives the tool's words.
    expect(codeOf(sim.report), `simulator: ${simText}\nreal: ${textOf(real.report)}`).toBe(codeOf(real.report));
    expect(simText).not.toMatch(MODEL_ONLY);
    // Every line the simulator reports is a line the real tool printed for the same board (FUS's state/status pairs
    // aside: which polls a version prints differs, the values are FUS's own answers).
    if (!('thrown' in sim.report)) {
      const printed = squash(real.transcript ?? '');
      const extra = sim.report.messages.filter((m) => !/^FUS (state|status) is /.test(m) && !printed.includes(squash(m)));
      expect(extra, `not printed by the tool:\n${real.transcript}`).toEqual([]);
    }
    // The read-back afterwards carries no model-only note either.
    const notes = 'thrown' in sim.after ? sim.after.thrown : sim.after.notes.join('\n');
    expect(notes).not.toMatch(MODEL_ONLY);
  });
});

/** What copro's diagnosis can name. The simulator path may name one only where the real-driver path names it too. */
const DIAGNOSES: Record<string, RegExp> = {
  'FUS damaged': /FUS is damaged/,
  safeboot: /safeboot/i,
  'image found corrupt': /IMG_CORRUPT/,
  'power-loss advice': /If the board lost power/,
  'locked up': /locked up/i,
  'RDP': /RDP|read-protect/i,
  'erase failed': /erase/i,
};
/** Model vocabulary that must never reach copro's output on a rehearsal. */
const FAULT_WORDS = /armed|power-loss@|outcome=|fus-damaged|ob-corrupt|image-corrupt|erase-fail|\(armed fault\)/i;

interface AppliedCase {
  name: string;
  board: (serial: string) => SimBoard;
  /** A diagnosis both paths must reach (from the board read back, not from the tool's words). */
  both?: RegExp;
}

const APPLY_CASES: AppliedCase[] = [
  { name: 'FUS damaged', board: SCENARIOS[0]!.board },
  ...(['image-corrupt', 'ob-corrupt', 'fus-damaged'] as const).map((outcome) => ({
    name: `power loss during the FUS update (${outcome})`,
    board: (serial: string) => withFault(makeBoard({ serial, fusVersion: '1.2.0', stack: null }), `power-loss@install:outcome=${outcome}`),
    // The second apply's FUS update fails and FUS reads back FUS_STATE_ERR_UNKNOWN: both paths say FUS is damaged.
    ...(outcome === 'fus-damaged' ? { both: /FUS is damaged/ } : {}),
  })),
  { name: 'RDP 0xBB', board: (serial: string) => makeBoard({ serial, fusVersion: '1.2.0', stack: null, rdp: 0xbb }) },
  { name: 'an erase that fails', board: (serial: string) => withFault(makeBoard({ serial, fusVersion: '2.2.0', stack: null }), 'erase-fail') },
];

/** Two `copro apply` runs (the failing one and the one after) and `copro doctor`, all output together. */
async function applyTwiceAndDoctor(c: AppliedCase, driver: 'simulator' | 'cubeprogrammer'): Promise<string> {
  const p = await makeProject(`copro-words-${driver}-`);
  try {
    await writeSimulatedBoard(p.simDir, c.board(SERIAL));
    const m = await p.write('copro.yaml', manifestText({ driver }));
    const args = driver === 'simulator' ? ['--simulate'] : ['--cubeprogrammer', FAKE_CLI];
    const env = { COPRO_SIM_DIR: p.simDir, COPRO_SIM_SPEED: '1000', COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };
    const outs: string[] = [];
    for (const cmd of [['apply', m, '--yes', '--no-color'], ['apply', m, '--yes', '--no-color'], ['doctor', m]]) {
      const r = await runCli([...cmd, ...args], { cwd: p.root, env });
      outs.push(`$ copro ${cmd[0]} (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
    }
    return outs.join('\n');
  } finally {
    await p.cleanup();
  }
}

describe("copro's diagnosis on a rehearsal is not more specific than on a real run", () => {
  it.each(APPLY_CASES.map((c) => [c.name, c] as const))('%s: apply, apply again, doctor', async (_name, c) => {
    const sim = await applyTwiceAndDoctor(c, 'simulator');
    const real = await applyTwiceAndDoctor(c, 'cubeprogrammer');
    expect(sim).not.toMatch(FAULT_WORDS);
    const sharper = Object.entries(DIAGNOSES).filter(([, re]) => re.test(sim) && !re.test(real)).map(([k]) => k);
    expect(sharper, `simulator path:\n${sim}\n\nreal-driver path:\n${real}`).toEqual([]);
    if (c.both) {
      expect(sim, 'simulator path').toMatch(c.both);
      expect(real, 'real-driver path').toMatch(c.both);
    }
  });
});
