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
import os from 'node:os';
import path from 'node:path';
import { writeFile, readFile, readdir, rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { cleanEnv, cleanup, copro, coproWithPeakRss, expectOk, figure, isMain, main, median, printTable, readBoards, rescueWorkspace, resetBoard, round, run, say, tempDir, writeResult, FAKE_CLI, COPRO_ROOT } from './lib/common.mjs';
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
  return { deviceMs: chips.reduce((s, c) => s + c.modelledMs, 0), resetLog: chips.flatMap((c) => c.resets), before, after };
}

/**
 * Why each chip reset happened: the FUS rule that forces it (public sources), or "not required" for a reset copro
 * chose. Reasons are the simulator model's (src/drivers/simulator/model: install.ts, fus.ts, option-bytes.ts).
 */
const RESET_RULES = [
  [/^FUS upgrade reboot/, 'FW_UPGRADE of a FUS image: FUS reboots the chip while it replaces itself, at least 4 times (tgree/psdb README); the update is needed (FUS 0.5.3 must first go to 1.2.0, then the latest: STM32CubeWB release notes, STEP 5 and 6)', true],
  [/^stack installed$/, 'FW_UPGRADE of a wireless stack: FUS resets the chip when the install is done (ST AN5185)', true],
  [/^wireless stack started$|^FUS_START_WS$/, 'starting the wireless stack (the manifest wants it running): FUS hands CPU2 to the stack with a chip reset (ST AN5185, FUS_START_WS)', true],
  [/^FW_DELETE done$/, 'FW_DELETE: FUS resets the chip after deleting the stack (ST AN5185)', true],
  [/^second FUS_GET_STATE in a row$/, 'starting FUS while the stack runs: the second FUS_GET_STATE in a row reboots CPU2 into FUS (ST AN5185)', true],
  [/^option bytes reload/, 'option bytes written: the reload (OBL_LAUNCH) resets the chip (RM0434)', true],
];

export function resetReasons(log) {
  return log.map((r) => {
    const rule = RESET_RULES.find(([re]) => re.test(r.reason));
    return { ...r, rule: rule ? rule[1] : 'no FUS rule forces this reset: copro chose it (avoidable)', required: rule ? rule[2] : false };
  });
}

/**
 * Where a profile's CPU samples go, by what copro does: the first category (in this order) that any frame of a
 * sample's stack belongs to (loading a module counts as loading, whoever imported it). Shares of the busy samples.
 */
