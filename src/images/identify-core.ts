/**
 * Identify an image by its content: sha256 (catalog lookup) and footer, never by its name alone
 * (AN5185 image footer). The file name only raises warnings when it disagrees with the content, or gives a
 * stack type for an unknown image (the footer carries none). No Node imports: the caller hashes (identify.ts
 * with node:crypto, a browser page with WebCrypto) and reads the file.
 */
import { basename } from 'pathe';
import { hex } from '../domain/hex.js';
import { versionString, type FirmwareVersion } from '../domain/version.js';
import type { DeviceKey, Family } from '../domain/devices.js';
import { bytesFromHex, parseFooter, SIGNATURE_SIZE, type ParsedFooter } from './footer.js';
import { findCatalogImage, loadCatalog, type CatalogImage } from './catalog-core.js';
import { verifyStandIn, hasStandInMarker } from './standin.js';
import { claimsFromFileName } from './names.js';
import { IMAGE_MAGIC, SIGNATURE_MAGIC, type ImageIdentity } from './types.js';

const FOR_FUS_053 = /for_fus_0_5_3/i;

/** The footers recorded in the catalog, parsed as if they were the end of the real file. */
function recordedFooter(record: CatalogImage): ParsedFooter | undefined {
  const f = record.footer;
  if (!f.valid || !f.imageFooterHex) return undefined;
  const tail = new Uint8Array(20 + SIGNATURE_SIZE + 20);
  tail.set(bytesFromHex(f.imageFooterHex), 0);
  tail.set(bytesFromHex(f.signatureFooterHex), 20 + SIGNATURE_SIZE);
  const parsed = parseFooter(tail);
  return { ...parsed, footerOffset: record.size - tail.length, signatureOffset: record.size - 20 - SIGNATURE_SIZE };
}

function catalogFacts(record: CatalogImage): NonNullable<ImageIdentity['catalog']> {
  const installAddress: Partial<Record<DeviceKey, string>> = {};
  for (const [key, value] of Object.entries(record.installAddress)) if (typeof value === 'string') installAddress[key as DeviceKey] = value;
  return { releases: [...record.releases], names: [...record.names], installAddress, rawUrl: record.rawUrl, latestRelease: record.latestRelease };
}

/** Warnings that hold for the image whatever the file is called. */
function contentWarnings(record: CatalogImage, footer: ParsedFooter | undefined): string[] {
  const w: string[] = [];
  if (!footer) {
    // AN5185 image footer / rules §1: the v1.5.0 FUS has no signature trailer and looks unencrypted.
    w.push(`this is the broken v1.5.0 FUS image (${record.size} bytes, no ST signature trailer; replaced by ST in v1.6.0): never install it`);
  } else if (footer.fusV2Only) {
    // Rules §4: footer magic 0xB10C8B99 = "FUSv2 only" (v1.23.0+ notes say FUS 2.1.0); safeboot 2.0.1 needs FUS 2.x.
    w.push(`FUSv2-only image (footer magic ${hex(footer.imageMagic)}): it installs only on FUS >= 2.0.0 (ST's v1.23.0+ notes say 2.1.0)${footer.imageMagic === IMAGE_MAGIC.STACK_FUSV2_ONLY ? ' and goes 0x4000 lower than a classic stack' : ''}`);
  }
  return w;
}

/** An identity from the catalog alone: for an ST image copro knows but has no bytes of (yet). */
export function catalogIdentity(record: CatalogImage): ImageIdentity {
  const footer = recordedFooter(record);
  const version: FirmwareVersion | null = footer?.version ?? null;
  return {
    sha256: record.sha256,
    size: record.size,
    kind: record.kind,
    ...(record.stackType ? { stackType: record.stackType, stackTypeSource: 'catalog' as const } : {}),
    version: record.version,
    ...(version ? { build: version.build } : {}),
    versionSource: record.versionSource === 'footer' ? 'footer' : 'catalog',
    fusV2Only: footer?.fusV2Only ?? false,
    imageMagic: footer?.imageMagic ?? 0,
    versionWord: footer?.versionWord ?? 0,
    memorySizeWord: footer?.memorySizeWord ?? 0,
    flashPages: footer?.flashPages ?? 0,
    signature: footer ? footer.signature : 'none',
    families: [...record.families] as Family[],
    catalog: catalogFacts(record),
    warnings: contentWarnings(record, footer),
  };
}

function describe(record: CatalogImage): string {
  const what = record.kind === 'stack' ? `${record.stackType ?? 'stack'} ${record.version}` : `${record.kind === 'fus' ? 'FUS' : 'safeboot'} ${record.version}`;
  return `${what} (${basename(record.rawUrl)})`;
}

