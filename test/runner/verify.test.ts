import { describe, expect, it } from 'vitest';
import { compareWithExpectation, unverifiedFields, formatMismatches } from '../../src/runner/verify.js';
import { boardState } from './fixtures.js';

describe('verification by read-back', () => {
  it('accepts a board that shows every expected field', () => {
    const s = boardState({ cpu2: 'stack', stack: { status: 'installed', version: '1.24.0', type: 'BLE_Stack_full', running: true } });
    expect(compareWithExpectation({ fusVersion: '2.2.0', stackStatus: 'installed', stackVersion: '1.24.0', stackType: 'BLE_Stack_full', stackRunning: true, cpu2: 'stack' }, s)).toEqual([]);
  });

  it('reports each field that differs, with expected and actual', () => {
    const s = boardState({ fusVersion: '1.2.0' });
    const m = compareWithExpectation({ fusVersion: '2.2.0', stackStatus: 'installed' }, s);
    expect(m).toEqual([
      { field: 'fus.version', expected: '2.2.0', actual: '1.2.0' },
      { field: 'stack.status', expected: 'installed', actual: 'none' },
    ]);
    expect(formatMismatches(m)).toContain('expected "2.2.0", board shows "1.2.0"');
  });

  it('does not fail on a stack type FUS cannot report, but lists it as unverified', () => {
    const s = boardState({ stack: { status: 'installed', version: '1.24.0', type: 'unknown', running: false } });
    const expectation = { stackStatus: 'installed' as const, stackType: 'BLE_Stack_full' };
    expect(compareWithExpectation(expectation, s)).toEqual([]);
    expect(unverifiedFields(expectation, s)).toEqual(['stack.type']);
  });

  it('fails on a known, different stack type', () => {
    const s = boardState({ stack: { status: 'installed', version: '1.24.0', type: 'BLE_HCILayer', running: true } });
    expect(compareWithExpectation({ stackStatus: 'installed', stackType: 'BLE_Stack_full' }, s).map((x) => x.field)).toEqual(['stack.type']);
  });

  it('compares option bytes and reports unknown ones as mismatches', () => {
    expect(compareWithExpectation({ optionBytes: { nSWboot0: 1 } }, boardState({ optionBytes: { rdp: '0xAA', sfsa: '0xF4', sbrv: '0x3D000', nSWboot0: 0, nBOOT0: 1, nBOOT1: 1 } }))).toEqual([{ field: 'optionBytes.nSWboot0', expected: 1, actual: 0 }]);
    expect(compareWithExpectation({ optionBytes: { nSWboot0: 1 } }, boardState({ optionBytes: 'unknown' }))).toEqual([{ field: 'optionBytes.nSWboot0', expected: 1, actual: 'unknown' }]);
  });
});
