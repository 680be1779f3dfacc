/**
 * Node adapters of the UART link: a serialport stream (through serialport's mock binding, SerialPortMock,
 * with the virtual bootloader behind it, in real time) and the virtual bootloader on a board of the
 * simulator store (what `copro sim show / fault` see).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { SerialPortMock } from 'serialport';
import { UartLink } from '../../src/drivers/bootloader/uart/link.js';
import { streamOfPort } from '../../src/drivers/bootloader/uart/node-serial.js';
import { attachToMockPort, simulatedUart } from '../../src/drivers/bootloader/uart/node-virtual.js';
import { rig } from './uart-helpers.js';
import { readSimulatedBoard, writeSimulatedBoard, armFault, parseFault } from '../../src/drivers/simulator/index.js';
import { standInBytes, IMG } from '../simulator/helpers.js';
import { FUS_INFO_TABLE } from '../../src/domain/fus.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let dir: string | undefined;
afterEach(async () => {
  SerialPortMock.binding.reset();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('UART link over serialport (mock binding)', () => {
  it('opens at 8E1, syncs, reads the device id, writes and reads back flash, reads the FUS state', async () => {
    const r = rig();
    SerialPortMock.binding.createPort('/dev/ttyMOCK0', { echo: false, record: false });
    const link = await UartLink.open({
      name: '/dev/ttyMOCK0',
      open: async () => {
        const sp = new SerialPortMock({ path: '/dev/ttyMOCK0', baudRate: 115200, dataBits: 8, parity: 'even', stopBits: 1, autoOpen: false });
        await new Promise<void>((res, rej) => sp.open((e) => (e ? rej(e) : res())));
        attachToMockPort(sp, r.device, { speed: 1000 });
        return streamOfPort(sp);
      },
    });
    expect(await link.deviceId()).toBe(0x495);
    await link.erasePages([200]);
    const data = Uint8Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff);
    await link.writeMemory(0x080c8000, data);
    expect(sha(await link.readMemory(0x080c8000, 600))).toBe(sha(data));
    expect(await link.fusGetState()).toEqual({ state: 0, error: 0 });
    await link.close();
  });

  it('at the wrong parity the virtual bootloader stays silent behind the mock port too', async () => {
    const r = rig();
    SerialPortMock.binding.createPort('/dev/ttyMOCK1', { echo: false, record: false });
    const e = await UartLink.open({
      name: '/dev/ttyMOCK1',
      timeouts: { syncMs: 50, syncAttempts: 2 },
      open: async () => {
        const sp = new SerialPortMock({ path: '/dev/ttyMOCK1', baudRate: 115200, autoOpen: false });
        await new Promise<void>((res, rej) => sp.open((e) => (e ? rej(e) : res())));
        attachToMockPort(sp, r.device, { speed: 1000 });
        return streamOfPort(sp);
      },
    }).catch((x) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('virtual UART bootloader on the simulator store', () => {
  it('what the link does over UART is on the stored board: a staged FUS image installed, seen by a fresh read of the store', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'copro-uart-'));
    const v = await simulatedUart({ dir, port: '/dev/ttyACM0', baudRate: 115200, speed: 1000 });
    const link = await UartLink.open({ name: '/dev/ttyACM0', open: v.open });
    const stored = await readSimulatedBoard(dir, v.serial);
    expect(stored.device.attachments.some((a) => a.transport === 'uart' && a.port === '/dev/ttyACM0')).toBe(true);
    const bytes = standInBytes(IMG.FUS_1_2_0_FOR_053);
    await link.erasePages(Array.from({ length: Math.ceil(bytes.length / 0x1000) }, (_, i) => 0xec + i));
    await link.writeMemory(0x080ec000, bytes);
    expect(sha(await link.readMemory(0x080ec000, bytes.length))).toBe(sha(bytes));
    await link.fusCommand('FW_UPGRADE');
    await link.reconnect(60_000);
    expect(await link.fusGetState()).toEqual({ state: 0, error: 0 });
    const dit = await link.readMemory(FUS_INFO_TABLE + 12, 4);
    expect(dit[2]).toBe(2); // 0x01020000 little endian: FUS 1.2.0
    expect((await readSimulatedBoard(dir, v.serial)).fus.version).toBe('1.2.0');
    await link.close();
  });

  it('a fault armed in the store (copro sim fault power-loss@download:50) cuts power during the UART download: the read-back finds no answer, then half an image', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'copro-uart-'));
    const v = await simulatedUart({ dir, port: '/dev/ttyACM0', baudRate: 115200, speed: 1000 });
    await writeSimulatedBoard(dir, armFault(await readSimulatedBoard(dir, v.serial), parseFault('power-loss@download:50')));
    const link = await UartLink.open({ name: '/dev/ttyACM0', open: v.open, timeouts: { syncAttempts: 2 } });
    const bytes = standInBytes(IMG.FUS_1_2_0_FOR_053);
    await link.erasePages(Array.from({ length: 8 }, (_, i) => 0xec + i));
    // The chip model decides at the end of the contiguous write how much reached flash before the cut (as over DFU).
    await link.writeMemory(0x080ec000, bytes);
    const e = await link.readMemory(0x080ec000, bytes.length).catch((x) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    const board = await readSimulatedBoard(dir, v.serial);
    expect(board.powered).toBe(false);
    expect(board.faults).toEqual([]);
    expect(board.notes.join('\n')).toMatch(/power lost/);
    // Power comes back at the next sync; the half-written image is no image FUS could install.
    await link.reconnect(10_000);
    const back = await link.readMemory(0x080ec000, bytes.length);
    expect(sha(back)).not.toBe(sha(bytes));
    expect(back[bytes.length - 1]).toBe(0xff);
    await link.close();
  });
});

describe('copro devices: serial ports', () => {
  it('lists the ports the OS reports, marking ST ones (ST-LINK virtual COM, VID 0483)', async () => {
    const { listSerialPorts } = await import('../../src/drivers/bootloader/uart/node-serial.js');
    const ports = await listSerialPorts(async () => [
      { path: '/dev/ttyACM0', manufacturer: 'STMicroelectronics', serialNumber: '0668FF3', vendorId: '0483', productId: '374b' },
      { path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' },
    ]);
    expect(ports).toEqual([
      { path: '/dev/ttyACM0', description: 'ST serial port (ST-LINK virtual COM / USART bootloader) (STMicroelectronics, serial 0668FF3, 0483:374b)' },
      { path: '/dev/ttyUSB0', description: 'serial port (FTDI, 0403:6001)' },
    ]);
  });
});
