/** Coprocessor images: footer parsing, the ST catalog, identification, install addresses, stand-ins, fetch, lock. */
export * from './types.js';
export { parseFooter, tryParseFooter, FooterError, FOOTER_ERROR_CODES, bytesFromHex, type ParsedFooter, type FooterErrorCode, type FooterResult } from './footer.js';
export { loadCatalog, findCatalogImage, catalogImages, catalogInstallAddress, currentName, CATALOG_PATH, type Catalog, type CatalogImage, type CatalogFilter } from './catalog.js';
export { makeStandIn, verifyStandIn, hasStandInMarker, STAND_IN_MARKER } from './standin.js';
export { identifyBytes, identifyFile, catalogIdentity } from './identify.js';
export { claimsFromFileName, type NameClaims } from './names.js';
export { formulaAddress, ruleAddress, installAddress, checkInstallAddress, FUS1_ADDRESS_1M, type InstallAddress, type AddressProblem, type AddressProblemCode } from './address.js';
export { collectImages, ensureStandIn, type CollectOptions, type ImageProblem, type ImageProblemCode } from './inventory.js';
export { fetchImages, fetchDestination, FetchError, type FetchOptions, type FetchResult, type FetchRecord, type FetchProgress, type FetchErrorCode } from './fetch.js';
export { readLock, writeLock, checkAgainstLock, lockEntryOf, LockError, type CoproLock, type LockEntry, type LockMismatch } from './lock.js';
