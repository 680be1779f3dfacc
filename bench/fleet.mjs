#!/usr/bin/env node
/**
 * Benchmark 4, fleet: `copro apply --all --concurrency N` of the rescue scenario on 1, 2, 4, 8, 16 simulated
 * boards at once; wall time relative to one board, and copro's memory per board.
 * Goal: 16 boards in <= 1.15x the time of one (device-bound, not tool-bound).
 *
 * Driver (BENCH_FLEET_DRIVER):
 *  - `simulator` (default): copro's in-process simulated boards (`--simulate`, USB DFU model). Every board's
 *    device time is slept by copro's own event loop, so this measures what copro itself adds per board:
 *    planning, checks, rendering, event output, and the simulator's board store.
 *  - `fake-cli`: the real driver on the fake STM32_Programmer_CLI, one CLI process per operation per board.
 *    On a 2-core machine 16 boards then run ~200 Node.js processes (the fake CLI is a Node program), so this
 *    measures the machine more than copro; use it on a bigger host.
 * Speed: BENCH_FLEET_SPEED (default 10: a board's ~1.4 minutes of device time take ~8 s).
 * Memory: peak RSS of the copro process (lib/report-rss.mjs), per board = (RSS(16) - RSS(1)) / 15.
 */
import path from 'node:path';
import { cleanEnv, cleanup, coproWithPeakRss, figure, FAKE_CLI, isMain, main, printTable, readBoards, rescueWorkspace, resetBoard, round, say, writeResult } from './lib/common.mjs';

export const GOAL = 1.15;
const SIZES = (process.env.BENCH_FLEET_SIZES ?? '1,2,4,8,16').split(',').map(Number);

export async function fleet() {
  const speed = Number(process.env.BENCH_FLEET_SPEED ?? 10);
  const driver = process.env.BENCH_FLEET_DRIVER ?? 'simulator';
  if (driver !== 'simulator' && driver !== 'fake-cli') throw new Error(`BENCH_FLEET_DRIVER must be simulator or fake-cli, not ${driver}`);
  const ws = await rescueWorkspace('fleet');
  try {
    // Warm-up (file cache, stand-ins), not measured: otherwise the first size pays it.
    {
      const simDir = path.join(ws.dir, 'sim-warmup');
      await resetBoard(ws, simDir, 1);
      await coproWithPeakRss(['apply', ws.manifest, '--simulate', '--all', '--yes', '--json'], { cwd: ws.dir, env: cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: '1000' }) });
    }
    const runs = [];
    for (const n of SIZES) {
      const simDir = path.join(ws.dir, `sim-fleet-${n}`);
      await resetBoard(ws, simDir, n);
      const serials = (await readBoards(simDir)).map((b) => b.serial);
      const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: String(speed), ...(driver === 'fake-cli' ? { COPRO_ALLOW_STANDIN_IMAGES: '1' } : {}) });
      const args =
        driver === 'simulator'
          ? ['apply', ws.manifest, '--simulate', '--all', '--concurrency', String(n), '--yes', '--json']
          : ['apply', ws.manifest, '--serial', serials.join(','), '--cubeprogrammer', FAKE_CLI, '--concurrency', String(n), '--yes', '--json'];
      say(`fleet: ${n} board(s), ${driver}, COPRO_SIM_SPEED=${speed}`);
      const r = await coproWithPeakRss(args, { cwd: ws.dir, env });
      const finished = r.stdout
        .split('\n')
        .filter((l) => l.includes('"run-finished"'))
        .map((l) => JSON.parse(l))[0];
      const boards = await readBoards(simDir);
      const provisioned = boards.filter((b) => b.fus.version === '2.2.0' && b.stack?.type === 'BLE_Stack_full' && b.cpu2 === 'stack').length;
      if (r.code !== 0 || finished?.boards?.ok !== n || provisioned !== n) {
        const failures = r.stdout
          .split('\n')
          .filter((l) => l.includes('"step-failed"') || l.includes('"board-finished"'))
          .slice(0, 4)
          .map((l) => l.slice(0, 500));
        throw new Error(`fleet of ${n}: copro apply exited ${r.code}, ${finished?.boards?.ok ?? 0} ok, ${provisioned} boards at the target\n${failures.join('\n')}\n${r.stderr.slice(-600)}`);
      }
      runs.push({ boards: n, wallMs: round(r.wallMs, 0), peakRssMiB: round(r.peakRssMiB, 1) });
    }
    const one = runs.find((x) => x.boards === 1);
    const last = runs[runs.length - 1];
    for (const x of runs) x.relativeToOne = round(x.wallMs / one.wallMs, 3);
    const perBoardMiB = last.boards > 1 && last.peakRssMiB !== null && one.peakRssMiB !== null ? (last.peakRssMiB - one.peakRssMiB) / (last.boards - 1) : null;
    const figures = [
      ...runs.map((x) => figure(`${x.boards} board(s): wall time / one board`, x.relativeToOne, x.boards === 16 ? { goal: GOAL, op: '<=', note: `${x.wallMs} ms` } : { note: `${x.wallMs} ms` })),
      figure('one board: wall time', one.wallMs / 1000, { unit: 's', digits: 2 }),
      figure('copro peak RSS, 1 board', one.peakRssMiB, { unit: 'MiB', digits: 1 }),
      figure(`copro peak RSS, ${last.boards} boards`, last.peakRssMiB, { unit: 'MiB', digits: 1 }),
      figure('memory per extra board', perBoardMiB, { unit: 'MiB', digits: 2 }),
    ];
    printTable(`4. Fleet: N boards at once (${driver}, COPRO_SIM_SPEED=${speed}), wall time relative to one board`, figures);
    const sixteen = runs.find((x) => x.boards === 16);
    return writeResult('fleet', {
      goal: `16 boards in <= ${GOAL}x the wall time of one`,
      met: sixteen ? sixteen.relativeToOne <= GOAL : null,
      driver,
      speed,
      runs,
      memoryPerBoardMiB: round(perBoardMiB, 2),
      figures,
    });
  } finally {
    await cleanup(ws.dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await fleet()));
