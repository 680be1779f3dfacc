import { beforeEach, describe, expect, it } from 'vitest';
import { applyWith, bootloaderDriver, sim, tempDir } from './helpers.js';

let dir: string;
let serial: string;

beforeEach(async () => {
  dir = tempDir();
  serial = await sim.resetBoard(dir);
});

describe('bootloader driver over the virtual DFU device', () => {
  it('reads the factory board (FUS 0.5.3, no stack) without restarting anything', async () => {
    const { driver } = await bootloaderDriver(dir, serial);
    const s = await driver.readState();
    await driver.close();
    expect(s.source.driver).toBe('bootloader');
    expect(s.fus.version).toBe('0.5.3');
    expect(s.stack.status).toBe('none');
    expect(s.device.uid64).toBe((await sim.readSimulatedBoard(dir, serial)).device.uid64);
    expect(s.optionBytes).toEqual(sim.toBoardState(await sim.readSimulatedBoard(dir, serial), 'usb').optionBytes);
  });

  it('rescue: FUS 0.5.3, no stack -> FUS 2.2.0 + BLE_Stack_full 1.24.0, verified; a second run plans nothing', async () => {
    const first = await applyWith(dir, serial, async () => (await bootloaderDriver(dir, serial)).driver);
    expect(first.result.result, `${first.result.error} ${first.result.notes.join(" | ")}`).toBe('provisioned');
    const b = await sim.readSimulatedBoard(dir, serial);
    expect(b.fus.version).toBe('2.2.0');
    expect(b.stack?.version).toBe('1.24.0');
    expect(b.stack?.type).toBe('BLE_Stack_full');
    expect(b.cpu2).toBe('stack');
    const second = await applyWith(dir, serial, async () => (await bootloaderDriver(dir, serial)).driver);
    expect(second.result.result).toBe('up-to-date');
  }, 120_000);
});
