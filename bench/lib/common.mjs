/**
 * Shared plumbing for the benchmarks: where copro and the fake CLI are, running a command and timing it,
 * medians, the `figure | value | goal | met?` table, results files, machine facts, a scratch workspace
 * (manifest + images) in os.tmpdir(), and a CPU-profile summary for the "why" of a missed goal.
 *
 * Plain ESM, no build step. copro itself is run through its CLI (`bin/copro.js`, compiled by `npm run build`),
 * exactly as a user or CI runs it; nothing here imports copro's internals.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, writeFile, rename, rm, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.dirname(BENCH_DIR);
/** The copro tree to measure (default: this repository). Set BENCH_COPRO_ROOT to measure another build of it. */
export const COPRO_ROOT = path.resolve(process.env.BENCH_COPRO_ROOT ?? REPO);
export const COPRO_BIN = path.join(COPRO_ROOT, 'bin', 'copro.js');
export const FAKE_CLI = path.join(COPRO_ROOT, 'test', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');
/** Wraps the fake CLI so the simulator's clock counts device time only (see zero-idle-cli.mjs). */
export const ZERO_IDLE_CLI = path.join(BENCH_DIR, 'lib', 'zero-idle-cli.mjs');
export const RSS_HOOK = path.join(BENCH_DIR, 'lib', 'report-rss.mjs');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const QUICKSTART_MANIFEST = path.join(REPO, 'manifests', 'nucleo-wb55-ble.yaml');

/** The environment copro runs with in the benches: no colour, no inherited simulator settings. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('COPRO_') || k === 'NODE_OPTIONS' || k.startsWith('BENCH_')) delete env[k];
  return { ...env, NO_COLOR: '1', CI: '1', ...extra };
}

/**
 * Runs a command; resolves with its exit code, output and wall time (ms, from spawn to exit, hrtime).
 * `stdout: 'ignore'` for commands whose output is large and unused.
 */
export function run(cmd, args, { cwd, env, stdout = 'pipe', timeoutMs = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env: env ?? cleanEnv(), stdio: ['ignore', stdout, 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ code, signal, wallMs, pid: child.pid, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs copro (`node bin/copro.js ...`). */
export function copro(args, opts = {}) {
  return run(process.execPath, [...(opts.nodeArgs ?? []), COPRO_BIN, ...args], opts);
}

/** Fails loudly with the command's output: a benchmark of a failing command measures nothing. */
export function expectOk(r, what, okCodes = [0]) {
  if (okCodes.includes(r.code)) return r;
  const tail = (s) => s.split('\n').slice(-15).join('\n');
  throw new Error(`${what} exited with ${r.code ?? r.signal}\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout)}`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x, digits = 3) => (typeof x !== 'number' || Number.isNaN(x) ? x : Number(x.toFixed(digits)));

export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
  };
}

/**
 * A figure as printed and stored: `value` compared with `goal` by `op` ('<=' or '>=' or '<').
 * `met` is null for informational figures (no goal).
 */
export function figure(name, value, { goal, op, unit = '', digits = 3, note } = {}) {
  let met = null;
  if (goal !== undefined && value !== null && value !== undefined) met = op === '>=' ? value >= goal : op === '<' ? value < goal : value <= goal;
  return { figure: name, value: round(value, digits), unit, goal: goal === undefined ? null : `${op} ${goal}${unit && typeof goal === 'number' ? ` ${unit}` : ''}`, met, ...(note ? { note } : {}) };
}

export function printTable(title, figures) {
  const rows = [['figure', 'value', 'goal', 'met?'], ...figures.map((f) => [f.figure, `${f.value}${f.unit ? ` ${f.unit}` : ''}`, f.goal ?? '-', f.met === null ? '-' : f.met ? 'yes' : 'NO'])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  process.stdout.write(`\n${title}\n${line(rows[0])}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.slice(1).map(line).join('\n')}\n`);
}

/** Writes bench/results/<name>.json and updates that entry of bench/results/latest.json. */
export async function writeResult(name, result) {
  await mkdir(RESULTS_DIR, { recursive: true });
  const body = { name, machine: machine(), ...result };
  await writeJsonAtomic(path.join(RESULTS_DIR, `${name}.json`), body);
  const latestFile = path.join(RESULTS_DIR, 'latest.json');
  let latest = { benchmarks: {} };
  try {
    latest = JSON.parse(await readFile(latestFile, 'utf8'));
  } catch {
    // first run
  }
  latest.machine = body.machine;
  latest.benchmarks = { ...(latest.benchmarks ?? {}), [name]: body };
  await writeJsonAtomic(latestFile, latest);
  return body;
}

export async function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, file);
}

export async function tempDir(label) {
  return mkdtemp(path.join(os.tmpdir(), `copro-bench-${label}-`));
}

/** Removes a scratch folder unless BENCH_KEEP=1 (to look at logs and boards after a run). */
export async function cleanup(dir) {
  if (process.env.BENCH_KEEP === '1') {
    process.stderr.write(`(kept ${dir})\n`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}

/** The simulated boards of a folder, as persisted (schemas/sim-board.schema.json). */
export async function readBoards(simDir) {
  const boards = [];
  for (const f of (await readdir(simDir)).filter((n) => n.endsWith('.json')).sort()) boards.push(JSON.parse(await readFile(path.join(simDir, f), 'utf8')));
  return boards;
}

/**
 * A scratch project for the rescue scenario: `copro.yaml` (the quick-start manifest with `images.dir: binaries`)
 * and, in `binaries/`, the image files its plan uses. copro's own stand-ins are used (real sizes and footers):
 * the plan is made once with `--simulate`, which writes them, and the files it names are copied.
 * Returns { dir, manifest, serial, plan }.
 */
export async function rescueWorkspace(label) {
  const dir = await tempDir(label);
  try {
    return await prepareRescueWorkspace(dir);
  } catch (e) {
    await cleanup(dir);
    throw e;
  }
}

async function prepareRescueWorkspace(dir) {
  const manifestText = await readFile(QUICKSTART_MANIFEST, 'utf8');
  if (!/^ {2}release: v1\.24\.0$/m.test(manifestText)) throw new Error(`${QUICKSTART_MANIFEST}: expected "  release: v1.24.0" under images:`);
  const manifest = path.join(dir, 'copro.yaml');
  await writeFile(manifest, manifestText.replace(/^ {2}release: v1\.24\.0$/m, '  release: v1.24.0\n  dir: binaries'));
  await mkdir(path.join(dir, 'binaries'), { recursive: true });
  const simDir = path.join(dir, 'sim-prepare');
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: '1000' });
  const reset = expectOk(await copro(['sim', 'reset'], { cwd: dir, env }), 'copro sim reset');
  const serial = /simulated board (\S+)/.exec(reset.stdout)?.[1];
  if (!serial) throw new Error(`cannot read the board serial from: ${reset.stdout}`);
  const planRun = expectOk(await copro(['plan', manifest, '--simulate', '--json'], { cwd: dir, env }), 'copro plan --simulate --json');
  const plan = JSON.parse(planRun.stdout).boards[0].plan; // schemas/cli-output.schema.json
  for (const s of plan.steps) if (s.image?.path) await copyFile(s.image.path, path.join(dir, 'binaries', path.basename(s.image.path)));
  await rm(path.join(dir, '.copro'), { recursive: true, force: true });
  await rm(simDir, { recursive: true, force: true });
  return { dir, manifest, serial, plan };
}

/** Fresh default board (FUS 0.5.3, no stack) in `simDir`. */
export async function resetBoard(ws, simDir, count) {
  await rm(simDir, { recursive: true, force: true });
  const env = cleanEnv({ COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: '1000' });
  expectOk(await copro(['sim', 'reset', ...(count ? ['--count', String(count)] : [])], { cwd: ws.dir, env }), 'copro sim reset');
}

/**
 * `copro apply` of the rescue scenario on the fake STM32_Programmer_CLI (the real driver, `connection.driver:
 * cubeprogrammer`). `accounting: true` runs the CLI through zero-idle-cli.mjs, so the board's clock ends at
 * the pure device time. Returns the run, the board afterwards, and the CLI calls from copro's log.
 */
export async function applyOnFakeCli(ws, { speed, accounting = false, label = `s${speed}` }) {
  const simDir = path.join(ws.dir, `sim-${label}`);
  await resetBoard(ws, simDir);
  const stateDir = path.join(ws.dir, '.copro');
  await rm(stateDir, { recursive: true, force: true });
  const env = cleanEnv({
    COPRO_SIM_DIR: simDir,
    COPRO_SIM_SPEED: String(speed),
    // The real driver refuses copro's simulated stand-in images unless told they are fine (fake CLI only).
    COPRO_ALLOW_STANDIN_IMAGES: '1',
    ...(accounting ? { BENCH_REAL_CLI: FAKE_CLI, BENCH_ACCOUNTING_LOG: path.join(ws.dir, `accounting-${label}.ndjson`) } : {}),
  });
  const cli = accounting ? ZERO_IDLE_CLI : FAKE_CLI;
  const before = (await readBoards(simDir))[0];
  // --serial names the board explicitly (also avoids depending on how copro picks one, README F8).
  const r = await copro(['apply', ws.manifest, '--yes', '--json', '--serial', ws.serial, '--cubeprogrammer', cli], { cwd: ws.dir, env });
  const events = r.stdout.split('\n').filter(Boolean).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return { type: 'unparsed', line: l };
    }
  });
  const finished = events.find((e) => e.type === 'run-finished');
  if (r.code !== 0 || finished?.boards?.ok !== 1) {
    const failed = events.filter((e) => e.type === 'step-failed' || e.type === 'board-finished' || e.type === 'plan').map((e) => JSON.stringify(e).slice(0, 600));
    throw new Error(`copro apply on the fake CLI (speed ${speed}) did not provision the board (exit ${r.code}):\n${failed.join('\n')}\n${r.stderr.split('\n').slice(-10).join('\n')}`);
  }
  const after = (await readBoards(simDir))[0];
  const calls = await cliCallsFromLogs(path.join(stateDir, 'logs'));
  const perCall = accounting ? await readNdjson(env.BENCH_ACCOUNTING_LOG) : undefined;
  return { run: r, events, before, after, calls, perCall, deviceMs: after.clock.ms - before.clock.ms };
}

