/** Shared set-up: the bootloader driver over the virtual DFU device on a simulated board in a temp folder. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sim from '../../src/drivers/simulator/index.js';
import { createBootloaderDriver } from '../../src/drivers/bootloader/index.js';
import { openVirtualDfu } from '../../src/drivers/bootloader/virtual/node.js';
import type { UsbFault } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import type { Driver } from '../../src/drivers/driver.js';
import { applyOne, standInTarget, type TargetAndImages } from '../support/apply-in-process.js';

export { ROOT, QUICK_START_MANIFEST as MANIFEST } from '../support/apply-in-process.js';
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

export async function rescueTarget(dir: string): Promise<TargetAndImages> {
  return standInTarget(dir);
}

export async function applyWith(dir: string, serial: string, open: () => Promise<Driver>, t?: TargetAndImages) {
  const events: { type: string }[] = [];
  const result = await applyOne(serial, open, { ...(t ?? (await rescueTarget(dir))), lockDir: path.join(dir, 'locks'), emit: (e) => events.push(e) });
  return { result, events };
}

export { sim };
