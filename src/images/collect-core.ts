/**
 * What the local image files are worth to a plan, decided from their content: which are used, which are
 * refused and why (a modified ST image with expected and actual sha256, a pinned sha256 that differs, a
 * tampered stand-in...), and which catalog images are missing. No Node imports: the reads and hashes are
 * given (inventory.ts: files on disk; a browser page: dropped files).
 */
import { basename } from 'pathe';
import type { Family } from '../domain/devices.js';
import { FooterError } from './footer.js';
import { catalogImages, currentName, findCatalogImage, loadCatalog, type CatalogImage } from './catalog-core.js';
import { footerClaim, nameClaim, type FooterClaim } from './claims.js';
import type { AvailableImage, ImageIdentity } from './types.js';
import { makeStandIn, standInRecordOf } from './standin.js';

export type ImageProblemCode = 'SHA256_MISMATCH' | 'NOT_AN_IMAGE' | 'UNREADABLE' | 'MISSING_FILE' | 'TAMPERED' | 'WRONG_FAMILY' | 'MODIFIED_ST_IMAGE' | 'NOT_ST_UNDECLARED' | 'OUTSIDE_RELEASE';

export interface ImageProblem {
  code: ImageProblemCode;
  message: string;
  path?: string;
  /** SHA256_MISMATCH: the sha256 the manifest pins, and the file's. */
  expected?: string;
  actual?: string;
}

export type Identified = { ok: true; image: AvailableImage } | { ok: false; problem: ImageProblem } | { ok: 'skip'; note?: string };

export function describeRecord(r: CatalogImage): string {
  const what = r.kind === 'stack' ? `${r.stackType ?? 'stack'} ${r.version}` : `${r.kind === 'fus' ? 'FUS' : r.kind === 'safeboot' ? 'Safeboot' : r.kind} ${r.version}`;
  return `${what} for ${r.families.join('/')}`;
}

export function describeIdentity(id: ImageIdentity): string {
  const what = id.kind === 'stack' ? (id.stackType ?? 'stack') : id.kind === 'fus' ? 'FUS' : id.kind === 'safeboot' ? 'Safeboot' : id.kind;
  const record = id.catalog ? findCatalogImage(id.standInFor ?? id.sha256) : undefined;
  if (record) return `${id.standInFor ? 'a stand-in for ' : ''}${describeRecord(record)} (${currentName(record, record.families[0] as Family | undefined)})`;
  return `${what} (not an ST image; its footer says ${id.version})`;
}

/** A file whose trailer is one of ST's images but whose content is not: refused wherever it comes from. */
export function modifiedProblem(file: string, claim: FooterClaim, actual: string, footerVersion?: string): ImageProblem {
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

export interface LocalContext {
  family: Family | undefined;
  release: string | undefined;
}

export interface Want {
  pinned?: string;
  explicit: boolean;
  notST?: boolean;
}

/** How a local file is read: identified (throws FooterError without a trailer), its bytes when small, hashed. */
export interface LocalReads {
  identify: () => Promise<ImageIdentity>;
  /** The whole file when it is small enough to be an image (footer claims), else undefined. */
  smallBytes: () => Promise<Uint8Array | undefined>;
  sha256: (bytes: Uint8Array) => Promise<string>;
}

/** Judges one local file. Read errors other than FooterError are the caller's (they depend on the medium). */
export async function judgeLocal(file: string, want: Want, ctx: LocalContext, io: LocalReads): Promise<Identified> {
  const { pinned, explicit } = want;
  const { family } = ctx;
  try {
    let identity: ImageIdentity;
    try {
      identity = await io.identify();
    } catch (e) {
      if (!(e instanceof FooterError)) throw e;
      // An ST image with bytes appended has no trailer at its end, but ST's trailer at ST's size.
      const bytes = await io.smallBytes();
      const claim = bytes && footerClaim(bytes);
      if (claim) return { ok: false, problem: modifiedProblem(file, claim, await io.sha256(bytes)) };
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
      // The intact stand-in's sha256, when the marker still names its catalog image: what the file should be.
      const record = standInRecordOf((await io.smallBytes()) ?? new Uint8Array(0));
      const expected = record ? await io.sha256(makeStandIn(record)) : undefined;
      const shown = expected ? `expected sha256 ${expected} (the stand-in for ${describeRecord(record!)}), actual ${identity.sha256}` : `sha256 ${identity.sha256}`;
      return { ok: false, problem: { code: 'TAMPERED', path: file, ...(expected ? { expected } : {}), actual: identity.sha256, message: `${file}: a copro stand-in whose content was modified (its digest does not match; ${shown}); not using it` } };
    }
    const known = identity.catalog !== undefined || identity.standInFor !== undefined;
    if (!known && identity.signature !== 'none') {
      // Not ST's (sha256 not in the catalog): a modified ST image is refused wherever it is; anything else is
      // used only where the manifest names it and says it is not ST's.
      const bytes = await io.smallBytes();
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
        return { ok: true, image: { identity, path: file, name: basename(file), origin: identity.standInFor ? 'stand-in' : 'file' } };
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
      image: { identity, path: file, name: basename(file), origin: identity.standInFor ? 'stand-in' : 'file', ...(explicit ? { listed: true } : {}), ...(want.notST && !known ? { notST: true } : {}) },
    };
  } catch (e) {
    if (e instanceof FooterError) return { ok: false, problem: { code: 'NOT_AN_IMAGE', path: file, message: `${file}: not a coprocessor image: ${e.message}` } };
    throw e;
  }
}

/**
 * A local file named like one of ST's images of the release in effect, holding something else: that image
 * is present but differs, so no stand-in replaces it (the simulated board must stop where a real one does).
 * Marks such files `misnamed` and returns the taken names by the claimed image's sha256.
 */
export function takenNames(images: AvailableImage[], release: string | undefined, family: Family | undefined): Map<string, { path: string; sha256: string; what: string }> {
  const taken = new Map<string, { path: string; sha256: string; what: string }>();
  for (const img of images) {
    const claimed = nameClaim(img.name, release, family);
    const content = img.identity.standInFor ?? img.identity.sha256;
    if (!claimed || claimed.sha256 === content) continue;
    img.misnamed = { name: currentName(claimed, family), sha256: claimed.sha256, what: describeRecord(claimed) };
    taken.set(claimed.sha256, { path: img.path!, sha256: img.identity.sha256, what: describeIdentity(img.identity) });
  }
  return taken;
}

/** Catalog images not present here (by content, or by a local stand-in of them). */
export function missingCatalogImages(images: readonly AvailableImage[], release: string | undefined, family: Family | undefined): CatalogImage[] {
  const have = new Set(images.flatMap((i) => [i.identity.sha256, ...(i.identity.standInFor ? [i.identity.standInFor] : [])]));
  return catalogImages({ release, family }).filter((r) => !have.has(r.sha256));
}

/**
 * Stand-ins are made for the requested release, or else the newest one (writing all 145 MB of history would
 * be wasteful); older catalog images stay listed, to fetch.
 */
export function standInRelease(release: string | undefined): string {
  return release === undefined || release === 'latest' ? loadCatalog().latestRelease : release;
}
