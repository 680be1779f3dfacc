/**
 * The bootloader driver over the virtual UART bootloader (AN3155, byte level) on a simulated board of the
 * store: the rescue case (FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0) and the upgrade case
 * (FUS 1.2.0 + stack 1.13.0 running -> 2.2.0 + 1.24.0), verified by read-back; a second run plans nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { applyWith, sim, tempDir } from './helpers.js';
import { uartDriver, uartTarget } from './uart-e2e-helpers.js';

let dir: string;
let serial: string;

beforeEach(async () => {
  dir = tempDir();
  serial = await sim.resetBoard(dir);
});

describe('bootloader driver over the virtual UART bootloader', () => {
  it('reads the factory board (FUS 0.5.3, no stack, UID64 and option bytes as the model holds them) and says once what is unconfirmed over UART', async () => {
    const driver = await uartDriver(dir, serial);
    const s = await driver.readState();
    const again = await driver.readState();
    await driver.close();
    expect(s.source).toMatchObject({ driver: 'bootloader', transport: 'uart' });
    expect(s.fus.version).toBe('0.5.3');
    expect(s.stack.status).toBe('none');
    const b = await sim.readSimulatedBoard(dir, serial);
    expect(s.device.uid64).toBe(b.device.uid64);
    expect(s.optionBytes).toEqual(sim.toBoardState(b, 'uart').optionBytes);
    expect(s.notes.join('\n')).toMatch(/unconfirmed[^\n]*the FUS commands over USART/);
    expect(again.notes.join('\n')).not.toMatch(/unconfirmed/);
    const log = await readFile(path.join(dir, 'uart-transcript.log'), 'utf8');
    expect(log).toMatch(/USART \(AN3155\)/);
    expect(log).toMatch(/tx\s+7f\s+sync/);
    expect(log).toMatch(/SPECIAL/);
  });

  it('rescue: FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0 over UART, verified; a second run plans nothing', async () => {
    const t = await uartTarget(dir);
    const first = await applyWith(dir, serial, () => uartDriver(dir, serial), t);
    expect(first.result.result, `${first.result.error} ${first.result.notes.join(' | ')}`).toBe('provisioned');
    const b = await sim.readSimulatedBoard(dir, serial);
    expect([b.fus.version, b.stack?.type, b.stack?.version, b.cpu2]).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0', 'stack']);
    const log = await readFile(path.join(dir, 'uart-transcript.log'), 'utf8');
    expect(log).toMatch(/EXTENDED_SPECIAL/);
    const second = await applyWith(dir, serial, () => uartDriver(dir, serial), t);
    expect(second.result.result).toBe('up-to-date');
  }, 180_000);

  it('upgrade: FUS 1.2.0 + BLE_Stack_full 1.13.0 running -> FUS 2.2.0 + 1.24.0 over UART, verified; a second run plans nothing', async () => {
    await sim.writeSimulatedBoard(dir, sim.makeBoard({ serial, fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }));
    const t = await uartTarget(dir);
    const before = await uartDriver(dir, serial);
    const s = await before.readState();
    await before.close();
    expect([s.fus.version, s.stack.version, s.stack.type, s.stack.running]).toEqual(['1.2.0', '1.13.0', 'BLE_Stack_full', true]);
    const first = await applyWith(dir, serial, () => uartDriver(dir, serial), t);
    expect(first.result.result, `${first.result.error} ${first.result.notes.join(' | ')}`).toBe('provisioned');
    const b = await sim.readSimulatedBoard(dir, serial);
    expect([b.fus.version, b.stack?.type, b.stack?.version, b.cpu2]).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0', 'stack']);
    const second = await applyWith(dir, serial, () => uartDriver(dir, serial), t);
    expect(second.result.result).toBe('up-to-date');
  }, 180_000);
});
