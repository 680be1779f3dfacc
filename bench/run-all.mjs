#!/usr/bin/env node
/**
 * `npm run bench`: builds copro (the npm script does), then runs the five benchmarks one after another, each
 * in its own process (each is runnable alone: `node bench/<name>.mjs`), and prints every goal figure beside its
 * goal. Results: bench/results/<name>.json and the combined bench/results/latest.json.
 * Exit code 1 only when a benchmark could not run; a missed goal is a result, not an error.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BENCH_DIR, RESULTS_DIR, machine, printTable, round, writeJsonAtomic } from './lib/common.mjs';

const BENCHMARKS = ['startup', 'identify', 'connections', 'overhead', 'fleet', 'bootloader'];

function runScript(name) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(BENCH_DIR, `${name}.mjs`)], { stdio: 'inherit' });
    child.on('close', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
}

const only = process.argv.slice(2);
const selected = only.length ? BENCHMARKS.filter((b) => only.includes(b)) : BENCHMARKS;
const t0 = Date.now();
const summary = [];
const outcome = {};
for (const name of selected) {
  process.stderr.write(`\n[bench] === ${name} ===\n`);
  const { code, ms } = await runScript(name);
  if (code !== 0) {
    outcome[name] = { error: `exited with ${code}`, seconds: round(ms / 1000, 1) };
    summary.push({ figure: `${name}: did not run (exit ${code})`, value: '-', goal: '-', met: false });
    continue;
  }
  const result = JSON.parse(await readFile(path.join(RESULTS_DIR, `${name}.json`), 'utf8'));
  outcome[name] = { met: result.met, seconds: round(ms / 1000, 1) };
  for (const f of result.figures.filter((x) => x.goal !== null)) summary.push({ ...f, figure: `${name}: ${f.figure}` });
}
const totalSeconds = round((Date.now() - t0) / 1000, 1);
printTable(`Summary (${totalSeconds} s for the benchmarks; machine: ${machine().cpus} cores, Node ${process.version})`, summary);

// latest.json holds every benchmark's full result (written by each script); add the run's summary.
const latestFile = path.join(RESULTS_DIR, 'latest.json');
const latest = JSON.parse(await readFile(latestFile, 'utf8').catch(() => '{"benchmarks":{}}'));
latest.run = { machine: machine(), totalSeconds, benchmarks: outcome, summary };
await writeJsonAtomic(latestFile, latest);
process.exitCode = Object.values(outcome).some((o) => o.error) ? 1 : 0;
