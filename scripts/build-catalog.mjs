#!/usr/bin/env node
// Builds binaries/catalog.json (the catalog copro ships) from the reference facts file
// st-copro-images.json: same facts, normalised (upper-case 0x hex, enum names, release-notes version
// sources), sorted deterministically, validated against schemas/catalog.schema.json before writing.
//
//   node scripts/build-catalog.mjs [reference.json] [--out binaries/catalog.json] [--check]
//
// --check: fail (exit 1) when the committed catalog differs from what the reference would give.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import semver from 'semver';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const check = args.includes('--check');
const outIdx = args.indexOf('--out');
const outFile = path.resolve(outIdx >= 0 ? args[outIdx + 1] : path.join(root, 'binaries', 'catalog.json'));
const positional = args.filter((a, i) => !a.startsWith('--') && (outIdx < 0 || i !== outIdx + 1));
const sourceFile = path.resolve(positional[0] ?? fileURLToPath(new URL('../../shared/reference/st-copro-images.json', import.meta.url)));

const DEVICE_KEYS = ['STM32WB5xxG_1M', 'STM32WB5xxY_640K', 'STM32WB5xxE_512K', 'STM32WB5xxC_256K', 'STM32WB3xxE_512K', 'STM32WB3xxC_256K', 'STM32WB1xxC_320K'];
const FAMILIES = ['STM32WB5x', 'STM32WB3x', 'STM32WB1x'];
const KIND_ORDER = ['fus', 'safeboot', 'stack'];
// STM32WB.md §2: the image footer magics, by the names src/images/types.ts gives them.
const MAGIC_NAMES = { '0x23372991': 'STACK', '0x32279221': 'FUS', '0x42769811': 'OTHER', '0xB10C8B99': 'STACK_FUSV2_ONLY', '0x927A6741': 'SAFEBOOT_V2' };

function fail(message) {
  console.error(`build-catalog: ${message}`);
  process.exit(1);
}

/** `0x80D9000` / `0x080d9000` -> `0x080D9000` (some ST tables drop the leading zero, rules §6). */
function hex32(text, what) {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string' || !/^0x[0-9a-f]{1,8}$/i.test(text)) fail(`${what}: not a 32-bit hex value: ${JSON.stringify(text)}`);
  return '0x' + text.slice(2).toUpperCase().padStart(8, '0');
}

const byVersion = (a, b) => semver.compare(a.replace(/^v/, ''), b.replace(/^v/, ''));

function normaliseImage(r) {
  const where = `image ${r.sha256}`;
  const f = r.footer ?? {};
  const magic = hex32(f.imageMagic, `${where} footer.imageMagic`);
  if (magic !== null && !(magic in MAGIC_NAMES)) fail(`${where}: unknown image magic ${magic}`);
  const installAddress = {};
  for (const key of Object.keys(r.installAddress ?? {})) {
    if (!DEVICE_KEYS.includes(key)) fail(`${where}: unknown device key ${key}`);
  }
  for (const key of DEVICE_KEYS) {
    if (r.installAddress && key in r.installAddress) installAddress[key] = hex32(r.installAddress[key], `${where} installAddress.${key}`);
  }
  // The reference writes either "footer" or a sentence naming the release notes it took the version from.
  const fromFooter = r.versionSource === 'footer';
  return {
    sha256: r.sha256.toLowerCase(),
    size: r.size,
    kind: r.kind,
    stackType: r.stackType ?? null,
    version: r.version,
    versionSource: fromFooter ? 'footer' : 'release-notes',
    versionSourceDetail: fromFooter ? null : String(r.versionSource),
    versionNotes: r.versionNotes ?? null,
    footer: {
      valid: f.valid === true,
      imageMagic: magic,
      imageMagicName: magic === null ? null : MAGIC_NAMES[magic],
      versionWord: hex32(f.versionWord, `${where} footer.versionWord`),
      flashPages: f.flashPages ?? null,
      sram1KB: f.sram1KB ?? null,
      sram2aKB: f.sram2aKB ?? null,
      sram2bKB: f.sram2bKB ?? null,
      info1: hex32(f.info1, `${where} footer.info1`),
      signatureMagic: hex32(f.signatureMagic, `${where} footer.signatureMagic`),
      imageFooterHex: f.imageFooterHex ? f.imageFooterHex.toLowerCase() : null,
      signatureFooterHex: String(f.signatureFooterHex ?? '').toLowerCase(),
    },
    // Names keep the reference's order (oldest first): the last one is the current name.
    names: [...r.names],
    families: [...r.families].sort((a, b) => FAMILIES.indexOf(a) - FAMILIES.indexOf(b)),
    releases: [...r.releases].sort(byVersion),
    latestRelease: r.latestRelease,
    fusCompatibility: r.fusCompatibility ?? null,
    installAddress,
    rawUrl: r.rawUrl,
  };
}

function compareImages(a, b) {
  return (
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    (a.stackType ?? '').localeCompare(b.stackType ?? '', 'en') ||
    semver.compare(a.version, b.version) ||
    FAMILIES.indexOf(a.families[0]) - FAMILIES.indexOf(b.families[0]) ||
    byVersion(a.latestRelease, b.latestRelease) ||
    (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0)
  );
}

const sourceText = await readFile(sourceFile, 'utf8').catch((e) => fail(`cannot read ${sourceFile}: ${e.message}`));
const ref = JSON.parse(sourceText);
if (!Array.isArray(ref.images)) fail(`${sourceFile}: no images[] array`);

const seen = new Set();
for (const r of ref.images) {
  if (seen.has(r.sha256)) fail(`duplicate sha256 ${r.sha256}`);
  seen.add(r.sha256);
}
const releaseTags = Object.keys(ref.releases ?? {}).sort(byVersion);
const releases = Object.fromEntries(releaseTags.map((t) => [t, { commit: ref.releases[t].commit, date: ref.releases[t].date }]));
const images = ref.images.map(normaliseImage).sort(compareImages);
for (const img of images) {
  for (const t of img.releases) if (!(t in releases)) fail(`image ${img.sha256}: release ${t} not in releases`);
}

const catalog = {
  schemaVersion: 1,
  about: ref.about,
  source: { file: path.basename(sourceFile), sha256: createHash('sha256').update(sourceText).digest('hex') },
  latestRelease: releaseTags[releaseTags.length - 1],
  releases,
  deviceKeys: Object.fromEntries(DEVICE_KEYS.filter((k) => ref.deviceKeys && k in ref.deviceKeys).map((k) => [k, ref.deviceKeys[k]])),
  images,
};

const schema = JSON.parse(await readFile(path.join(root, 'schemas', 'catalog.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
if (!validate(catalog)) {
  fail(`catalog does not match schemas/catalog.schema.json:\n${validate.errors.slice(0, 20).map((e) => `  ${e.instancePath || '/'} ${e.message}`).join('\n')}`);
}

const text = JSON.stringify(catalog, null, 1) + '\n';
if (check) {
  const old = await readFile(outFile, 'utf8').catch(() => '');
  if (old !== text) fail(`${path.relative(root, outFile)} is stale (run npm run catalog)`);
  console.log(`catalog up to date (${images.length} images)`);
} else {
  const tmp = `${outFile}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, outFile);
  console.log(`wrote ${path.relative(process.cwd(), outFile)}: ${images.length} images, ${releaseTags.length} releases`);
}
