/**
 * `copro fetch [manifest] [--release <tag>] [--dest <dir>]`: download the ST images a manifest may need
 * (or a whole release) from their pinned URLs, verifying each sha256 against the catalog.
 *
 * What a manifest "may need" without reading a board: every FUS image of its release for its family
 * (the upgrade chain 0.5.3/1.x -> 1.2.0 -> 2.x, STM32CubeWB release notes, upgrade procedure; they are small, FUS images matching an
 * explicit FUS version/range, and the newest image of its stack type matching its version range.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadManifest, ManifestError, formatManifestIssues } from '../../manifest/index.js';
import type { CoproManifest } from '../../generated/manifest.js';
import { deviceFromName, type Family } from '../../domain/devices.js';
import { compareVersions, isValidRange, satisfies } from '../../domain/version.js';
import { catalogImages, loadCatalog, type CatalogImage } from '../../images/catalog.js';
import { fetchImages, FetchError, type FetchResult } from '../../images/fetch.js';
import { EXIT } from '../exit-codes.js';
import { imagesDirOf } from '../session.js';
import { httpFetch } from '../http.js';
import { isQuiet } from '../verbosity.js';
import { tracedFetch } from '../traced-fetch.js';

export interface FetchCommandOptions {
  release?: string;
  dest?: string;
  json?: boolean;
  /** For tests: a fetch that reaches a loopback server. */
  fetchImpl?: typeof fetch;
}

function newest(records: CatalogImage[]): CatalogImage | undefined {
  return [...records].sort((a, b) => compareVersions(b.version, a.version) || compareVersions(b.latestRelease.slice(1), a.latestRelease.slice(1)))[0];
}

function matches(version: string, wanted: string): boolean {
  return wanted === 'latest' || (isValidRange(wanted) && satisfies(version, wanted));
}

/** The catalog images a manifest may need, without knowing the board's state. */
export function recordsForManifest(m: CoproManifest, release?: string): CatalogImage[] {
  const device = m.device && m.device !== 'detect' ? deviceFromName(m.device) : undefined;
  const family: Family | undefined = device?.family;
  const rel = release ?? m.images?.release ?? loadCatalog().latestRelease;
  const picked = new Map<string, CatalogImage>();
  const add = (r: CatalogImage | undefined) => r && picked.set(r.sha256, r);
  for (const r of catalogImages({ kind: 'fus', release: rel, family })) add(r);
  if (m.fus && m.fus !== 'latest' && m.fus !== 'keep') {
    const fusImages = catalogImages({ kind: 'fus', family }).filter((r) => matches(r.version, m.fus!));
    for (const fam of family ? [family] : (['STM32WB5x', 'STM32WB3x', 'STM32WB1x'] as Family[])) add(newest(fusImages.filter((r) => r.families.includes(fam))));
  }
  if (m.stack && m.stack !== 'none') {
    const { type, version } = m.stack;
    const pool = catalogImages({ kind: 'stack', stackType: type, family, ...(m.images?.release || release ? { release: rel } : {}) }).filter((r) => matches(r.version, version));
    for (const fam of family ? [family] : (['STM32WB5x', 'STM32WB3x', 'STM32WB1x'] as Family[])) add(newest(pool.filter((r) => r.families.includes(fam))));
  }
  return [...picked.values()];
}

/** The same loader as every other command: errors with file:line:column and the nearest valid key. */
async function readManifestFile(file: string): Promise<CoproManifest> {
  return (await loadManifest(file)).manifest;
}

/** `output` is the result (stdout); `errors` is what went wrong (stderr). */
export async function fetchCommand(manifestFile: string | undefined, opts: FetchCommandOptions = {}): Promise<{ output: string; errors?: string; exitCode: number }> {
  const catalog = loadCatalog();
  if (opts.release && !(opts.release in catalog.releases)) {
    return { output: '', errors: `copro: error: unknown release ${opts.release} (the catalog has ${Object.keys(catalog.releases)[0]} .. ${catalog.latestRelease})\n`, exitCode: EXIT.INVALID_INPUT };
  }
  const file = manifestFile ?? 'copro.yaml';
  let manifest: CoproManifest | undefined;
  if (existsSync(file)) {
    try {
      manifest = await readManifestFile(file);
    } catch (e) {
      if (e instanceof ManifestError) return { output: '', errors: `${formatManifestIssues(e.issues)}\ncopro: error: the manifest is invalid; nothing was done.\n`, exitCode: EXIT.INVALID_INPUT };
      return { output: '', errors: `copro: error: ${(e as Error).message}\n`, exitCode: EXIT.INVALID_INPUT };
    }
  } else if (!opts.release || (manifestFile !== undefined && manifestFile !== 'copro.yaml')) {
    return { output: '', errors: `copro: error: no manifest at ${path.resolve(file)} (or pass --release v1.24.0 to fetch a whole release)\n`, exitCode: EXIT.INVALID_INPUT };
  }
  let records: CatalogImage[];
  if (opts.release) {
    const device = manifest?.device && manifest.device !== 'detect' ? deviceFromName(manifest.device) : undefined;
    records = catalogImages({ release: opts.release, family: device?.family });
  } else records = recordsForManifest(manifest!);

  // Where plan and apply look for images, so a fetch is found by the next plan.
  const destDir = path.resolve(opts.dest ?? (manifest ? imagesDirOf(manifest, file) : 'binaries'));
  const fetchImpl = tracedFetch(opts.fetchImpl ?? httpFetch());
  const results: FetchResult[] = [];
  let failure: FetchError | undefined;
  for (const r of records) {
    try {
      results.push(...(await fetchImages([r], { destDir, fetchImpl })));
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      failure = e;
      break;
    }
  }
  const exitCode = failure ? (failure.code === 'SHA256_MISMATCH' ? EXIT.INVALID_INPUT : EXIT.ENVIRONMENT) : EXIT.OK;
  if (opts.json) {
    const out = { destDir, images: results, ...(failure ? { error: { code: failure.code, message: failure.message, url: failure.url, expected: failure.expected, actual: failure.actual } } : {}) };
    return { output: JSON.stringify(out, null, 2) + '\n', ...(failure ? { errors: `copro: error: ${failure.message}\n` } : {}), exitCode };
  }
  // --quiet: only the count line (the result in its shortest form).
  const lines = (isQuiet() ? [] : results).map((r) => `${r.status === 'present' ? 'present   ' : r.status === 'resumed' ? 'resumed   ' : 'downloaded'} ${path.relative(process.cwd(), r.path) || r.path}  sha256 ${r.sha256.slice(0, 16)}…`);
  lines.push(`${results.length} of ${records.length} image(s) in ${destDir}${failure ? '' : ', all sha256 verified'}`);
  const errors = failure ? `copro: error: ${failure.message}\n  remedy: ${failure.code === 'SHA256_MISMATCH' ? 'the server sent other bytes than ST published: check the mirror or proxy' : 'check the network, or HTTPS_PROXY / NO_PROXY; run copro fetch again to resume'}\n` : undefined;
  return { output: lines.join('\n') + '\n', ...(errors ? { errors } : {}), exitCode };
}
