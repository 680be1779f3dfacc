/**
 * Every refusal: the plan has status 'refused', no steps, and a refusal with code, message, remedy, source.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/planner/index.js';
import type { Plan } from '../../src/planner/types.js';
import { board, catalog, kinds, release, SHA, target, without } from './fixtures.js';

const v124 = release('v1.24.0');

function refusedWith(p: Plan, code: string) {
  expect(p.status).toBe('refused');
  expect(p.steps).toEqual([]);
  expect(p.refusals.map((r) => r.code)).toEqual([code]);
  const r = p.refusals[0]!;
  for (const field of [r.message, r.remedy, r.source]) expect(field.length).toBeGreaterThan(10);
  return r;
}

describe('refusals', () => {
  it('FUS_DOWNGRADE: FUS 2.0.0 asked to become 1.2.0', () => {
    const r = refusedWith(plan({ state: board({ fus: '2.0.0' }), target: target({ fus: '1.2.0' }), images: v124 }), 'FUS_DOWNGRADE');
    expect(r.message).toContain('2.0.0');
    expect(r.source).toMatch(/downgrade/i);
  });

  it('a target range partly above the running FUS is not a downgrade', () => {
    const p = plan({ state: board({ fus: '2.1.0' }), target: target({ fus: '>=2.0.0' }), images: v124 });
    expect(p.status).toBe('up-to-date');
  });

  it('FUS_UPGRADE_FORBIDDEN: a FUSv2-only stack on FUS 1.2.0 with policy forbid', () => {
    const r = refusedWith(
      plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { fusUpgrade: 'forbid' } }), images: v124 }),
      'FUS_UPGRADE_FORBIDDEN',
    );
    expect(r.message).toContain('2.1.0');
  });

  it('policy forbid is fine when no FUS update is needed', () => {
    const p = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_HCILayer_extended', range: '1.24.0' }, policy: { fusUpgrade: 'forbid' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['stack-install']);
  });

  it('NO_FUS_PATH: a WB1x part on FUS 1.1.0 has no FUS image to go anywhere', () => {
    refusedWith(plan({ state: board({ device: 'STM32WB1xxC_320K', fus: '1.1.0' }), target: target({ fus: 'latest' }), images: v124 }), 'NO_FUS_PATH');
  });

  it('NO_FUS_PATH: the FUS target excludes the FUS the stack needs', () => {
    const r = refusedWith(plan({ state: board({ fus: '1.1.0' }), target: target({ fus: '1.2.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }), 'NO_FUS_PATH');
    expect(r.message).toContain('1.2.0');
    expect(r.message).toContain('2.1.0');
  });

  it('IMAGE_MISSING: FUS 0.5.3 without the _for_fus_0_5_3 image names the file, its releases and copro fetch', () => {
    const r = refusedWith(plan({ state: board({ fus: '0.5.3' }), target: target({ fus: 'latest' }), images: without(v124, SHA.FUS_FOR_053) }), 'IMAGE_MISSING');
    expect(r.message).toContain('stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    expect(r.remedy).toContain('v1.11.1');
    expect(r.remedy).toContain('copro fetch');
  });

  it('IMAGE_MISSING: FUS 0.5.3 never uses the _1_2_0 image (made for FUS 1.x) instead', () => {
    const p = plan({ state: board({ fus: '0.5.3' }), target: target({ fus: '1.2.0' }), images: without(v124, SHA.FUS_FOR_053) });
    refusedWith(p, 'IMAGE_MISSING');
  });

  it('IMAGE_MISSING: a stack version ST never published', () => {
    const r = refusedWith(plan({ state: board({ fus: '2.2.0' }), target: target({ stack: { type: 'BLE_Stack_full', range: '9.9.9' } }), images: v124 }), 'IMAGE_MISSING');
    expect(r.message).toContain('1.24.0'); // lists what is available
  });

  it('IMAGE_WRONG_FAMILY: a WB1x image is never used for a WB5x board', () => {
    const wb1xOnly = catalog().filter((i) => i.identity.families.length === 1 && i.identity.families[0] === 'STM32WB1x');
    const r = refusedWith(plan({ state: board({ fus: '2.2.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: wb1xOnly }), 'IMAGE_WRONG_FAMILY');
    expect(r.message).toContain('STM32WB1x');
  });

  it('ADDRESS_OVERLAPS_APPLICATION: ST table address below the formula runs into the application', () => {
    // v1.6.0 WB3x 512K tables used TOP 0x08074000: BLE_Stack_full 1.6.0 at 0x0804B000 (formula 0x08057000).
    const r = refusedWith(
      plan({
        state: board({ device: 'STM32WB3xxE_512K', fus: '1.2.0' }),
        target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.6.0' }, application: { start: 0x08000000, end: 0x08050000, address: 0x08000000 } }),
        images: catalog(),
      }),
      'ADDRESS_OVERLAPS_APPLICATION',
    );
    expect(r.message).toContain('0x0804B000');
  });

  it('STACK_TOO_BIG: no room between the application and the FUS', () => {
    const r = refusedWith(
      plan({
        state: board({ fus: '2.2.0' }),
        target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' }, application: { start: 0x08000000, end: 0x080E0000, address: 0x08000000 } }),
        images: v124,
      }),
      'STACK_TOO_BIG',
    );
    expect(r.remedy).toContain('0x080E0000');
  });

  it('STACK_TOO_BIG: Thread_FTD does not fit a 256K part at all (ST lists it as not available)', () => {
    refusedWith(plan({ state: board({ device: 'STM32WB5xxC_256K', fus: '2.2.0' }), target: target({ stack: { type: 'Thread_FTD', range: '1.24.0' } }), images: v124 }), 'STACK_TOO_BIG');
  });

  it('an application that ends below the image is fine', () => {
    const p = plan({
      state: board({ fus: '2.2.0' }),
      target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' }, application: { start: 0x08000000, end: 0x08080000, address: 0x08000000 } }),
      images: v124,
    });
    expect(kinds(p.steps)).toEqual(['stack-install']);
    expect(p.steps[0]!.address).toBe('0x080D0000');
  });

  it('RDP_NOT_LEVEL0 when there is work to do; a protected board already at target is up to date', () => {
    const want = target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } });
    refusedWith(plan({ state: board({ fus: '2.2.0', rdp: '0xBB' }), target: want, images: v124 }), 'RDP_NOT_LEVEL0');
    const done = plan({ state: board({ fus: '2.2.0', rdp: '0xBB', stack: { type: 'BLE_Stack_full', version: '1.24.0' } }), target: want, images: v124 });
    expect(done.status).toBe('up-to-date');
  });

  it('ANTI_ROLLBACK_WITHOUT_STACK', () => {
    refusedWith(plan({ state: board({ fus: '2.2.0' }), target: target({ stack: 'none', policy: { antiRollback: true } }), images: v124 }), 'ANTI_ROLLBACK_WITHOUT_STACK');
  });

  it('ANTI_ROLLBACK_FUS_TOO_OLD: FUS kept at 1.1.0', () => {
    refusedWith(
      plan({ state: board({ fus: '1.1.0', stack: { type: 'BLE_HCILayer_extended', version: '1.24.0' } }), target: target({ fus: 'keep', stack: { type: 'BLE_HCILayer_extended', range: '1.24.0' }, policy: { antiRollback: true } }), images: v124 }),
      'ANTI_ROLLBACK_FUS_TOO_OLD',
    );
  });

  it('ANTI_ROLLBACK_ACTIVE_BLOCKS: an older stack than the installed one', () => {
    const r = refusedWith(
      plan({ state: board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, antiRollback: 'active' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.23.0' } }), images: catalog() }),
      'ANTI_ROLLBACK_ACTIVE_BLOCKS',
    );
    expect(r.message).toContain('1.24.0');
  });

  it('anti-rollback active still allows a newer stack', () => {
    const p = plan({ state: board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.23.0' }, antiRollback: 'active' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: catalog() });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'stack-install']);
    expect(p.steps[1]!.irreversible).toBe(true);
  });

  it('SAFEBOOT: SFSA=0 with SBRV 0x3FC00, with the C2BOOT recovery', () => {
    const r = refusedWith(plan({ state: board({ fus: '1.2.0', optionBytes: { sfsa: '0x00', sbrv: '0x3FC00' } }), target: target(), images: v124 }), 'SAFEBOOT');
    expect(r.remedy).toContain('0x5800040C');
    expect(r.remedy).toContain('ESE');
  });

  it('SAFEBOOT: CPU2 reported in safeboot', () => {
    refusedWith(plan({ state: board({ fus: '1.2.0', cpu2: 'safeboot' }), target: target(), images: v124 }), 'SAFEBOOT');
  });

  it('DEVICE_AMBIGUOUS: a 512K 0x495 part could be WB55xE or WB35xE', () => {
    const r = refusedWith(plan({ state: board({ device: 'STM32WB5xxE_512K', keyUnknown: true, fus: '2.2.0' }), target: target(), images: v124 }), 'DEVICE_AMBIGUOUS');
    expect(r.message).toContain('STM32WB5xxE_512K');
    expect(r.message).toContain('STM32WB3xxE_512K');
  });

  it('the manifest resolves the ambiguity', () => {
    const p = plan({ state: board({ device: 'STM32WB5xxE_512K', keyUnknown: true, fus: '2.2.0' }), target: target({ device: 'STM32WB3xxE_512K' }), images: v124 });
    expect(p.status).toBe('up-to-date');
    expect(p.device).toBe('STM32WB3xxE_512K');
  });

  it('DEVICE_MISMATCH: manifest device vs board', () => {
    refusedWith(plan({ state: board({ device: 'STM32WB5xxG_1M', fus: '2.2.0' }), target: target({ device: 'STM32WB1xxC_320K' }), images: v124 }), 'DEVICE_MISMATCH');
    refusedWith(plan({ state: board({ device: 'STM32WB5xxG_1M', keyUnknown: true, fus: '2.2.0' }), target: target({ device: 'STM32WB5xxE_512K' }), images: v124 }), 'DEVICE_MISMATCH');
  });

  it.each(['unknown', '0.0.0'])('STATE_UNKNOWN: FUS version %s', (fus) => {
    refusedWith(plan({ state: board({ fus }), target: target(), images: v124 }), 'STATE_UNKNOWN');
  });

  it('STATE_UNKNOWN: stack status unknown with a stack target', () => {
    refusedWith(plan({ state: board({ fus: '2.2.0', stack: 'unknown', cpu2: 'unknown' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }), 'STATE_UNKNOWN');
  });

  it('TOOL_TOO_OLD: FUS 2.x over SWD with CubeProgrammer 2.19', () => {
    const r = refusedWith(
      plan({
        state: board({ fus: '2.2.0', transport: 'swd' }),
        target: target({ transport: 'swd', toolVersion: '2.19.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { swdApplicationLoss: 'accept' } }),
        images: v124,
      }),
      'TOOL_TOO_OLD',
    );
    expect(r.remedy).toMatch(/USB DFU/);
  });

  it('CubeProgrammer 2.20 over SWD is fine', () => {
    const p = plan({
      state: board({ fus: '2.2.0', transport: 'swd' }),
      target: target({ transport: 'swd', toolVersion: '2.20.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { swdApplicationLoss: 'accept' } }),
      images: v124,
    });
    expect(kinds(p.steps)).toEqual(['stack-install', 'restore-option-bytes']);
  });

  it('SWD_APPLICATION_LOSS: SWD FUS work with an application and nothing to re-flash', () => {
    refusedWith(
      plan({ state: board({ fus: '2.2.0', transport: 'swd', application: { present: true } }), target: target({ transport: 'swd', toolVersion: '2.20.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }),
      'SWD_APPLICATION_LOSS',
    );
  });

  it('TARGET_INVALID: a FUS target that is not a range', () => {
    refusedWith(plan({ state: board({ fus: '2.2.0' }), target: target({ fus: 'newest please' }), images: v124 }), 'TARGET_INVALID');
  });
});
