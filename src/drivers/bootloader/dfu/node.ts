/**
 * The real USB bus in Node: the `usb` package's WebUSB implementation (its API follows WebUSB, so the DfuSe
 * code is the browser's). Loaded on demand: `usb` is an optional dependency with a native part.
 */
import type { UsbLike } from './usb.js';
import { LinkError } from '../link.js';

export async function nodeWebUsb(): Promise<UsbLike> {
  let mod: { WebUSB: new (o: { allowAllDevices: boolean; deviceTimeout?: number }) => unknown };
  try {
    mod = (await import('usb')) as unknown as typeof mod;
  } catch (e) {
    throw new LinkError('UNSUPPORTED', `the optional 'usb' package is not installed or did not load (${(e as Error).message}): npm install usb`);
  }
  const webusb = new mod.WebUSB({ allowAllDevices: true, deviceTimeout: 10_000 }) as unknown as UsbLike;
  return {
    async getDevices() {
      try {
        return await webusb.getDevices();
      } catch (e) {
        const m = (e as Error).message;
        // No USB bus at all (containers, some CI): no devices, not an error.
        if (/devices\/ not found|LIBUSB_ERROR_NOT_FOUND|No such file/i.test(m)) return [];
        throw e;
      }
    },
  };
}
