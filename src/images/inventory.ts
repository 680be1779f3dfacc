/**
 * The images a plan may use: local files identified by content, plus the catalog's ST images that are
 * not here (to fetch), or their deterministic stand-ins when the board is simulated.
 */
import { readdir, readFile, writeFile, rename, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Family } from '../domain/devices.js';
import { createHash } from 'node:crypto';
import { identifyFile, identifyBytes, catalogIdentity } from './identify.js';
import { FooterError } from './footer.js';
import { catalogImages, currentName, findCatalogImage, loadCatalog, type CatalogImage } from './catalog.js';
import { footerClaim, nameClaim, type FooterClaim } from './claims.js';
import { makeStandIn, verifyStandIn } from './standin.js';
import type { AvailableImage, ImageIdentity } from './types.js';

export type ImageProblemCode = 'SHA256_MISMATCH' | 'NOT_AN_IMAGE' | 'UNREADABLE' | 'MISSING_FILE' | 'TAMPERED' | 'WRONG_FAMILY' | 'MODIFIED_ST_IMAGE' | 'NOT_ST_UNDECLARED' | 'OUTSIDE_RELEASE';

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

type Identified = { ok: true; image: AvailableImage } | { ok: false; problem: ImageProblem } | { ok: 'skip'; note?: string };

function describeRecord(r: CatalogImage): string {
  const what = r.kind === 'stack' ? `${r.stackType ?? 'stack'} ${r.version}` : `${r.kind === 'fus' ? 'FUS' : r.kind === 'safeboot' ? 'Safeboot' : r.kind} ${r.version}`;
  return `${what} for ${r.families.join('/')}`;
}

function describeIdentity(id: ImageIdentity): string {
  const what = id.kind === 'stack' ? (id.stackType ?? 'stack') : id.kind === 'fus' ? 'FUS' : id.kind === 'safeboot' ? 'Safeboot' : id.kind;
  const record = id.catalog ? findCatalogImage(id.standInFor ?? id.sha256) : undefined;
  if (record) return `${id.standInFor ? 'a stand-in for ' : ''}${describeRecord(record)} (${currentName(record, record.families[0] as Family | undefined)})`;
  return `${what} (not an ST image; its footer says ${id.version})`;
}

/** A file whose trailer is one of ST's images but whose content is not: refused wherever it comes from. */
function modifiedProblem(file: string, claim: FooterClaim, actual: string, footerVersion?: string): ImageProblem {
  const r = claim.records[0]!;
  const names = claim.records.map((x) => `${currentName(x, x.families[0] as Family | undefined)} (${describeRecord(x)}, sha256 ${x.sha256})`).join(' or ');
  const how =
    claim.how === 'appended'
      ? `it is ${claim.appended} byte(s) longer than ST's file`
      : claim.how === 'footer-version'
        ? `its footer version was changed${footerVersion ? ` to ${footerVersion}` : ''} (ST published this trailer as ${claim.records.map((x) => x.version).join(', ')}; never as this file)`
        : 'its content differs (a modified or corrupted copy)';
  const expected = claim.records.length === 1 ? `expected sha256 ${r.sha256}` : `expected sha256 ${claim.records.map((x) => x.sha256).join(' or ')}`;
  return {
    code: 'MODIFIED_ST_IMAGE',
    path: file,
    expected: r.sha256,
    actual,
    message: `${file}: its footer claims to be ST's ${names}, but its sha256 is ${actual}: ${how}. FUS would reject it after the irreversible steps before it; not using it (${expected}, actual ${actual}). Replace it with ST's file (\`copro fetch\`).`,
  };
}

async function readSmall(file: string): Promise<Uint8Array | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info || info.size > 4 * 1024 * 1024) return undefined;
  return readFile(file).catch(() => undefined);
}

interface LocalContext {
  family: Family | undefined;
  release: string | undefined;
}

