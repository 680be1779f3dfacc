#!/usr/bin/env node
/**
 * Benchmark 2, connections: how many STM32_Programmer_CLI processes and chip resets copro spends on the rescue
 * scenario (FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0, USB DFU), next to ST's documented
 * step-by-step procedure for the same change, run as the exact CLI calls against the same simulator.
 * Goals: fewer processes than ST's procedure, and never more resets.
 *
 * Both are counted by the simulator itself (`counters` in the board JSON: cliProcesses, resets, connections),
 * through lib/zero-idle-cli.mjs, which also records the device time of every call.
 *
 * Also: host time. Each sequence is run once more at COPRO_SIM_SPEED=BENCH_CONNECTIONS_SPEED (default 20) to
 * measure its host time C (wall - device/speed); the wall time of a realistic run is then device + C.
 */
import path from 'node:path';
import { applyOnFakeCli, cleanEnv, cleanup, expectOk, figure, isMain, main, printTable, readBoards, readNdjson, rescueWorkspace, resetBoard, round, run, say, writeResult, FAKE_CLI, ZERO_IDLE_CLI } from './lib/common.mjs';

/**
 * ST's procedure for this change, from STM32CubeWB v1.24.0 Release_Notes.html (STM32WB5x), as summarised in
 * st-release-notes-rules.md §2 and notes/cubeprogrammer-cli.md §2, over USB DFU (the manifest's port=usb1):
 * STEP 1-2 are hardware (BOOT0 high, USB_USER), STEP 3 (-startfus) is "bypassed via USB", STEP 4 reads the
 * FUS version and says which step comes next, STEP 9 (option bytes) is for SWD only. One CLI process per line.
 */
export function stProcedure(images) {
  const file = (name) => {
    const f = images.find((p) => path.basename(p) === name);
    if (!f) throw new Error(`ST's procedure needs ${name}; the workspace has ${images.map((p) => path.basename(p)).join(', ')}`);
    return f;
  };
  return [
    { step: 'STEP 4: read FUS version (00050300 -> STEP 5)', args: ['-c', 'port=usb1', '-r32', '0x20030030', '1'], expect: /0x20030030 : 00050300/ },
    { step: 'STEP 5: FUS v1.2.0 for FUSv0.5.3', args: ['-c', 'port=usb1', '-fwupgrade', file('stm32wb5x_FUS_fw_for_fus_0_5_3.bin'), '0x080EC000', 'firstinstall=0'], expect: /Firmware Upgrade Success/ },
    { step: 'STEP 4: read FUS version (01020000 -> STEP 7)', args: ['-c', 'port=usb1', '-r32', '0x20030030', '1'], expect: /0x20030030 : 0102/ },
    { step: 'STEP 7: latest FUS for FUSv1.2.0', args: ['-c', 'port=usb1', '-fwupgrade', file('stm32wb5x_FUS_fw.bin'), '0x080EE000', 'firstinstall=0'], expect: /Firmware Upgrade Success/ },
    { step: 'STEP 4: read FUS version (02020000 -> STEP 8)', args: ['-c', 'port=usb1', '-r32', '0x20030030', '1'], expect: /0x20030030 : 0202/ },
    { step: 'STEP 8: wireless stack', args: ['-c', 'port=usb1', '-fwupgrade', file('stm32wb5x_BLE_Stack_full_fw.bin'), '0x080D0000', 'firstinstall=0'], expect: /Firmware Upgrade Success/ },
  ];
}

