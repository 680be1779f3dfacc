/**
 * binaries/catalog.json (~0.8 MB: every image ST published, with sha256) is its own chunk, loaded when the
 * page first needs it (a manifest to check, images to identify), never at start-up.
 */
import { useCatalog, type Catalog } from '../../src/images/catalog-core.js';

let loading: Promise<void> | undefined;

export function ensureCatalog(): Promise<void> {
  loading ??= import('../../binaries/catalog.json').then((m) => useCatalog(m.default as unknown as Catalog, 'binaries/catalog.json'));
  return loading;
}
