/** Every branch of locating STM32_Programmer_CLI, over an injected file system. */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { locateCubeProgrammer } from '../../src/drivers/cubeprogrammer/locate.js';

const fsWith = (...files: string[]) => {
  const set = new Set(files);
  return (p: string) => set.has(p);
};
const linux = { platform: 'linux' as const, homedir: '/home/ann' };
const LINUX_DEFAULT = '/home/ann/STMicroelectronics/STM32Cube/STM32CubeProgrammer/bin/STM32_Programmer_CLI';

describe('locateCubeProgrammer', () => {
  it('explicit file wins over everything', () => {
    const r = locateCubeProgrammer({ ...linux, explicit: '/opt/x/STM32_Programmer_CLI', env: { COPRO_CUBEPROGRAMMER: '/y', PATH: '/usr/bin' }, exists: fsWith('/opt/x/STM32_Programmer_CLI', LINUX_DEFAULT) });
    expect(r).toMatchObject({ executable: '/opt/x/STM32_Programmer_CLI', foundVia: 'explicit' });
  });
  it('explicit bin folder', () => {
    const r = locateCubeProgrammer({ ...linux, explicit: '/opt/cp/bin', env: {}, exists: fsWith('/opt/cp/bin/STM32_Programmer_CLI') });
    expect(r.executable).toBe('/opt/cp/bin/STM32_Programmer_CLI');
  });
  it('an explicit path that does not exist is an error, not a silent fallback', () => {
    expect(() => locateCubeProgrammer({ ...linux, explicit: '/nope', env: {}, exists: fsWith(LINUX_DEFAULT) })).toThrow(/not found at \/nope/);
  });
  it('COPRO_CUBEPROGRAMMER', () => {
    const r = locateCubeProgrammer({ ...linux, env: { COPRO_CUBEPROGRAMMER: '/c/STM32_Programmer_CLI' }, exists: fsWith('/c/STM32_Programmer_CLI') });
    expect(r.foundVia).toBe('COPRO_CUBEPROGRAMMER');
  });
  it('STM32_PRG_PATH (a bin folder) before PATH', () => {
    const r = locateCubeProgrammer({ ...linux, env: { STM32_PRG_PATH: '/st/bin', PATH: '/usr/bin' }, exists: fsWith('/st/bin/STM32_Programmer_CLI', '/usr/bin/STM32_Programmer_CLI') });
    expect(r).toMatchObject({ executable: '/st/bin/STM32_Programmer_CLI', foundVia: 'STM32_PRG_PATH' });
  });
  it('STM32CLT_PATH (STM32CubeCLT)', () => {
    const r = locateCubeProgrammer({ ...linux, env: { STM32CLT_PATH: '/clt' }, exists: fsWith('/clt/STM32CubeProgrammer/bin/STM32_Programmer_CLI') });
    expect(r.foundVia).toBe('STM32CLT_PATH');
  });
  it('PATH, in order', () => {
    const r = locateCubeProgrammer({ ...linux, env: { PATH: '/a:/b:/c' }, exists: fsWith('/b/STM32_Programmer_CLI', '/c/STM32_Programmer_CLI') });
    expect(r).toMatchObject({ executable: '/b/STM32_Programmer_CLI', foundVia: 'PATH' });
  });
  it('Linux default folder, with LD_LIBRARY_PATH=<bin>/../lib when that folder exists', () => {
    const lib = '/home/ann/STMicroelectronics/STM32Cube/STM32CubeProgrammer/lib';
    const r = locateCubeProgrammer({ ...linux, env: { PATH: '/usr/bin', LD_LIBRARY_PATH: '/x' }, exists: fsWith(LINUX_DEFAULT, lib) });
    expect(r).toMatchObject({ executable: LINUX_DEFAULT, foundVia: 'default-folder', env: { LD_LIBRARY_PATH: `${lib}:/x` } });
  });
  it('no LD_LIBRARY_PATH when there is no lib folder, nor off Linux', () => {
    expect(locateCubeProgrammer({ ...linux, env: {}, exists: fsWith(LINUX_DEFAULT) }).env).toEqual({});
  });
  it('macOS: MacOs/bin, then Resources/bin (arm64)', () => {
    const app = '/Applications/STMicroelectronics/STM32Cube/STM32CubeProgrammer/STM32CubeProgrammer.app/Contents';
    const intel = locateCubeProgrammer({ platform: 'darwin', homedir: '/Users/a', env: {}, exists: fsWith(`${app}/MacOs/bin/STM32_Programmer_CLI`) });
    expect(intel.executable).toBe(`${app}/MacOs/bin/STM32_Programmer_CLI`);
    const arm = locateCubeProgrammer({ platform: 'darwin', homedir: '/Users/a', env: {}, exists: fsWith(`${app}/Resources/bin/STM32_Programmer_CLI`) });
    expect(arm).toMatchObject({ executable: `${app}/Resources/bin/STM32_Programmer_CLI`, env: {} });
  });
  it('Windows: %ProgramFiles%, .exe, ; in PATH', () => {
    const exe = 'D:\\Apps\\STMicroelectronics\\STM32Cube\\STM32CubeProgrammer\\bin\\STM32_Programmer_CLI.exe';
    const r = locateCubeProgrammer({ platform: 'win32', homedir: 'C:\\Users\\a', env: { ProgramFiles: 'D:\\Apps', Path: 'C:\\x;C:\\y' }, exists: fsWith(exe) });
    expect(r).toMatchObject({ executable: exe, foundVia: 'default-folder' });
    expect(r.tried).toContain('C:\\y\\STM32_Programmer_CLI.exe');
    const onPath = locateCubeProgrammer({ platform: 'win32', homedir: 'C:\\Users\\a', env: { Path: 'C:\\x;C:\\y' }, exists: fsWith('C:\\y\\STM32_Programmer_CLI.exe') });
    expect(onPath.foundVia).toBe('PATH');
  });
  it('Windows: Program Files (x86) too', () => {
    const exe = 'C:\\Program Files (x86)\\STMicroelectronics\\STM32Cube\\STM32CubeProgrammer\\bin\\STM32_Programmer_CLI.exe';
    expect(locateCubeProgrammer({ platform: 'win32', homedir: 'C:\\Users\\a', env: {}, exists: fsWith(exe) }).executable).toBe(exe);
  });
  it('not found: TOOL_NOT_FOUND listing every place and the remedy', () => {
    try {
      locateCubeProgrammer({ ...linux, env: { PATH: '/usr/bin', STM32_PRG_PATH: '/st' }, exists: () => false });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DriverError);
      const err = e as DriverError;
      expect(err.code).toBe('TOOL_NOT_FOUND');
      for (const p of ['/st/STM32_Programmer_CLI', '/usr/bin/STM32_Programmer_CLI', LINUX_DEFAULT]) expect(err.message).toContain(p);
      expect(err.details.remedy).toMatch(/COPRO_CUBEPROGRAMMER/);
    }
  });
});