export async function readNdjson(file) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The STM32_Programmer_CLI calls in copro's transcripts (`.copro/logs/*.log`): argv and how long each took. */
export async function cliCallsFromLogs(logDir) {
  const calls = [];
  if (!existsSync(logDir)) return calls;
  for (const f of (await readdir(logDir)).sort()) {
    const text = await readFile(path.join(logDir, f), 'utf8');
    let current;
    for (const line of text.split('\n')) {
      const start = /^=== (\S+) \$ (.*)$/.exec(line);
      if (start) {
        current = { at: start[1], argv: start[2].replace(/^\S+STM32_Programmer_CLI|^\S+zero-idle-cli\.mjs/, 'STM32_Programmer_CLI') };
        calls.push(current);
        continue;
      }
      const end = /^=== exit code (\S+) after (\d+) ms/.exec(line);
      if (end && current) {
        current.exitCode = end[1];
        current.ms = Number(end[2]);
        current = undefined;
      }
    }
  }
  return calls;
}

/**
 * Summarises a V8 .cpuprofile: self time by function and by "package" (node_modules/<pkg>, copro's
 * dist/src/<folder>, node's internals), the evidence behind a missed goal.
 */
export async function summarizeCpuProfile(file, top = 12) {
  const prof = JSON.parse(await readFile(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const fns = new Map();
  const pkgs = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const cf = n.callFrame;
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '(native)';
    const fn = `${cf.functionName || '(anonymous)'} ${where}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const pkg = packageOf(cf.url, cf.functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const ms = (us) => round(us / 1000, 1);
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: ms(total),
    byPackage: sorted(pkgs).slice(0, top).map(([name, us]) => ({ name, ms: ms(us), share: round(us / total, 3) })),
    topFunctions: sorted(fns).slice(0, top).map(([name, us]) => ({ name, ms: ms(us), share: round(us / total, 3) })),
  };
}

function shortUrl(url) {
  return url.replace(/^file:\/\//, '').replace(COPRO_ROOT + '/', '').replace(/^.*node_modules\//, 'node_modules/');
}

function packageOf(url, fn) {
  if (!url) return fn === '(garbage collector)' ? '(gc)' : fn === '(program)' || fn === '(idle)' ? `(${fn.replace(/[()]/g, '')})` : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const own = /dist\/(src|test)\/([^/]+)/.exec(url);
  if (own) return `copro ${own[1]}/${own[2]}`;
  return shortUrl(url);
}

/** Runs copro under `node --cpu-prof` and summarises the profile. */
export async function profileCopro(args, opts = {}) {
  const dir = await tempDir('prof');
  try {
    const r = await copro(args, { ...opts, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'] });
    const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) return { error: `no profile written (exit ${r.code})` };
    return { command: `copro ${args.join(' ').slice(0, 200)}`, ...(await summarizeCpuProfile(path.join(dir, file))) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs copro with a hook that reports its peak RSS (process.resourceUsage().maxRSS, KiB) and its CPU time at exit. */
export async function coproWithPeakRss(args, opts = {}) {
  const dir = await tempDir('rss');
  try {
    const env = { ...(opts.env ?? cleanEnv()), BENCH_RSS_DIR: dir };
    const r = await copro(args, { ...opts, env, nodeArgs: ['--import', pathToUrl(RSS_HOOK)] });
    let usage = null;
    try {
      usage = JSON.parse(await readFile(path.join(dir, `${r.pid}.json`), 'utf8'));
    } catch {
      // the process died before its exit handler
    }
    return { ...r, peakRssMiB: usage === null ? null : usage.maxRSS / 1024, usage };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function pathToUrl(p) {
  return new URL(`file://${p}`).href;
}

/** Prints a progress line to stderr (stdout carries the tables). */
export function say(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Runs a benchmark's main, printing the error and exiting 1 on failure (run-all reports it). */
export function main(fn) {
  fn().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/** Is this module the script node was started with? (each benchmark is runnable alone) */
export function isMain(metaUrl) {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}
