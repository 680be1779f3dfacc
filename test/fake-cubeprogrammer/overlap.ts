/**
 * Overlap detection: two STM32_Programmer_CLI processes working on one board at once. The real tool has no
 * lock of its own (two calls on one DFU device interleave), so the fake must not hide a second caller by
 * making it wait: each invocation registers itself under `<sim dir>/.active/<serial>/<pid>` for its whole
 * run and, finding another live invocation there, appends a record to `<sim dir>/.overlaps.ndjson`. Tests
 * read that file (`readOverlaps`) to prove copro's own exclusion. (The store lock the fake still takes
 * afterwards only keeps the board's JSON file whole; it is not what keeps two tools apart.)
 */
import { appendFile, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive, procRef, type ProcRef } from '../../src/runner/lock-proc.js';

export interface Overlap {
  serial: string;
  pid: number;
  argv: string[];
  others: { pid: number; argv: string[] }[];
  at: string;
}

export const overlapsFile = (dir: string) => path.join(dir, '.overlaps.ndjson');

/** Registers this invocation on the board; resolves to the function that unregisters it. */
export async function registerInvocation(dir: string, serial: string, argv: string[]): Promise<() => Promise<void>> {
  const here = path.join(dir, '.active', serial);
  await mkdir(here, { recursive: true });
  const me = path.join(here, String(process.pid));
  await writeFile(me, JSON.stringify({ ...procRef(process.pid), argv }));
  const others: { pid: number; argv: string[] }[] = [];
  for (const f of await readdir(here)) {
    if (f === String(process.pid)) continue;
    try {
      const o = JSON.parse(await readFile(path.join(here, f), 'utf8')) as ProcRef & { argv: string[] };
      if (isAlive(o)) others.push({ pid: o.pid, argv: o.argv });
    } catch {
      /* gone meanwhile, or being written: the other side sees us */
    }
  }
  if (others.length) {
    const rec: Overlap = { serial, pid: process.pid, argv, others, at: new Date().toISOString() };
    await appendFile(overlapsFile(dir), JSON.stringify(rec) + '\n');
    process.stderr.write(`fake STM32_Programmer_CLI: OVERLAP on board ${serial}: pid ${others.map((o) => o.pid).join(', ')} already works on it\n`);
  }
  return () => unlink(me).catch(() => undefined);
}

/** Every overlap recorded in a simulator folder (none: []). */
export async function readOverlaps(dir: string): Promise<Overlap[]> {
  try {
    return (await readFile(overlapsFile(dir), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Overlap);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Tool invocations registered on a board whose process still runs (a tool that outlived its copro). */
export async function liveInvocations(dir: string, serial: string): Promise<number[]> {
  const here = path.join(dir, '.active', serial);
  let names: string[];
  try {
    names = await readdir(here);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const f of names) {
    try {
      const o = JSON.parse(await readFile(path.join(here, f), 'utf8')) as ProcRef;
      if (isAlive(o)) out.push(o.pid);
    } catch {
      /* gone */
    }
  }
  return out;
}
