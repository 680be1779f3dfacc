import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deviceFromName, devicesMatching, decodeVersionWord, encodeVersionWord, versionString, compareVersions, hex, parseHex, stackTypeByCode, stackTypeByName, fusStateName, fusErrorByCliStatus } from '../../src/domain/index.js';

describe('devices', () => {
  it.each([
    ['STM32WB55RG', 'STM32WB5xxG_1M'],
    ['STM32WB55CGU6', 'STM32WB5xxG_1M'],
    ['STM32WB55RGV6', 'STM32WB5xxG_1M'],
    ['STM32WB5MMG', 'STM32WB5xxG_1M'],
    ['STM32WB55VY', 'STM32WB5xxY_640K'],
    ['STM32WB55CE', 'STM32WB5xxE_512K'],
    ['STM32WB55CC', 'STM32WB5xxC_256K'],
    ['STM32WB35CE', 'STM32WB3xxE_512K'],
    ['STM32WB15CC', 'STM32WB1xxC_320K'],
    ['stm32wb5xxg_1m', 'STM32WB5xxG_1M'],
  ])('%s is %s', (name, key) => expect(deviceFromName(name)?.key).toBe(key));

  it('does not guess an unknown part', () => expect(deviceFromName('STM32F103C8')).toBeUndefined());

  it('reports WB5x/WB3x ambiguity for a 512K part with id 0x495', () => {
    expect(devicesMatching(0x495, 512 * 1024).map((d) => d.key)).toEqual(['STM32WB5xxE_512K', 'STM32WB3xxE_512K']);
    expect(devicesMatching(0x495, 1024 * 1024).map((d) => d.key)).toEqual(['STM32WB5xxG_1M']);
  });
});

describe('version words (STM32WB.md §2)', () => {
  it('decodes the release-note values', () => {
    expect(versionString(decodeVersionWord(0x00050300))).toBe('0.5.3');
    expect(versionString(decodeVersionWord(0x01020000))).toBe('1.2.0');
    expect(versionString(decodeVersionWord(0x02020000))).toBe('2.2.0');
    expect(decodeVersionWord(0x01180003)).toEqual({ major: 1, minor: 24, sub: 0, branch: 0, build: 3 });
  });
  it('round-trips every word', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (w) => encodeVersionWord(decodeVersionWord(w)) === w));
  });
  it('compares numerically, never as text ("1.13" > "1.9")', () => {
    expect(compareVersions('1.13.0', '1.9.0')).toBe(1);
    expect('1.13.0' < '1.9.0').toBe(true);
  });
});

describe('hex, stack types, FUS codes', () => {
  it('formats and parses hex', () => {
    expect(hex(0x80d0000)).toBe('0x080D0000');
    expect(parseHex('0x080d0000')).toBe(0x080d0000);
    expect(parseHex('0x')).toBeUndefined();
    expect(parseHex('12z')).toBeUndefined();
  });
  it('maps InfoStack codes and names', () => {
    expect(stackTypeByCode(0x01)?.name).toBe('BLE_Stack_full');
    expect(stackTypeByName('thread_ftd')?.code).toBe(0x10);
  });
  it('classifies FUS states and CLI statuses', () => {
    expect(fusStateName(0x12)).toBe('WIRELESS_STACK_UPGRADE_ONGOING');
    expect(fusStateName(0x45)).toBeUndefined();
    expect(fusErrorByCliStatus('FUS_IMAGE_NOT_FOUND')?.code).toBe(0x01);
  });
});
