/**
 * The .bin files dropped on the page, judged like `copro apply` judges a folder of images: identified by
 * content (footer and sha256, hashed here with WebCrypto: nothing leaves the page), a modified ST image or
 * tampered stand-in refused with expected and actual sha256, and the catalog images of the release that are
 * missing listed with the ST release and file they come from (or, on a simulated board, replaced by stand-ins
 * made in the page).
 */
import { webCryptoSha256 } from '../../src/drivers/bootloader/driver.js';
import { identityFromBytes } from '../../src/images/identify-core.js';
import { catalogIdentity } from '../../src/images/identify-core.js';
import { currentName, type CatalogImage } from '../../src/images/catalog-core.js';
import { judgeLocal, missingCatalogImages, standInRelease, takenNames, type ImageProblem } from '../../src/images/collect-core.js';
import { makeStandIn } from '../../src/images/standin.js';
import type { AvailableImage } from '../../src/images/types.js';
import type { Family } from '../../src/domain/devices.js';

/** Where dropped files live for the driver's `readFile`: `/dropped/<name>`; stand-ins `/stand-ins/<name>`. */
export const DROPPED = '/dropped/';
export const STAND_INS = '/stand-ins/';

export interface Collected {
  images: AvailableImage[];
  problems: ImageProblem[];
  notes: string[];
  /** Catalog images of the release not dropped (real board): to download from ST. */
  missing: CatalogImage[];
  /** The bytes behind every path an image has. */
  bytes: Map<string, Uint8Array>;
}

export interface CollectInput {
  files: readonly { name: string; bytes: Uint8Array }[];
  release: string | undefined;
  family: Family | undefined;
  /** Simulated board: stand-ins for the missing images of the release. */
  standIns: boolean;
}

const SMALL = 4 * 1024 * 1024;

export async function collectDropped(input: CollectInput): Promise<Collected> {
  const images: AvailableImage[] = [];
  const problems: ImageProblem[] = [];
  const notes: string[] = [];
  const bytes = new Map<string, Uint8Array>();
  const release = input.release === 'latest' ? undefined : input.release;
  for (const f of input.files) {
    const path = DROPPED + f.name;
    bytes.set(path, f.bytes);
    const sha = await webCryptoSha256(f.bytes);
    const r = await judgeLocal(path, { explicit: false }, { family: input.family, release }, {
      identify: async () => identityFromBytes(f.bytes, sha, f.name),
      smallBytes: async () => (f.bytes.length <= SMALL ? f.bytes : undefined),
      sha256: webCryptoSha256,
    });
    if (r.ok === true) images.push(r.image);
    else if (r.ok === false) problems.push(r.problem);
    else if (r.note) notes.push(r.note);
  }
  const taken = takenNames(images, input.release, input.family);
  const missing: CatalogImage[] = [];
  const forRelease = standInRelease(input.release);
  for (const record of missingCatalogImages(images, input.release, input.family)) {
    const name = currentName(record, input.family);
    const takenBy = taken.get(record.sha256);
    if (takenBy) {
      images.push({ identity: catalogIdentity(record), name, origin: 'catalog', nameTakenBy: takenBy });
    } else if (input.standIns && record.releases.includes(forRelease)) {
      const standIn = makeStandIn(record);
      const path = STAND_INS + name;
      bytes.set(path, standIn);
      images.push({ identity: identityFromBytes(standIn, await webCryptoSha256(standIn), name), path, name, origin: 'stand-in' });
    } else {
      images.push({ identity: catalogIdentity(record), name, origin: 'catalog' });
      missing.push(record);
    }
  }
  return { images, problems, notes, missing, bytes };
}
