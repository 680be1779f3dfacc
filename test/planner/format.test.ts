/**
 * formatPlan: a terraform-plan-like table people can read.
 */
import { describe, expect, it } from 'vitest';
import { formatPlan, plan } from '../../src/planner/index.js';
import { board, release, target } from './fixtures.js';

const v124 = release('v1.24.0');
const ESC = String.fromCharCode(27);

describe('formatPlan', () => {
  const changes = plan({
    state: board({ fus: '0.5.3', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }),
    target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }),
    images: v124,
  });

  it('shows from -> target, numbered steps with image, address and why, and the closing count', () => {
    const text = formatPlan(changes, { color: false });
    expect(text).toContain('STM32WB5xxG_1M');
    expect(text).toMatch(/FUS\s+0\.5\.3 -> 2\.2\.0/);
    expect(text).toMatch(/stack\s+BLE_Stack_full 1\.13\.0 -> BLE_Stack_full 1\.24\.0/);
    expect(text).toMatch(/ 3\. Update FUS 0\.5\.3 -> 1\.2\.0\s+\[irreversible\]/);
    expect(text).toContain('stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    expect(text).toContain('address:  0x080EC000');
    expect(text).toContain('why:      FUS 0.5.3 can only go to 1.2.0 with the image made for it');
    expect(text).toContain('Warnings:');
    expect(text).toContain('crypto enclave');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Plan: 5 steps (2 irreversible).');
    expect(text).not.toContain(ESC);
  });

  it('colours only when asked', () => {
    expect(formatPlan(changes, { color: true })).toContain(`${ESC}[`);
  });

  it('says so when there is nothing to do', () => {
    const p = plan({ state: board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    const text = formatPlan(p, { color: false });
    expect(text.trimEnd().split('\n').at(-1)).toBe('No changes. The board matches the manifest.');
    expect(text).toMatch(/FUS\s+2\.2\.0 \(unchanged\)/);
  });

  it('prints a refusal with code, message, remedy and source', () => {
    const p = plan({ state: board({ fus: '2.0.0' }), target: target({ fus: '1.2.0' }), images: v124 });
    const text = formatPlan(p, { color: false });
    expect(text).toContain('Refused: FUS_DOWNGRADE');
    expect(text).toContain('Remedy: ');
    expect(text).toContain('Source: ');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Nothing will be done to the board.');
  });

  it('lists assumptions where ST is unsure', () => {
    const p = plan({ state: board({ fus: '2.0.0' }), target: target({ fus: 'latest' }), images: v124 });
    const text = formatPlan(p, { color: false });
    expect(text).toContain('Assumptions');
    expect(text).toMatch(/2\.x -> newer 2\.x/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Plan: 1 step (1 irreversible).');
  });
});
