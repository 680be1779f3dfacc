/** `copro devices`: what `STM32_Programmer_CLI -l` sees, so a user can pick a board by serial. */
import { afterEach, describe, expect, it } from 'vitest';
import { devicesCommand } from '../../src/cli/commands/devices.js';
import { boardsOf } from '../../src/drivers/cubeprogrammer/list.js';
import { parseCliOutput } from '../../src/drivers/cubeprogrammer/parse.js';
import { STUB, fixture, stubCli } from './helpers/stub.js';

const DFU_LIST = `      -------------------------------------------------------------------
                       STM32CubeProgrammer v2.20.0
      -------------------------------------------------------------------

=====  DFU Interface   =====

Total number of available STM32 device in DFU mode: 1

  Device Index           : USB1
  USB Bus Number         : 001
  USB Address Number     : 014
  Product ID             : DFU in FS Mode
  Serial number          : 207F38933036
  Firmware version       : 0x011a
  Device ID              : 0x0495

===== STLink Interface =====
Error: No ST-Link detected!

=====  UART Interface  =====

Total number of serial ports available: 0
`;

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});
function useStub(stdout: string) {
  const stub = stubCli([{ match: '^-l$', stdout }]);
  Object.assign(process.env, stub.env);
  return stub;
}

describe('boardsOf', () => {
  it('maps DFU devices, probes and ports to serials the driver takes', () => {
    const boards = boardsOf(parseCliOutput(DFU_LIST).deviceList!);
    expect(boards).toEqual([{ transport: 'usb', serial: '207F38933036', description: 'USB DFU (DFU in FS Mode, device 0x495, USB1)' }]);
  });
  it('a probe that reports no firmware is listed as unusable', () => {
    const boards = boardsOf(parseCliOutput(fixture('16a-v2.17-list.txt')).deviceList!);
    expect(boards.map((b) => [b.transport, b.serial])).toEqual([
      ['swd', '5&1E237D3C&0&3'],
      ['swd', '56FF6F066682495259282187'],
    ]);
    expect(boards[0]?.description).toMatch(/not usable/);
    expect(boards[1]?.description).toContain('FW V2J45S7');
  });
});

describe('devicesCommand', () => {
  it('text: one line per board and how to pick one', async () => {
    const stub = useStub(DFU_LIST);
    const r = await devicesCommand({ cubeprogrammer: STUB });
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/^USB DFU\s+207F38933036\s+USB DFU/m);
    expect(r.output).toContain('--serial');
    expect(r.output).toContain('note: No ST-Link detected!');
    expect(stub.calls()).toEqual([['-l']]);
  });
  it('json', async () => {
    useStub(fixture('17a-linux-v2.2-list-indented.txt'));
    const r = await devicesCommand({ cubeprogrammer: STUB, json: true });
    const j = JSON.parse(r.output) as { toolVersion: string; boards: Array<{ transport: string; serial: string }> };
    expect(j.toolVersion).toBe('2.2.0');
    expect(j.boards.map((b) => `${b.transport}:${b.serial}`)).toEqual(['swd:066CFF383333554157243011', 'uart:/dev/ttyUSB0', 'uart:/dev/ttyACM0', 'uart:/dev/ttyS0']);
  });
  it('nothing attached: says so, with what to check', async () => {
    useStub(fixture('16a-v2.17-list.txt').replace(/ST-Link Probe[\s\S]*?-{20,}/, ''));
    const r = await devicesCommand({ cubeprogrammer: STUB });
    expect(r.output).toMatch(/no USB DFU device, ST-LINK probe or serial port found/);
  });
  it('CubeProgrammer missing: environment exit code and the remedy', async () => {
    const r = await devicesCommand({ cubeprogrammer: '/nonexistent/STM32_Programmer_CLI' });
    expect(r.exitCode).toBe(5);
    expect(r.output).toBe('');
    expect(r.errors).toMatch(/^copro: error: .*not found at \/nonexistent/);
  });
});
