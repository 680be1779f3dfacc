/**
 * Issue 12: anti-rollback with no stack is refused whatever the board lets copro read, and the
 * FUS_UPGRADE_FORBIDDEN remedy names the concrete stacks the running FUS installs.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/planner/index.js';
import { board, catalog, release, target } from './fixtures.js';

const v124 = release('v1.24.0');

describe('anti-rollback where no stack is or will be installed', () => {
  for (const antiRollback of ['unknown', 'inactive'] as const) {
    it(`is refused when anti-rollback reads ${antiRollback} and the manifest leaves the (absent) stack alone`, () => {
      const p = plan({ state: board({ fus: '2.2.0', antiRollback }), target: target({ fus: 'keep', policy: { antiRollback: true } }), images: v124 });
      expect(p.status).toBe('refused');
      expect(p.refusals.map((r) => r.code)).toEqual(['ANTI_ROLLBACK_WITHOUT_STACK']);
    });
  }

  it('is refused when anti-rollback cannot be read and the manifest asks for no stack', () => {
    const p = plan({ state: board({ fus: '2.2.0', antiRollback: 'unknown' }), target: target({ stack: 'none', policy: { antiRollback: true } }), images: v124 });
    expect(p.refusals.map((r) => r.code)).toEqual(['ANTI_ROLLBACK_WITHOUT_STACK']);
  });

  it('a board that already has the stack and cannot read anti-rollback stays up to date (no refusal)', () => {
    const p = plan({
      state: board({ fus: '2.2.0', antiRollback: 'unknown', stack: { type: 'BLE_Stack_full', version: '1.24.0' } }),
      target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { antiRollback: true } }),
      images: v124,
    });
    expect(p.status).toBe('up-to-date');
  });
});

describe('FUS_UPGRADE_FORBIDDEN names what the running FUS accepts', () => {
  it('FUS 1.2.0, BLE_Stack_full 1.24.0 (FUSv2 only), policy forbid: the remedy names BLE_Stack_full versions FUS 1.2.0 installs', () => {
    const p = plan({
      state: board({ fus: '1.2.0' }),
      target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { fusUpgrade: 'forbid' } }),
      images: catalog().filter((i) => i.identity.families.includes('STM32WB5x')),
    });
    expect(p.refusals[0]?.code).toBe('FUS_UPGRADE_FORBIDDEN');
    const remedy = p.refusals[0]!.remedy;
    expect(remedy).toMatch(/BLE_Stack_full 1\.\d+\.\d+/);
    // Every stack it names must really be installable on FUS 1.2.0: plan it.
    const named = remedy.match(/stack\.version: (\d+\.\d+\.\d+)/)![1]!;
    const ok = plan({
      state: board({ fus: '1.2.0' }),
      target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: named }, policy: { fusUpgrade: 'forbid' } }),
      images: catalog().filter((i) => i.identity.families.includes('STM32WB5x')),
    });
    expect(ok.status).toBe('changes');
    expect(ok.steps.map((s) => s.kind)).toEqual(['stack-install']);
  });

  it('with only v1.24.0 images (every full BLE stack needs FUS 2.x) the remedy says so and names stacks that do run', () => {
    const p = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { fusUpgrade: 'forbid' } }), images: v124 });
    expect(p.refusals[0]?.remedy).toMatch(/no BLE_Stack_full image here runs on it; other stacks that do: \w+/);
  });
});