async function identifyLocal(file: string, want: { pinned?: string; explicit: boolean; notST?: boolean }, ctx: LocalContext): Promise<Identified> {
  const { pinned, explicit } = want;
  const { family } = ctx;
  try {
    let identity: ImageIdentity;
    try {
      identity = await identifyFile(file);
    } catch (e) {
      if (!(e instanceof FooterError)) throw e;
      // An ST image with bytes appended has no trailer at its end, but ST's trailer at ST's size.
      const bytes = await readSmall(file);
      const claim = bytes && footerClaim(bytes);
      if (claim) return { ok: false, problem: modifiedProblem(file, claim, createHash('sha256').update(bytes).digest('hex')) };
      throw e;
    }
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
    const known = identity.catalog !== undefined || identity.standInFor !== undefined;
    if (!known && identity.signature !== 'none') {
      // Not ST's (sha256 not in the catalog): a modified ST image is refused wherever it is; anything else is
      // used only where the manifest names it and says it is not ST's.
      const bytes = await readSmall(file);
      const claim = bytes && footerClaim(bytes);
      if (claim) return { ok: false, problem: modifiedProblem(file, claim, identity.sha256, identity.version) };
      if (!explicit) return { ok: 'skip', note: `${file}: not one of ST's published images (sha256 ${identity.sha256} is not in the catalog): not used unless images.files names it with notST: true` };
      if (!want.notST) {
        return {
          ok: false,
          problem: {
            code: 'NOT_ST_UNDECLARED',
            path: file,
            actual: identity.sha256,
            message: `${file}: not one of ST's published images (sha256 ${identity.sha256} is not in copro's catalog of STM32CubeWB up to ${loadCatalog().latestRelease}); copro cannot check it. To use it on purpose, add \`notST: true\` to its images.files entry`,
          },
        };
      }
    }
    if (known && want.notST) {
      return { ok: false, problem: { code: 'NOT_ST_UNDECLARED', path: file, actual: identity.sha256, message: `${file}: images.files says notST: true, but this file is ST's ${describeIdentity(identity)}; remove notST` } };
    }
    if (family && identity.families.length > 0 && !identity.families.includes(family)) {
      // Kept (never planned: wrong family) when its name claims one of this family's images, so the plan can
      // say so and no stand-in replaces the image the name claims.
      const claimed = nameClaim(file, ctx.release, family);
      if (!explicit && claimed && claimed.sha256 !== (identity.standInFor ?? identity.sha256)) {
        return { ok: true, image: { identity, path: file, name: path.basename(file), origin: identity.standInFor ? 'stand-in' : 'file' } };
      }
      if (!explicit) return { ok: 'skip' };
      return { ok: false, problem: { code: 'WRONG_FAMILY', path: file, expected: family, actual: identity.families.join(', '), message: `${file}: an image for ${identity.families.join(', ')}, but the manifest's device is ${family} (expected ${family}, actual ${identity.families.join(', ')})` } };
    }
    // images.release bounds every image copro may choose, local files included.
    const releases = identity.catalog?.releases;
    if (ctx.release !== undefined && releases !== undefined && !releases.includes(ctx.release)) {
      const what = `${file}: ${describeIdentity(identity)} is not part of images.release ${ctx.release} (ST shipped it in ${releases[0]}${releases.length > 1 ? `..${releases[releases.length - 1]}` : ''})`;
      if (!explicit) return { ok: 'skip', note: `${what}: not used` };
      return { ok: false, problem: { code: 'OUTSIDE_RELEASE', path: file, message: `${what}; change images.release or remove it from images.files` } };
    }
    return {
      ok: true,
      image: { identity, path: file, name: path.basename(file), origin: identity.standInFor ? 'stand-in' : 'file', ...(explicit ? { listed: true } : {}), ...(want.notST && !known ? { notST: true } : {}) },
    };
  } catch (e) {
    if (e instanceof FooterError) return { ok: false, problem: { code: 'NOT_AN_IMAGE', path: file, message: `${file}: not a coprocessor image: ${e.message}` } };
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

  // A local file named like one of ST's images of the release in effect, holding something else: that image
  // is present but differs, so no stand-in replaces it (the simulated board must stop where a real one does).
  const takenNames = new Map<string, { path: string; sha256: string; what: string }>();
  for (const img of images) {
    const claimed = nameClaim(img.name, opts.release, opts.family);
    const content = img.identity.standInFor ?? img.identity.sha256;
    if (!claimed || claimed.sha256 === content) continue;
    img.misnamed = { name: currentName(claimed, opts.family), sha256: claimed.sha256, what: describeRecord(claimed) };
    takenNames.set(claimed.sha256, { path: img.path!, sha256: img.identity.sha256, what: describeIdentity(img.identity) });
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
    const taken = takenNames.get(record.sha256);
    if (taken) return { identity: catalogIdentity(record), name, origin: 'catalog', nameTakenBy: taken };
    if (opts.standIns && record.releases.includes(standInRelease)) {
      const { file, bytes } = await ensureStandIn(record, standInDir, name);
      return { identity: identifyBytes(bytes, file), path: file, name, origin: 'stand-in' };
    }
    return { identity: catalogIdentity(record), name, origin: 'catalog' };
  });
  return { images: [...images, ...extra], problems, notes };
}
