/**
 * The fake STM32_Programmer_CLI against the real transcripts (test/simulator/fixtures/, copied from
 * shared/reference/cli-transcripts): line by line after normalising progress bars, elapsed times, trailing
 * whitespace, and (for forum copies) collapsed whitespace.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeBoard, writeSimulatedBoard, readSimulatedBoard, armFault, parseFault, type SimBoard } from '../../src/drivers/simulator/index.js';
import { fixture, normalise, indexOfLines, runFake, tempDir, writeFile } from './transcript.js';
import { IMG, standInBytes } from './helpers.js';

async function boardIn(dir: string, b: SimBoard): Promise<void> {
  await writeSimulatedBoard(dir, b);
}

describe('cli-transcripts/14: the full USB sequence of CubeProgrammer v2.3.0 (mbed-os README)', () => {
  it('prints all five commands as the real tool did, and the board ends with FUS 1.0.2 and the stack running', async () => {
    const dir = tempDir();
    // P-NUCLEO-WB55 as shipped: FUS 0.5.3 with an old stack running; the 0.5.3 upgrade quirk (P38) armed.
    let b = makeBoard({ serial: '207F38933036', stack: { type: 'BLE_Stack_full', version: '0.5.1', sizeBytes: 0x28000 }, attachments: [{ transport: 'usb', serial: '207F38933036' }] });
    b = armFault(b, parseFault('fus-053-not-authentic-quirk'));
    await boardIn(dir, b);
    const fus = writeFile(dir, 'stm32wb5x_FUS_fw.bin', standInBytes(IMG.FUS_1_0_2));
    const stack = writeFile(dir, 'stm32wb5x_BLE_Stack_fw.bin', standInBytes(IMG.BLE_STACK_1_4_0));

    const steps: [string[], string, number][] = [
      [['-c', 'port=usb1', '-fwdelete'], '14-1-fwdelete-usb-v2.3.0.txt', 0],
      [['-c', 'port=usb1', '-r32', '0x20030030', '1'], '14-2-r32-usb-v2.3.0.txt', 0],
      [['-c', 'port=usb1', '-fwupgrade', fus, '0x080EC000', 'firstinstall=0'], '14-3-fwupgrade-fus-usb-v2.3.0.txt', 1],
      [['-c', 'port=usb1', '-r32', '0x20030030', '1'], '14-4-r32-usb-v2.3.0.txt', 0],
      [['-c', 'port=usb1', '-fwupgrade', stack, '0x080CB000', 'firstinstall=1'], '14-5-fwupgrade-stack-usb-v2.3.0.txt', 0],
    ];
    for (const [argv, name, code] of steps) {
      const run = await runFake(dir, argv, '2.3.0');
      expect(normalise(run.lines), name).toEqual(normalise(fixture(name)));
      expect(run.code, name).toBe(code);
    }
    const after = await readSimulatedBoard(dir, '207F38933036');
    expect(after.fus.version).toBe('1.0.2');
    expect(after.stack).toMatchObject({ version: '1.4.0', address: 0x080cb000 });
    expect(after.cpu2).toBe('stack');
    expect(after.counters.cliProcesses).toBe(5);
  });
});

describe('cli-transcripts/01: WB55CC on FUS 0.5.3, -fwdelete over USB (v2.5.0)', () => {
  it('prints the sticky state, then "Deleting firmware ..." and the device vanishes; exit 0; CPU2 locked up', async () => {
    const dir = tempDir();
    const b = makeBoard({ serial: '206A3261554D', device: 'STM32WB5xxC_256K', attachments: [{ transport: 'usb', serial: '206A3261554D' }] });
    b.fus.state = 'FUS_SERVICE_ONGOING';
    b.fus.error = 'IMG_NOT_FOUND';
    await boardIn(dir, b);
    const run = await runFake(dir, ['-c', 'port=usb1', '-fwdelete'], '2.5.0');
    expect(normalise(run.lines)).toEqual(normalise(fixture('01-fwdelete-usb-v2.5.0.txt')));
    expect(run.code).toBe(0);
    expect((await readSimulatedBoard(dir, '206A3261554D')).lockedUp).toMatch(/FW_DELETE/);
  });
});

describe('cli-transcripts/03: FUS not running (safeboot) over USB', () => {
  it('reads 0 at 0x20030030 and refuses -fwdelete', async () => {
    const dir = tempDir();
    const b = makeBoard({ serial: 'SAFEBOOT01', fusVersion: '1.2.0' });
    b.optionBytes = { ...b.optionBytes, sfsa: 0, sbrv: 0x3fc00 };
    b.cpu2 = 'safeboot';
    await boardIn(dir, b);
    const r32 = await runFake(dir, ['-c', 'port=usb1', '-r32', '0x20030030', '1'], '2.5.0');
    expect(indexOfLines(normalise(r32.lines, { collapsed: true }), normalise(fixture('03-r32-usb.txt'), { collapsed: true }))).toBeGreaterThan(0);
    const del = await runFake(dir, ['-c', 'port=usb1', '-fwdelete'], '2.5.0');
    const got = normalise(del.lines, { collapsed: true });
    const want = normalise(fixture('03-fwdelete-usb.txt'), { collapsed: true });
    expect(got.slice(-want.length)).toEqual(want);
    expect(del.code).toBe(1);
  });
});

describe('cli-transcripts/06: WB55CE (512K) over SWD mode=UR, CubeProgrammer v2.7.0', () => {
  it('reads the operator FUS version, refuses the FUS 1.2.0 file on 512K, deletes through the operator', async () => {
    const dir = tempDir();
    const serial = '52FF74067575555041500481';
    const b = makeBoard({ serial, device: 'STM32WB5xxE_512K', fusVersion: '1.1.1', attachments: [{ transport: 'swd', probeSerial: serial, probeFirmware: 'V2J37S7', accessPort: 0, boardName: '--' }], application: { sizeBytes: 0x4000 } });
    b.optionBytes.nSWboot0 = 0; // left by an earlier operator run
    b.fusOperator = { inFlash: true, sram1: { fusVersionWord: 0x01010100, stackVersionWord: 0 } };
    await boardIn(dir, b);
    const c = { collapsed: true };

    const r32 = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-r32', '0x20010010', '4'], '2.7.0');
    expect(indexOfLines(normalise(r32.lines, c), normalise(fixture('06-r32-swd-v2.7.0.txt'), c))).toBeGreaterThan(0);

    const fus = writeFile(dir, 'stm32wb5x_FUS_fw.bin', standInBytes(IMG.FUS_1_2_0_FROM_1X));
    const refused = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fwupgrade', fus, '0x0807A000', 'firstinstall=0'], '2.7.0');
    expect(normalise(refused.lines, c).slice(-2)).toEqual(normalise(fixture('06-fus-refused-swd-v2.7.0.txt'), c));
    expect(refused.code).toBe(1);
    expect((await readSimulatedBoard(dir, serial)).fus.version).toBe('1.1.1');

    const stack = writeFile(dir, 'stm32wb5x_BLE_Stack_full_fw.bin', standInBytes('4551151a2572fc70')); // BLE_Stack_full 1.11.1, 0x08056000 on 512K
    const up = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fwupgrade', stack, '0x08056000', 'firstinstall=0'], '2.7.0');
    const want = normalise(fixture('06-stack-upgrade-swd-v2.7.0.txt'), c);
    expect(normalise(up.lines, c).slice(0, want.length)).toEqual(want);
    expect(up.code).toBe(0);
    const after = await readSimulatedBoard(dir, serial);
    expect(after.stack).toMatchObject({ version: '1.11.1', address: 0x08056000 });
    expect(after.application.clobberedByFusOperator).toBe(true);
  });
});

describe('cli-transcripts/16: -l and a probe without target, v2.17.0', () => {
  it('lists DFU, J-Link, two probes (one broken), UART; then fails to connect with the Debug Authentication hint', async () => {
    const dir = tempDir();
    const serial = '56FF6F066682495259282187';
    const b = makeBoard({ serial, attachments: [{ transport: 'swd', probeSerial: serial, probeFirmware: 'V2J45S7', accessPort: 1, boardName: '--', targetAbsent: true }] });
    b.device.voltage = 3.23;
    await boardIn(dir, b);
    writeFileSync(path.join(dir, '.host.json'), JSON.stringify({ probes: [{ probeSerial: '5&1E237D3C&0&3', probeFirmware: '', accessPort: 0, boardName: '', connectError: true }] }));
    const list = await runFake(dir, ['-l'], '2.17.0');
    expect(normalise(list.lines)).toEqual(normalise(fixture('16-list-v2.17.0.txt')));
    expect(list.code).toBe(0);
    const connect = await runFake(dir, ['-c port=SWD SN=56FF6F066682495259282187'], '2.17.0'); // one argv element, upper-case key
    expect(normalise(connect.lines)).toEqual(normalise(fixture('16-connect-no-target-v2.17.0.txt')));
    expect(connect.code).toBe(1);
  });
});

describe('cli-transcripts/17: -l on Linux, v2.2.0', () => {
  it('lists no DFU device, one probe without the v2.17 details, and the serial ports', async () => {
    const dir = tempDir();
    const serial = '066CFF383333554157243011';
    await boardIn(dir, makeBoard({ serial, attachments: [{ transport: 'swd', probeSerial: serial, probeFirmware: 'V2J34M25', accessPort: 0, boardName: '--' }] }));
    writeFileSync(
      path.join(dir, '.host.json'),
      JSON.stringify({
        serialPorts: [
          { port: '/dev/ttyUSB0', description: 'FT232R USB UART', manufacturer: 'FTDI' },
          { port: '/dev/ttyACM0', description: 'STM32 STLink', manufacturer: 'STMicroelectronics' },
          { port: '/dev/ttyS0', description: 'N/A', manufacturer: 'N/A' },
          { port: '/dev/ttyS1', description: 'N/A', manufacturer: 'N/A' },
        ],
      }),
    );
    const list = await runFake(dir, ['-l'], '2.2.0', 'linux');
    const want = normalise(fixture('17-list-linux-v2.2.0.txt'), { dedent: 6 });
    expect(normalise(list.lines).slice(0, want.length)).toEqual(want);
  });
});

describe('cli-transcripts/26 A: two -r32 in one call over SWD hot plug, v2.5.0', () => {
  it('prints the FUS version and the whole info table of a FUS 1.1.1 chip', async () => {
    const dir = tempDir();
    const serial = '32FF6C063047463341421351';
    const b = makeBoard({ serial, fusVersion: '1.1.1', attachments: [{ transport: 'swd', probeSerial: serial, probeFirmware: 'V2J37S7', accessPort: 0, boardName: '--' }] });
    b.device.voltage = 3.23;
    b.device.uid64 = '0x0080E12600658473';
    await boardIn(dir, b);
    const run = await runFake(dir, ['-c', 'port=SWD', 'mode=HOTPLUG', '-r32', '0x20030030', '4', '-r32', '0x20030024', '50'], '2.5.0');
    expect(normalise(run.lines, { collapsed: true })).toEqual(normalise(fixture('26A-r32-hotplug-swd-v2.5.0.txt'), { collapsed: true }));
    // under reset the same read gives zeros (SRAM2a cleared, cli-transcripts/18 f)
    const ur = await runFake(dir, ['-c', 'port=SWD', 'mode=UR', '-r32', '0x20030030', '4'], '2.5.0');
    expect(ur.lines.at(-1)).toBe('0x20030030 : 00000000');
  });
});

describe('fake CLI behaviours beyond the transcripts', () => {
  it('parses case-insensitive options, chained commands and tokens packed in one argv element', async () => {
    const dir = tempDir();
    await boardIn(dir, makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }));
    const run = await runFake(dir, ['-c port=USB1', '-FusGetState', '-fusgetstate', '-r32', '0x20030030', '4', '--verbosity 1', '-q'], '2.17.0');
    expect(run.code).toBe(0);
    expect(run.lines.at(-1)).toBe('0x20030030 : 01020000'); // two GET_STATE switched CPU2 into FUS
    expect(run.text).toContain('FUS status is FUS_NOT_RUNNING');
  });

  it('exits 0 after an error when the fault is armed, and 1 otherwise', async () => {
    const dir = tempDir();
    const b = makeBoard({ fusVersion: '1.2.0' });
    await boardIn(dir, armFault(b, parseFault('exit-0-after-error')));
    // An older FUS than the running one: FUS never goes down, IMG_NOT_AUTHENTIC (the same version would be FW_ROLLBACK_ERROR).
    const file = writeFile(dir, 'fus.bin', standInBytes(IMG.FUS_1_0_2));
    const first = await runFake(dir, ['-c', 'port=usb1', '-fwupgrade', file, '0x080EC000'], '2.17.0');
    expect(first.text).toContain('Error: Firmware not authentic!');
    expect(first.code).toBe(0);
    const second = await runFake(dir, ['-c', 'port=usb1', '-fwupgrade', file, '0x080EC000'], '2.17.0');
    expect(second.code).toBe(1);
  });

  it('refuses FW_DELETE on FUS 2.x over SWD before v2.20 and does it with v2.20', async () => {
    const dir = tempDir();
    await boardIn(dir, makeBoard({ serial: 'B1', fusVersion: '2.0.0', stack: { type: 'BLE_HCILayer', version: '1.24.0' }, cpu2: 'fus' }));
    const old = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fwdelete'], '2.17.0');
    expect(old.text).toContain('Error: Firmware delete Operation Failure! Please, try again');
    expect(old.code).toBe(1);
    expect((await readSimulatedBoard(dir, 'B1')).stack).not.toBeNull();
    const ok = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fwdelete'], '2.20.0');
    expect(ok.text).toContain('Firmware delete Success');
    expect((await readSimulatedBoard(dir, 'B1')).stack).toBeNull();
  });

  it('-ob: SFSA cannot be written; nSWboot0 can; displ shows SFSA for scripts that grep it', async () => {
    const dir = tempDir();
    await boardIn(dir, makeBoard({ serial: 'B2', fusVersion: '1.2.0' }));
    const sfsa = await runFake(dir, ['-c', 'port=swd', '-ob', 'SFSA=0xcb'], '2.4.0');
    expect(sfsa.lines.slice(-2)).toEqual(['Error: Expected value for Option Byte "sfsa": 0xCB, found: 0xF4', 'Error: Option Byte Programming failed']);
    const ob = await runFake(dir, ['-c', 'port=swd', '-ob', 'nSWboot0=0', 'nboot0=1'], '2.17.0');
    expect(ob.text).toContain('Option Bytes successfully programmed');
    expect((await readSimulatedBoard(dir, 'B2')).optionBytes.nSWboot0).toBe(0);
    const displ = await runFake(dir, ['-c', 'port=swd', '-ob displ'], '2.17.0');
    // cli-transcripts/18 e: sed -nE 's/.*SFSA[^0-9A-Fx]*0x([0-9A-Fa-f]+).*/\L\1/Ip'
    const m = displ.lines.map((l) => /.*SFSA[^0-9A-Fx]*0x([0-9A-Fa-f]+).*/i.exec(l)).find(Boolean);
    expect(m?.[1]?.toLowerCase()).toBe('f4');
  });

  it('creates the default rescue-case board in an empty folder', async () => {
    const dir = tempDir();
    const run = await runFake(dir, ['-c', 'port=usb1', '-r32', '0x20030030', '1'], '2.17.0');
    expect(run.lines.at(-1)).toBe('0x20030030 : 00050300');
  });
});
