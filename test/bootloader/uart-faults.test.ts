/**
 * Fault injection through the bootloader driver over UART (virtual AN3155 bootloader on the simulated board),
 * at every step of the rescue and upgrade cases. After a fault, apply is simply run again (up to 4 runs) and
 * each case is classified (as in test/hardening/fault-harness.ts): converged (a run succeeds, the board is at
 * the target, the next plan is empty), diagnosed (every run failed and said why; the board no worse than the
 * fault explains), lost (anything else). Lost must be 0.
 *
 * A: the board's faults (power loss / unplug in the download, the install, a delete, a reset; corrupted
 *    option bytes), through `copro apply --simulate` with `driver: bootloader`, `port: /dev/ttyACM0`.
 * B: the UART's own faults (a corrupted reply, a lost reply, a bootloader that stalls, one that does not
 *    come back after a reset, the adapter unplugged mid-download), through the driver and the runner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_FAULTS, STAGES, runMatrix, summarize, worseThanTheFault, type FaultCase, type Stage, type Verdict } from '../hardening/fault-harness.js';
import { makeProject, manifestText, type Project } from '../hardening/helpers.js';
import { makeBoard } from '../../src/drivers/simulator/index.js';
import { parseUartFault } from '../../src/drivers/bootloader/uart/virtual-device.js';
import { applyWith, sim } from './helpers.js';
import { uartDriver, uartTarget } from './uart-e2e-helpers.js';

const TARGET = { fus: '2.2.0', stackType: 'BLE_Stack_full', stackVersion: '1.24.0' };
const savedEnv = { dir: process.env.COPRO_SIM_DIR, cwd: process.cwd() };
let p: Project;
let manifest: string;

beforeAll(async () => {
  p = await makeProject('copro-uart-faults-');
  const text = manifestText().replace(/connection:\n {2}driver: simulator\n {2}port: usb1\n {2}timeoutSeconds: 10/, 'connection:\n  driver: bootloader\n  port: /dev/ttyACM0\n  baudrate: 115200');
  expect(text).toMatch(/driver: bootloader/);
  manifest = await p.write('copro.yaml', text);
});
afterAll(async () => {
  process.chdir(savedEnv.cwd);
  if (savedEnv.dir === undefined) delete process.env.COPRO_SIM_DIR;
  else process.env.COPRO_SIM_DIR = savedEnv.dir;
  await p.cleanup();
});

describe('fault injection over UART, board faults (copro apply --simulate, driver: bootloader on /dev/ttyACM0)', () => {
  // USB re-enumeration faults (usb-late, usb-gone) do not apply to a UART link.
  const any = ['power-loss@reset', 'unplug@reset', 'corrupt-option-bytes'];
  const cases: FaultCase[] = [
    ...[STAGES.rescue1, STAGES.rescue2, STAGES.rescue3].flatMap((stage) => [...BOARD_FAULTS.upgrade, ...any].map((fault) => ({ stage, fault }))),
    ...[...BOARD_FAULTS.upgrade, ...any, ...BOARD_FAULTS.delete].map((fault) => ({ stage: STAGES.upgrade1, fault })),
    ...[...any, ...BOARD_FAULTS.delete].map((fault) => ({ stage: STAGES.upgrade2, fault })),
  ];

  it(`${cases.length} cases: every one converges or is diagnosed; none is lost`, async () => {
    process.env.COPRO_SIM_DIR = p.simDir;
    process.chdir(p.root);
    const results = await runMatrix(cases, { manifest, simDir: p.simDir, args: ['--simulate'], target: TARGET, concurrency: 4 });
    const s = summarize(results, 'bootloader driver over virtual UART');
    console.log(`${s.line}\n${s.table}`);
    expect(results).toHaveLength(cases.length);
    expect(s.lost.map((r) => `${r.case.stage.name} + ${r.case.fault}: ${r.why}`)).toEqual([]);
    // Not vacuous: faults fire and runs fail before a rerun fixes them.
    expect(results.filter((r) => r.fired).length).toBeGreaterThan(cases.length / 2);
    expect(results.filter((r) => r.runs.length > 1 || r.verdict === 'diagnosed').length).toBeGreaterThan(cases.length / 3);
  }, 900_000);
});

interface UartCaseResult {
  name: string;
  verdict: Verdict;
  runs: string[];
  why: string;
}

/** One case: the first run's link has the UART fault; later runs are clean (a person retrying). */
async function uartCase(stage: Stage, fault: string, serial: string): Promise<UartCaseResult> {
  const dir = p.simDir;
  await sim.writeSimulatedBoard(dir, makeBoard({ ...stage.spec, serial }));
  const start = await sim.readSimulatedBoard(dir, serial);
  const t = await uartTarget(dir);
  const runs: string[] = [];
  const name = `${stage.name} + ${fault}`;
  const done = (verdict: Verdict, why: string): UartCaseResult => ({ name, verdict, runs, why });
  for (let i = 0; i < 4; i++) {
    const faults = i === 0 ? [parseUartFault(fault)] : [];
    const r = await applyWith(dir, serial, () => uartDriver(dir, serial, { faults }), t);
    runs.push(`${r.result.result}${r.result.error ? `: ${r.result.error}` : ''}`);
    const now = await sim.readSimulatedBoard(dir, serial);
    const worse = worseThanTheFault(start, now);
    if (worse) return done('lost', worse);
    if (r.result.result === 'provisioned' || r.result.result === 'up-to-date') {
      if (!(now.fus.version === TARGET.fus && now.stack?.type === TARGET.stackType && now.stack?.version === TARGET.stackVersion)) return done('lost', `success claimed, board at FUS ${now.fus.version} / ${now.stack?.version ?? 'no stack'}`);
      const again = await applyWith(dir, serial, () => uartDriver(dir, serial), t);
      if (again.result.result !== 'up-to-date') return done('lost', `at the target but the next run says ${again.result.result}`);
      return done('converged', `run ${i + 1}`);
    }
  }
  const last = runs.at(-1)!;
  return last.length > 20 ? done('diagnosed', last) : done('lost', `no diagnosis after 4 runs: ${runs.join(' | ')}`);
}

