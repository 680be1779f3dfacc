import { describe, expect, it } from 'vitest';
import { diagnoseBoard } from '../../src/cli/commands/doctor.js';
import { boardState } from './fixtures.js';

const failing = (f: ReturnType<typeof diagnoseBoard>) => f.filter((x) => x.status === 'fail').map((x) => x.check);
const warned = (f: ReturnType<typeof diagnoseBoard>) => f.filter((x) => x.status === 'warn').map((x) => x.check);

describe('copro doctor: board diagnosis (field reports)', () => {
  it('a healthy provisioned board has no failure or warning', () => {
    const f = diagnoseBoard(boardState({ cpu2: 'stack', stack: { status: 'installed', version: '1.24.0', type: 'BLE_Stack_full', running: true } }));
    expect(failing(f)).toEqual([]);
    expect(warned(f)).toEqual([]);
  });

  it('safeboot (SFSA 0x00, SBRV 0x3FC00: P29, P30, P35) fails with the C2BOOT recovery as remedy', () => {
    const f = diagnoseBoard(boardState({ optionBytes: { rdp: '0xAA', sfsa: '0x00', sbrv: '0x3FC00', nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ese: 1 } }));
    expect(failing(f)).toContain('safeboot');
    expect(f.find((x) => x.check === 'safeboot')?.fix).toMatch(/0x00008000.*0x5800040C/);
  });

  it('RDP not 0xAA (P39) fails; nSWboot0 left at 0 (P18, P34) warns', () => {
    const f = diagnoseBoard(boardState({ optionBytes: { rdp: '0xBB', sfsa: '0xF4', sbrv: '0x3D000', nSWboot0: 0, nBOOT0: 1, nBOOT1: 1 } }));
    expect(failing(f)).toContain('RDP');
    expect(warned(f)).toContain('nSWboot0');
  });

  it('a stack installed but not running (P16, P32) warns with -startwirelessstack as the fix', () => {
    const f = diagnoseBoard(boardState({ cpu2: 'fus', stack: { status: 'installed', version: '1.24.0', type: 'unknown', running: false } }));
    expect(f.find((x) => x.check === 'stack running')?.fix).toMatch(/startwirelessstack/);
  });

  it('anti-rollback with no stack (AN5185 §2.4, P7) and an application clobbered by the SWD operator (P27, P47) fail', () => {
    const f = diagnoseBoard(boardState({ antiRollback: 'active', application: { present: true, clobberedByFusOperator: true } }));
    expect(failing(f)).toEqual(expect.arrayContaining(['anti-rollback', 'application']));
  });
});
