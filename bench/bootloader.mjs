#!/usr/bin/env node
/**
 * Benchmark 6, bootloader: the rescue scenario (FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0, USB
 * DFU) through copro's own bootloader driver (`connection.driver: bootloader`, the virtual DfuSe device over the
 * simulator), beside the CubeProgrammer driver (fake STM32_Programmer_CLI, results/overhead.json and
 * connections.json) and ST's documented procedure (the exact CLI calls of connections.mjs).
 *
 * Figures and goals:
 *   processes started (external tools)                      goal 0
 *   chip resets                                             goal < ST's procedure (10)
 *   wall time / modelled device time, realistic timing      goal <= 1.01
 *   realistic wall time / ST's procedure's realistic time   goal <= 0.90
 *
 * D, the modelled device time, is what the virtual device charged (erase, programming, reads, FUS work and the
 * re-enumerations the model says a reset takes), from an in-process accounting run of the same driver code.
 * W is the wall time of `copro apply --simulate` (a separate process, start-up included) at COPRO_SIM_SPEED=s;
 * its host time C = W - D/s, and a realistic run takes D + C. BENCH_BOOTLOADER_SPEED (default 10) sets s;
 * 1 measures realistic timing directly (about a minute).
 */
import path from 'node:path';
import { writeFile, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { cleanEnv, cleanup, copro, expectOk, figure, isMain, main, printTable, readBoards, rescueWorkspace, resetBoard, round, run, say, writeResult, FAKE_CLI, COPRO_ROOT } from './lib/common.mjs';
import { stProcedure } from './connections.mjs';

export const GOALS = { processes: 0, ratio: 1.01, vsSt: 0.9 };

const dist = (p) => import(pathToFileURL(path.join(COPRO_ROOT, 'dist', 'src', p)).href);

async function bootloaderManifest(ws) {
  const text = await readFile(ws.manifest, 'utf8');
  const out = path.join(ws.dir, 'copro-bootloader.yaml');
  await writeFile(out, text.replace(/driver: cubeprogrammer/, 'driver: bootloader').replace(/port: usb1/, 'port: usb'));
  return out;
}

/** In-process run of the same driver code, to account the device time the virtual device charged. */
async function accountingRun(ws, manifest) {
  const simDir = path.join(ws.dir, 'sim-bl-accounting');
  await resetBoard(ws, simDir);
  const [{ createBootloaderDriver }, { openVirtualDfu }, , { applyBoards }, { plan }, { loadManifest, resolveTarget }, { collectImages }] = await Promise.all([
    dist('drivers/bootloader/index.js'),
    dist('drivers/bootloader/virtual/node.js'),
    dist('drivers/simulator/index.js'),
    dist('runner/apply.js'),
    dist('planner/index.js'),
    dist('manifest/index.js'),
    dist('images/inventory.js'),
  ]);
  const speed = 1000;
  const loaded = await loadManifest(manifest);
  const target = { ...resolveTarget(loaded.manifest, { manifestDir: path.dirname(manifest), transport: 'usb' }), allowStandIns: true };
  const { images } = await collectImages({ dir: path.join(ws.dir, 'binaries'), standIns: true, release: 'v1.24.0', family: 'STM32WB5x' });
  const [before] = await readBoards(simDir);
  const chips = [];
  const results = await applyBoards(
    [
      {
        serial: ws.serial,
        open: async () => {
          const v = await openVirtualDfu({ dir: simDir, serial: ws.serial, speed });
          chips.push(v.chip);
          return createBootloaderDriver({ port: 'usb', serial: ws.serial, simulated: true, simDir, speed, usb: v.usb });
        },
      },
    ],
    { target, images, plan, dryRun: false, concurrency: 1, renderer: 'silent', emit: () => undefined, signal: new AbortController().signal, lockDir: path.join(simDir, '.locks'), confirm: async () => true },
  );
  const [after] = await readBoards(simDir);
  if (results[0].result !== 'provisioned') throw new Error(`bootloader accounting run: ${results[0].result}: ${results[0].error}`);
  return { deviceMs: chips.reduce((s, c) => s + c.modelledMs, 0), before, after };
}

async function timedRun(ws, manifest, speed) {
  const simDir = path.join(ws.dir, `sim-bl-${speed}`);
  await resetBoard(ws, simDir);
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: String(speed) });
  const [before] = await readBoards(simDir);
  const r = expectOk(await copro(['apply', manifest, '--simulate', '--yes', '--json', '--serial', ws.serial], { cwd: ws.dir, env }), 'copro apply (bootloader driver)');
  const [after] = await readBoards(simDir);
  if (after.fus.version !== '2.2.0' || after.stack?.version !== '1.24.0') throw new Error('the bootloader run did not reach the target');
  return { wallMs: r.wallMs, before, after };
}

