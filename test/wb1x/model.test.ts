/**
 * The WB1x as its own family in the chip model: no USB DFU, its own SWD FUS operator and version words, SRAM1 that
 * ends at 0x20003000, its own SFSA/SBRV values, its own FUS and stack images at their table addresses.
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, armFault, parseFault, toBoardState, type SimBoard, type SimContext } from '../../src/drivers/simulator/index.js';
import { FAMILIES, familyByDeviceId, hasUsbDfu, isSafebootSignature } from '../../src/domain/families.js';
import { play, standInWrite, install } from '../simulator/helpers.js';

const WB15 = 'STM32WB1xxC_320K' as const;
const SWD: SimContext = { transport: 'swd', connectMode: 'under-reset', toolVersion: '2.17.0' };
const UART: SimContext = { transport: 'uart' };
/** Catalog images (sha256 prefixes): stm32wb1x_FUS_fw.bin 2.2.0 (v1.24.0), stm32wb1x_BLE_Stack_full_fw.bin 1.24.0 ("FUSv2 only"). */
const WB1X_FUS_2_2_0 = 'e64bf8a8d3e653ac';
const WB1X_BLE_FULL_1_24_0 = '2d88f8c31f9b9c26';

function wb15(extra: Parameters<typeof makeBoard>[0] = {}): SimBoard {
  return makeBoard({ device: WB15, serial: 'WB15A', ...extra });
}

describe('WB1x family facts', () => {
  it('the device id names the family; only WB5x/WB3x offer USB DFU', () => {
    expect(familyByDeviceId(0x494)?.family).toBe('STM32WB1x');
    expect(familyByDeviceId(0x495)?.family).toBe('STM32WB5x');
    expect(hasUsbDfu('STM32WB1x')).toBe(false);
    expect(hasUsbDfu('STM32WB5x')).toBe(true);
    expect(FAMILIES.STM32WB1x.swdOperator.file).toBe('0x494_FUS_Operator.bin');
    expect(FAMILIES.STM32WB1x.swdOperator.fusVersionAddress).toBe(0x20002f10);
  });

  it('safeboot signature: 0x3FC00 is a WB5x constant; on a WB1x SFSA = 0 alone counts', () => {
    expect(isSafebootSignature('STM32WB5x', 0, 0x3fc00)).toBe(true);
    // SFSA = 0 is safeboot on a WB5x too, whatever SBRV (community m-p/788551; fidelity SAFEBOOT-SIGNATURES); the
    // WB5x constant shows in the second signature: SBRV in safeboot's page with SFSA set (community td-p/649559).
    expect(isSafebootSignature('STM32WB5x', 0, 0x11800)).toBe(true);
    expect(isSafebootSignature('STM32WB5x', 0xf4, 0x3ffff)).toBe(true);
    expect(isSafebootSignature('STM32WB1x', 0x8c, 0x3ffff)).toBe(false);
    expect(isSafebootSignature('STM32WB1x', 0, 0x3fc00)).toBe(true);
    expect(isSafebootSignature('STM32WB1x', 0x8c, 0x11800)).toBe(false);
  });
});

describe('a new WB15 (factory board)', () => {
  it('runs FUS 1.2.0 with SFSA 0x8C and SBRV 0x11800, and is reached over ST-LINK and UART, not USB', () => {
    const b = wb15();
    expect(b.fus.version).toBe('1.2.0');
    expect(b.device.deviceId).toBe(0x494);
    expect(b.optionBytes).toMatchObject({ sfsa: 0x8c, sbrv: 0x11800 });
    expect(b.device.attachments.map((a) => a.transport).sort()).toEqual(['swd', 'uart']);
    const read = toBoardState(b, 'uart');
    expect(read.optionBytes).toMatchObject({ sfsa: '0x8C', sbrv: '0x11800' });
  });
});

describe('WB1x has no USB DFU', () => {
  it('a connect over USB fails even when the board claims a USB attachment', () => {
    const b = wb15({ attachments: [{ transport: 'usb', serial: 'WB15A' }, { transport: 'uart', port: '/dev/ttyACM0', description: 'STLink Virtual COM Port', manufacturer: 'STMicroelectronics' }] });
    const r = apply(b, { op: 'connect' }, { transport: 'usb' });
    expect(r.outcome).toMatchObject({ ok: false, error: 'NOT_REACHABLE' });
    expect(r.outcome.message).toMatch(/no USB/);
    expect(r.board.counters.connections).toBe(0);
    // the same board answers on its UART bootloader
    expect(apply(b, { op: 'connect' }, UART).outcome.ok).toBe(true);
  });
});

