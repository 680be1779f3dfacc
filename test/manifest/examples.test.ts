/** The example manifests in manifests/ are documentation: each must load cleanly and mean what it says. */
import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { boardsOf, connectionOf, loadManifest, resolveTarget } from '../../src/manifest/index.js';
import { PACKAGE_ROOT } from '../../src/schemas.js';

const DIR = path.join(PACKAGE_ROOT, 'manifests');
const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort();
const load = (f: string) => loadManifest(path.join(DIR, f), { projectRoot: PACKAGE_ROOT });

describe('example manifests', () => {
  it('include the documented examples', () => {
    expect(files).toEqual(expect.arrayContaining(['fleet-production.yaml', 'nucleo-wb55-ble.yaml', 'nucleo-wb55-bootloader-uart.yaml', 'usb-dongle-thread.yaml', 'wb15-ble.yaml', 'wb5mm-swd-app-reflash.yaml']));
  });

  it('nucleo-wb55-bootloader-uart: the bootloader driver over the USART bootloader at 115200 baud', async () => {
    const { manifest } = await load('nucleo-wb55-bootloader-uart.yaml');
    expect(connectionOf(manifest)).toMatchObject({ driver: 'bootloader', port: '/dev/ttyACM0', baudrate: 115200 });
    expect(resolveTarget(manifest, { manifestDir: DIR, transport: 'uart' })).toMatchObject({ device: 'STM32WB5xxG_1M', fus: '2.2.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } });
  });

  it.each(files)('%s loads without errors or warnings, with the schema line and a header comment', async (f) => {
    const text = await readFile(path.join(DIR, f), 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=../schemas/manifest.schema.json');
    expect(lines.slice(1, 4).filter((l) => l.startsWith('#')).length).toBeGreaterThanOrEqual(2);
    const m = await load(f);
    expect(m.warnings).toEqual([]);
  });

  it('nucleo-wb55-ble: the quick start (WB55RG, USB DFU, FUS 2.2.0, BLE_Stack_full 1.24.0 from v1.24.0)', async () => {
    const { manifest } = await load('nucleo-wb55-ble.yaml');
    expect(resolveTarget(manifest, { manifestDir: DIR, transport: 'usb' })).toMatchObject({ device: 'STM32WB5xxG_1M', fus: '2.2.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } });
    expect(manifest.images?.release).toBe('v1.24.0');
    expect(connectionOf(manifest)).toMatchObject({ driver: 'cubeprogrammer', port: 'usb1' });
  });

  it('usb-dongle-thread: WB55CG dongle, Thread_FTD ^1.23.0, latest FUS by default', async () => {
    const { manifest } = await load('usb-dongle-thread.yaml');
    expect(manifest.device).toBe('STM32WB55CG');
    expect(resolveTarget(manifest, { manifestDir: DIR, transport: 'usb' })).toMatchObject({ device: 'STM32WB5xxG_1M', fus: 'latest', stack: { type: 'Thread_FTD', range: '^1.23.0' } });
  });

  it('wb5mm-swd-app-reflash: SWD under reset, re-flashes an application file that exists in the repo', async () => {
    const { manifest } = await load('wb5mm-swd-app-reflash.yaml');
    expect(connectionOf(manifest)).toMatchObject({ port: 'swd', mode: 'UR' });
    const t = resolveTarget(manifest, { manifestDir: DIR, transport: 'swd' });
    expect(t.policy.swdApplicationLoss).toBe('reflash');
    expect(t.application).toMatchObject({ start: 0x08000000, end: 0x08080000, file: path.join(DIR, 'firmware', 'wb5mm-sensor-app.bin') });
  });

  it('fleet-production: 8 distinct boards, BLE_HCILayer, anti-rollback on', async () => {
    const { manifest } = await load('fleet-production.yaml');
    const boards = boardsOf(manifest);
    expect(boards).toHaveLength(8);
    expect(new Set(boards.map((b) => b.serial)).size).toBe(8);
    expect(resolveTarget(manifest, { manifestDir: DIR, transport: 'usb' })).toMatchObject({ stack: { type: 'BLE_HCILayer' }, policy: { antiRollback: true } });
  });

  it('wb15-ble: STM32WB15CC over the UART bootloader', async () => {
    const { manifest } = await load('wb15-ble.yaml');
    expect(resolveTarget(manifest, { manifestDir: DIR, transport: 'uart' })).toMatchObject({ device: 'STM32WB1xxC_320K', application: { end: 0x08020000 } });
    expect(connectionOf(manifest)).toMatchObject({ port: '/dev/ttyACM0', baudrate: 115200 });
  });
});
