/**
 * What FUS can learn from image bytes written to flash: the footer, and whether the signature is one it
 * accepts. Genuine = a catalog image (ST) or an intact copro stand-in (simulated); anything else is forged.
 * Bytes without a valid trailer give no image at all (FUS finds nothing there). No Node imports (the virtual
 * devices run in a browser page too).
 */
import { sha256Hex } from '../../domain/sha256.js';
import { identityFromBytes } from '../../images/identify-core.js';
import { FooterError } from '../../images/footer.js';
import { findCatalogImage } from '../../images/catalog-core.js';
import type { ImageIdentity } from '../../images/types.js';
import type { ImageView } from '../../generated/sim-board.js';

const FOR_FUS_053 = /for_fus_0_5_3/i;

export interface ViewedBytes {
  sha256: string;
  size: number;
  image: ImageView | null;
  identity?: ImageIdentity;
}

export function viewImage(bytes: Uint8Array, fileName?: string): ViewedBytes {
  const sha256 = sha256Hex(bytes);
  let identity: ImageIdentity;
  try {
    identity = identityFromBytes(bytes, sha256, fileName);
  } catch (e) {
    if (e instanceof FooterError) return { sha256, size: bytes.length, image: null };
    throw e;
  }
  return { sha256, size: bytes.length, image: viewOfIdentity(identity), identity };
}

/**
 * The FUS-side view of an identity; null when FUS would find no footer (e.g. the trailer-less v1.5.0 FUS).
 * A footer without a signature footer is still an image FUS finds: it answers AUTH_TAG_ST_NOTFOUND (signature 'none').
 */
export function viewOfIdentity(identity: ImageIdentity): ImageView | null {
  if (identity.imageMagic === 0) return null;
  const authenticity: ImageView['authenticity'] = identity.standInFor ? 'simulated' : findCatalogImage(identity.sha256) ? 'st' : 'forged';
  const names = identity.catalog?.names ?? [];
  const fusVariant: ImageView['fusVariant'] =
    identity.kind === 'fus' && identity.version === '1.2.0' && names.length > 0 ? (names.some((n) => FOR_FUS_053.test(n)) ? 'for-fus-0.5.3' : 'from-fus-1.x') : null;
  const view: ImageView = {
    kind: identity.kind,
    version: identity.version,
    versionWord: identity.versionWord >>> 0,
    memorySizeWord: identity.memorySizeWord >>> 0,
    imageMagic: identity.imageMagic >>> 0,
    fusV2Only: identity.fusV2Only,
    pages: identity.flashPages,
    signature: identity.signature === 'customer' ? 'customer' : identity.signature === 'none' ? 'none' : 'st',
    authenticity,
    fusVariant,
    stackType: identity.stackType ?? null,
    families: [...identity.families],
  };
  if (identity.build !== undefined) view.build = identity.build;
  const catalogSha = identity.standInFor ?? (authenticity === 'st' ? identity.sha256 : undefined);
  if (catalogSha) view.catalogSha256 = catalogSha;
  return view;
}