describe('the WB1x SWD FUS operator', () => {
  it('is written over sectors 0-3 (2 KiB pages) and leaves the versions at 0x20002F10, not 0x20010010', () => {
    const b = wb15({ application: { sizeBytes: 0x10000 } });
    const r = apply(b, { op: 'loadFusOperator' }, SWD);
    expect(r.outcome.ok).toBe(true);
    expect(r.board.application.clobberedByFusOperator).toBe(true);
    expect(r.board.counters.pageErases.application).toBe(4);
    const reads = play(r.board, [
      { op: 'readMemory', address: 0x20002f10, words: 2 },
      { op: 'readMemory', address: 0x20010010, words: 2 },
    ], SWD).outcomes;
    expect(reads[0]).toMatchObject({ ok: true, words: [0x01020000, 0] });
    // there is no memory at 0x20010010 on a WB1x (SRAM1 is 12 KB): the WB5x address fails, it never reads as versions
    expect(reads[1]).toMatchObject({ ok: false, error: 'UNMAPPED' });
    // a WB5x board keeps its operator words at 0x20010010 and has SRAM1 there
    const wb55 = apply(makeBoard({ fusVersion: '1.2.0' }), { op: 'loadFusOperator' }, SWD).board;
    expect(play(wb55, [{ op: 'readMemory', address: 0x20010010, words: 1 }], SWD).outcomes[0]).toMatchObject({ ok: true, words: [0x01020000] });
  });

  it('a read across the end of SRAM1 fails too; SRAM2A (FUS info table) still reads', () => {
    const b = wb15();
    const [across, dit] = play(b, [
      { op: 'readMemory', address: 0x20002ff8, words: 4 },
      { op: 'readMemory', address: 0x20030024, words: 4 },
    ], UART).outcomes;
    expect(across).toMatchObject({ ok: false, error: 'UNMAPPED' });
    expect(dit).toMatchObject({ ok: true, words: [0xa94656b9, expect.any(Number), expect.any(Number), 0x01020000] });
  });
});

describe('WB1x option-byte corruption', () => {
  it('safeboot on a WB1x: SFSA 0 with the WB1x SBRV, not the WB5x 0x3FC00; FUS does not start', () => {
    const b = armFault(wb15(), parseFault('corrupt-option-bytes'));
    const r = play(b, [{ op: 'reset', kind: 'hardware' }, { op: 'startFus' }], UART);
    expect(r.board.optionBytes.sfsa).toBe(0);
    expect(r.board.optionBytes.sbrv).toBe(FAMILIES.STM32WB1x.safeboot.sbrv);
    expect(r.board.optionBytes.sbrv).not.toBe(0x3fc00);
    expect(r.board.cpu2).toBe('safeboot');
    expect(r.outcomes[1]!.ok).toBe(false);
  });
});

describe('WB1x images at their table addresses', () => {
  it('FUS 1.2.0 -> 2.2.0 (stm32wb1x_FUS_fw.bin at 0x08040000), then BLE_Stack_full 1.24.0 at 0x08022800', () => {
    const fus = install(wb15(), standInWrite(WB1X_FUS_2_2_0, 0x08040000), UART);
    expect(fus.upgrade.ok).toBe(true);
    expect(fus.board.fus.version).toBe('2.2.0');
    expect(fus.board.optionBytes).toMatchObject({ sfsa: 0x8c, sbrv: 0x11800 });
    const stack = install(fus.board, standInWrite(WB1X_BLE_FULL_1_24_0, 0x08022800), UART);
    expect(stack.upgrade.ok).toBe(true);
    expect(stack.board.stack).toMatchObject({ version: '1.24.0', address: 0x08022800, fusV2Only: true });
    // SFSA counts 2 KiB pages on a WB1x; SBRV is the same address in words
    expect(stack.board.optionBytes).toMatchObject({ sfsa: 0x45, sbrv: 0x8a00 });
  });

  it('a WB5x image is not a WB1x image: the WB55 FUS 2.2.0 is not authentic on a WB15', () => {
    const r = install(wb15(), standInWrite('bbab9b42d92c31f8', 0x08040000), UART);
    expect(r.upgrade.ok).toBe(false);
    expect(r.board.fus.version).toBe('1.2.0');
  });
});
