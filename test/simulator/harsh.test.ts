/**
 * The model as harsh as silicon: authentication, power-loss outcomes, FUS stickiness, the FUS 2.x NVM area, FUS
 * error codes. Each test names its fidelity ledger id (docs/fidelity.md).
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, armFault, parseFault, describeFault, FaultSyntaxError, viewImage, type SimBoard, type FlashWrite } from '../../src/drivers/simulator/index.js';
import { fusErrorByName } from '../../src/domain/fus.js';
import { IMG, standInWrite, standInBytes, install, play, USB, SIM } from './helpers.js';

const fus12 = (): SimBoard => makeBoard({ fusVersion: '1.2.0' });

describe('FUS-AUTH: only ST-signed bytes (or intact stand-ins) install, whatever the footer says', () => {
  it('a view claiming to be ST but whose bytes are not that image is not authentic', () => {
    const w = standInWrite(IMG.BLE_FULL_1_13_0);
    const forgedClaim: FlashWrite = { ...w, sha256: 'ab'.repeat(32), image: { ...w.image!, authenticity: 'st', catalogSha256: w.image!.catalogSha256! } };
    const r = install(fus12(), forgedClaim);
    expect(r.upgrade).toMatchObject({ ok: false, error: 'IMG_NOT_AUTHENTIC', status: { error: 'IMG_NOT_AUTHENTIC' } });
    expect(r.board.stack).toBeNull();
    expect(r.board.staged).toHaveLength(0); // FUS erases what it rejected (P41)
  });

  it('a footer without a signature: AUTH_TAG_ST_NOTFOUND (0x08)', () => {
    const w = standInWrite(IMG.BLE_FULL_1_13_0);
    const r = install(fus12(), { ...w, image: { ...w.image!, signature: 'none' } });
    expect(r.upgrade.error).toBe('AUTH_TAG_ST_NOTFOUND');
    expect(fusErrorByName('AUTH_TAG_ST_NOTFOUND')!.code).toBe(0x08);
  });

  it('one flipped byte in a stand-in is not authentic', () => {
    const bytes = standInBytes(IMG.BLE_FULL_1_13_0);
    bytes[5000] = (bytes[5000]! ^ 1) & 0xff;
    const v = viewImage(bytes);
    const r = install(fus12(), { address: 0x080c7000, size: v.size, sha256: v.sha256, name: 'x.bin', image: v.image });
    expect(r.upgrade.error).toBe('IMG_NOT_AUTHENTIC');
  });
});

describe('FUS-SAME-VERSION: the FUS already installed answers FW_ROLLBACK_ERROR (MicroPython rfcore_firmware.py)', () => {
  it('FUS 1.2.0 fed FUS 1.2.0: (0x10, 0x11), nothing installed', () => {
    const r = install(fus12(), standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000));
    expect(r.upgrade).toMatchObject({ ok: false, error: 'FW_ROLLBACK_ERROR', status: { state: 'WIRELESS_STACK_UPGRADE_ONGOING', error: 'FW_ROLLBACK_ERROR' } });
    expect(fusErrorByName('FW_ROLLBACK_ERROR')!.code).toBe(0x11);
  });
});

describe('power loss outcomes (ST, community td-p/272587 and m-p/106679)', () => {
  const lossDuring = (outcome: string, write = standInWrite(IMG.BLE_FULL_1_13_0), board = fus12()) => {
    const b = armFault(board, parseFault(`power-loss@install:outcome=${outcome}`));
    const r = install(b, write, USB);
    expect(r.upgrade).toMatchObject({ ok: false, error: 'POWER_LOSS' });
    return apply(r.board, { op: 'connect' }, USB).board;
  };

  it('PL-INSTALL resume: FUS completes the install at the next boot', () => {
    const after = lossDuring('resume');
    expect(after.stack).toMatchObject({ version: '1.13.0' });
    expect(after.notes.join(' ')).toMatch(/resumed/);
  });

  it('PL-IMAGE-CORRUPT: the image is found corrupt, erased, IMG_CORRUPT reported, CPU2 in FUS', () => {
    const after = lossDuring('image-corrupt');
    expect(after.stack).toBeNull();
    expect(after.staged).toHaveLength(0);
    expect(after.cpu2).toBe('fus');
    const s = apply(after, { op: 'getState' }, USB).outcome.status;
    expect(s).toEqual({ state: 'FUS_ERROR', error: 'IMG_CORRUPT' });
  });

  it('PL-OB-CORRUPT: the option bytes are corrupt, CPU2 in safeboot, FUS cannot be started', () => {
    const after = lossDuring('ob-corrupt');
    expect(after.optionBytes).toMatchObject({ sfsa: 0, sbrv: 0x3fc00 });
    expect(after.cpu2).toBe('safeboot');
    expect(apply(after, { op: 'startFus' }, USB).outcome.ok).toBe(false);
  });

  it('FUS-DAMAGED: power lost during a FUS update: the stack still runs, SBRV stays, no install ever succeeds', () => {
    const board = makeBoard({ fusVersion: '1.1.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    const sbrv = board.optionBytes.sbrv;
    const started = play(board, [{ op: 'connect' }, { op: 'startFus' }], USB).board;
    // FUS 1.1.0 -> 1.2.0 with a stack low enough (the 1.2.0 area is the same as 1.1.0's on a 1M part).
    const after = lossDuring('fus-damaged', standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000 - 0x40000), started);
    expect(after.fusDamaged).toMatch(/power lost/);
    expect(after.cpu2).toBe('stack');
    expect(after.optionBytes.sbrv).toBe(sbrv);
    expect(after.fus.version).toBe('1.1.0');
    const again = play(after, [{ op: 'startFus' }, { op: 'stageImage', write: standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x08080000) }, { op: 'fwUpgrade' }], USB);
    expect(again.outcomes[2]).toMatchObject({ ok: false, error: 'ERR_UNKNOWN', status: { error: 'ERR_UNKNOWN' } });
    expect(play(again.board, [{ op: 'startStack' }], USB).board.cpu2).toBe('stack');
  });

  it('PL-DELETE: FUS resumes the delete, or the option bytes are corrupt', () => {
    const withStack = () => play(makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), [{ op: 'startFus' }], SIM).board;
    const resumed = apply(apply(armFault(withStack(), parseFault('power-loss@delete:outcome=resume')), { op: 'fwDelete' }, SIM).board, { op: 'connect' }, SIM).board;
    expect(resumed.stack).toBeNull();
    const corrupt = apply(apply(armFault(withStack(), parseFault('power-loss@delete:outcome=ob-corrupt')), { op: 'fwDelete' }, SIM).board, { op: 'connect' }, SIM).board;
    expect(corrupt.cpu2).toBe('safeboot');
  });

  it('PL-OB-LOAD: power lost while the option bytes reload', () => {
    const b = armFault(fus12(), parseFault('power-loss@ob-load:outcome=ob-corrupt'));
    const r = apply(b, { op: 'writeOptionBytes', values: { nBOOT0: 0 } }, SIM);
    expect(r.outcome.error).toBe('POWER_LOSS');
    expect(apply(r.board, { op: 'connect' }, SIM).board.cpu2).toBe('safeboot');
    const ok = apply(apply(armFault(fus12(), parseFault('power-loss@ob-load')), { op: 'writeOptionBytes', values: { nBOOT0: 0 } }, SIM).board, { op: 'connect' }, SIM).board;
    expect(ok.optionBytes.nBOOT0).toBe(0);
    expect(ok.cpu2).toBe('fus');
  });

  it('a seed picks an outcome deterministically; impossible outcomes are refused by the parser', () => {
    expect(describeFault(parseFault('power-loss@install:seed=6'))).toBe('power-loss@install:seed=6');
    expect(describeFault(parseFault('unplug@install:outcome=fus-damaged'))).toBe('unplug@install:outcome=fus-damaged');
    expect(() => parseFault('power-loss@delete:outcome=fus-damaged')).toThrow(FaultSyntaxError);
    expect(() => parseFault('power-loss@reset:outcome=resume')).toThrow(/no outcome/);
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 6; seed++) {
      const b = armFault(fus12(), parseFault(`power-loss@install:seed=${seed}`));
      const after = apply(install(b, standInWrite(IMG.BLE_FULL_1_13_0), SIM).board, { op: 'connect' }, SIM).board;
      outcomes.add(after.cpu2 === 'safeboot' ? 'ob-corrupt' : after.stack ? 'resume' : 'image-corrupt');
    }
    expect(outcomes).toEqual(new Set(['resume', 'image-corrupt', 'ob-corrupt']));
  });
});

describe('CPU2-STAYS-FUS: CPU2 stays in FUS across resets and power cycles until START_WS (FAQ ta-p/722270, td-p/806816)', () => {
  it('two GET_STATE switch to FUS; a reset and a power cycle keep FUS; START_WS leaves it', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    const inFus = play(b, [{ op: 'connect' }, { op: 'startFus' }], USB).board;
    expect(inFus.cpu2).toBe('fus');
    const reset = apply(inFus, { op: 'reset', kind: 'hardware' }, USB).board;
    expect(reset.cpu2).toBe('fus');
    const cycled = apply(reset, { op: 'powerCycle' }, USB).board;
    expect(cycled.cpu2).toBe('fus');
    const started = apply(cycled, { op: 'startStack' }, USB).board;
    expect(started.cpu2).toBe('stack');
    expect(apply(started, { op: 'powerCycle' }, USB).board.cpu2).toBe('stack');
  });

  it('after a stack install the stack starts by default; after a FUS update CPU2 stays in FUS', () => {
    const r = install(fus12(), standInWrite(IMG.BLE_FULL_1_13_0), USB);
    expect(apply(r.board, { op: 'powerCycle' }, USB).board.cpu2).toBe('stack');
  });
});

describe('FUS2-NVM: the FUS 2.x 16 KiB NVM area (STM32CubeWB v1.23.0 release notes)', () => {
  it('after a FUS_v2-only stack, FW_DELETE keeps the NVM area and a legacy stack goes 0x4000 lower', () => {
    let b = makeBoard({ fusVersion: '2.2.0' });
    const v2 = install(b, standInWrite(IMG.BLE_FULL_1_24_0_V2), SIM);
    expect(v2.upgrade.ok).toBe(true);
    expect(v2.board.fusV2OnlyInstalled).toBe(true);
    b = play(v2.board, [{ op: 'startFus' }, { op: 'fwDelete' }], SIM).board;
    expect(b.stack).toBeNull();
    expect(b.optionBytes.sfsa).toBe(0xf4 - 4); // 0x080F4000 - 0x4000
    // The legacy table address (TOP - size) now reaches the secure area: "failed to erase memory" (td-p/866204).
    const legacy = standInWrite(IMG.BLE_HCI_1_24_0);
    const atTable = install(b, legacy, SIM);
    expect(atTable.staged).toMatchObject({ ok: false, error: 'WRITE_PROTECTED' });
    const corrected = install(b, { ...legacy, address: legacy.address - 0x4000 }, SIM);
    expect(corrected.upgrade.ok).toBe(true);
    expect(corrected.board.stack!.address).toBe(legacy.address - 0x4000);
  });

  it('a board that never had a FUS_v2-only image keeps the legacy addresses', () => {
    const r = install(makeBoard({ fusVersion: '2.2.0' }), standInWrite(IMG.BLE_HCI_1_24_0), SIM);
    expect(r.upgrade.ok).toBe(true);
    expect(r.board.fusV2OnlyInstalled).toBe(false);
  });
});

describe('ERASE-FAIL: a flash erase that fails on some pages (field report td-p/311243)', () => {
  it('fails the write, the pages before the failing one are erased, nothing is written', () => {
    const b = armFault(makeBoard({ application: { sizeBytes: 64 * 1024 } }), parseFault('erase-fail'));
    const r = apply(b, { op: 'flashApplication', write: { address: 0x08000000, size: 32 * 1024, sha256: 'cd'.repeat(32), name: 'app.bin', image: null } }, SIM);
    expect(r.outcome).toMatchObject({ ok: false, error: 'ERASE_FAILED' });
    expect(r.board.application.overwritten).toBe(true); // its first page is gone
    expect(r.board.application.sha256).not.toBe('cd'.repeat(32));
  });
});
