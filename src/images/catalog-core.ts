/**
 * The catalog of ST coprocessor images (binaries/catalog.json, built by scripts/build-catalog.mjs and
 * validated against schemas/catalog.schema.json there and in the tests), and the lookups over it. No Node
 * imports: where the data comes from is the shell's business. In Node, catalog.ts registers a reader of
 * binaries/catalog.json; a browser page gives the JSON it fetched (`useCatalog`). Loaded once, lazily.
 */
import { basename } from 'pathe';
import { deviceByKey, type DeviceKey, type Family } from '../domain/devices.js';
import type { Catalog, CatalogImage } from '../generated/catalog.js';

export type { Catalog, CatalogImage };

let cached: { catalog: Catalog; bySha: Map<string, CatalogImage> } | undefined;
let source: { read: () => Catalog; where: string } | undefined;

/** Where the catalog comes from (Node: the file; called once, on first use). Resets what was loaded. */
export function setCatalogSource(read: () => Catalog, where: string): void {
  source = { read, where };
  cached = undefined;
}

/** Uses this catalog (a page that fetched binaries/catalog.json). */
export function useCatalog(catalog: Catalog, where = 'catalog.json'): void {
  setCatalogSource(() => catalog, where);
}

function load(): NonNullable<typeof cached> {
  if (!cached) {
    if (!source) throw new Error('copro: no image catalog loaded (Node: import images/catalog.js; a page: call useCatalog first)');
    const catalog = source.read();
    // The full schema check runs in scripts/build-catalog.mjs and the tests; at run time only the shape we index by.
    if (catalog.schemaVersion !== 1 || !Array.isArray(catalog.images)) {
      throw new Error(`copro: ${source.where} is not a copro catalog (schemaVersion 1 with images[])`);
    }
    cached = { catalog, bySha: new Map(catalog.images.map((i) => [i.sha256, i])) };
  }
  return cached;
}

export function loadCatalog(): Catalog {
  return load().catalog;
}

/** The ST image with this content, if ST published it. */
export function findCatalogImage(sha256: string): CatalogImage | undefined {
  return load().bySha.get(sha256.toLowerCase());
}

export interface CatalogFilter {
  kind?: CatalogImage['kind'];
  stackType?: string;
  family?: Family;
  /** A release tag (`v1.24.0`); `latest` means the catalog's newest release. */
  release?: string;
  /** Images ST's tables give an install address for on this device. */
  device?: DeviceKey;
}

export function catalogImages(filter: CatalogFilter = {}): CatalogImage[] {
  const catalog = loadCatalog();
  const release = filter.release === 'latest' ? catalog.latestRelease : filter.release;
  const family = filter.device ? deviceByKey(filter.device).family : undefined;
  return catalog.images.filter(
    (i) =>
      (filter.kind === undefined || i.kind === filter.kind) &&
      (filter.stackType === undefined || i.stackType === filter.stackType) &&
      (filter.family === undefined || i.families.includes(filter.family)) &&
      (release === undefined || i.releases.includes(release)) &&
      (filter.device === undefined || (family !== undefined && i.families.includes(family) && typeof catalogInstallAddress(i, filter.device)?.address === 'number')),
  );
}

/** WB3x parts share TOP and page size with the WB5x part of the same flash size (STM32CubeWB release notes, install address tables). */
const WB3X_TWIN: Partial<Record<DeviceKey, DeviceKey>> = {
  STM32WB3xxE_512K: 'STM32WB5xxE_512K',
  STM32WB3xxC_256K: 'STM32WB5xxC_256K',
};

/**
 * The release-notes table cell for this image and device: the address, or null where the table says the
 * image is not for that device (too big, "NA"); undefined when no table column covers the device.
 * Most WB3x images (the same blobs as WB5x) are listed under the WB5x columns only; for a WB3x part the
 * WB5x column of the same flash size is used (same TOP, same page size), and `column` says so.
 */
export function catalogInstallAddress(image: CatalogImage, device: DeviceKey): { address: number | null; column: DeviceKey } | undefined {
  const twin = WB3X_TWIN[device];
  const column = device in image.installAddress ? device : twin !== undefined && twin in image.installAddress ? twin : undefined;
  if (column === undefined) return undefined;
  const cell = image.installAddress[column];
  return { address: typeof cell === 'string' ? Number.parseInt(cell.slice(2), 16) : null, column };
}

/** The name ST ships the image under today (the file name in its pinned URL). */
export function currentName(image: Pick<CatalogImage, 'names' | 'rawUrl'>, family?: Family): string {
  if (family) {
    const prefix = family.toLowerCase() + '_';
    const named = image.names.filter((n) => n.toLowerCase().startsWith(prefix));
    const last = named[named.length - 1];
    if (last) return last;
  }
  return basename(image.rawUrl);
}
