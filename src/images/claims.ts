/**
 * What a file CLAIMS to be, by its footer or by its name, compared with what it IS (its sha256).
 *
 * - By footer: ST's images are told apart by sha256 (the catalog); a file whose trailer is the trailer of
 *   one of ST's published images (same size, same signature footer, same image footer, or only the
 *   version word changed) but whose sha256 is not that image's is a modified copy: a flipped byte, an
 *   edited footer version. A file that is an ST image with bytes appended still holds the ST trailer at
 *   the record's size. Such a file is refused: copro cannot check ST's signature (only FUS can, after
 *   the irreversible steps before it have run).
 * - By name: a file named like one of ST's images of the release in effect (ST's current file name for
 *   the family) whose content is another image "takes the name" of that image: copro never stands in
 *   for an image whose file is present but differs.
 * Pure (the catalog is static data).
 */
import { basename } from 'pathe';
import type { Family } from '../domain/devices.js';
import { bytesFromHex, SIGNATURE_FOOTER_SIZE, TRAILER_SIZE } from './footer.js';
import { currentName, loadCatalog, type CatalogImage } from './catalog-core.js';

/** The recorded trailer of a catalog image: image footer (20 B) and signature footer (20 B), hex. */
function trailerKey(imageFooterHex: string, signatureFooterHex: string, size: number): string {
  return `${size}:${imageFooterHex.toLowerCase()}:${signatureFooterHex.toLowerCase()}`;
}

/** The image footer without its version word (bytes 12..15), so an edited version still matches. */
function footerWithoutVersion(imageFooterHex: string): string {
  const h = imageFooterHex.toLowerCase();
  return h.slice(0, 24) + '########' + h.slice(32);
}

let index: { exact: Map<string, CatalogImage[]>; loose: Map<string, CatalogImage[]>; sizes: number[] } | undefined;

function load(): NonNullable<typeof index> {
  if (index) return index;
  const exact = new Map<string, CatalogImage[]>();
  const loose = new Map<string, CatalogImage[]>();
  const sizes = new Set<number>();
  const push = (m: Map<string, CatalogImage[]>, k: string, r: CatalogImage) => m.set(k, [...(m.get(k) ?? []), r]);
  for (const r of loadCatalog().images) {
    const f = r.footer;
    if (!f.valid || !f.imageFooterHex) continue;
    push(exact, trailerKey(f.imageFooterHex, f.signatureFooterHex, r.size), r);
    push(loose, trailerKey(footerWithoutVersion(f.imageFooterHex), f.signatureFooterHex, r.size), r);
    sizes.add(r.size);
  }
  index = { exact, loose, sizes: [...sizes].sort((a, b) => a - b) };
  return index;
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export interface FooterClaim {
  /** The ST image(s) the trailer belongs to (the two FUS 1.2.0 images share one trailer). */
  records: CatalogImage[];
  /** How the file differs from them. */
  how: 'content' | 'footer-version' | 'appended';
  /** For `appended`: bytes after the ST image's end. */
  appended?: number;
}

/** The trailer of `bytes` ending at `end`, as hex strings. */
function trailerAt(bytes: Uint8Array, end: number): { image: string; signature: string } | undefined {
  if (end < TRAILER_SIZE || end > bytes.length) return undefined;
  return { image: toHex(bytes.subarray(end - TRAILER_SIZE, end - TRAILER_SIZE + 20)), signature: toHex(bytes.subarray(end - SIGNATURE_FOOTER_SIZE, end)) };
}

/**
 * Which of ST's published images this file claims to be by its trailer, when its sha256 is not in the
 * catalog (the caller checks that first). Undefined when the trailer is no ST image's.
 */
export function footerClaim(bytes: Uint8Array): FooterClaim | undefined {
  const { exact, loose, sizes } = load();
  const t = trailerAt(bytes, bytes.length);
  if (t) {
    const same = exact.get(trailerKey(t.image, t.signature, bytes.length));
    if (same) return { records: same, how: 'content' };
    const edited = loose.get(trailerKey(footerWithoutVersion(t.image), t.signature, bytes.length));
    if (edited) return { records: edited, how: 'footer-version' };
  }
  // An ST image with bytes appended: its trailer sits at the image's own size.
  for (const size of sizes) {
    if (size >= bytes.length) break;
    const at = trailerAt(bytes, size);
    const same = at && exact.get(trailerKey(at.image, at.signature, size));
    if (same) return { records: same, how: 'appended', appended: bytes.length - size };
  }
  return undefined;
}

/** The record's footer version word as it was published (for "this file says X, ST's says Y"). */
export function recordedVersionWord(record: CatalogImage): number | undefined {
  const h = record.footer.imageFooterHex;
  if (!h) return undefined;
  const b = bytesFromHex(h);
  return (b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24)) >>> 0;
}

/**
 * The ST image a file name claims in a release: the catalog image of that release (for the family, when
 * known) that ST ships under exactly this name today. Undefined for a name ST does not use there.
 */
export function nameClaim(fileName: string, release: string | undefined, family: Family | undefined): CatalogImage | undefined {
  const base = basename(fileName).toLowerCase();
  const catalog = loadCatalog();
  const tag = release === undefined || release === 'latest' ? catalog.latestRelease : release;
  return catalog.images.find(
    (r) => r.releases.includes(tag) && (family === undefined || r.families.includes(family)) && currentName(r, family ?? (r.families[0] as Family | undefined)).toLowerCase() === base,
  );
}
