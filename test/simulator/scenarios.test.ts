/**
 * Field-report stories replayed on the pure model (notes/field-reports.md, STM32WB.md §4-§7).
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, armFault, parseFault, toBoardState, fusInfoTable, type SimBoard } from '../../src/drivers/simulator/index.js';
import { IMG, standInWrite, standInBytes, install, play, record, USB, SIM } from './helpers.js';
import { viewImage } from '../../src/drivers/simulator/index.js';

const rescueBoard = (): SimBoard => makeBoard(); // STM32WB5xxG_1M, FUS 0.5.3, no stack, RDP 0xAA

describe('the rescue case: FUS 0.5.3, no stack (field reports P8, P43; release notes STEP 5-8)', () => {
  it('refuses a 2.x fw.bin on FUS 0.5.3, then takes the documented order to FUS 2.2.0 and a stack', () => {
    let b = rescueBoard();
    expect(b.optionBytes.sfsa).toBe(0xf6);

    const wrong = install(b, standInWrite(IMG.FUS_2_2_0, 0x080ee000));
    expect(wrong.staged.ok).toBe(true);
    expect(wrong.upgrade.ok).toBe(false);
    expect(wrong.upgrade.error).toBe('IMG_NOT_AUTHENTIC');
    expect(wrong.board.fus.version).toBe('0.5.3');
    expect(wrong.board.optionBytes.sfsa).toBe(0xf6);
    b = wrong.board;

    const step5 = install(b, standInWrite(IMG.FUS_1_2_0_FOR_053, 0x080ec000));
    expect(step5.upgrade).toMatchObject({ ok: true, installed: { kind: 'fus', version: '1.2.0' } });
    expect(step5.board.fus.version).toBe('1.2.0');
    expect(step5.board.optionBytes.sfsa).toBe(0xf4); // P38: SFSA 0xF6 -> 0xF4
    // psdb: a FUS update reboots at least 4 times
    expect(step5.events.filter((e) => e.type === 'reset').length).toBeGreaterThanOrEqual(4);
    b = step5.board;

    const step7 = install(b, standInWrite(IMG.FUS_2_2_0, 0x080ee000));
    expect(step7.upgrade.ok).toBe(true);
    expect(step7.board.fus.version).toBe('2.2.0');
    b = step7.board;

    const step8 = install(b, standInWrite(IMG.BLE_FULL_1_24_0_V2)); // table address 0x080D0000
    expect(step8.upgrade).toMatchObject({ ok: true, installed: { kind: 'stack', version: '1.24.0' } });
    expect(step8.board.stack).toMatchObject({ type: 'BLE_Stack_full', address: 0x080d0000, fusV2Only: true });
    expect(step8.board.optionBytes.sfsa).toBe(0xd0);
    expect(step8.board.optionBytes.sbrv).toBe((0x080d0000 - 0x08000000) / 4); // SBRV = SFSA*page/4
    expect(step8.board.cpu2).toBe('stack'); // starts by default
    const read = toBoardState(step8.board, 'simulated');
    expect(read.stack).toMatchObject({ status: 'installed', version: '1.24.0', type: 'BLE_Stack_full', running: true });
  });

  it('the _1_2_0 image is refused on 0.5.3 and the _for_fus_0_5_3 one on 1.x (told apart by sha256 only)', () => {
    expect(install(rescueBoard(), standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000)).upgrade.error).toBe('IMG_NOT_AUTHENTIC');
    const on11 = makeBoard({ fusVersion: '1.1.0' });
    expect(install(on11, standInWrite(IMG.FUS_1_2_0_FOR_053, 0x080ec000)).upgrade.error).toBe('IMG_NOT_AUTHENTIC');
    expect(install(on11, standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000)).board.fus.version).toBe('1.2.0');
  });

  it('FUS never goes down: 2.2.0 refuses 2.0.0', () => {
    const r = install(makeBoard({ fusVersion: '2.2.0' }), standInWrite(IMG.FUS_2_0_0, 0x080ee000));
    expect(r.upgrade.error).toBe('IMG_NOT_AUTHENTIC');
    expect(r.board.fus.version).toBe('2.2.0');
  });

  it('a FUSv2-only stack is not found by FUS 1.2.0 (P8/P9/P40)', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.BLE_FULL_1_24_0_V2));
    expect(r.upgrade.error).toBe('IMG_NOT_FOUND');
    expect(r.board.stack).toBeNull();
  });

  it('P43: a FUSv2-only stack downloaded at TOP - size (0x080D4000, no 0x4000) gets IMG_NOT_ENOUGH_SPACE', () => {
    const r = install(makeBoard({ fusVersion: '2.0.0' }), standInWrite(IMG.BLE_FULL_1_24_0_V2, 0x080d4000));
    expect(r.staged.ok).toBe(true);
    expect(r.upgrade.error).toBe('IMG_NOT_ENOUGH_SPACE');
  });
});

describe('stale or hand-computed addresses (P10, P31, cli-transcripts/05)', () => {
  it('a FUS image at its old address over an installed stack cannot be written: the erase of secure pages fails, FUS then finds nothing', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' });
    expect(b.optionBytes.sfsa).toBeLessThan(0xec);
    const r = install(b, standInWrite(IMG.FUS_2_2_0, 0x080ec000));
    expect(r.staged).toMatchObject({ ok: false, error: 'WRITE_PROTECTED' });
    expect(r.upgrade.error).toBe('IMG_NOT_FOUND');
    expect(r.board.stack?.version).toBe('1.13.0');
    expect(r.board.optionBytes.sfsa).toBe(b.optionBytes.sfsa);
  });

  it('a stack address past the flash end of a 512K part is refused before anything is erased', () => {
    const b = makeBoard({ device: 'STM32WB5xxE_512K', fusVersion: '1.2.0' });
    const r = install(b, standInWrite(IMG.BLE_FULL_1_13_0, 0x080c7000));
    expect(r.staged.error).toBe('OUT_OF_FLASH');
  });

  it('a stack downloaded lower than the table address is found and moved up to end at FUS (the address argument is ignored)', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.BLE_FULL_1_13_0, 0x08080000));
    expect(r.upgrade.ok).toBe(true);
    expect(r.board.stack?.address).toBe(0x080c7000);
  });

  it('a bigger stack over an installed one needs one more free sector below it (P44)', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_HCILayer', version: '1.24.0' }, cpu2: 'fus' });
    const sfsa = b.optionBytes.sfsa * 0x1000 + 0x08000000;
    const full = record(IMG.BLE_FULL_1_13_0);
    const pages = Math.ceil(full.size / 0x1000);
    const tight = install(b, standInWrite(IMG.BLE_FULL_1_13_0, sfsa - pages * 0x1000));
    expect(tight.upgrade.error).toBe('IMG_NOT_ENOUGH_SPACE');
    const ok = install(b, standInWrite(IMG.BLE_FULL_1_13_0, sfsa - (pages + 1) * 0x1000));
    expect(ok.upgrade.ok).toBe(true);
    expect(ok.board.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.13.0', address: 0x080c7000 });
  });

  it('a stack that would reach into the application is refused with IMG_NOT_ENOUGH_SPACE', () => {
    // an application linked high in flash (0x080C0000..0x080D0000), the stack downloaded low
    const b = makeBoard({ fusVersion: '1.2.0', application: { sizeBytes: 0x10000 } });
    b.application.start = 0x080c0000;
    const r = install(b, standInWrite(IMG.BLE_FULL_1_13_0, 0x08010000));
    expect(r.staged.ok).toBe(true);
    expect(r.upgrade.error).toBe('IMG_NOT_ENOUGH_SPACE');
    expect(r.board.application).toMatchObject({ present: true, overwritten: false });
    // written over the application instead, it destroys it (and then there is room)
    const over = install(b, standInWrite(IMG.BLE_FULL_1_13_0, 0x080a0000));
    expect(over.board.application.overwritten).toBe(true);
    expect(over.upgrade.ok).toBe(true);
  });
});

describe('anti-rollback (AN5185 §2.4, P7)', () => {
  it('activated before any stack, it blocks every stack install for good', () => {
    let b = makeBoard({ fusVersion: '1.2.0' });
    const act = apply(b, { op: 'activateAntiRollback' }, SIM);
    expect(act.outcome.ok).toBe(true);
    b = act.board;
    const first = install(b, standInWrite(IMG.BLE_FULL_1_13_0));
    expect(first.upgrade.error).toBe('IMG_NOT_FOUND');
    // delete, a FUS update, another stack: nothing helps
    let later = play(first.board, [{ op: 'fwDelete' }], SIM).board;
    later = install(later, standInWrite(IMG.FUS_2_2_0, 0x080ee000)).board;
    expect(later.fus.version).toBe('2.2.0');
    const again = install(later, standInWrite(IMG.BLE_FULL_1_24_0_V2));
    expect(again.upgrade.error).toBe('IMG_NOT_FOUND');
    expect(again.board.stack).toBeNull();
  });

  it('activated with a stack, it blocks older stacks (FW_ROLLBACK_ERROR) but not newer ones', () => {
    const b = apply(makeBoard({ fusVersion: '2.2.0', stack: { type: 'BLE_HCILayer', version: '1.24.0' }, cpu2: 'fus' }), { op: 'activateAntiRollback' }, SIM).board;
    const older = install(play(b, [{ op: 'fwDelete' }]).board, standInWrite(IMG.BLE_FULL_1_13_0));
    expect(older.upgrade.error).toBe('FW_ROLLBACK_ERROR');
  });
});

describe('FUS_GET_STATE (FAQ ta-p/722270)', () => {
  it('two in a row while the stack runs reset the chip into FUS', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    expect(b.cpu2).toBe('stack');
    const first = apply(b, { op: 'getState' }, USB);
    expect(first.outcome.status).toEqual({ state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' });
    expect(first.board.cpu2).toBe('stack');
    const second = apply(first.board, { op: 'getState' }, USB);
    expect(second.board.cpu2).toBe('fus');
    expect(second.board.counters.resets).toBe(b.counters.resets + 1);
    expect(second.events.some((e) => e.type === 'reconnect' && e.transport === 'usb' && e.ms >= 4000)).toBe(true); // USB re-enumerates ~4 s
    // and a stack install left in FUS is only running after FUS_START_WS
    const started = apply(second.board, { op: 'startStack' }, USB);
    expect(started.board.cpu2).toBe('stack');
  });

  it('another command in between breaks the pair', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    const r = play(b, [{ op: 'getState' }, { op: 'readMemory', address: 0x20030030, words: 1 }, { op: 'reset', kind: 'software' }, { op: 'getState' }], USB);
    expect(r.board.cpu2).toBe('stack');
  });

  it('the FUS info table reads as in cli-transcripts/26 A when FUS runs, and garbage while the stack runs (P11/P23)', () => {
    const b = makeBoard({ fusVersion: '1.1.1' });
    const words = apply(b, { op: 'readMemory', address: 0x20030024, words: 13 }, USB).outcome.words!;
    expect(words.map((w) => w.toString(16).toUpperCase().padStart(8, '0'))).toEqual([
      'A94656B9', '00000001', '01010000', '01010100', '00000006', '00000000', '00000000', '00000000', '00000000', '00000000', '00658473', '0080E126', '00000496',
    ]);
    expect(fusInfoTable(b)[3]).toBe(0x01010100);
    const withStack = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    expect(apply(withStack, { op: 'readMemory', address: 0x20030030, words: 1 }, USB).outcome.words![0]).not.toBe(0x01020000);
  });
});

describe('SWD: the FUS operator (STM32WB.md §7, P27, P36, P47)', () => {
  it('a FUS command over SWD clobbers the application and sets nSWboot0=0', () => {
    const b = makeBoard({ fusVersion: '1.2.0', application: { sizeBytes: 0x10000 } });
    const r = apply(b, { op: 'fwDelete' }, { transport: 'swd', connectMode: 'under-reset', toolVersion: '2.17.0' });
    expect(r.outcome).toMatchObject({ ok: true, warning: 'IMG_NOT_FOUND' });
    expect(r.board.application.clobberedByFusOperator).toBe(true);
    expect(r.board.optionBytes).toMatchObject({ nSWboot0: 0, nBOOT0: 1, nBOOT1: 1 });
    expect(r.events.find((e) => e.type === 'fus-operator')).toMatchObject({ obChanged: ['nSWboot0'], clobberedApplication: true });
    // the operator leaves the FUS version at 0x20010010 (0x20030030 over SWD under reset reads 0)
    const c = apply(r.board, { op: 'connect' }, { transport: 'swd', connectMode: 'under-reset' });
    const words = play(c.board, [{ op: 'readMemory', address: 0x20010010, words: 1 }, { op: 'readMemory', address: 0x20030030, words: 1 }], { transport: 'swd', connectMode: 'under-reset' }).outcomes;
    expect(words[0]!.words).toEqual([0x01020000]);
    expect(words[1]!.words).toEqual([0]);
    // and the re-flashed application is intact again until the next FUS command
    const app = apply(r.board, { op: 'flashApplication', write: { address: 0x08000000, size: 0x10000, sha256: 'a'.repeat(64), name: 'app.bin', image: null } }, { transport: 'swd' });
    expect(toBoardState(app.board, 'swd').application).toEqual({ present: true, sha256: 'a'.repeat(64) });
  });

  it('FUS 2.x delete over SWD with CubeProgrammer < 2.20 is refused (release notes v1.22.1 Warning 1); 2.20 and USB work', () => {
    const b = makeBoard({ fusVersion: '2.0.0', stack: { type: 'BLE_HCILayer', version: '1.24.0' }, cpu2: 'fus' });
    const old = apply(b, { op: 'fwDelete' }, { transport: 'swd', toolVersion: '2.17.0' });
    expect(old.outcome).toMatchObject({ ok: false, error: 'UNSUPPORTED' });
    expect(old.board.stack).not.toBeNull();
    expect(apply(b, { op: 'fwDelete' }, { transport: 'swd', toolVersion: '2.20.0' }).board.stack).toBeNull();
    const usb = play(b, [{ op: 'startFus' }, { op: 'fwDelete' }], { transport: 'usb', toolVersion: '2.17.0' });
    expect(usb.board.stack).toBeNull();
  });
});

describe('hazards ST documents', () => {
  it('WB5xxC on FUS 0.5.3: anything but a FUS update locks CPU2 up for good (v1.1.1 note, cli-transcripts/01)', () => {
    const b = makeBoard({ device: 'STM32WB5xxC_256K' });
    const r = apply(b, { op: 'fwDelete' }, USB);
    expect(r.outcome.error).toBe('LOCKED_UP');
    expect(r.board.lockedUp).toMatch(/FW_DELETE/);
    expect(apply(r.board, { op: 'getState' }, USB).outcome.status).toEqual({ state: 'FUS_ERROR', error: 'ERR_UNKNOWN' });
    expect(install(r.board, standInWrite(IMG.FUS_1_2_0_FOR_053, 0x0803a000)).upgrade.error).toBe('LOCKED_UP');
    // the FUS update first is fine
    expect(install(b, standInWrite(IMG.FUS_1_2_0_FOR_053, 0x0803a000)).board.fus.version).toBe('1.2.0');
  });

  it('RDP 0xBB: downloads and FUS operations fail; going back to 0xAA erases the application', () => {
    const b = makeBoard({ fusVersion: '1.2.0', rdp: 0xbb, application: { sizeBytes: 0x8000 } });
    expect(install(b, standInWrite(IMG.BLE_FULL_1_13_0)).staged.error).toBe('RDP_PROTECTED');
    expect(apply(b, { op: 'fwDelete' }, SIM).outcome.ok).toBe(false);
    const back = apply(b, { op: 'writeOptionBytes', values: { rdp: 0xaa } }, SIM);
    expect(back.board.optionBytes.rdp).toBe(0xaa);
    expect(back.board.application.present).toBe(false);
  });

  it('SFSA/SBRV cannot be written by the host (cli-transcripts/24 A)', () => {
    const b = makeBoard({ fusVersion: '1.2.0' });
    const r = apply(b, { op: 'writeOptionBytes', values: { sfsa: 0xcb } }, { transport: 'swd' });
    expect(r.outcome).toMatchObject({ ok: false, error: 'OB_REFUSED', mismatches: [{ name: 'sfsa', expected: 0xcb, found: 0xf4 }] });
    expect(r.board.optionBytes.sfsa).toBe(0xf4);
  });

  it('safeboot (corrupted option bytes) makes FUS unreachable like P29/P30/P35; C2BOOT with ESE recovers', () => {
    let b = armFault(makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), parseFault('corrupt-option-bytes'));
    b = apply(b, { op: 'reset', kind: 'hardware' }, USB).board;
    expect(b.cpu2).toBe('safeboot');
    expect(b.optionBytes).toMatchObject({ sfsa: 0, sbrv: 0x3fc00 });
    const r = play(b, [{ op: 'getState' }, { op: 'getState' }, { op: 'fwDelete' }, { op: 'readMemory', address: 0x20030030, words: 1 }], USB);
    expect(r.outcomes[1]!.status).toEqual({ state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' });
    expect(r.board.cpu2).toBe('safeboot');
    expect(r.outcomes[2]!.error).toBe('STATE_NOT_RUNNING');
    expect(r.outcomes[3]!.words).toEqual([0]); // FUS v0.0.0
    expect(install(b, standInWrite(IMG.BLE_FULL_1_13_0)).staged.error).toBe('WRITE_PROTECTED');
    const fixed = apply(b, { op: 'writeMemory', address: 0x5800040c, words: [0x00008000] }, { transport: 'swd' });
    expect(fixed.board.cpu2).toBe('fus');
    expect(fixed.board.optionBytes.sfsa).toBe(0xf4);
  });

  it('a tampered stand-in or an unknown file is not authentic; a customer-signed one needs the customer key', () => {
    const bytes = standInBytes(IMG.BLE_FULL_1_13_0);
    bytes[100] = (bytes[100]! ^ 0xff) & 0xff;
    const viewed = viewImage(bytes, 'stm32wb5x_BLE_Stack_full_fw.bin');
    const r = install(makeBoard({ fusVersion: '1.2.0' }), { address: 0x080c7000, size: viewed.size, sha256: viewed.sha256, name: 'x.bin', image: viewed.image });
    expect(r.upgrade.error).toBe('IMG_NOT_AUTHENTIC');
    // An intact (authentic) image double-signed by a customer: FUS checks ST's signature first, then the customer's.
    const intact = standInWrite(IMG.BLE_FULL_1_13_0, 0x080c7000);
    const customer = { ...intact.image!, signature: 'customer' as const };
    const c = install(makeBoard({ fusVersion: '1.2.0' }), { ...intact, image: customer });
    expect(c.upgrade.error).toBe('AUTH_TAG_CUST_NOTFOUND');
  });

  it('a FUS update erases the user keys stored in FUS (Flipper: "it will erase crypto enclave")', () => {
    let b = makeBoard({ fusVersion: '1.1.0' });
    b = play(b, [{ op: 'storeUserKey' }, { op: 'storeUserKey' }]).board;
    expect(b.userKeys).toBe(2);
    expect(install(b, standInWrite(IMG.FUS_1_2_0_FROM_1X, 0x080ec000)).board.userKeys).toBe(0);
  });
});

describe('power loss (faults)', () => {
  it('mid-install: the command reports the loss; at the next boot FUS resumes (the model says so; a read over USB does not)', () => {
    const b = armFault(makeBoard({ fusVersion: '1.2.0' }), parseFault('power-loss@install'));
    const r = install(b, standInWrite(IMG.BLE_FULL_1_13_0), USB);
    expect(r.upgrade).toMatchObject({ ok: false, error: 'POWER_LOSS' });
    expect(r.board.powered).toBe(false);
    expect(r.board.stack).toBeNull();
    expect(r.board.pending?.operation).toBe('install');
    expect(apply(r.board, { op: 'getState' }, USB).outcome.error).toBe('NOT_POWERED');
    const up = apply(r.board, { op: 'connect' }, USB);
    expect(up.board.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.13.0' });
    expect(up.board.pending).toBeNull();
    expect(up.events.some((e) => e.type === 'resumed')).toBe(true);
    expect(toBoardState(up.board, 'simulated').notes.join('\n')).toMatch(/resumed/);
    // A real read sees the stack that is there, not why (issue 14: no more than the tool prints).
    expect(toBoardState(up.board, 'usb').notes.join('\n')).not.toMatch(/resumed|power/);
  });

  it('mid-download: a partial image stays in flash and FUS finds nothing', () => {
    const b = armFault(makeBoard({ fusVersion: '1.2.0' }), parseFault('power-loss@download:40'));
    const r = install(b, standInWrite(IMG.BLE_FULL_1_13_0), USB);
    expect(r.staged.error).toBe('POWER_LOSS');
    expect(r.board.staged).toHaveLength(1);
    expect(r.board.staged[0]).toMatchObject({ complete: false, image: null });
    expect(r.board.staged[0]!.size).toBe(Math.floor(record(IMG.BLE_FULL_1_13_0).size * 0.4));
    const after = play(r.board, [{ op: 'connect' }, { op: 'fwUpgrade' }], USB);
    expect(after.outcomes[1]!.error).toBe('IMG_NOT_FOUND');
  });

  it('mid-delete: FUS finishes the delete at the next boot', () => {
    const b = armFault(makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' }), parseFault('unplug@delete'));
    const r = apply(b, { op: 'fwDelete' }, USB);
    expect(r.outcome.error).toBe('POWER_LOSS');
    expect(r.board.stack).not.toBeNull();
    const up = apply(r.board, { op: 'connect' }, USB);
    expect(up.board.stack).toBeNull();
    expect(up.board.optionBytes.sfsa).toBe(0xf4);
  });

  it('USB that comes back late, or not at all', () => {
    const late = armFault(makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' }), parseFault('usb-late:20'));
    const r = apply(late, { op: 'fwDelete' }, USB);
    expect(apply(r.board, { op: 'connect' }, USB).outcome.error).toBe('NOT_REACHABLE');
    expect(apply(r.board, { op: 'awaitUsb', timeoutMs: 10_000 }, USB).outcome.error).toBe('TIMEOUT');
    const waited = apply(r.board, { op: 'awaitUsb', timeoutMs: 30_000 }, USB);
    expect(waited.outcome.ok).toBe(true);
    expect(apply(waited.board, { op: 'connect' }, USB).outcome.ok).toBe(true);

    const gone = apply(armFault(late, parseFault('usb-gone')), { op: 'reset', kind: 'software' }, USB).board;
    expect(apply(gone, { op: 'connect' }, USB).outcome.error).toBe('NOT_REACHABLE');
    expect(apply(gone, { op: 'connect' }, { transport: 'swd' }).outcome.ok).toBe(true);
    expect(apply(apply(gone, { op: 'powerCycle' }, USB).board, { op: 'connect' }, USB).outcome.ok).toBe(true);
  });

  it('the 0.5.3 "not authentic" quirk (P38): the tool hears IMG_NOT_AUTHENTIC although the FUS was updated', () => {
    const b = armFault(rescueBoard(), parseFault('fus-053-not-authentic-quirk'));
    const r = install(b, standInWrite(IMG.FUS_1_0_2, 0x080ec000, 'stm32wb5x_FUS_fw.bin'), USB);
    expect(r.upgrade.ok).toBe(true);
    expect(r.upgrade.status).toEqual({ state: 'FUS_UPGRADE_ONGOING', error: 'IMG_NOT_AUTHENTIC' });
    expect(r.board.fus.version).toBe('1.0.2');
  });
});

describe('snapshots', () => {
  it('toBoardState says unknown where the transport cannot see (stack running over USB)', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } });
    const usb = toBoardState(b, 'usb');
    expect(usb.fus.version).toBe('unknown');
    expect(usb.stack).toMatchObject({ status: 'installed', version: 'unknown', type: 'unknown', running: true });
    expect(usb.antiRollback).toBe('unknown');
    const swd = toBoardState(b, 'swd');
    expect(swd.fus.version).toBe('1.2.0');
    expect(swd.stack.version).toBe('1.13.0');
    const sim = toBoardState(b, 'simulated');
    expect(sim.antiRollback).toBe('inactive');
    expect(sim.stack.type).toBe('BLE_Stack_full');
  });
});
