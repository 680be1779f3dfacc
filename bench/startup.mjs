#!/usr/bin/env node
/**
 * Benchmark 3, start-up: median wall time of `copro --version` and `copro plan <manifest> --state <snapshot>
 * --json` (offline planning, as CI runs it), each as a ratio to a bare `node -e 0` measured in the same run,
 * interleaved so that machine noise hits all three alike. Goal: plan <= 4x a bare node start.
 *
 * Evidence for a miss: the packages the plan command loads (ES module trace), what importing each costs
 * alone, and a CPU profile of one plan run by package.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { cleanEnv, cleanup, copro, COPRO_ROOT, expectOk, figure, isMain, main, median, printTable, profileCopro, QUICKSTART_MANIFEST, round, run, say, tempDir, writeResult } from './lib/common.mjs';

export const GOAL = 4;
const TRACE_HOOK = path.join(path.dirname(new URL(import.meta.url).pathname), 'lib', 'trace-modules.mjs');

/** Packages a copro command resolves (ES modules), with the count of modules from each. */
async function modulesLoaded(args, { cwd, env }) {
  const file = path.join(cwd, 'trace.txt');
  await rm(file, { force: true });
  expectOk(await copro(args, { cwd, env: { ...env, BENCH_TRACE_FILE: file }, nodeArgs: ['--import', TRACE_HOOK] }), `traced copro ${args[0]}`);
  const urls = [...new Set((await readFile(file, 'utf8')).split('\n').filter(Boolean))];
  const groups = new Map();
  for (const u of urls) {
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
    const own = /\/dist\/src\/([^/]+)\//.exec(u);
    const key = nm ? nm[1] : own ? `copro src/${own[1]}` : u.startsWith('node:') ? 'node: builtins' : 'copro (other)';
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return { modules: urls.length, byPackage: Object.fromEntries([...groups].sort((a, b) => b[1] - a[1])) };
}

/** What importing one dependency alone costs over a bare node start (median of 5). */
async function importCost(pkg, baselineMs) {
  const times = [];
  for (let i = 0; i < 5; i++) times.push((await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pkg)})`], { cwd: COPRO_ROOT })).wallMs);
  return round(median(times) - baselineMs, 0);
}

/**
 * Where ajv's time goes in a fresh process: importing copro's schemas module (which imports ajv), then compiling
 * the two validators `plan --state` needs (manifest, board-state). Uses copro's compiled dist/src/schemas.js.
 */
async function schemaCompileCost() {
  const url = new URL(`file://${path.join(COPRO_ROOT, 'dist', 'src', 'schemas.js')}`).href;
  const code = `const t = () => performance.now(); let a = t(); const out = {};
const { validatorFor } = await import(${JSON.stringify(url)}); out.importSchemasModuleMs = t() - a;
for (const n of ['manifest', 'board-state']) { a = t(); validatorFor(n); out['compile_' + n + 'Ms'] = t() - a; }
console.log(JSON.stringify(out));`;
  const r = expectOk(await run(process.execPath, ['--input-type=module', '-e', code], { cwd: COPRO_ROOT }), 'schema compile cost');
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, x]) => [k, round(x, 1)]));
}

export async function startup() {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
  const dir = await tempDir('startup');
  try {
    // A snapshot of the factory board (FUS 0.5.3, no stack), as `copro status --save` writes it.
    const env = cleanEnv({ COPRO_SIM_DIR: path.join(dir, 'sim'), COPRO_SIM_SPEED: '1000' });
    expectOk(await copro(['sim', 'reset'], { cwd: dir, env }), 'copro sim reset');
    const snapshot = path.join(dir, 'snapshot.json');
    expectOk(await copro(['status', '--simulate', '--save', snapshot], { cwd: dir, env }), 'copro status --save');
    const planArgs = ['plan', QUICKSTART_MANIFEST, '--state', snapshot, '--json'];
    const commands = {
      node: () => run(process.execPath, ['-e', '0'], { cwd: dir }),
      version: () => copro(['--version'], { cwd: dir, env }),
      plan: () => copro(planArgs, { cwd: dir, env }),
    };
    // Warm the file cache, and check the commands work (a failing command would be fast for the wrong reason).
    expectOk(await commands.node(), 'node -e 0');
    const v = expectOk(await commands.version(), 'copro --version');
    const p = expectOk(await commands.plan(), 'copro plan --state --json');
    const planStatus = JSON.parse(p.stdout).boards[0].plan.status; // schemas/cli-output.schema.json
    if (planStatus !== 'changes') throw new Error(`copro plan --state: expected status "changes" for the factory board, got ${planStatus}`);
    say(`startup: ${runs} interleaved runs of node -e 0, copro --version, copro plan --state --json`);
    const times = { node: [], version: [], plan: [] };
    for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(commands)) times[k].push((await f()).wallMs);
    const med = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
    const figures = [
      figure('node -e 0 (median)', med.node, { unit: 'ms', digits: 0 }),
      figure('copro --version (median)', med.version, { unit: 'ms', digits: 0 }),
      figure('copro --version / node -e 0', med.version / med.node, { digits: 2 }),
      figure('copro plan --state --json (median)', med.plan, { unit: 'ms', digits: 0 }),
      figure('copro plan --state --json / node -e 0', med.plan / med.node, { goal: GOAL, op: '<=', digits: 2 }),
    ];
    printTable('3. Start-up: median wall time, ratio to a bare node start (same run)', figures);
    // Evidence, whether or not the goal is met this time (the ratio sits near the goal and moves with machine load).
    let evidence;
    {
      say('startup: tracing modules, timing imports, profiling');
      const costs = {};
      for (const pkg of ['commander', 'yaml', 'ajv', 'semver', 'execa', 'listr2']) costs[pkg] = await importCost(pkg, med.node);
      evidence = {
        planLoads: await modulesLoaded(planArgs, { cwd: dir, env }),
        versionLoads: await modulesLoaded(['--version'], { cwd: dir, env }),
        importCostOverNodeMs: costs,
        ajvInAFreshProcess: await schemaCompileCost(),
        planProfile: await profileCopro(planArgs, { cwd: dir, env }),
        versionProfile: await profileCopro(['--version'], { cwd: dir, env }),
      };
    }
    return writeResult('startup', {
      goal: `copro plan --state --json <= ${GOAL}x node -e 0`,
      met: med.plan / med.node <= GOAL,
      runs,
      version: v.stdout.trim(),
      mediansMs: Object.fromEntries(Object.entries(med).map(([k, x]) => [k, round(x, 1)])),
      allMs: Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, xs.map((x) => round(x, 1))])),
      figures,
      ...(evidence ? { evidence } : {}),
    });
  } finally {
    await cleanup(dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await startup()));
