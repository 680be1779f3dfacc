#!/usr/bin/env node
/**
 * Benchmark 1, overhead: `copro apply` of the rescue scenario (FUS 0.5.3, no stack -> FUS 2.2.0 +
 * BLE_Stack_full 1.24.0, over USB DFU) on the fake STM32_Programmer_CLI with the simulator's timing model.
 * Figure: total wall time / modelled device time. Goal <= 1.03 at realistic timing (COPRO_SIM_SPEED=1).
 *
 * At speed s the simulator sleeps device time / s, so a run at speed s takes D/s + C, where D is the modelled
 * device time and C the host's own time (copro + the CLI processes' start-up). We measure D exactly (an
 * accounting run whose board clock counts device time only, see lib/zero-idle-cli.mjs) and W at each speed,
 * so C = W - D/s, and the ratio a realistic run would show is (D + C) / D. The C of the slowest speed is used
 * (the most conservative; C hardly depends on s). BENCH_OVERHEAD_SPEEDS=1 measures realistic timing directly
 * (about 95 s).
 *
 * C is split with copro's own transcripts (.copro/logs: each CLI call and how long it ran): time inside CLI
 * processes beyond device time (the tool's start-up, paid by any script of CLI calls too) and copro's own time
 * (its start-up, planning, checks, output parsing, waits between calls).
 */
import { applyOnFakeCli, cleanup, figure, isMain, main, median, printTable, rescueWorkspace, round, run, say, writeResult, profileCopro, cleanEnv, FAKE_CLI, resetBoard } from './lib/common.mjs';
import path from 'node:path';

export const GOAL = 1.03;

export async function overhead() {
  const speeds = (process.env.BENCH_OVERHEAD_SPEEDS ?? '2,10')
    .split(',')
    .map(Number)
    .filter((s) => s > 0)
    .sort((a, b) => a - b);
  const ws = await rescueWorkspace('overhead');
  try {
    say('overhead: accounting run (device time only)');
    const acc = await applyOnFakeCli(ws, { speed: 1000, accounting: true, label: 'accounting' });
    const deviceMs = acc.deviceMs;
    const runs = [];
    for (const speed of speeds) {
      say(`overhead: timed run at COPRO_SIM_SPEED=${speed} (device time ${round(deviceMs / speed / 1000, 1)} s)`);
      const r = await applyOnFakeCli(ws, { speed });
      const wallMs = r.run.wallMs;
      const deviceWallMs = deviceMs / speed;
      const cliMs = r.calls.reduce((s, c) => s + (c.ms ?? 0), 0);
      const sameCalls = r.after.counters.cliProcesses === acc.after.counters.cliProcesses && r.after.counters.resets === acc.after.counters.resets;
      // The device time D comes from the accounting run: it applies only if the timed run made the same calls.
      if (!sameCalls) say(`overhead: WARNING: the run at speed ${speed} made ${r.after.counters.cliProcesses} CLI calls / ${r.after.counters.resets} resets, the accounting run ${acc.after.counters.cliProcesses} / ${acc.after.counters.resets}`);
      runs.push({
        speed,
        wallMs: round(wallMs, 0),
        deviceWallMs: round(deviceWallMs, 0),
        ratio: round(wallMs / deviceWallMs, 4),
        hostMs: round(wallMs - deviceWallMs, 0),
        insideCliProcessesMs: round(cliMs, 0),
        cliToolMs: round(cliMs - deviceWallMs, 0),
        coproOwnMs: round(wallMs - cliMs, 0),
        cliProcesses: r.after.counters.cliProcesses,
        resets: r.after.counters.resets,
        sameCallsAsAccountingRun: sameCalls,
      });
    }
    const slowest = runs[0];
    const projected = 1 + slowest.hostMs / deviceMs;
    const projectedCoproOnly = 1 + slowest.coproOwnMs / deviceMs;
    // The CLI's own start-up, measured alone (`--version`): what every STM32_Programmer_CLI call costs the host.
    const fakeStart = [];
    for (let i = 0; i < 5; i++) fakeStart.push((await run(FAKE_CLI, ['--version'], { env: cleanEnv() })).wallMs);
    const fakeStartMs = median(fakeStart);
    const figures = [
      figure(`wall / device time, realistic timing${slowest.speed === 1 ? '' : ` (projected from speed ${slowest.speed})`}`, projected, { goal: GOAL, op: '<=', digits: 4 }),
      ...runs.map((r) => figure(`wall / device time measured at speed ${r.speed}`, r.ratio, { digits: 4, note: `wall ${r.wallMs} ms, device ${r.deviceWallMs} ms` })),
      figure('modelled device time (speed 1)', deviceMs / 1000, { unit: 's', digits: 1 }),
      figure(`host time per run (speed ${slowest.speed})`, slowest.hostMs / 1000, { unit: 's', digits: 2 }),
      figure(`  of which CLI processes beyond device time`, slowest.cliToolMs / 1000, { unit: 's', digits: 2, note: `${slowest.cliProcesses} processes; one fake CLI start-up alone: ${round(fakeStartMs, 0)} ms` }),
      figure(`  of which copro's own`, slowest.coproOwnMs / 1000, { unit: 's', digits: 2 }),
      figure('wall / device time if the CLI cost nothing (copro only)', projectedCoproOnly, { digits: 4 }),
    ];
    printTable('1. Overhead: copro apply, rescue scenario, fake CLI, realistic timing model', figures);
    let profile;
    if (projected > GOAL) {
      say('overhead: goal missed; profiling copro (speed 50)');
      const simDir = path.join(ws.dir, 'sim-profile');
      await resetBoard(ws, simDir);
      profile = await profileCopro(['apply', ws.manifest, '--yes', '--json', '--serial', ws.serial, '--cubeprogrammer', FAKE_CLI], {
        cwd: ws.dir,
        env: cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: '50', COPRO_ALLOW_STANDIN_IMAGES: '1' }),
      });
    }
    return writeResult('overhead', {
      scenario: 'FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0 (manifests/nucleo-wb55-ble.yaml), USB DFU, real driver on the fake STM32_Programmer_CLI',
      goal: `wall / modelled device time <= ${GOAL} at realistic timing`,
      met: projected <= GOAL,
      deviceMs: round(deviceMs, 0),
      projectedRatioSpeed1: round(projected, 4),
      projectedRatioSpeed1CoproOnly: round(projectedCoproOnly, 4),
      fakeCliStartupMs: round(fakeStartMs, 0),
      runs,
      cliCalls: acc.calls.map((c) => c.argv),
      counters: acc.after.counters,
      figures,
      ...(profile ? { profile } : {}),
    });
  } finally {
    await cleanup(ws.dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await overhead()));
