#!/usr/bin/env node
/**
 * Benchmark 5, identify: `copro identify` over a folder of 600 images of real sizes (the sizes of the first 600
 * catalog records, binaries/catalog.json), in MB/s, as a ratio to `sha256sum` over the same files in the same
 * run (warm page cache for both, interleaved runs, median). Goal: >= 0.7x sha256sum's throughput.
 *
 * The files look like ST images: a random payload and signature, with the real image footer and signature
 * footer of the record they are sized after (so copro parses a real footer, computes the sha256 and looks it up
 * in the catalog, where it is not found, as for any image ST publishes after the catalog was built).
 * The wall time of `copro identify` includes its start-up, as a user would see it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, copro, COPRO_ROOT, expectOk, figure, isMain, main, median, printTable, profileCopro, round, run, say, tempDir, writeResult } from './lib/common.mjs';

export const GOAL = 0.7;
const COUNT = 600;
const IMAGE_FOOTER = 20;
const SIGNATURE = 64;
const SIGNATURE_FOOTER = 20;

async function makeImages(dir) {
  const catalog = JSON.parse(await readFile(path.join(COPRO_ROOT, 'binaries', 'catalog.json'), 'utf8'));
  const records = catalog.images.slice(0, COUNT);
  if (records.length < COUNT) throw new Error(`the catalog has ${records.length} images, fewer than ${COUNT}`);
  await mkdir(dir, { recursive: true });
  const files = [];
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const buf = randomBytes(r.size);
    // [payload][image footer 20 B][signature 64 B][signature footer 20 B], as ST's images end (STM32WB.md §2).
    if (r.footer?.signatureFooterHex) Buffer.from(r.footer.signatureFooterHex, 'hex').copy(buf, r.size - SIGNATURE_FOOTER);
    if (r.footer?.valid && r.footer.imageFooterHex) Buffer.from(r.footer.imageFooterHex, 'hex').copy(buf, r.size - SIGNATURE_FOOTER - SIGNATURE - IMAGE_FOOTER);
    const file = path.join(dir, `${String(i).padStart(3, '0')}_${r.names[0]}`);
    await writeFile(file, buf);
    files.push(file);
    bytes += r.size;
  }
  return { files, bytes };
}

export async function identify() {
  const runs = Number(process.env.BENCH_IDENTIFY_RUNS ?? 7);
  const dir = await tempDir('identify');
  try {
    say(`identify: writing ${COUNT} images of catalog sizes`);
    const { files, bytes } = await makeImages(path.join(dir, 'images'));
    const rel = files.map((f) => path.relative(dir, f));
    const commands = {
      copro: () => copro(['identify', ...rel], { cwd: dir, stdout: 'pipe' }),
      sha256sum: () => run('sha256sum', rel, { cwd: dir }),
    };
    // Warm the page cache, and check both do the job (every file listed).
    const c = expectOk(await commands.copro(), 'copro identify', [0, 4]);
    // Every file gets an entry: identified (with its sha256), or an error (ST's v1.5.0 FUS has no valid footer).
    const identified = (c.stdout.match(/^ {2}sha256 {6}[0-9a-f]{64}$/gm) ?? []).length;
    const refused = (c.stdout.match(/^ {2}error: /gm) ?? []).length;
    if (identified + refused !== COUNT || identified < COUNT - 5) throw new Error(`copro identify reported ${identified} sha256 lines and ${refused} errors for ${COUNT} files:\n${c.stdout.slice(0, 1500)}\n${c.stderr.slice(0, 500)}`);
    const s = expectOk(await commands.sha256sum(), 'sha256sum');
    if (s.stdout.trim().split('\n').length !== COUNT) throw new Error('sha256sum did not list every file');
    say(`identify: ${runs} interleaved runs of each over ${round(bytes / 1e6, 1)} MB`);
    const times = { copro: [], sha256sum: [] };
    for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(commands)) times[k].push((await f()).wallMs);
    const med = { copro: median(times.copro), sha256sum: median(times.sha256sum) };
    const mbps = { copro: bytes / 1e6 / (med.copro / 1000), sha256sum: bytes / 1e6 / (med.sha256sum / 1000) };
    const ratio = mbps.copro / mbps.sha256sum;
    const figures = [
      figure('files / total size', `${COUNT} / ${round(bytes / 1e6, 1)} MB`, {}),
      figure('sha256sum throughput', mbps.sha256sum, { unit: 'MB/s', digits: 0, note: `${round(med.sha256sum, 0)} ms` }),
      figure('copro identify throughput', mbps.copro, { unit: 'MB/s', digits: 0, note: `${round(med.copro, 0)} ms` }),
      figure('copro identify / sha256sum throughput', ratio, { goal: GOAL, op: '>=', digits: 2 }),
    ];
    printTable('5. Identify: copro identify over 600 images vs sha256sum (same files, same run)', figures);
    // The profile is kept whether or not the goal is met: the ratio sits near the goal and moves with machine load.
    say('identify: profiling copro identify');
    const profile = await profileCopro(['identify', ...rel], { cwd: dir });
    return writeResult('identify', {
      goal: `copro identify >= ${GOAL}x sha256sum's throughput`,
      met: ratio >= GOAL,
      files: COUNT,
      identified,
      notImages: refused,
      bytes,
      runs,
      mediansMs: { copro: round(med.copro, 0), sha256sum: round(med.sha256sum, 0) },
      mbPerS: { copro: round(mbps.copro, 1), sha256sum: round(mbps.sha256sum, 1) },
      ratio: round(ratio, 3),
      allMs: { copro: times.copro.map((x) => round(x, 0)), sha256sum: times.sha256sum.map((x) => round(x, 0)) },
      figures,
      profile,
    });
  } finally {
    await cleanup(dir);
  }
}

if (isMain(import.meta.url)) main(async () => void (await identify()));
