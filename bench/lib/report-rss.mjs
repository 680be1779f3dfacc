// Loaded with `node --import` by the fleet benchmark: at exit, writes this process's peak resident set size
// (process.resourceUsage().maxRSS, KiB) to $BENCH_RSS_DIR/<pid>.json. Child processes inherit nothing from it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_RSS_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify({ maxRSS: process.resourceUsage().maxRSS }));
    } catch {
      // measuring must never change the measured command's outcome
    }
  });
}
