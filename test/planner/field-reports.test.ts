/**
 * The field-report stories (notes/field-reports.md) that are planning mistakes: the plan copro makes for
 * the same situation, and the mistake it does not make.
 */
import { describe, expect, it } from 'vitest';
import semver from 'semver';
import { deviceByKey } from '../../src/domain/devices.js';
import { parseHex } from '../../src/domain/hex.js';
import { plan } from '../../src/planner/index.js';
import { board, catalog, kinds, release, SHA, target, without } from './fixtures.js';

const v124 = release('v1.24.0');
const all = catalog();

describe('field reports', () => {
  it('P3: FUS 0.5.3 WB5xCG with an old stack: 8-digit ST addresses, and the FUS goes up before the stack is touched again', () => {
    const p = plan({ state: board({ fus: '0.5.3', stack: { type: 'BLE_Stack_full', version: '1.1.0' } }), target: target({ stack: { type: 'BLE_Stack_full', range: 'latest' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'fus-upgrade', 'fus-upgrade', 'stack-install']);
    for (const s of p.steps.filter((x) => x.address)) expect(s.address).toMatch(/^0x080[0-9A-F]{5}$/);
    expect(p.steps.filter((s) => s.address).map((s) => s.address)).toEqual(['0x080EC000', '0x080EE000', '0x080D0000']);
  });

  it('P6: a 512K part gets the 512K address, not the 1M one; CubeProgrammer 2.19 over SWD with FUS 2.2.0 is refused', () => {
    const state = board({ device: 'STM32WB5xxE_512K', fus: '2.2.0' });
    const usb = plan({ state, target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(usb.steps.map((s) => [s.kind, s.address])).toEqual([['stack-install', '0x0805C000']]);
    const swd = plan({ state: { ...state, source: { ...state.source, transport: 'swd' } }, target: target({ transport: 'swd', toolVersion: '2.19.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(swd.refusals.map((r) => r.code)).toEqual(['TOOL_TOO_OLD']);
  });

  it('P7: anti-rollback is never activated without a stack; with one it is the last board step', () => {
    const none = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'keep', stack: 'none', policy: { antiRollback: true } }), images: v124 });
    expect(none.refusals.map((r) => r.code)).toEqual(['ANTI_ROLLBACK_WITHOUT_STACK']);
    const locked = plan({ state: board({ fus: '2.2.0', antiRollback: 'active' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(locked.refusals.map((r) => r.code)).toEqual(['ANTI_ROLLBACK_ACTIVE_BLOCKS']);
    const ok = plan({ state: board({ fus: '1.2.0' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { antiRollback: true } }), images: v124 });
    // Anti-rollback is a FUS command: FUS is started after the stack was verified running, and the stack again after.
    expect(kinds(ok.steps)).toEqual(['fus-upgrade', 'stack-install', 'start-fus', 'anti-rollback', 'start-stack']);
    expect(ok.steps[1]!.expect).toMatchObject({ stackStatus: 'installed', stackRunning: true });
    const ar = ok.steps[3]!;
    expect(ar.irreversible).toBe(true);
    expect(ar.requires).toMatchObject({ cpu2: 'fus', stackStatus: 'installed', stackType: 'BLE_Stack_full', stackVersion: '1.24.0' });
    expect(ok.steps[4]!.expect).toMatchObject({ antiRollback: 'active', stackRunning: true, cpu2: 'stack' });
    expect(semver.gte(ar.requires.fusVersion!, '1.2.0')).toBe(true);
  });

  it('P8: after an accidental delete on FUS 1.2.0, FUS is updated first and the stack goes at the current address (not the stale 0x080C7000)', () => {
    const p = plan({ state: board({ fus: '1.2.0' }), target: target({ stack: { type: 'BLE_Stack_full', range: 'latest' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['fus-upgrade', 'stack-install']);
    expect(p.steps[1]!.address).toBe('0x080D0000');
  });

  it('P10: no image is ever written over the FUS (0x080F4000 up on 1M parts)', () => {
    const top = deviceByKey('STM32WB5xxG_1M').top;
    for (const range of ['1.13.0', '1.17.0', '1.20.0', '1.24.0']) {
      const p = plan({ state: board({ fus: '2.2.0' }), target: target({ stack: { type: 'BLE_Stack_full_extended', range } }), images: all });
      if (p.status === 'refused') continue; // not every version of this stack exists
      for (const s of p.steps.filter((x) => x.image)) expect(parseHex(s.address!)! + s.image!.size).toBeLessThanOrEqual(top);
    }
  });

  it('P15: BLE_Stack_full 1.20.0 goes at 0x080CE000 as ST computes it, not the 0x080D4000 from some document', () => {
    const p = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.20.0' } }), images: all });
    expect(p.steps.map((s) => [s.kind, s.address])).toEqual([['stack-install', '0x080CE000']]);
  });

  it('P18: over SWD, option bytes are restored after FUS work, and a board left with nSWboot0=0 gets them restored', () => {
    const after = plan({
      state: board({ fus: '1.2.0', transport: 'swd' }),
      target: target({ transport: 'swd', toolVersion: '2.20.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }),
      images: v124,
    });
    expect(kinds(after.steps)).toEqual(['fus-upgrade', 'stack-install', 'restore-option-bytes']);
    expect(after.steps[2]!.expect.optionBytes).toEqual({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 });
    expect(after.steps.find((s) => s.kind === 'fus-upgrade')!.address).toBe('0x080EE000'); // FUS 2.x at 0x080EE000
    const leftover = plan({
      state: board({ fus: '2.2.0', transport: 'swd', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, optionBytes: { nSWboot0: 0 } }),
      target: target({ transport: 'swd', toolVersion: '2.20.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }),
      images: v124,
    });
    expect(kinds(leftover.steps)).toEqual(['restore-option-bytes']);
  });

  it('P31: copro never computes an address from SFSA of the installed stack: it deletes, then installs at ST\'s address', () => {
    const p = plan({
      state: board({ fus: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0', size: 0x2d000 } }),
      target: target({ fus: 'keep', stack: { type: 'BLE_HCILayer_extended', range: '1.24.0' } }),
      images: v124,
    });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'stack-install']);
    expect(p.steps[2]!.address).toBe('0x080DC000');
    expect(p.steps[2]!.requires.stackStatus).toBe('none');
  });

  it('P40: BLE 1.23.0 on FUS 1.2.0 needs FUS 2.x first; every hop is an allowed edge', () => {
    const p = plan({ state: board({ fus: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.8.0' } }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.23.0' } }), images: all });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'fus-upgrade', 'stack-install']);
    const install = p.steps[3]!;
    expect(install.image?.fusV2Only).toBe(true);
    expect(semver.gte(install.requires.fusVersion!, '2.1.0')).toBe(true);
    expect(p.assumptions.join(' ')).toMatch(/2\.1\.0/);
  });

  it('P43: a 127 KB FUSv2-only stack on FUS 2.0.0 goes 0x4000 lower (0x080D0000), not at 0x080D4000', () => {
    const p = plan({ state: board({ fus: '2.0.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.22.1' } }), images: all });
    expect(p.steps.map((s) => [s.kind, s.address])).toEqual([['stack-install', '0x080D0000']]);
    // v1.22.1's "FUSv2 only" wording says FUS 2.0.0: no FUS update is needed with keep.
    expect(p.steps[0]!.requires.fusVersion).toBe('2.0.0');
  });

  it('P44: the install address does not depend on the size of the stack being replaced', () => {
    const addressAfter = (size: number) =>
      plan({ state: board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.10.0', size } }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }).steps.find(
        (s) => s.kind === 'stack-install',
      )!.address;
    expect(addressAfter(0x20000)).toBe('0x080D0000');
    expect(addressAfter(0x40000)).toBe('0x080D0000');
  });

  it('P49: FUS 1.0.1 goes straight to 1.2.0, never via 1.0.2; with only old images copro says which file is missing', () => {
    const p = plan({ state: board({ fus: '1.0.1' }), target: target({ fus: 'latest' }), images: v124 });
    expect(p.steps.map((s) => s.expect.fusVersion)).toEqual(['1.2.0', '2.2.0']);
    const old = plan({ state: board({ fus: '1.0.1' }), target: target({ fus: '>=1.1.0' }), images: release('v1.10.0') });
    expect(old.refusals.map((r) => r.code)).toEqual(['IMAGE_MISSING']);
    expect(old.refusals[0]!.message).toContain('stm32wb5x_FUS_fw_1_2_0.bin');
    const noFor053 = plan({ state: board({ fus: '0.5.3' }), target: target({ fus: 'latest' }), images: without(v124, SHA.FUS_FOR_053) });
    expect(noFor053.refusals.map((r) => r.code)).toEqual(['IMAGE_MISSING']);
  });
});
