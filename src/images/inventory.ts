/**
 * The images a plan may use: local files identified by content, plus the catalog's ST images that are
 * not here (to fetch), or their deterministic stand-ins when the board is simulated.
 */
import { readdir, readFile, writeFile, rename, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Family } from '../domain/devices.js';
import { identifyFile, identifyBytes, catalogIdentity } from './identify.js';
import { FooterError } from './footer.js';
import { catalogImages, currentName, loadCatalog, type CatalogImage } from './catalog.js';
import { makeStandIn, verifyStandIn } from './standin.js';
import type { AvailableImage } from './types.js';

export type ImageProblemCode = 'SHA256_MISMATCH' | 'NOT_AN_IMAGE' | 'UNREADABLE' | 'MISSING_FILE' | 'TAMPERED' | 'WRONG_FAMILY';

export interface ImageProblem {
  code: ImageProblemCode;
  message: string;
  path?: string;
  /** SHA256_MISMATCH: the sha256 the manifest pins, and the file's. */
  expected?: string;
  actual?: string;
}

export interface CollectOptions {
  /** A folder of .bin files (searched a few levels deep: fetch writes `<release>/<name>`). */
  dir?: string;
  /** Files named one by one, optionally pinned by sha256. Never filtered out. */
  files?: { path: string; sha256?: string }[];
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

type Identified = { ok: true; image: AvailableImage } | { ok: false; problem: ImageProblem } | { ok: 'skip' };

async function identifyLocal(file: string, pinned: string | undefined, family: Family | undefined, explicit: boolean): Promise<Identified> {
  try {
    const identity = await identifyFile(file);
    if (pinned && pinned.toLowerCase() !== identity.sha256) {
      return {
        ok: false,
        problem: { code: 'SHA256_MISMATCH', path: file, expected: pinned.toLowerCase(), actual: identity.sha256, message: `${file}: sha256 is ${identity.sha256}, the manifest pins ${pinned.toLowerCase()}; not using it` },
      };
    }
    if (identity.signature === 'simulated' && !identity.standInFor) {
      // The stand-in marker with a digest that does not match: a modified file, usable by nothing.
      return { ok: false, problem: { code: 'TAMPERED', path: file, actual: identity.sha256, message: `${file}: a copro stand-in whose content was modified (its digest does not match; sha256 ${identity.sha256}); not using it` } };
    }
    if (family && identity.families.length > 0 && !identity.families.includes(family)) {
      if (!explicit) return { ok: 'skip' };
      return { ok: false, problem: { code: 'WRONG_FAMILY', path: file, expected: family, actual: identity.families.join(', '), message: `${file}: an image for ${identity.families.join(', ')}, but the manifest's device is ${family} (expected ${family}, actual ${identity.families.join(', ')})` } };
    }
    return { ok: true, image: { identity, path: file, name: path.basename(file), origin: identity.standInFor ? 'stand-in' : 'file', ...(explicit ? { listed: true } : {}) } };
  } catch (e) {
    if (e instanceof FooterError) return { ok: false, problem: { code: 'NOT_AN_IMAGE', path: file, message: `${file}: not a coprocessor image: ${e.message}` } };
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, problem: { code: 'MISSING_FILE', path: file, message: `${file}: no such file` } };
    return { ok: false, problem: { code: 'UNREADABLE', path: file, message: `${file}: cannot read it: ${(e as Error).message}` } };
  }
}

export async function collectImages(opts: CollectOptions): Promise<{ images: AvailableImage[]; problems: ImageProblem[] }> {
  const problems: ImageProblem[] = [];
  const wanted = new Map<string, { pinned?: string; explicit: boolean }>();
  for (const f of opts.files ?? []) wanted.set(path.resolve(f.path), { pinned: f.sha256, explicit: true });
  if (opts.dir) {
    const dir = path.resolve(opts.dir);
    const s = await stat(dir).catch(() => undefined);
    if (s && !s.isDirectory()) problems.push({ code: 'UNREADABLE', path: dir, message: `${dir}: not a folder of images` });
    else for (const f of await binFilesUnder(dir)) if (!wanted.has(f)) wanted.set(f, { explicit: false });
  }
  const identified = await mapLimited([...wanted], CONCURRENCY, ([file, w]) => identifyLocal(file, w.pinned, opts.family, w.explicit));
  const images: AvailableImage[] = [];
  for (const r of identified) {
    if (r.ok === true) images.push(r.image);
    else if (r.ok === false) problems.push(r.problem);
  }

  // Catalog images not present here (by content, or by a local stand-in of them).
  const have = new Set(images.flatMap((i) => [i.identity.sha256, ...(i.identity.standInFor ? [i.identity.standInFor] : [])]));
  const missing = catalogImages({ release: opts.release, family: opts.family }).filter((r) => !have.has(r.sha256));
  // Stand-ins are written for the requested release, or else the newest one (writing all 145 MB of
  // history would be wasteful); older catalog images stay listed, to fetch.
  const standInRelease = opts.release === undefined || opts.release === 'latest' ? loadCatalog().latestRelease : opts.release;
  const standInDir = opts.standInDir ?? path.join(process.cwd(), '.copro', 'standins');
  const extra = await mapLimited(missing, CONCURRENCY, async (record): Promise<AvailableImage> => {
    const name = currentName(record, opts.family);
    if (opts.standIns && record.releases.includes(standInRelease)) {
      const { file, bytes } = await ensureStandIn(record, standInDir, name);
      return { identity: identifyBytes(bytes, file), path: file, name, origin: 'stand-in' };
    }
    return { identity: catalogIdentity(record), name, origin: 'catalog' };
  });
  return { images: [...images, ...extra], problems };
}
