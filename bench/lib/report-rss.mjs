// Loaded with `node --import` by the fleet and bootloader benchmarks: at exit, writes this process's peak resident
// set size (process.resourceUsage().maxRSS, KiB), its CPU time (user and system, ms, all threads) and its age
// (ms since the process started) to $BENCH_RSS_DIR/<pid>.json. Child processes inherit nothing from it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_RSS_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify({ maxRSS: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, uptimeMs: process.uptime() * 1000 }));
    } catch {
      // measuring must never change the measured command's outcome
    }
  });
}
