/** Test helpers: stand-in images from the catalog, and a small runner over the pure model. */
import { loadCatalog, makeStandIn, type CatalogImage } from '../../src/images/index.js';
import { apply, viewImage, type SimBoard, type SimCommand, type SimContext, type SimEvent, type SimOutcome, type FlashWrite } from '../../src/drivers/simulator/index.js';

/** The catalog record whose sha256 starts with `prefix` (as quoted in st-release-notes-rules.md). */
export function record(prefix: string): CatalogImage {
  const r = loadCatalog().images.find((i) => i.sha256.startsWith(prefix));
  if (!r) throw new Error(`no catalog image ${prefix}`);
  return r;
}

/** Catalog images quoted in the scenarios (sha256 prefixes). */
export const IMG = {
  FUS_1_0_2: '1bfbf6c7a543d6eb',
  FUS_1_2_0_FOR_053: '3f73a9be93eec3de',
  FUS_1_2_0_FROM_1X: '2712d4d23417c00a',
  FUS_2_0_0: 'd814b0a0bfc19d18',
  FUS_2_2_0: 'bbab9b42d92c31f8',
  BLE_STACK_1_4_0: '758e7031787ba550',
  BLE_FULL_1_13_0: '04dddf5dfd39d728',
  BLE_FULL_1_24_0_V2: 'b7855d9ce0b012fa',
  BLE_HCI_1_24_0: '7c7971bdf306d45e',
  MAC_1_24_0: 'e88ca4a1111e38b0',
} as const;

export function standInBytes(prefix: string): Uint8Array {
  return makeStandIn(record(prefix));
}

/** A FlashWrite of the stand-in for a catalog image, at an address (default: its 1M table address). */
export function standInWrite(prefix: string, address?: number, name?: string): FlashWrite {
  const r = record(prefix);
  const bytes = makeStandIn(r);
  const fileName = name ?? r.names.at(-1)!;
  const viewed = viewImage(bytes, fileName);
  const at = address ?? Number.parseInt(String(r.installAddress.STM32WB5xxG_1M), 16);
  return { address: at, size: viewed.size, sha256: viewed.sha256, name: fileName, image: viewed.image };
}

export const USB: SimContext = { transport: 'usb' };
export const SIM: SimContext = { transport: 'simulated' };

/** Applies commands one by one (not stopping on failures); returns the final board and every outcome. */
export function play(board: SimBoard, commands: SimCommand[], ctx: SimContext = SIM): { board: SimBoard; outcomes: SimOutcome[]; events: SimEvent[] } {
  let b = board;
  const outcomes: SimOutcome[] = [];
  const events: SimEvent[] = [];
  for (const c of commands) {
    const r = apply(b, c, ctx);
    b = r.board;
    outcomes.push(r.outcome);
    events.push(...r.events);
  }
  return { board: b, outcomes, events };
}

/** Stage an image and ask FUS to install it. */
export function install(board: SimBoard, write: FlashWrite, ctx: SimContext = SIM): { board: SimBoard; staged: SimOutcome; upgrade: SimOutcome; events: SimEvent[] } {
  const r = play(board, [{ op: 'stageImage', write }, { op: 'fwUpgrade' }], ctx);
  return { board: r.board, staged: r.outcomes[0]!, upgrade: r.outcomes[1]!, events: r.events };
}
