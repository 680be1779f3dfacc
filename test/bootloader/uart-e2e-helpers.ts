/** The bootloader driver over the virtual UART bootloader on a simulated board of a temp store folder. */
import path from 'node:path';
import { createBootloaderDriver } from '../../src/drivers/bootloader/index.js';
import { openUartLink } from '../../src/drivers/bootloader/uart/node.js';
import type { VirtualUartFault } from '../../src/drivers/bootloader/uart/virtual-device.js';
import { collectImages } from '../../src/images/inventory.js';
import { loadManifest, resolveTarget } from '../../src/manifest/index.js';
import type { Target } from '../../src/planner/types.js';
import { ROOT } from './helpers.js';

export const UART_MANIFEST = path.join(ROOT, 'manifests/nucleo-wb55-bootloader-uart.yaml');
export const UART_SPEED = 1000;
export const PORT = '/dev/ttyACM0';

export async function uartDriver(dir: string, serial: string, o: { faults?: VirtualUartFault[]; logFile?: string } = {}) {
  const driver = await createBootloaderDriver({ port: PORT, serial, baudrate: 115200, simulated: true, simDir: dir, speed: UART_SPEED, logFile: o.logFile ?? path.join(dir, 'uart-transcript.log'), reconnectTimeoutMs: 30_000, fusTimeoutMs: 120_000 });
  // The faults reach the virtual device through the link opener (tests only).
  if (o.faults?.length) {
    const faults = o.faults;
    (driver as unknown as { o: { openLink: () => Promise<unknown> } }).o.openLink = () =>
      openUartLink({ port: PORT, baudrate: 115200, serial, simulated: true, simDir: dir, speed: UART_SPEED, faults, transcript: () => undefined });
  }
  return driver;
}

export async function uartTarget(dir: string): Promise<{ target: Target; images: Awaited<ReturnType<typeof collectImages>>['images'] }> {
  const loaded = await loadManifest(UART_MANIFEST);
  const target: Target = { ...resolveTarget(loaded.manifest, { manifestDir: path.dirname(UART_MANIFEST), transport: 'uart' }), allowStandIns: true };
  const { images } = await collectImages({ standIns: true, release: 'v1.24.0', family: 'STM32WB5x', standInDir: path.join(dir, 'standins') });
  return { target, images };
}
