#!/usr/bin/env node
// Accounting wrapper around the fake STM32_Programmer_CLI, used only to *measure* modelled device time.
//
// The simulator's clock (`clock.ms` in each board JSON) advances by (a) the modelled duration of every device
// event and (b) the real time that passed between two processes, scaled by COPRO_SIM_SPEED (so a USB device
// "comes back" while the host is busy elsewhere). (b) is host time, not device time. Setting `clock.wallAt`
// to 0 before each CLI process switches (b) off (store.ts advanceClock() skips a board whose wallAt <= 0),
// so `clock.ms` grows by exactly the device time a host with zero latency would need.
// With BENCH_ACCOUNTING_LOG set, appends one JSON line per call: argv, device ms, resets, exit code.
//
// Usage: as the --cubeprogrammer executable (or instead of the CLI in a script); env BENCH_REAL_CLI = the
// fake CLI to run, COPRO_SIM_DIR = the boards' folder.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile, rename, appendFile } from 'node:fs/promises';
import path from 'node:path';

const real = process.env.BENCH_REAL_CLI;
const dir = process.env.COPRO_SIM_DIR;
if (!real || !dir) {
  process.stderr.write('zero-idle-cli: BENCH_REAL_CLI and COPRO_SIM_DIR must be set\n');
  process.exit(2);
}

async function boards() {
  const out = new Map();
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue;
    out.set(name, JSON.parse(await readFile(path.join(dir, name), 'utf8')));
  }
  return out;
}

const before = await boards();
for (const [name, board] of before) {
  if (board.clock.wallAt === 0) continue;
  board.clock.wallAt = 0;
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.zero.tmp`;
  await writeFile(tmp, JSON.stringify(board, null, 2) + '\n');
  await rename(tmp, file);
}
const args = process.argv.slice(2);
const child = spawn(real, args, { stdio: 'inherit' });
child.on('exit', async (code, signal) => {
  if (process.env.BENCH_ACCOUNTING_LOG) {
    const after = await boards();
    let deviceMs = 0;
    let resets = 0;
    for (const [name, b] of after) {
      const a = before.get(name);
      if (!a) continue;
      deviceMs += b.clock.ms - a.clock.ms;
      resets += b.counters.resets - a.counters.resets;
    }
    await appendFile(process.env.BENCH_ACCOUNTING_LOG, JSON.stringify({ argv: args.join(' '), deviceMs, resets, exitCode: code }) + '\n');
  }
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
