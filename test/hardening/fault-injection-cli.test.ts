/**
 * Issue 9, fault injection through the real driver: `copro apply --cubeprogrammer <fake STM32_Programmer_CLI>`
 * over the same simulated boards, so the faults that live in the tool (a CLI that hangs in -fwupgrade and must
 * be killed, an error printed with exit code 0, FUS 0.5.3's false "not authentic") and the USB device that
 * comes back late are seen as copro sees them on hardware: through the CLI's text and exit code only.
 * Fewer cases than the simulator matrix (each tool call is a process), chosen to cover every tool-level
 * fault and one board fault per kind of step. `connection.timeoutSeconds: 10` (the schema's minimum)
 * bounds the hung CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_FAULTS, OUTCOME_FAULTS, OUTCOMES_MODELLED, STAGES, outcomeViolation, runMatrix, summarize, type FaultCase } from './fault-harness.js';
import { recordSummary } from './summary.js';
import { FAKE_CLI, WB5X_BLE_FULL_124, WB5X_FUS_120_FOR_053, WB5X_FUS_220, makeProject, manifestText, writeStandIn, type Project } from './helpers.js';

let p: Project;
let manifest: string;
const saved = { dir: process.env.COPRO_SIM_DIR, allow: process.env.COPRO_ALLOW_STANDIN_IMAGES, cwd: process.cwd() };
const TARGET = { fus: '2.2.0', stackType: 'BLE_Stack_full', stackVersion: '1.24.0' };

beforeAll(async () => {
  p = await makeProject('copro-faults-cli-');
  for (const r of [WB5X_FUS_120_FOR_053(), WB5X_FUS_220(), WB5X_BLE_FULL_124()]) await writeStandIn(p, r);
  manifest = await p.write('copro.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
});
afterAll(async () => {
  process.chdir(saved.cwd);
  for (const [k, v] of [['COPRO_SIM_DIR', saved.dir], ['COPRO_ALLOW_STANDIN_IMAGES', saved.allow]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await p.cleanup();
});

describe('fault injection, real driver through the fake STM32_Programmer_CLI', () => {
  // Each tool call is a node process: the default set keeps CI within its budget; COPRO_FAULTS_FULL=1 adds
  // one board fault per kind of step through the real driver as well (the simulator matrix has them all).
  const cases: FaultCase[] = [
    // Tool-level faults (field report P22: -fwupgrade hangs; cli-transcripts/19 A: error with exit 0; P38).
    { stage: STAGES.rescue3, fault: 'hung-cli' },
    { stage: STAGES.rescue3, fault: 'exit-0-after-error+power-loss@download:50' },
    { stage: STAGES.rescue1, fault: 'fus-053-not-authentic-quirk' },
    // USB that comes back late after a reset.
    { stage: STAGES.rescue3, fault: 'usb-late:30' },
    ...(process.env.COPRO_FAULTS_FULL === '1'
      ? [
          // USB that never comes back: diagnosed after the driver's 20 s (real time) reconnect limit.
          { stage: STAGES.upgrade2, fault: 'usb-gone' },
          { stage: STAGES.rescue3, fault: BOARD_FAULTS.upgrade[1] }, // power-loss@download:50, stack
          { stage: STAGES.rescue3, fault: 'power-loss@reset' },
          { stage: STAGES.rescue2, fault: 'unplug@install' }, // inside the FUS update
          { stage: STAGES.upgrade2, fault: BOARD_FAULTS.delete[0] }, // power-loss@delete
        ]
      : []),
  ];

  it(`${cases.length} cases: every one converges or is diagnosed; none is lost`, async () => {
    process.env.COPRO_SIM_DIR = p.simDir;
    process.env.COPRO_ALLOW_STANDIN_IMAGES = '1';
    process.chdir(p.root);
    const results = await runMatrix(cases, { manifest, simDir: p.simDir, args: ['--cubeprogrammer', FAKE_CLI], target: TARGET, concurrency: cases.length });
    const s = summarize(results, 'real driver + fake STM32_Programmer_CLI');
    console.log(`${s.line}\n${s.table}`);
    recordSummary('fault injection', s.line);
    expect(s.lost.map((r) => `${r.case.stage.name} + ${r.case.fault}: ${r.why}`)).toEqual([]);
    // Every fault fired: each case tested what it names.
    expect(results.filter((r) => !r.fired).map((r) => r.case.fault)).toEqual([]);
  }, 600_000); // a hang guard: bounded work that takes under a minute on a quiet machine, several on a loaded one
});

describe('power loss inside FW_UPGRADE / FW_DELETE with each outcome ST describes, real driver through the fake STM32_Programmer_CLI', () => {
  // The board as it is before each FUS install or delete of the rescue and upgrade cases; the CLI only
  // shows what the real tool would print, so each diagnosis is what copro can tell on hardware.
  const cases: FaultCase[] = [
    ...OUTCOME_FAULTS.fusUpdate.slice(0, 4).map((fault) => ({ stage: STAGES.rescue2, fault })),
    ...['power-loss@install/fus-damaged', 'power-loss@install/ob-corrupt'].map((fault) => ({ stage: STAGES.rescue1, fault })),
    ...OUTCOME_FAULTS.stackInstall.slice(0, 3).map((fault) => ({ stage: STAGES.rescue3, fault })),
    ...OUTCOME_FAULTS.delete.map((fault) => ({ stage: STAGES.upgrade2, fault })),
  ];

  it.skipIf(!OUTCOMES_MODELLED)(`${cases.length} cases: resume and image-corrupt converge, option bytes corrupted and FUS damaged are diagnosed (bounded); none is lost`, async () => {
    process.env.COPRO_SIM_DIR = p.simDir;
    process.env.COPRO_ALLOW_STANDIN_IMAGES = '1';
    process.chdir(p.root);
    const results = await runMatrix(cases, { manifest, simDir: p.simDir, args: ['--cubeprogrammer', FAKE_CLI], target: TARGET, concurrency: 6 });
    const s = summarize(results, 'real driver + fake STM32_Programmer_CLI, power-loss outcomes');
    console.log(`${s.line}\n${s.table}`);
    recordSummary('fault injection', s.line);
    expect(s.lost.map((r) => `${r.case.stage.name} + ${r.case.fault}: ${r.why}`)).toEqual([]);
    expect(results.filter((r) => !r.fired).map((r) => `${r.case.stage.name} + ${r.case.fault}`)).toEqual([]);
    expect(results.map(outcomeViolation).filter(Boolean)).toEqual([]);
  }, 300_000);
});
