/**
 * A transcript of every USB request and reply (setup packet, data in hex), so the first run on a real board
 * records what the sources leave open (the SRAM2A table address, the engineering-byte reads, FUS replies).
 * Wraps any WebUSB-shaped object; no Node imports (the sink writes the lines).
 */
import type { BufferSourceLike, UsbControlSetup, UsbDeviceLike, UsbLike } from './usb.js';

const MAX_HEX = 64;

function hexBytes(b: Uint8Array): string {
  const shown = Array.from(b.subarray(0, MAX_HEX), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return b.length > MAX_HEX ? `${shown} ... (${b.length} bytes)` : shown;
}

function bytesOf(data: BufferSourceLike | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function setupText(s: UsbControlSetup): string {
  return `${s.requestType}/${s.recipient} bRequest=${s.request} wValue=0x${s.value.toString(16)} wIndex=${s.index}`;
}

export function recordDevice(device: UsbDeviceLike, line: (text: string) => void): UsbDeviceLike {
  const t = () => new Date().toISOString();
  return new Proxy(device, {
    get(target, prop, receiver) {
      if (prop === 'controlTransferOut') {
        return async (setup: UsbControlSetup, data?: BufferSourceLike) => {
          line(`${t()} OUT ${setupText(setup)} data[${bytesOf(data).length}]: ${hexBytes(bytesOf(data))}`);
          try {
            const r = await target.controlTransferOut(setup, data);
            line(`${t()}   <- ${r.status ?? 'ok'} (${r.bytesWritten} written)`);
            return r;
          } catch (e) {
            line(`${t()}   <- rejected: ${(e as Error).message}`);
            throw e;
          }
        };
      }
      if (prop === 'controlTransferIn') {
        return async (setup: UsbControlSetup, length: number) => {
          line(`${t()} IN  ${setupText(setup)} wLength=${length}`);
          try {
            const r = await target.controlTransferIn(setup, length);
            const b = r.data ? new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength) : new Uint8Array(0);
            line(`${t()}   <- ${r.status ?? 'ok'} data[${b.length}]: ${hexBytes(b)}`);
            return r;
          } catch (e) {
            line(`${t()}   <- rejected: ${(e as Error).message}`);
            throw e;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The same WebUSB object, its devices wrapped (one wrapper per device object, so identity is kept). */
export function recordUsb(usb: UsbLike, line: (text: string) => void): UsbLike {
  const wrapped = new WeakMap<UsbDeviceLike, UsbDeviceLike>();
  return {
    async getDevices() {
      const ds = await usb.getDevices();
      return ds.map((d) => {
        let w = wrapped.get(d);
        if (!w) {
          w = recordDevice(d, line);
          wrapped.set(d, w);
          line(`${new Date().toISOString()} device ${d.vendorId.toString(16).padStart(4, '0')}:${d.productId.toString(16).padStart(4, '0')} serial=${d.serialNumber ?? '?'} alternates: ${(d.configuration?.interfaces[0]?.alternates ?? []).map((a) => JSON.stringify(a.interfaceName ?? '')).join(', ') || '(read after open)'}`);
        }
        return w;
      });
    },
  };
}
