/**
 * Safeboot as the field sees it: more than one option-byte signature, installing a safeboot image is a factory reset
 * (CPU1's code erased), and the C2BOOT recovery works only where ESE allows it.
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, toBoardState, type SimBoard } from '../../src/drivers/simulator/index.js';
import { isSafebootSignature } from '../../src/domain/families.js';
import { install, play, standInWrite, USB } from './helpers.js';

const SAFEBOOT_200 = '897fa776fa21a613'; // stm32wb5x_Safeboot_fw_2_0_0.bin, for FUS >= 1.1.0, 0x080F2000 on 1 MB
const C2BOOT = { op: 'writeMemory' as const, address: 0x5800040c, words: [0x8000] };

/** A board whose option bytes say `sfsa` / `sbrv`, read back after a reset. */
function booted(sfsa: number, sbrv: number, ese: 0 | 1 = 1): SimBoard {
  const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
  b.optionBytes = { ...b.optionBytes, sfsa, sbrv, ese };
  return apply(b, { op: 'reset', kind: 'hardware' }, USB).board;
}

describe('SAFEBOOT-SIGNATURES: more than one option-byte signature means safeboot', () => {
  // fidelity: SAFEBOOT-SIGNATURES
  it('SFSA 0 with SBRV 0x3FC00 (ST wiki), SFSA 0 with another SBRV (production batch), SBRV 0x3FFFF with SFSA set (community td-p/649559)', () => {
    for (const [sfsa, sbrv] of [
      [0x00, 0x3fc00],
      [0x00, 0x33d00],
      [0xf4, 0x3ffff],
    ] as const) {
      expect(isSafebootSignature('STM32WB5x', sfsa, sbrv), `${sfsa}/${sbrv}`).toBe(true);
      const b = booted(sfsa, sbrv);
      expect(b.cpu2, `${sfsa}/${sbrv}`).toBe('safeboot');
      expect(apply(b, { op: 'startFus' }, USB).outcome.ok).toBe(false);
      expect(toBoardState(b, 'usb').fus.version).toBe('unknown'); // "FUS version 0.0.0.0"
    }
  });

  it('a healthy stack (SFSA 0xCB, SBRV 0x32C00) is not safeboot', () => {
    expect(isSafebootSignature('STM32WB5x', 0xcb, 0x32c00)).toBe(false);
    expect(booted(0xcb, 0x32c00).cpu2).not.toBe('safeboot');
  });
});

describe('SAFEBOOT-FACTORY-RESET: installing a safeboot image erases CPU1\'s code', () => {
  // fidelity: SAFEBOOT-FACTORY-RESET
  it('safeboot 2.0.0 on FUS 1.2.0 with an application: safeboot installed, the application is gone', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: null, application: { sizeBytes: 64 * 1024 } });
    expect(b.application.present).toBe(true);
    const r = install(b, standInWrite(SAFEBOOT_200), USB);
    expect(r.upgrade, JSON.stringify(r.upgrade)).toMatchObject({ ok: true, installed: { kind: 'safeboot', version: '2.0.0' } });
    expect(r.board.stack?.kind).toBe('safeboot');
    expect(r.board.application.present).toBe(false);
    expect(r.board.staged).toEqual([]);
    expect(r.board.notes.join(' ')).toMatch(/factory reset/);
  });
});

describe('SAFEBOOT-C2BOOT-ESE: the C2BOOT recovery works only where ESE allows it', () => {
  it('in safeboot: ESE=1 recovers (FUS runs again), ESE=0 changes nothing; outside safeboot C2BOOT changes nothing (community m-p/716528)', () => {
    const withEse = play(booted(0x00, 0x3fc00, 1), [C2BOOT], USB).board;
    expect(withEse.cpu2).toBe('fus');
    const withoutEse = play(booted(0x00, 0x3fc00, 0), [C2BOOT], USB).board;
    expect(withoutEse.cpu2).toBe('safeboot');
    expect(withoutEse.optionBytes.sfsa).toBe(0);
    const healthy = booted(0xcb, 0x32c00, 1);
    const after = play(healthy, [C2BOOT], USB).board;
    expect([after.cpu2, after.stack?.version, after.optionBytes]).toEqual([healthy.cpu2, healthy.stack?.version, healthy.optionBytes]);
  });
});
