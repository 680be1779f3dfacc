import { describe, expect, it } from 'vitest';
import { parseCliOutput } from '../../src/drivers/cubeprogrammer/parse.js';

const header = (id: string) => `      -------------------------------------------------------------------\n                       STM32CubeProgrammer v2.5.0\n      -------------------------------------------------------------------\n\nUSB speed   : Full Speed (12MBit/s)\nSN          : 206A3261554D\nDevice ID   : ${id}\nFlash size  : 256 KBytes\n`;

describe('Device ID in the connect header', () => {
  it.each([['0x495', 0x495], ['0x0495', 0x495], ['0x494', 0x494]])('%s is read', (text, id) => {
    expect(parseCliOutput(header(text)).header?.deviceId).toBe(id);
  });
  // Found by the 10,000-run fuzz (test/hardening/cli-output-fuzz): a mangled id must not become a 20-bit "device".
  it.each(['080495', '0x80495', '495', '0x'])('%s is not a device id', (text) => {
    expect(parseCliOutput(header(text)).header?.deviceId).toBeUndefined();
  });
});
