/** Shared set-up: the bootloader driver over the virtual DFU device on a simulated board in a temp folder. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sim from '../../src/drivers/simulator/index.js';
import { createBootloaderDriver } from '../../src/drivers/bootloader/index.js';
import { openVirtualDfu } from '../../src/drivers/bootloader/virtual/node.js';
import type { UsbFault } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import { collectImages } from '../../src/images/inventory.js';
import { loadManifest, resolveTarget } from '../../src/manifest/index.js';
import { plan } from '../../src/planner/index.js';
import { applyBoards } from '../../src/runner/apply.js';
import type { Target } from '../../src/planner/types.js';
import type { Driver } from '../../src/drivers/driver.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MANIFEST = path.join(ROOT, 'manifests/nucleo-wb55-ble.yaml');
export const SPEED = 200;

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'copro-bl-'));
}

export async function bootloaderDriver(dir: string, serial: string, o: { faults?: UsbFault[]; logFile?: string; speed?: number } = {}) {
  const speed = o.speed ?? SPEED;
  const { usb, chip } = await openVirtualDfu({ dir, serial, speed, faults: o.faults ?? [] });
  // Timeouts: the driver's defaults for a simulated clock (at least 2 s / 5 s of real time).
  const driver = await createBootloaderDriver({ port: 'usb', serial, simulated: true, simDir: dir, speed, usb, logFile: o.logFile ?? path.join(dir, 'transcript.log') });
  return { driver, usb, chip };
}

export async function rescueTarget(dir: string): Promise<{ target: Target; images: Awaited<ReturnType<typeof collectImages>>['images'] }> {
  const loaded = await loadManifest(MANIFEST);
  const target: Target = { ...resolveTarget(loaded.manifest, { manifestDir: path.dirname(MANIFEST), transport: 'usb' }), allowStandIns: true };
  const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
  return { target, images };
}

export async function applyWith(dir: string, serial: string, open: () => Promise<Driver>, t?: { target: Target; images: Awaited<ReturnType<typeof collectImages>>['images'] }) {
  const { target, images } = t ?? (await rescueTarget(dir));
  const events: { type: string }[] = [];
  const results = await applyBoards([{ serial, open }], {
    target,
    images,
    plan,
    dryRun: false,
    concurrency: 1,
    renderer: 'silent',
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    lockDir: path.join(dir, 'locks'),
    applicationFile: target.application?.file,
    confirm: async () => true,
  });
  return { result: results[0]!, events };
}

export { sim };