const CATEGORIES = [
  ['gc', 'garbage collection', (u, fn) => fn === '(garbage collector)'],
  ['modules', 'module loading (resolving, compiling, linking and running module bodies)', (u, fn, line) => /^(compileSourceTextModule|wrapSafe|Module\._load|Module\._compile|moduleResolve|defaultResolve|getModuleJobForImport|loadAndTranslate|_link|instantiate)$/.test(fn) || (fn === '' && line === 0 && !/bin\/copro\.js$/.test(u))],
  ['standins', "stand-in images made and verified (the bench's images; ST's real images have none)", (u) => /images\/standin/.test(u)],
  ['images', 'image identification (footers, sha256)', (u) => /\/src\/images\//.test(u)],
  ['virtual', 'virtual DFU device and simulated board (work a real chip does in silicon)', (u) => /bootloader\/virtual\/|\/src\/drivers\/simulator\/|validators\/sim-board/.test(u)],
  ['driver', 'bootloader driver, DfuSe protocol, transcript', (u) => /\/src\/drivers\/bootloader\//.test(u)],
  ['copro', 'manifest, planner, runner, CLI, output', (u) => /\/src\//.test(u) || /node_modules\/(yaml|semver|commander|ajv)/.test(u)],
  ['other', 'other (node internals, timers, file system calls)', () => true],
];

export async function categorizeCpuProfile(file) {
  const p = JSON.parse(await readFile(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const us = Object.fromEntries(CATEGORIES.map(([k]) => [k, 0]));
  let idle = 0;
  for (const [id, t] of self) {
    const chain = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) chain.push(byId.get(cur).callFrame);
    if (chain[0].functionName === '(idle)') {
      idle += t;
      continue;
    }
    const hit = CATEGORIES.find(([, , test]) => chain.some((c) => test(c.url, c.functionName, c.lineNumber)));
    us[hit[0]] += t;
  }
  const busy = Object.values(us).reduce((a, b) => a + b, 0);
  return { busyMs: busy / 1000, idleMs: idle / 1000, share: Object.fromEntries(Object.entries(us).map(([k, v]) => [k, busy ? v / busy : 0])) };
}

const TRACE_HOOK = path.join(path.dirname(new URL(import.meta.url).pathname), 'lib', 'trace-modules.mjs');

/** Median wall time of a process that only imports, in order, the modules the run loaded (start-up + module loading, measured alone). */
async function loadOnlyMs(modules, runs = 3) {
  const dir = await tempDir('bl-load');
  try {
    const script = path.join(dir, 'load.mjs');
    await writeFile(script, modules.map((u) => `await import(${JSON.stringify(u)});`).join('\n') + '\nprocess.exit(0);\n');
    const t = [];
    for (let i = 0; i < runs; i++) t.push(expectOk(await run(process.execPath, [script]), 'loading the run\'s modules').wallMs);
    return median(t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Median wall time of `node -e 0`: what starting any Node.js process costs on this machine now. */
async function nodeStartMs(runs = 5) {
  const t = [];
  for (let i = 0; i < runs; i++) t.push((await run(process.execPath, ['-e', '0'])).wallMs);
  return median(t);
}

/** `copro apply --simulate` at `speed`; its CPU time from an exit hook, or (`profileDir`) under --cpu-prof instead. */
async function timedRun(ws, manifest, speed, { label = String(speed), profileDir } = {}) {
  const simDir = path.join(ws.dir, `sim-bl-${label}`);
  await resetBoard(ws, simDir);
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: String(speed), ...(profileDir ? { BENCH_TRACE_FILE: path.join(profileDir, 'modules.txt') } : {}) });
  const [before] = await readBoards(simDir);
  const args = ['apply', manifest, '--simulate', '--yes', '--json', '--serial', ws.serial];
  const r = expectOk(
    profileDir ? await copro(args, { cwd: ws.dir, env, nodeArgs: ['--import', TRACE_HOOK, '--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '500'] }) : await coproWithPeakRss(args, { cwd: ws.dir, env }),
    'copro apply (bootloader driver)',
  );
  const [after] = await readBoards(simDir);
  if (after.fus.version !== '2.2.0' || after.stack?.version !== '1.24.0') throw new Error('the bootloader run did not reach the target');
  return { wallMs: r.wallMs, cpuMs: r.usage ? r.usage.userMs + r.usage.systemMs : null, before, after };
}

/** A second timed run under --cpu-prof: the shares of copro's CPU time by what it was doing. */
async function profiledRun(ws, manifest, speed) {
  const dir = await tempDir('bl-prof');
  try {
    const r = await timedRun(ws, manifest, speed, { label: `${speed}-prof`, profileDir: dir });
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) return undefined;
    const modules = [...new Set((await readFile(path.join(dir, 'modules.txt'), 'utf8').catch(() => '')).split('\n').filter((u) => u.startsWith('file:') && !u.includes('/bench/lib/') && !/\/bin\/copro\.js$/.test(u)))];
    return { wallMs: r.wallMs, modules, ...(await categorizeCpuProfile(path.join(dir, file))) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
    const load0 = os.loadavg()[0];
    const timed = await timedRun(ws, manifest, speed);
    const C = timed.wallMs - D / speed;
    const realistic = D + C;
    say('bootloader: the same run under --cpu-prof, and `node -e 0`, to say where the host time goes');
    const prof = await profiledRun(ws, manifest, speed);
    const nodeStart = await nodeStartMs();
    const loadOnly = prof?.modules.length ? await loadOnlyMs(prof.modules) : null;
    const load1 = os.loadavg()[0];
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

    // Resets: each one with the FUS rule that forces it (the goal "fewer than ST's 10" needs one that is not forced).
    const reasons = resetReasons(acc.resetLog);
    const avoidable = reasons.filter((r) => !r.required);
    const byRule = new Map();
    for (const r of reasons) byRule.set(r.rule, [...(byRule.get(r.rule) ?? []), r.reason]);
    process.stdout.write(`\nWhy each of the ${resets} chip resets happens (model's reason -> the rule that forces it)\n`);
    for (const [rule, rs] of byRule) process.stdout.write(`  ${String(rs.length).padStart(2)} x ${rs.join(', ')}\n       ${rule}\n`);
    if (reasons.length !== resets) process.stdout.write(`  (the board counted ${resets} resets, the virtual chip saw ${reasons.length}: the rest happened outside a host command)\n`);
    process.stdout.write(
      avoidable.length
        ? `  ${avoidable.length} reset(s) not forced by FUS: copro could save them.\n`
        : `  Every reset is forced by FUS for this change (FUS 0.5.3 -> 1.2.0 -> 2.2.0, then the stack, started): ${resets} is the floor, so "fewer than ST's ${stResets}" cannot be met; ST's procedure spends the same ${stResets}.\n`,
    );

    // Host time: what it is made of, so the ratio explains itself.
    const goalC = (GOALS.ratio - 1) * D;
    const cpu = timed.cpuMs;
    const ms = (x) => `${round(x / 1000, 2)} s`;
    let breakdown;
    if (prof && cpu !== null) {
      const part = (k) => prof.share[k] * cpu;
      const rows = CATEGORIES.map(([k, label]) => ({ key: k, label, ms: round(part(k), 0), share: round(prof.share[k], 3) }));
      const silicon = part('virtual') + part('standins');
      breakdown = {
        hostMs: round(C, 0),
        goalHostMs: round(goalC, 0),
        cpuMs: round(cpu, 0),
        notOnCpuMs: round(C - cpu, 0),
        nodeStartMs: round(nodeStart, 0),
        rows,
        loadAverage: { before: round(load0, 2), after: round(load1, 2), cores: os.cpus().length },
        ratioWithoutVirtualDeviceAndStandIns: round(1 + (C - silicon) / D, 4),
        ratioCpuOnly: round(1 + cpu / D, 4),
        ratioCpuOnlyWithoutVirtualDeviceAndStandIns: round(1 + (cpu - silicon) / D, 4),
        modulesLoaded: prof.modules.length,
        loadOnlyMs: loadOnly === null ? null : round(loadOnly, 0),
        ratioFloorStartAndModules: loadOnly === null ? null : round(1 + loadOnly / D, 4),
        profiledWallMs: round(prof.wallMs, 0),
      };
      process.stdout.write(
        `\nWhere the host time goes (measured at speed ${speed}; load average ${round(load0, 1)} -> ${round(load1, 1)} on ${os.cpus().length} cores)\n` +
          `  host time C = wall - device/speed = ${ms(C)}; the goal <= ${GOALS.ratio} allows ${ms(goalC)} for device time ${ms(D)}\n` +
          `  copro's CPU time (user + system, all threads): ${ms(cpu)}; not on the CPU (timers after each bwPollTimeout and poll, waiting for a core): ${ms(C - cpu)}\n` +
          `  of the CPU time, by a CPU profile of a second run (shares of its busy samples):\n` +
          rows.map((r) => `    ${ms(r.ms).padStart(7)}  ${String(Math.round(r.share * 100)).padStart(3)} %  ${r.label}`).join('\n') +
          `\n  starting any Node.js process (\`node -e 0\`, median of 5): ${ms(nodeStart)}\n` +
          `  ratio without the virtual device's and the stand-ins' CPU (a real board, ST's images): ${breakdown.ratioWithoutVirtualDeviceAndStandIns}\n` +
          `  ratio counting only CPU time (no waiting): ${breakdown.ratioCpuOnly}; also without the virtual device and stand-ins: ${breakdown.ratioCpuOnlyWithoutVirtualDeviceAndStandIns}\n` +
          (loadOnly === null ? '' : `  a process that only loads the run's ${prof.modules.length} modules and exits: ${ms(loadOnly)} (median of 3), ratio ${breakdown.ratioFloorStartAndModules} before copro does anything\n`),
      );
    }
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
      resetReasons: reasons,
      hostTime: breakdown ?? null,
      figures,
    });
  } finally {
    await cleanup(ws.dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await bootloader()));
