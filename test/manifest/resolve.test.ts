import { describe, expect, it } from 'vitest';
import { boardsOf, connectionOf, parseManifest, resolveTarget, type Manifest } from '../../src/manifest/index.js';

const m = (text: string): Manifest => parseManifest('version: 1\n' + text, '/proj/copro.yaml', { projectRoot: '/proj' }).manifest;
const ctx = { manifestDir: '/proj', transport: 'usb' as const };

describe('resolveTarget', () => {
  it('fills the documented defaults for an empty manifest', () => {
    expect(resolveTarget(m(''), ctx)).toEqual({
      fus: 'keep',
      policy: { fusUpgrade: 'allow', antiRollback: false, swdApplicationLoss: 'refuse', restoreOptionBytes: true },
      transport: 'usb',
    });
  });

  it('targets the latest FUS when a stack is named, keeps it otherwise', () => {
    expect(resolveTarget(m('stack: { type: Thread_FTD, version: ^1.23.0 }'), ctx)).toMatchObject({ fus: 'latest', stack: { type: 'Thread_FTD', range: '^1.23.0' } });
    expect(resolveTarget(m('stack: none'), ctx)).toMatchObject({ fus: 'keep', stack: 'none' });
    expect(resolveTarget(m('fus: ">=2.1.0"\nstack: { type: BLE_HCILayer, version: latest }'), ctx)).toMatchObject({ fus: '>=2.1.0', stack: { type: 'BLE_HCILayer', range: 'latest' } });
  });

  it('normalises exact versions written with a v', () => {
    expect(resolveTarget(m('fus: v2.2.0\nstack: { type: BLE_Stack_full, version: v1.24.0 }'), ctx)).toMatchObject({ fus: '2.2.0', stack: { range: '1.24.0' } });
  });

  it('resolves the device to its key; detect leaves it to the board', () => {
    expect(resolveTarget(m('device: STM32WB5MMG'), ctx).device).toBe('STM32WB5xxG_1M');
    expect(resolveTarget(m('device: STM32WB15CC'), ctx).device).toBe('STM32WB1xxC_320K');
    expect(resolveTarget(m('device: detect'), ctx)).not.toHaveProperty('device');
  });

  it('re-flashes the application by default when a file is given, with an absolute path', () => {
    const t = resolveTarget(m('application:\n  file: fw/app.bin\n  end: 0x08080000'), { ...ctx, transport: 'swd' });
    expect(t.policy.swdApplicationLoss).toBe('reflash');
    expect(t.application).toEqual({ start: 0x08000000, address: 0x08000000, end: 0x08080000, file: '/proj/fw/app.bin' });
    expect(t.transport).toBe('swd');
  });

  it('uses application.address as the region start', () => {
    expect(resolveTarget(m('application:\n  address: 0x08004000\n  end: 0x08040000'), ctx).application).toEqual({ start: 0x08004000, address: 0x08004000, end: 0x08040000 });
  });

  it('keeps explicit policies and passes the tool version through', () => {
    const t = resolveTarget(m('application:\n  file: a.bin\n  end: 0x08040000\npolicy:\n  fusUpgrade: forbid\n  swdApplicationLoss: accept\n  restoreOptionBytes: false\n  antiRollback: true\nstack: { type: BLE_Stack_full, version: 1.24.0 }'), { ...ctx, toolVersion: '2.20.0' });
    expect(t.policy).toEqual({ fusUpgrade: 'forbid', antiRollback: true, swdApplicationLoss: 'accept', restoreOptionBytes: false });
    expect(t.toolVersion).toBe('2.20.0');
  });

  it('refuses a manifest that skipped validation', () => {
    expect(() => resolveTarget({ version: 1, device: 'STM32F405RG' }, ctx)).toThrow(/unknown device/);
  });
});

describe('connectionOf / boardsOf', () => {
  it('defaults to CubeProgrammer on usb1', () => {
    expect(connectionOf(m(''))).toEqual({ driver: 'cubeprogrammer', port: 'usb1' });
    expect(connectionOf(m('connection: { driver: simulator, serial: SIM1, timeoutSeconds: 60 }'))).toEqual({ driver: 'simulator', port: 'usb1', serial: 'SIM1', timeoutSeconds: 60 });
  });

  it('lists the fleet with each board\'s port, else the connection port', () => {
    expect(boardsOf(m(''))).toEqual([]);
    expect(boardsOf(m('connection: { port: swd }\nboards:\n  - { serial: "A", name: one }\n  - { serial: "B", port: usb2 }'))).toEqual([
      { serial: 'A', name: 'one', port: 'swd' },
      { serial: 'B', port: 'usb2' },
    ]);
  });
});
