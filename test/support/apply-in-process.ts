/**
 * The runner driven in-process, as the CLI drives it, for tests that open their own driver (the real
 * CubeProgrammer driver against the fake CLI, the bootloader driver over a virtual device, or a simulator
 * driver with a fault): the example manifest's target with copro's stand-in images, and `applyBoards`
 * with the CLI's non-interactive settings (silent renderer, one board at a time, confirmed).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Driver, Transport } from '../../src/drivers/driver.js';
import { collectImages } from '../../src/images/inventory.js';
import { loadManifest, resolveTarget } from '../../src/manifest/index.js';
import { plan } from '../../src/planner/index.js';
import type { Target } from '../../src/planner/types.js';
import { applyBoards } from '../../src/runner/apply.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The quick-start manifest: the rescue case on a NUCLEO-WB55. */
export const QUICK_START_MANIFEST = path.join(ROOT, 'manifests/nucleo-wb55-ble.yaml');

export type Images = Awaited<ReturnType<typeof collectImages>>['images'];
export interface TargetAndImages {
  target: Target;
  images: Images;
}

/** The manifest's target for a transport, with the v1.24.0 stand-ins (written under `dir/standins`). */
export async function standInTarget(dir: string, o: { manifest?: string; transport?: Transport; toolVersion?: string } = {}): Promise<TargetAndImages> {
  const manifest = o.manifest ?? QUICK_START_MANIFEST;
  const loaded = await loadManifest(manifest);
  const target: Target = {
    ...resolveTarget(loaded.manifest, { manifestDir: path.dirname(manifest), transport: o.transport ?? 'usb', ...(o.toolVersion ? { toolVersion: o.toolVersion } : {}) }),
    allowStandIns: true,
  };
  const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
  return { target, images };
}

type ApplyOptions = Parameters<typeof applyBoards>[1];

/** One board through `applyBoards` with the CLI's non-interactive settings; `o` overrides any of them. */
export async function applyOne(serial: string, open: () => Promise<Driver>, t: TargetAndImages & { lockDir: string } & Partial<ApplyOptions>) {
  const { target, images, lockDir, ...rest } = t;
  const [result] = await applyBoards([{ serial, open }], {
    target,
    images,
    plan,
    dryRun: false,
    concurrency: 1,
    renderer: 'silent',
    emit: () => undefined,
    signal: new AbortController().signal,
    lockDir,
    applicationFile: target.application?.file,
    confirm: async () => true,
    ...rest,
  });
  return result!;
}