/** Warnings where the file name claims something the content (catalog record or footer) contradicts. */
function nameWarnings(fileName: string, id: Pick<ImageIdentity, 'kind' | 'version' | 'families' | 'stackType'>, record: CatalogImage | undefined): string[] {
  const base = basename(fileName);
  // One of the names ST itself shipped this content under: ST's names are the reference (even
  // `Safeboot_fw_v1.2.0.bin`, which holds safeboot 2.0.0).
  if (record?.names.includes(base)) return [];
  const claims = claimsFromFileName(base);
  const content = record ? describe(record) : `${id.kind} ${id.version}`;
  const w: string[] = [];
  if (claims.kind && claims.kind !== id.kind) w.push(`file name "${base}" says ${claims.kind} but the content is ${content}`);
  else if (claims.stackType && id.stackType && claims.stackType.toLowerCase() !== id.stackType.toLowerCase())
    w.push(`file name "${base}" says ${claims.stackType} but the content is ${content}`);
  if (claims.version && claims.version !== id.version) w.push(`file name "${base}" says version ${claims.version} but the content is ${content}`);
  if (claims.family && id.families.length > 0 && !id.families.includes(claims.family))
    w.push(`file name "${base}" says ${claims.family} but the content is an image for ${id.families.join('/')}`);
  if (record?.kind === 'fus') {
    // STM32CubeWB release notes, upgrade procedure: the two FUS 1.2.0 images are told apart by sha256 only; each goes on a different FUS.
    const contentIsFor053 = record.names.some((n) => FOR_FUS_053.test(n));
    if (claims.forFus && !contentIsFor053) w.push(`file name "${base}" says it is the FUS image for FUS ${claims.forFus}, but the content is ${content}`);
    if (!claims.forFus && contentIsFor053)
      w.push(`the content is ${content}, the FUS 1.2.0 image to install only on a device running FUS 0.5.3; the name "${base}" does not say so`);
  }
  return w;
}

function versionOf(footer: ParsedFooter, warnings: string[]): { version: string; build?: number } {
  if (footer.version) return { version: versionString(footer.version), build: footer.version.build };
  if (footer.kind === 'fus') {
    // AN5185 (via community 835507): only FUS 1.2.0 writes the blank word 0xFFFFFFFF.
    warnings.push('blank version word 0xFFFFFFFF: assumed FUS 1.2.0 (the only FUS that writes it), but this is not one of the two ST FUS 1.2.0 images');
    return { version: '1.2.0' };
  }
  warnings.push('blank version word 0xFFFFFFFF: the version is unknown (shown as 0.0.0)');
  return { version: '0.0.0' };
}

/**
 * What bytes are, given their sha256 (lowercase hex). `fileOffset`: where `bytes` start in the file, when only
 * its tail is given (files far bigger than any image). Throws FooterError for an unknown file without a valid trailer.
 */
export function identityFromBytes(bytes: Uint8Array, sha256: string, fileName: string | undefined, fileOffset = 0): ImageIdentity {
  const record = findCatalogImage(sha256);
  if (record) {
    const id = catalogIdentity(record);
    if (fileName) id.warnings.push(...nameWarnings(fileName, id, record));
    return id;
  }
  const standIn = verifyStandIn(bytes);
  if (standIn) {
    const original = findCatalogImage(standIn.standInFor)!;
    const base = catalogIdentity(original);
    const id: ImageIdentity = {
      ...base,
      sha256,
      signature: 'simulated',
      ...(original.stackType ? { stackTypeSource: 'stand-in' as const } : {}),
      standInFor: original.sha256,
      warnings: [`simulated stand-in for ${describe(original)}, sha256 ${original.sha256}: only the simulator accepts it`, ...base.warnings],
    };
    if (fileName) id.warnings.push(...nameWarnings(fileName, id, original));
    return id;
  }
  const warnings: string[] = [];
  const tampered = hasStandInMarker(bytes);
  if (tampered) warnings.push('carries the copro stand-in marker but its digest does not match: a corrupted or modified stand-in, accepted by nothing');
  const footer = parseFooter(bytes, fileOffset); // throws the typed FooterError for anything without a valid trailer
  const { version, build } = versionOf(footer, warnings);
  const claims = fileName ? claimsFromFileName(fileName) : {};
  if (!tampered && footer.signature === 'st') {
    warnings.push(
      `not a known ST image: sha256 ${sha256} is not in the catalog (ST releases up to ${loadCatalog().latestRelease}); it may be a newer ST release, or a modified file`,
    );
  }
  if (footer.signature === 'customer') {
    warnings.push(`customer-signed image (signature magic ${hex(SIGNATURE_MAGIC.CUSTOMER)}): FUS installs it only with the matching customer key loaded`);
  }
  if (footer.fusV2Only) warnings.push(`FUSv2-only image (footer magic ${hex(footer.imageMagic)}): it installs only on FUS >= 2.0.0 (ST's v1.23.0+ notes say 2.1.0)`);
  const stackType = footer.kind === 'stack' && claims.stackType ? claims.stackType : undefined;
  const id: ImageIdentity = {
    sha256,
    size: fileOffset + bytes.length,
    kind: footer.kind,
    ...(stackType ? { stackType, stackTypeSource: 'file-name' as const } : {}),
    version,
    ...(build !== undefined ? { build } : {}),
    versionSource: 'footer',
    fusV2Only: footer.fusV2Only,
    imageMagic: footer.imageMagic,
    versionWord: footer.versionWord,
    memorySizeWord: footer.memorySizeWord,
    flashPages: footer.flashPages,
    signature: tampered ? 'simulated' : footer.signature,
    families: claims.family ? [claims.family] : [],
    warnings,
  };
  if (fileName) warnings.push(...nameWarnings(fileName, id, undefined));
  return id;
}

