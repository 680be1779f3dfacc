/**
 * Fixtures for planner tests: BoardState snapshots built from a few facts, targets with default policy,
 * and the catalog's ST images as AvailableImages.
 */
import { deviceByKey, type DeviceKey } from '../../src/domain/devices.js';
import { hex } from '../../src/domain/hex.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { catalogImages, currentName } from '../../src/images/catalog.js';
import { catalogIdentity } from '../../src/images/identify.js';
import type { AvailableImage } from '../../src/images/types.js';
import type { Target } from '../../src/planner/types.js';
import type { Transport } from '../../src/drivers/driver.js';

export interface BoardFacts {
  device?: DeviceKey;
  /** Report the key as unknown (WB5x/WB3x ambiguity), keeping id and flash size. */
  keyUnknown?: boolean;
  fus: string;
  stack?: { type: string | null; version: string; running?: boolean; fusV2Only?: boolean; size?: number } | 'none' | 'unknown';
  cpu2?: BoardState['cpu2'];
  antiRollback?: BoardState['antiRollback'];
  rdp?: string;
  optionBytes?: 'unknown' | Partial<Exclude<BoardState['optionBytes'], 'unknown'>>;
  transport?: BoardState['source']['transport'];
  application?: BoardState['application'];
  fusState?: BoardState['fus']['state'];
}

/** A BoardState as a driver would read it back. An installed stack sits below TOP (SFSA at its start). */
export function board(f: BoardFacts): BoardState {
  const device = deviceByKey(f.device ?? 'STM32WB5xxG_1M');
  const stack = f.stack ?? 'none';
  const installed = typeof stack === 'object';
  const running = installed ? (stack.running ?? true) : false;
  const stackBytes = installed ? (stack.size ?? 0x24000) : 0;
  const secureStart = installed ? device.top - Math.ceil(stackBytes / device.pageSize) * device.pageSize : device.top;
  const sfsa = (secureStart - device.flashBase) / device.pageSize;
  const ob: BoardState['optionBytes'] =
    f.optionBytes === 'unknown'
      ? 'unknown'
      : {
          rdp: f.rdp ?? '0xAA',
          sfsa: hex(sfsa, 2),
          sbrv: hex(((secureStart - device.flashBase) / 4) >>> 0, 5),
          nSWboot0: 1,
          nBOOT0: 1,
          nBOOT1: 1,
          ese: 1,
          ...(f.optionBytes ?? {}),
        };
  return {
    schemaVersion: 1,
    source: { driver: 'snapshot', transport: f.transport ?? 'usb' },
    device: {
      deviceId: hex(device.deviceId, 3),
      flashSizeKB: device.flashSize / 1024,
      key: f.keyUnknown ? 'unknown' : device.key,
      uid64: '0x0080E12345678901',
      probeSerial: null,
    },
    cpu2: f.cpu2 ?? (running ? 'stack' : 'fus'),
    fus: { version: f.fus, state: f.fusState ?? 'FUS_IDLE', error: 'NO_ERROR' },
    stack:
      stack === 'none'
        ? { status: 'none', version: null, type: null, running: false }
        : stack === 'unknown'
          ? { status: 'unknown', version: 'unknown', type: 'unknown', running: 'unknown' }
          : {
              status: 'installed',
              version: stack.version,
              type: stack.type ?? 'unknown',
              running,
              installAddress: hex(secureStart),
              ...(stack.fusV2Only !== undefined ? { fusV2Only: stack.fusV2Only } : {}),
            },
    optionBytes: ob,
    antiRollback: f.antiRollback ?? 'inactive',
    application: f.application ?? { present: false },
    notes: [],
  };
}

export function target(t: Partial<Omit<Target, 'policy'>> & { policy?: Partial<Target['policy']> } = {}): Target {
  const { policy, ...rest } = t;
  return {
    fus: 'latest',
    transport: 'usb' as Transport,
    ...rest,
    policy: { fusUpgrade: 'allow', antiRollback: false, swdApplicationLoss: 'refuse', restoreOptionBytes: true, ...policy },
  };
}

let allCatalog: AvailableImage[] | undefined;

/** Every ST image of the catalog, as a plan input would list it (origin catalog, to fetch). */
export function catalog(release?: string): AvailableImage[] {
  if (release === undefined && allCatalog) return allCatalog;
  const list = catalogImages(release === undefined ? {} : { release }).map(
    (r): AvailableImage => ({ identity: catalogIdentity(r), name: currentName(r, r.families.length === 1 ? (r.families[0] as never) : undefined), origin: 'catalog' }),
  );
  if (release === undefined) allCatalog = list;
  return list;
}

/** The images of one release. */
export function release(tag: string): AvailableImage[] {
  return catalog().filter((i) => i.identity.catalog?.releases.includes(tag));
}

/** Images without some content (by sha256 prefix), to test what happens when a file is missing. */
export function without(images: readonly AvailableImage[], ...shaPrefixes: string[]): AvailableImage[] {
  return images.filter((i) => !shaPrefixes.some((p) => i.identity.sha256.startsWith(p)));
}

/** Known sha256 prefixes (st-release-notes-rules.md §1). */
export const SHA = {
  FUS_FOR_053: '3f73a9be93eec3de',
  FUS_120: '2712d4d23417c00a',
  FUS_200: 'd814b0a0bfc19d18',
  FUS_210: 'c7f6caca0e410978',
  FUS_220: 'bbab9b42d92c31f8',
  FUS_WB1X_210: '6e3bbcd802907f27',
  FUS_WB1X_220: 'e64bf8a8d3e653ac',
} as const;

export function kinds(steps: readonly { kind: string }[]): string[] {
  return steps.map((s) => s.kind);
}