describe('fault injection over UART, faults of the serial link (driver + runner)', () => {
  const faults = ['corrupt-reply@0x11', 'drop-reply@0x11', 'drop-reply@0x31', 'corrupt-reply@0x50', 'drop-reply@0x50', 'drop-reply@0x51', 'drop-reply@0x44', 'stall@0x31', 'no-return', 'unplug-mid-write:40'];
  const stages = [STAGES.rescue1, STAGES.rescue3, STAGES.upgrade1];
  const cases = stages.flatMap((stage) => faults.map((fault) => ({ stage, fault })));

  it(`${cases.length} cases: every one converges or is diagnosed; none is lost`, async () => {
    const results: UartCaseResult[] = new Array(cases.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < cases.length) {
          const i = next++;
          results[i] = await uartCase(cases[i]!.stage, cases[i]!.fault, `UF${String(i).padStart(4, '0')}`);
        }
      }),
    );
    const n = (v: Verdict) => results.filter((r) => r.verdict === v).length;
    console.log(
      `fault injection: ${results.length} tried, ${n('converged')} converged, ${n('diagnosed')} diagnosed, ${n('lost')} lost (UART link faults, bootloader driver)\n` +
        results.map((r) => `  ${r.verdict.padEnd(9)} ${r.name}: ${r.runs.join(' | ')}${r.verdict === 'converged' ? '' : ` -- ${r.why}`}`).join('\n'),
    );
    expect(results.filter((r) => r.verdict === 'lost').map((r) => `${r.name}: ${r.why}`)).toEqual([]);
    // Not vacuous: most first runs fail because of the fault.
    expect(results.filter((r) => r.runs.length > 1 || r.verdict === 'diagnosed').length).toBeGreaterThan(cases.length / 2);
  }, 900_000);
});
