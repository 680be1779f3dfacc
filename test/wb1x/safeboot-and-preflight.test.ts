/**
 * WB1x constants in copro's judgement (not only in the model): safeboot recognised by the WB1x signature in the
 * planner, `doctor` and the bootloader driver's read; the USB DFU refusal is pure (checkTargetOffline).
 */
import { describe, it, expect } from 'vitest';
import { plan } from '../../src/planner/index.js';
import { checkTargetOffline } from '../../src/planner/preflight.js';
import { diagnoseBoard } from '../../src/cli/commands/doctor.js';
import { boardStateOf } from '../../src/drivers/bootloader/board-read.js';
import { decodeOptionBytes } from '../../src/drivers/bootloader/option-bytes.js';
import { board, release, target } from '../planner/fixtures.js';
import { boardState } from '../runner/fixtures.js';

const v124 = release('v1.24.0');
const WB15 = 'STM32WB1xxC_320K' as const;

describe('safeboot on a WB1x is not the WB5x signature', () => {
  it('the planner refuses SAFEBOOT for a WB15 with SFSA 0 whatever its SBRV; a WB15 at SFSA 0x8C / SBRV 0x11800 is healthy', () => {
    const broken = plan({ state: board({ device: WB15, fus: '1.2.0', optionBytes: { sfsa: '0x00', sbrv: '0x13E00' } }), target: target({ device: WB15 }), images: v124 });
    expect(broken.refusals.map((r) => r.code)).toContain('SAFEBOOT');
    const healthy = plan({ state: board({ device: WB15, fus: '1.2.0', optionBytes: { sfsa: '0x8C', sbrv: '0x11800' } }), target: target({ device: WB15 }), images: v124 });
    expect(healthy.refusals.map((r) => r.code)).not.toContain('SAFEBOOT');
  });

  it('doctor names safeboot on a WB15 read back with SFSA 0x00 and a non-WB5x SBRV', () => {
    const wb15 = (sfsa: string, sbrv: string) =>
      boardState({ device: { deviceId: '0x494', flashSizeKB: 320, key: WB15, uid64: '0x0080E12600658473', probeSerial: null }, optionBytes: { rdp: '0xAA', sfsa, sbrv, nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ese: 1 } });
    expect(diagnoseBoard(wb15('0x00', '0x13E00')).find((f) => f.check === 'safeboot')?.status).toBe('fail');
    expect(diagnoseBoard(wb15('0x8C', '0x11800')).find((f) => f.check === 'safeboot')?.status).toBe('ok');
  });

  it('the bootloader driver reads a WB15 with SFSA 0x00 as safeboot, and says which SBRV it saw', () => {
    const read = (sfsa: number, sbrv: number) =>
      boardStateOf(
        {
          transport: 'uart', toolVersion: 'copro', serial: null, deviceId: 0x494, flashSizeKB: 320, uid64: 0x0080e12600658473n,
          optionBytes: { ...decodeOptionBytes(new Uint8Array(128).fill(0xff)), rdp: 0xaa, sfsa, sbrv },
          table: { kind: 'blank' }, flashBase: 0x08000000, pageSize: 0x800, application: { present: 'unknown' }, notes: [],
        },
        '2026-12-01T00:00:00.000Z',
      );
    const broken = read(0, 0x13e00);
    expect(broken.cpu2).toBe('safeboot');
    expect(broken.notes.join('\n')).toContain('SBRV=0x13E00');
    expect(read(0x8c, 0x11800).cpu2).not.toBe('safeboot');
  });
});

describe('USB DFU on a WB1x is refused offline', () => {
  it('checkTargetOffline: NO_USB_DFU at connection.port for a WB1x over USB, nothing for UART, SWD or a WB55 over USB', () => {
    const refusal = checkTargetOffline({ target: target({ device: WB15, transport: 'usb' }), images: v124, family: 'STM32WB1x', simulated: true });
    expect(refusal).toEqual([expect.objectContaining({ code: 'NO_USB_DFU', pointer: '/connection/port' })]);
    expect(refusal[0]!.message).toMatch(/no USB/);
    expect(refusal[0]!.remedy).toMatch(/swd/);
    for (const transport of ['uart', 'swd'] as const) expect(checkTargetOffline({ target: target({ device: WB15, transport }), images: v124, family: 'STM32WB1x', simulated: true })).toEqual([]);
    expect(checkTargetOffline({ target: target({ transport: 'usb' }), images: v124, family: 'STM32WB5x', simulated: true })).toEqual([]);
  });
});
