/**
 * The UART link (AN3155) against the virtual bootloader over a simulated board: sync and its errors, Get,
 * Get ID, memory reads (UID64, flash size, option bytes, the FUS info table), erase + write + read-back of
 * a real image's stand-in, FUS state, and a FUS image installed from staged bytes, with the board model
 * agreeing on every step.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { rig, openLink } from './uart-helpers.js';
import { defaultBoard } from '../../src/drivers/simulator/index.js';
import { standInBytes, IMG, record } from '../simulator/helpers.js';
import { LinkError } from '../../src/drivers/bootloader/link.js';
import { decodeOptionBytes, encodeOptionBytes } from '../../src/drivers/bootloader/uart/option-bytes.js';
import { FLASH_SIZE_ADDRESS, UID64_ADDRESS, bootloaderLine, CMD } from '../../src/drivers/bootloader/uart/an3155.js';
import { FUS_INFO_TABLE, FUS_INFO_VALID_KEY, FUS_STATE_CODES } from '../../src/domain/fus.js';
import { UART_FUS_NOTICE } from '../../src/drivers/bootloader/uart/link.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const word = (b: Uint8Array, at = 0) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

describe('UART link: sync', () => {
  it('syncs with 0x7F, lists the commands (Get) and reads the device id (Get ID)', async () => {
    const r = rig();
    const link = await openLink(r);
    expect(link.info?.commands).toEqual(expect.arrayContaining([CMD.READ_MEMORY, CMD.WRITE_MEMORY, CMD.EXTENDED_ERASE, CMD.SPECIAL, CMD.EXTENDED_SPECIAL]));
    expect(await link.deviceId()).toBe(0x495);
    expect(link.notice).toBe(UART_FUS_NOTICE);
    expect(link.transcript.format()).toMatch(/tx\s+7f\s+sync/);
  });

  it('a bootloader already synced answers NACK to 0x7F: still in sync', async () => {
    const r = rig();
    const link = await openLink(r);
    await link.sync(); // second 0x7F: taken as a command, NACK after the next byte
    expect(await link.deviceId()).toBe(0x495);
  });

  it('no answer at the wrong parity (8N1): a timeout that names the line settings', async () => {
    const r = rig({ line: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 } });
    const e = await openLink(r).catch((x) => x);
    expect(e).toBeInstanceOf(LinkError);
    expect((e as LinkError).code).toBe('TIMEOUT');
    expect((e as LinkError).message).toMatch(/8E1/);
    expect(r.device.log.join('\n')).toMatch(/no auto-baud lock/);
  });

  it('no answer at a baud rate the auto-baud cannot detect', async () => {
    const r = rig({ line: bootloaderLine(921600) });
    await expect(openLink(r)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('no answer when the chip boots from flash (BOOT0 low): the model says why', async () => {
    const b = defaultBoard();
    const r = rig({ board: { ...b, device: { ...b.device, boot0Pin: 0 } } });
    await expect(openLink(r)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(r.device.log.join('\n')).toMatch(/boots from flash/);
  });
});

describe('UART link: memory', () => {
  it('reads UID64, the flash size and the option bytes the board model holds', async () => {
    const r = rig();
    const link = await openLink(r);
    const uid = await link.readMemory(UID64_ADDRESS, 8);
    expect('0x' + word(uid, 4).toString(16).toUpperCase().padStart(8, '0') + word(uid, 0).toString(16).toUpperCase().padStart(8, '0')).toBe(r.board().device.uid64);
    const size = await link.readMemory(FLASH_SIZE_ADDRESS, 2);
    expect(size[0]! | (size[1]! << 8)).toBe(1024);
    const ob = decodeOptionBytes(await link.readOptionBytes());
    expect(ob).toMatchObject({ rdp: 0xaa, sfsa: r.board().optionBytes.sfsa, sbrv: r.board().optionBytes.sbrv, nBOOT1: 1 });
  });

  it('reads the FUS info table (FUS running): magic and FUS version word', async () => {
    const r = rig();
    const link = await openLink(r);
    const dit = await link.readMemory(FUS_INFO_TABLE, 24);
    expect(word(dit)).toBe(FUS_INFO_VALID_KEY);
    expect(word(dit, 12)).toBe(0x00050300); // FUS 0.5.3
  });

  it('erase, write and read back a stand-in image byte for byte (600+ frames), then the model stages it', async () => {
    const r = rig();
    const link = await openLink(r);
    const bytes = standInBytes(IMG.FUS_1_2_0_FOR_053);
    const address = 0x080ec000;
    const first = (address - 0x08000000) / 0x1000;
    const pages = Array.from({ length: Math.ceil(bytes.length / 0x1000) }, (_, i) => first + i);
    await link.erasePages(pages);
    let progress = 0;
    await link.writeMemory(address, bytes, (p) => (progress = p.done));
    expect(progress).toBe(bytes.length);
    const back = await link.readMemory(address, bytes.length);
    expect(sha(back)).toBe(sha(bytes));
    // FUS_GET_STATE hands the written bytes to the model: one staged image, the FUS 1.2.0 for 0.5.3.
    expect(await link.fusGetState()).toEqual({ state: FUS_STATE_CODES.FUS_IDLE, error: 0 });
    expect(r.board().staged).toHaveLength(1);
    expect(r.board().staged[0]).toMatchObject({ address, size: bytes.length, sha256: sha(bytes), complete: true });
    expect(r.board().staged[0]!.image?.version).toBe('1.2.0');
  });

  it('refuses (NACK) a write over bytes that are not erased, and one into the secure area', async () => {
    const r = rig();
    const link = await openLink(r);
    await link.erasePages([200]);
    await link.writeMemory(0x080c8000, new Uint8Array(16).fill(0x11));
    await expect(link.writeMemory(0x080c8000, new Uint8Array(16).fill(0x22))).rejects.toMatchObject({ code: 'NACK' });
    await expect(link.writeMemory(0x080f6000, new Uint8Array(16))).rejects.toMatchObject({ code: 'NACK' });
    await expect(link.erasePages([0xf6])).rejects.toMatchObject({ code: 'NACK' });
    expect(r.device.refusals.map((x) => x.why).join('\n')).toMatch(/already programmed[\s\S]*secure area[\s\S]*secure area/);
    // Still in sync after NACKs.
    expect(await link.deviceId()).toBe(0x495);
  });
});

describe('UART link: FUS', () => {
  it('installs FUS 1.2.0 from bytes staged over UART: FW_UPGRADE, chip resets, reconnect, GET_STATE idle, version table 1.2.0', async () => {
    const r = rig();
    const link = await openLink(r);
    const bytes = standInBytes(IMG.FUS_1_2_0_FOR_053);
    const address = Number.parseInt(String(record(IMG.FUS_1_2_0_FOR_053).installAddress.STM32WB5xxG_1M), 16);
    const first = (address - 0x08000000) / 0x1000;
    await link.erasePages(Array.from({ length: Math.ceil(bytes.length / 0x1000) }, (_, i) => first + i));
    await link.writeMemory(address, bytes);
    await link.fusCommand('FW_UPGRADE');
    await expect(link.fusGetState()).rejects.toBeInstanceOf(LinkError); // the chip is rebooting: no answer
    await link.reconnect(60_000);
    expect(await link.fusGetState()).toEqual({ state: 0, error: 0 });
    const dit = await link.readMemory(FUS_INFO_TABLE, 24);
    expect(word(dit, 12)).toBe(0x01020000);
    expect(r.board().fus.version).toBe('1.2.0');
    expect(r.board().counters.resets).toBeGreaterThanOrEqual(4);
  });

  it('FW_DELETE while the stack runs is refused by FUS; two GET_STATE switch CPU2 to FUS (the second resets the chip)', async () => {
    const r = rig({ spec: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } } });
    const link = await openLink(r);
    await expect(link.fusCommand('FW_DELETE')).rejects.toMatchObject({ code: 'NACK', message: expect.stringMatching(/error 0xfe/) });
    await link.reconnect(5_000);
    expect(await link.fusGetState()).toEqual({ state: 0xff, error: 0xfe }); // FUS not running
    await expect(link.fusGetState()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await link.reconnect(10_000);
    expect(r.board().cpu2).toBe('fus');
    expect(await link.fusGetState()).toEqual({ state: 0, error: 0 });
    await link.fusCommand('FW_DELETE');
    await link.reconnect(30_000);
    expect(r.board().stack).toBeNull();
  });

  it('writes the option bytes (nSWboot0=0): ACK, the chip resets, the link syncs again and reads them back', async () => {
    const r = rig();
    const link = await openLink(r);
    const block = await link.readOptionBytes();
    const f = decodeOptionBytes(block);
    await link.writeOptionBytes(encodeOptionBytes({ ...f, nSWboot0: 0, nBOOT0: 0 }, block));
    await link.reconnect(10_000);
    expect(decodeOptionBytes(await link.readOptionBytes())).toMatchObject({ nSWboot0: 0, nBOOT0: 0 });
    expect(r.board().optionBytes).toMatchObject({ nSWboot0: 0, nBOOT0: 0 });
  });

  it('a block whose value and complement disagree is refused and changes nothing', async () => {
    const r = rig();
    const link = await openLink(r);
    const block = await link.readOptionBytes();
    block[0] = 0xbb; // RDP byte without its complement
    await expect(link.writeOptionBytes(block)).rejects.toMatchObject({ code: 'NACK' });
    expect(r.board().optionBytes.rdp).toBe(0xaa);
  });
});
