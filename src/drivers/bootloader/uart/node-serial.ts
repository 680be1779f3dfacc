/**
 * Node side of the UART link: a `ByteStream` over a `serialport` 13 port opened at the bootloader's line
 * settings (8 data bits, even parity, 1 stop bit, the manifest's baud rate), and the port list for
 * `copro devices`. `serialport` is loaded on first use so that commands that never touch a serial port
 * do not pay for its native binding.
 */
import type { SerialPortStream } from '@serialport/stream';
import { bootloaderLine } from './an3155.js';
import { ByteQueue, StreamClosedError, type ByteStream, type StreamOpener } from './stream.js';

/** A ByteStream over an open serialport stream (a real port, or SerialPortMock in tests). */
export function streamOfPort(sp: SerialPortStream): ByteStream {
  const q = new ByteQueue();
  sp.on('data', (d: Buffer) => q.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice()));
  sp.on('close', () => q.fail(new StreamClosedError(`${sp.path} was closed (unplugged?)`)));
  sp.on('error', (e: Error) => q.fail(new StreamClosedError(`${sp.path}: ${e.message}`)));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (q.closed || !sp.isOpen) return reject(new StreamClosedError(`${sp.path} is not open`));
        sp.write(Buffer.from(bytes), (err) => (err ? reject(new StreamClosedError(`${sp.path}: ${err.message}`)) : sp.drain(() => resolve())));
      }),
    read: (count, timeoutMs) => q.read(count, timeoutMs),
    discardInput: () => q.discard(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    close: () =>
      new Promise<void>((resolve) => {
        if (!sp.isOpen) return resolve();
        sp.close(() => resolve());
      }),
  };
}

function openPort(sp: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => sp.open((err) => (err ? reject(err) : resolve())));
}

/** Opens a real serial port at 8E1 and `baudRate` (an opener: the link calls it again after an unplug). */
export function serialPortOpener(path: string, baudRate: number): StreamOpener {
  return async () => {
    const { SerialPort } = await import('serialport');
    const line = bootloaderLine(baudRate);
    const sp = new SerialPort({ path, baudRate: line.baudRate, dataBits: line.dataBits, parity: line.parity, stopBits: line.stopBits, autoOpen: false });
    try {
      await openPort(sp);
    } catch (e) {
      const m = (e as Error).message;
      const hint = /permission|EACCES/i.test(m) ? ' (Linux: add yourself to the dialout group; Windows: close other programs using the port)' : '';
      throw new Error(`cannot open ${path}: ${m}${hint}`);
    }
    return streamOfPort(sp);
  };
}

export interface SerialPortInfo {
  path: string;
  description: string;
}

interface PortListing {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** Serial ports the OS reports (`copro devices`); ST serial ports (VID 0483: ST-LINK virtual COM) are marked. */
export async function listSerialPorts(list?: () => Promise<PortListing[]>): Promise<SerialPortInfo[]> {
  const ports = list ? await list() : await (await import('serialport')).SerialPort.list();
  return ports.map((p) => {
    const st = p.vendorId?.toLowerCase() === '0483';
    const what = [p.manufacturer, p.serialNumber ? `serial ${p.serialNumber}` : undefined, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined].filter(Boolean).join(', ');
    return { path: p.path, description: `${st ? 'ST serial port (ST-LINK virtual COM / USART bootloader)' : 'serial port'}${what ? ` (${what})` : ''}` };
  });
}
