/**
 * Issue 14 (planner side of FUS 2.x's NVM area, STM32CubeWB v1.23.0 release notes: once a "FUS_v2 only"
 * binary has been installed, legacy binaries' addresses are also corrected by -0x4000) and issue 12 (a
 * step's expectation says what its verification must check: install address, image, stack type).
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/planner/index.js';
import { parseHex } from '../../src/domain/hex.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { board, release, target } from './fixtures.js';

const v124 = release('v1.24.0');
const TABLE_HCI = 0x080e1000; // BLE_HCILayer 1.24.0 (legacy magic), ST's v1.24.0 table, 1 MB parts
const hci = target({ fus: 'keep', stack: { type: 'BLE_HCILayer', range: '1.24.0' } });

function withNvm(state: BoardState, nvmArea: 'present' | 'absent' | undefined): BoardState {
  const fus = { ...state.fus };
  if (nvmArea === undefined) delete fus.nvmArea;
  else fus.nvmArea = nvmArea;
  return { ...state, fus };
}

function installStep(p: ReturnType<typeof plan>) {
  const s = p.steps.find((x) => x.kind === 'stack-install');
  expect(s, JSON.stringify(p.refusals)).toBeDefined();
  return s!;
}

describe('FUS 2.x NVM area: legacy stacks go 0x4000 lower once a "FUS_v2 only" binary was installed', () => {
  it('the board says the NVM area is there: ST\'s address - 0x4000, and the step says why', () => {
    const s = installStep(plan({ state: withNvm(board({ fus: '2.2.0' }), 'present'), target: hci, images: v124 }));
    expect(parseHex(s.address!)).toBe(TABLE_HCI - 0x4000);
    expect(s.reason).toContain('a "FUS_v2 only" binary was installed on this board');
  });

  it('the board says there is none: ST\'s table address', () => {
    const s = installStep(plan({ state: withNvm(board({ fus: '2.2.0' }), 'absent'), target: hci, images: v124 }));
    expect(parseHex(s.address!)).toBe(TABLE_HCI);
  });

  it('a "FUS_v2 only" stack is installed now (replaced by a legacy one): the NVM area is there', () => {
    const state = withNvm(board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0', fusV2Only: true } }), undefined);
    const s = installStep(plan({ state, target: hci, images: v124 }));
    expect(parseHex(s.address!)).toBe(TABLE_HCI - 0x4000);
  });

  it('unknown (no read-out): the safe, lower address, and the plan says it cannot know and which address it took', () => {
    const p = plan({ state: withNvm(board({ fus: '2.2.0' }), undefined), target: hci, images: v124 });
    const s = installStep(p);
    expect(parseHex(s.address!)).toBe(TABLE_HCI - 0x4000);
    expect(s.reason).toContain('cannot be read, so the lower address is taken');
    expect(p.assumptions.join('\n')).toMatch(/could not be read: legacy stacks are written 0x4000 lower/);
  });

  it('FUS 1.2.0 updated to 2.x in this plan: FUS 1.x never installed a "FUS_v2 only" binary, so ST\'s address', () => {
    const s = installStep(plan({ state: withNvm(board({ fus: '1.2.0' }), undefined), target: target({ fus: 'latest', stack: { type: 'BLE_HCILayer', range: '1.24.0' } }), images: v124 }));
    expect(parseHex(s.address!)).toBe(TABLE_HCI);
  });

  it('a "FUS_v2 only" stack itself is never shifted twice (its own -0x4000 is in ST\'s table)', () => {
    const s = installStep(plan({ state: withNvm(board({ fus: '2.2.0' }), 'present'), target: target({ fus: 'keep', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }));
    expect(s.address).toBe('0x080D0000');
  });
});

describe('a step\'s expectation says what its verification must check', () => {
  it('FUS updates and the stack install: install address, image sha256, stack type and FUSv2-only; other steps none of these', () => {
    const p = plan({ state: board({ fus: '0.5.3' }), target: target({ fus: 'latest', stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(p.status).toBe('changes');
    for (const s of p.steps) {
      if (s.kind === 'fus-upgrade' || s.kind === 'stack-install') {
        expect(s.expect.installAddress).toBe(s.address);
        expect(s.expect.imageSha256).toBe(s.image!.sha256);
      } else {
        expect(s.expect.installAddress).toBeUndefined();
        expect(s.expect.imageSha256).toBeUndefined();
      }
      expect(s.requires.installAddress).toBeUndefined();
    }
    const install = installStep(p);
    expect(install.expect.stackType).toBe('BLE_Stack_full');
    expect(install.expect.stackFusV2Only).toBe(true);
  });
});
