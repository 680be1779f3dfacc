/**
 * The images a plan may use: local files identified by content, plus the catalog's ST images that are
 * not here (to fetch), or their deterministic stand-ins when the board is simulated.
 */
import { readdir, readFile, writeFile, rename, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Family } from '../domain/devices.js';
import { createHash } from 'node:crypto';
import { identifyFile, identifyBytes, catalogIdentity } from './identify.js';
import { currentName, type CatalogImage } from './catalog.js';
import { makeStandIn, verifyStandIn } from './standin.js';
import type { AvailableImage } from './types.js';
import { judgeLocal, missingCatalogImages, standInRelease, takenNames, type Identified, type ImageProblem, type LocalContext, type Want } from './collect-core.js';

export type { ImageProblem, ImageProblemCode } from './collect-core.js';

export interface CollectOptions {
  /** A folder of .bin files (searched a few levels deep: fetch writes `<release>/<name>`). */
  dir?: string;
  /** Files named one by one, optionally pinned by sha256. Never filtered out. */
  files?: { path: string; sha256?: string; notST?: boolean }[];
  /** Limit catalog images to one STM32CubeWB release (`v1.24.0`, or `latest`). */
  release?: string;
  /** Simulated board: provide stand-ins (written under `standInDir`) for catalog images not here. */
  standIns: boolean;
  /** Limit catalog images and the files of `dir` to images for this family. */
  family?: Family;
  /** Where stand-ins are written; default `<cwd>/.copro/standins`. */
  standInDir?: string;
}

const MAX_DEPTH = 3;
const CONCURRENCY = 8;

async function binFilesUnder(dir: string, depth = 0): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // A missing images folder is not a problem: the default `binaries/` need not exist.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH && !e.name.startsWith('.')) out.push(...(await binFilesUnder(p, depth + 1)));
    else if (e.isFile() && /\.bin$/i.test(e.name)) out.push(p);
  }
  return out;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Writes (or reuses, when intact) the stand-in of a catalog image; atomically, so concurrent runs agree. */
export async function ensureStandIn(record: CatalogImage, standInDir: string, name = currentName(record)): Promise<{ file: string; bytes: Uint8Array }> {
  const file = path.join(standInDir, record.latestRelease, name);
  const existing = await readFile(file).catch(() => undefined);
  if (existing && verifyStandIn(existing)?.standInFor === record.sha256) return { file, bytes: existing };
  await mkdir(path.dirname(file), { recursive: true });
  const bytes = makeStandIn(record);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return { file, bytes };
}

async function readSmall(file: string): Promise<Uint8Array | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info || info.size > 4 * 1024 * 1024) return undefined;
  return readFile(file).catch(() => undefined);
}

async function identifyLocal(file: string, want: Want, ctx: LocalContext): Promise<Identified> {
  try {
    return await judgeLocal(file, want, ctx, {
      identify: () => identifyFile(file),
      smallBytes: () => readSmall(file),
      sha256: async (bytes) => createHash('sha256').update(bytes).digest('hex'),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, problem: { code: 'MISSING_FILE', path: file, message: `${file}: no such file` } };
    return { ok: false, problem: { code: 'UNREADABLE', path: file, message: `${file}: cannot read it: ${(e as Error).message}` } };
  }
}

export interface Collected {
  images: AvailableImage[];
  problems: ImageProblem[];
  /** Local files left out, and why (outside images.release, not ST's and not named...). */
  notes: string[];
}

export async function collectImages(opts: CollectOptions): Promise<Collected> {
  const problems: ImageProblem[] = [];
  const notes: string[] = [];
  const wanted = new Map<string, { pinned?: string; explicit: boolean; notST?: boolean }>();
  for (const f of opts.files ?? []) wanted.set(path.resolve(f.path), { pinned: f.sha256, explicit: true, ...(f.notST ? { notST: true } : {}) });
  if (opts.dir) {
    const dir = path.resolve(opts.dir);
    const s = await stat(dir).catch(() => undefined);
    if (s && !s.isDirectory()) problems.push({ code: 'UNREADABLE', path: dir, message: `${dir}: not a folder of images` });
    else for (const f of await binFilesUnder(dir)) if (!wanted.has(f)) wanted.set(f, { explicit: false });
  }
  const ctx: LocalContext = { family: opts.family, release: opts.release === 'latest' ? undefined : opts.release };
  const identified = await mapLimited([...wanted], CONCURRENCY, ([file, w]) => identifyLocal(file, w, ctx));
  const images: AvailableImage[] = [];
  for (const r of identified) {
    if (r.ok === true) images.push(r.image);
    else if (r.ok === false) problems.push(r.problem);
    else if (r.note) notes.push(r.note);
  }

  const taken = takenNames(images, opts.release, opts.family);
  const missing = missingCatalogImages(images, opts.release, opts.family);
  const forRelease = standInRelease(opts.release);
  const standInDir = opts.standInDir ?? path.join(process.cwd(), '.copro', 'standins');
  const extra = await mapLimited(missing, CONCURRENCY, async (record): Promise<AvailableImage> => {
    const name = currentName(record, opts.family);
    const takenBy = taken.get(record.sha256);
    if (takenBy) return { identity: catalogIdentity(record), name, origin: 'catalog', nameTakenBy: takenBy };
    if (opts.standIns && record.releases.includes(forRelease)) {
      const { file, bytes } = await ensureStandIn(record, standInDir, name);
      return { identity: identifyBytes(bytes, file), path: file, name, origin: 'stand-in' };
    }
    return { identity: catalogIdentity(record), name, origin: 'catalog' };
  });
  return { images: [...images, ...extra], problems, notes };
}
