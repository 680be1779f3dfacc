/**
 * The image catalog in Node: binaries/catalog.json read from the package (lookups in catalog-core.ts, which
 * a browser page uses with the JSON it fetched). Importing this module registers the file as the source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../schemas.js';
import { setCatalogSource, type Catalog } from './catalog-core.js';

export * from './catalog-core.js';

export const CATALOG_PATH = path.join(PACKAGE_ROOT, 'binaries', 'catalog.json');

setCatalogSource(() => {
  try {
    return JSON.parse(readFileSync(CATALOG_PATH, 'utf8')) as Catalog;
  } catch (e) {
    throw new Error(`copro: cannot read the image catalog ${CATALOG_PATH}: ${(e as Error).message} (rebuild it with npm run catalog)`, { cause: e });
  }
}, CATALOG_PATH);