/** ST's procedure (connections.mjs) with the fake CLI at `speed`: its device time (board clock) and wall time. */
async function stRun(ws, speed) {
  const simDir = path.join(ws.dir, `sim-st-${speed}`);
  await resetBoard(ws, simDir);
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: String(speed) });
  const images = ws.plan.steps.map((s) => path.join(ws.dir, 'binaries', path.basename(s.image.path)));
  const [start] = await readBoards(simDir);
  const t0 = process.hrtime.bigint();
  for (const call of stProcedure(images)) expectOk(await run(FAKE_CLI, call.args, { cwd: ws.dir, env }), `ST procedure, ${call.step}`);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const [board] = await readBoards(simDir);
  return { wallMs, board, start };
}

export async function bootloader() {
  const speed = Number(process.env.BENCH_BOOTLOADER_SPEED ?? 10);
  const stSpeed = Number(process.env.BENCH_CONNECTIONS_SPEED ?? 20);
  const ws = await rescueWorkspace('bootloader');
  try {
    const manifest = await bootloaderManifest(ws);
    say('bootloader: accounting run (in process, device time charged by the virtual DFU device)');
    const acc = await accountingRun(ws, manifest);
    const D = acc.deviceMs;
    say(`bootloader: timed run, copro apply --simulate at COPRO_SIM_SPEED=${speed} (device time ${round(D / speed / 1000, 1)} s)`);
    const timed = await timedRun(ws, manifest, speed);
    const C = timed.wallMs - D / speed;
    const realistic = D + C;
    say(`bootloader: ST's documented procedure on the fake CLI at speed ${stSpeed}`);
    // ST's device time: the accounting of connections.json when present (zero-idle CLI), else the board clock at speed 1000.
    let stDevice;
    try {
      stDevice = JSON.parse(await readFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'connections.json'), 'utf8')).st.deviceMs;
    } catch {
      stDevice = undefined;
    }
    const st = await stRun(ws, stSpeed);
    const stResets = st.board.counters.resets - st.start.counters.resets;
    if (stDevice === undefined) stDevice = st.board.clock.ms - st.start.clock.ms - (st.wallMs * stSpeed - (st.board.clock.ms - st.start.clock.ms) > 0 ? 0 : 0);
    const stHost = st.wallMs - stDevice / stSpeed;
    const stRealistic = stDevice + stHost;
    const resets = acc.after.counters.resets - acc.before.counters.resets;
    const processes = acc.after.counters.cliProcesses - acc.before.counters.cliProcesses + (timed.after.counters.cliProcesses - timed.before.counters.cliProcesses);
    let cube;
    try {
      const conn = JSON.parse(await readFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'connections.json'), 'utf8'));
      const ov = JSON.parse(await readFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'overhead.json'), 'utf8'));
      cube = { processes: conn.copro.processes, resets: conn.copro.counters.resets, ratio: ov.projectedRatioSpeed1, vsSt: conn.figures.find((f) => /realistic wall time/.test(f.figure))?.value };
    } catch {
      cube = undefined;
    }
    const ratio = realistic / D;
    const vsSt = realistic / stRealistic;
    const figures = [
      figure('processes started: bootloader driver', processes, { goal: GOALS.processes, op: '<=', digits: 0, note: cube ? `CubeProgrammer driver: ${cube.processes}` : undefined }),
      figure('chip resets: bootloader driver', resets, { goal: stResets - 1, op: '<=', digits: 0, note: `ST's procedure: ${stResets}${cube ? `, CubeProgrammer driver: ${cube.resets}` : ''}` }),
      figure('wall / modelled device time, realistic timing', ratio, { goal: GOALS.ratio, op: '<=', digits: 4, note: `device ${round(D / 1000, 1)} s, host ${round(C / 1000, 2)} s (measured at speed ${speed})${cube ? `; CubeProgrammer driver: ${cube.ratio}` : ''}` }),
      figure("realistic wall time / ST's procedure", vsSt, { goal: GOALS.vsSt, op: '<=', digits: 3, note: `${round(realistic / 1000, 1)} s vs ${round(stRealistic / 1000, 1)} s${cube ? `; CubeProgrammer driver: ${cube.vsSt}` : ''}` }),
    ];
    printTable("6. Bootloader driver (USB DFU, no STM32CubeProgrammer) vs the CubeProgrammer driver and ST's procedure, rescue scenario", figures);
    return writeResult('bootloader', {
      scenario: 'FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0, USB DFU: connection.driver bootloader over the virtual DfuSe device',
      goal: `0 processes, fewer resets than ST's procedure, wall/device <= ${GOALS.ratio}, realistic wall time <= ${GOALS.vsSt} x ST's procedure`,
      met: processes === 0 && resets < stResets && ratio <= GOALS.ratio && vsSt <= GOALS.vsSt,
      deviceMs: round(D, 0),
      hostMsAtSpeed: round(C, 0),
      speed,
      resets,
      processes,
      st: { deviceMs: round(stDevice, 0), hostMs: round(stHost, 0), resets: stResets },
      cubeprogrammer: cube ?? null,
      counters: acc.after.counters,
      figures,
    });
  } finally {
    await cleanup(ws.dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await bootloader()));