/** Runs ST's procedure on a fresh board; `accounting` goes through zero-idle-cli.mjs (device time per call). */
async function runStProcedure(ws, { speed, accounting, label }) {
  const simDir = path.join(ws.dir, `sim-st-${label}`);
  await resetBoard(ws, simDir);
  const log = path.join(ws.dir, `accounting-st-${label}.ndjson`);
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: String(speed), ...(accounting ? { BENCH_REAL_CLI: FAKE_CLI, BENCH_ACCOUNTING_LOG: log } : {}) });
  const images = ws.plan.steps.map((s) => path.join(ws.dir, 'binaries', path.basename(s.image.path)));
  const [start] = await readBoards(simDir);
  const t0 = process.hrtime.bigint();
  for (const call of stProcedure(images)) {
    const r = expectOk(await run(accounting ? ZERO_IDLE_CLI : FAKE_CLI, call.args, { cwd: ws.dir, env }), `ST procedure, ${call.step}`);
    if (!call.expect.test(r.stdout)) throw new Error(`ST procedure, ${call.step}: expected ${call.expect} in the output:\n${r.stdout.slice(-800)}`);
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const [board] = await readBoards(simDir);
  if (board.fus.version !== '2.2.0' || board.stack?.type !== 'BLE_Stack_full' || board.stack?.version !== '1.24.0' || board.cpu2 !== 'stack') {
    throw new Error(`ST procedure did not end at FUS 2.2.0 + BLE_Stack_full 1.24.0 running: FUS ${board.fus.version}, stack ${JSON.stringify(board.stack?.name)}, cpu2 ${board.cpu2}`);
  }
  return { wallMs, board, deviceMs: board.clock.ms - start.clock.ms, perCall: accounting ? await readNdjson(log) : undefined };
}

export async function connections() {
  const speed = Number(process.env.BENCH_CONNECTIONS_SPEED ?? 20);
  const ws = await rescueWorkspace('connections');
  try {
    say('connections: copro, accounting run');
    const copro = await applyOnFakeCli(ws, { speed: 1000, accounting: true, label: 'accounting' });
    say("connections: ST's procedure, accounting run");
    const st = await runStProcedure(ws, { speed: 1000, accounting: true, label: 'accounting' });
    say(`connections: host time of both at COPRO_SIM_SPEED=${speed}`);
    const coproTimed = await applyOnFakeCli(ws, { speed });
    const stTimed = await runStProcedure(ws, { speed, accounting: false, label: 'timed' });
    const c = copro.after.counters;
    const s = st.board.counters;
    const coproDevice = copro.deviceMs;
    const stDevice = st.deviceMs;
    const coproHost = coproTimed.run.wallMs - coproDevice / speed;
    const stHost = stTimed.wallMs - stDevice / speed;
    // Every process started counts (also `--version`, which connects to no board: the simulator's
    // counters.cliProcesses counts only those that connected).
    const coproProcesses = copro.perCall.length;
    const stProcesses = st.perCall.length;
    const figures = [
      figure('CLI processes: copro', coproProcesses, { goal: stProcesses, op: '<', digits: 0, note: `${c.cliProcesses} connected to the board` }),
      figure("CLI processes: ST's procedure (STEP 4..8)", stProcesses, { digits: 0 }),
      figure('chip resets: copro', c.resets, { goal: s.resets, op: '<=', digits: 0, note: `ST's procedure: ${s.resets}` }),
      figure("chip resets: ST's procedure", s.resets, { digits: 0 }),
      figure('USB connections: copro / ST', `${c.connections} / ${s.connections}`, {}),
      figure('device time: copro / ST (speed 1)', `${round(coproDevice / 1000, 1)} s / ${round(stDevice / 1000, 1)} s`, {}),
      figure(`host time per run: copro / ST (measured at speed ${speed})`, `${round(coproHost / 1000, 2)} s / ${round(stHost / 1000, 2)} s`, {}),
      figure('realistic wall time, copro / ST (device + host)', (coproDevice + coproHost) / (stDevice + stHost), { digits: 3 }),
    ];
    printTable("2. Connections: CLI processes and chip resets, copro vs ST's documented procedure (same change, same simulator)", figures);
    return writeResult('connections', {
      scenario: 'FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0, USB DFU (port=usb1)',
      goal: "copro: fewer CLI processes than ST's procedure, and never more resets",
      met: coproProcesses < stProcesses && c.resets <= s.resets,
      copro: { processes: coproProcesses, counters: c, deviceMs: round(coproDevice, 0), hostMsAtSpeed: round(coproHost, 0), calls: copro.perCall },
      st: { processes: stProcesses, counters: s, deviceMs: round(stDevice, 0), hostMsAtSpeed: round(stHost, 0), calls: st.perCall },
      speed,
      figures,
    });
  } finally {
    await cleanup(ws.dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await connections()));
