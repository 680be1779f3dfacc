/**
 * Browser side of the UART link: a `ByteStream` over a Web Serial `SerialPort` (navigator.serial), opened at
 * 8E1 and the baud rate. Node-free and DOM-type-free (the few members used are declared here), so the same
 * UartLink runs in the browser page.
 */
import { bootloaderLine } from './an3155.js';
import { ByteQueue, StreamClosedError, type ByteStream, type StreamOpener } from './stream.js';

/** The part of the Web Serial API this adapter uses. */
export interface WebSerialPortLike {
  open(options: { baudRate: number; dataBits?: number; stopBits?: number; parity?: 'none' | 'even' | 'odd'; bufferSize?: number }): Promise<void>;
  close(): Promise<void>;
  readonly readable: { getReader(): { read(): Promise<{ value?: Uint8Array; done: boolean }>; cancel(): Promise<void>; releaseLock(): void } } | null;
  readonly writable: { getWriter(): { write(chunk: Uint8Array): Promise<void>; releaseLock(): void } } | null;
}

export function webSerialOpener(port: WebSerialPortLike, baudRate: number): StreamOpener {
  return async () => {
    const line = bootloaderLine(baudRate);
    await port.open({ baudRate: line.baudRate, dataBits: line.dataBits, stopBits: line.stopBits, parity: line.parity });
    const q = new ByteQueue();
    const reader = port.readable?.getReader();
    if (!reader) throw new StreamClosedError('the serial port has no readable side');
    // Reader loop: pushes what arrives until the port closes.
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value) q.push(value);
        }
      } catch {
        // the port went away
      }
      q.fail();
    })();
    const stream: ByteStream = {
      async write(bytes) {
        const w = port.writable?.getWriter();
        if (!w) throw new StreamClosedError('the serial port is not writable');
        try {
          await w.write(bytes);
        } finally {
          w.releaseLock();
        }
      },
      read: (count, timeoutMs) => q.read(count, timeoutMs),
      discardInput: () => q.discard(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => Date.now(),
      async close() {
        await reader.cancel().catch(() => undefined);
        reader.releaseLock();
        await port.close().catch(() => undefined);
      },
    };
    return stream;
  };
}
