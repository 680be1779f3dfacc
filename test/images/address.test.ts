import { describe, it, expect } from 'vitest';
import { formulaAddress, installAddress, checkInstallAddress, FUS1_ADDRESS_1M } from '../../src/images/address.js';
import { catalogIdentity, identifyBytes } from '../../src/images/identify.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { makeStandIn } from '../../src/images/standin.js';
import { deviceByKey, type DeviceKey } from '../../src/domain/devices.js';
import { findBy, imageWith } from './helpers.js';

const images = loadCatalog().images;
const M1 = deviceByKey('STM32WB5xxG_1M');
const WB1 = deviceByKey('STM32WB1xxC_320K');

describe('formulaAddress (STM32WB.md §3)', () => {
  it('TOP - ceil(size/page)*page', () => {
    expect(formulaAddress(M1, 24468, 0x32279221)).toBe(0x080ee000); // 6 pages: FUS 2.x on 1M
    expect(formulaAddress(M1, 4096, 0x23372991)).toBe(0x080f3000);
    expect(formulaAddress(M1, 4097, 0x23372991)).toBe(0x080f2000);
    expect(formulaAddress(WB1, 4244, 0x927a6741)).toBe(0x08044800); // 3 pages of 2 KiB
    expect(formulaAddress(deviceByKey('STM32WB5xxC_256K'), 8192, 0x23372991)).toBe(0x0803e000);
  });

  it('"FUSv2 only" stacks (0xB10C8B99) go 0x4000 lower (rules §4)', () => {
    expect(formulaAddress(M1, 0x30000, 0xb10c8b99)).toBe(0x080c0000);
    expect(formulaAddress(M1, 0x30000, 0x23372991)).toBe(0x080c4000);
  });
});

/**
 * Cells of ST's tables that are typos (st-release-notes-rules.md §5): the table address is above the
 * formula, so the image would run past TOP into FUS. copro uses the formula there.
 */
const KNOWN_TYPO_CELLS: { sha: string; device: DeviceKey; table: number; used: number; why: string }[] = [
  { sha: '30a2bba1515f', device: 'STM32WB5xxG_1M', table: 0x080b3000, used: 0x080b2000, why: 'v1.13.1 Zigbee_RFD grew to 66 pages, table kept v1.13.0 address' },
  { sha: '30a2bba1515f', device: 'STM32WB5xxY_640K', table: 0x0805f000, used: 0x0805e000, why: 'same row, 640K column' },
  { sha: '30a2bba1515f', device: 'STM32WB5xxE_512K', table: 0x0803f000, used: 0x0803e000, why: 'same row, 512K column' },
  { sha: 'f25eb30a6bfd', device: 'STM32WB1xxC_320K', table: 0x08029000, used: 0x08028000, why: 'v1.16.0 WB1x BLE_Stack_light, corrected later' },
];

function cells() {
  return images.flatMap((r) =>
    Object.entries(r.installAddress)
      .filter((e): e is [DeviceKey, string] => typeof e[1] === 'string')
      .map(([device, value]) => ({ r, device, table: Number.parseInt(value.slice(2), 16) })),
  );
}

describe('installAddress against every cell of the reference catalog', () => {
  it('equals the table, except the known typo cells where it is the formula', () => {
    const all = cells();
    expect(all).toHaveLength(1786);
    let typos = 0;
    for (const { r, device, table } of all) {
      const a = installAddress(catalogIdentity(r), deviceByKey(device));
      const typo = KNOWN_TYPO_CELLS.find((t) => r.sha256.startsWith(t.sha) && t.device === device);
      if (typo) {
        typos++;
        expect(table).toBe(typo.table);
        expect(a).toMatchObject({ address: typo.used, source: 'formula' });
        expect(a.warnings.join('\n')).toMatch(/known ST table typo/);
      } else {
        expect(a.address, `${r.names.at(-1)} ${r.latestRelease} ${device}`).toBe(table);
        expect(a.source).toBe('table');
      }
    }
    expect(typos).toBe(KNOWN_TYPO_CELLS.length);
  });

  it('every cell of the v1.24.0 images is ST\'s table value, and the formula (with the FUS 1.x exception) explains all but one', () => {
    const latest = cells().filter((c) => c.r.releases.includes('v1.24.0'));
    // The catalog keeps one address per device per image: 102 cells for v1.24.0's 36 images.
    expect(latest).toHaveLength(102);
    const disagree: string[] = [];
    for (const { r, device, table } of latest) {
      const a = installAddress(catalogIdentity(r), deviceByKey(device));
      expect(a.address).toBe(table);
      if (a.warnings.length) disagree.push(`${r.names.at(-1)} ${device}`);
    }
    // WB1x safeboot 2.0.1 (4,244 B = 3 pages of 2 KiB): ST gives 0x08044000, one page below the formula; kept.
    expect(disagree).toEqual(['stm32wb1x_Safeboot_fw.bin STM32WB1xxC_320K']);
  });

  it('cells below the formula are only the documented ones (old TOPs, WB1x safeboot 2.0.1), and keep the table', () => {
    const below = cells().filter(({ r, device }) => {
      const a = installAddress(catalogIdentity(r), deviceByKey(device));
      return a.source === 'table' && a.warnings.some((w) => /below the formula/.test(w));
    });
    const describe = below.map(({ r, device }) => `${device} ${r.latestRelease} ${r.kind}`);
    // Rules §5: WB3x 512K tables of v1.5-v1.7 used TOP 0x08074000; WB1x v1.11.0 used 0x08045800.
    expect(describe.filter((d) => d.startsWith('STM32WB3xxE_512K v1.5.0') || d.startsWith('STM32WB3xxE_512K v1.7.0'))).toHaveLength(12);
    expect(describe.filter((d) => d.startsWith('STM32WB1xxC_320K v1.11.0'))).toHaveLength(5);
    expect(describe.filter((d) => d === 'STM32WB1xxC_320K v1.24.0 safeboot')).toHaveLength(1);
    expect(below).toHaveLength(18);
  });

  it('FUS 1.x on 1M parts goes at 0x080EC000 (8 KiB below the formula), FUS 2.x at the formula', () => {
    const fus12 = findBy(images, (r) => r.names.includes('stm32wb5x_FUS_fw_1_2_0.bin'), 'FUS 1.2.0');
    expect(installAddress(catalogIdentity(fus12), M1)).toEqual({ address: FUS1_ADDRESS_1M, source: 'table', warnings: [] });
    // An unknown FUS 1.1.0 (not in the catalog) gets the same exception from the rules.
    const unknown = identifyBytes(imageWith({ payload: 24492 - 104, memorySize: 0x1020ff06, version: 0x01010000, magic: 0x32279221 }));
    expect(installAddress(unknown, M1)).toMatchObject({ address: 0x080ec000, source: 'formula' });
    const fus2 = identifyBytes(imageWith({ payload: 24468 - 104, memorySize: 0x1020ff06, version: 0x02030000, magic: 0x32279221 }));
    expect(installAddress(fus2, M1).address).toBe(0x080ee000);
  });

  it('a stand-in gets the address of the image it stands for', () => {
    const ble = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE 1.24.0');
    const id = identifyBytes(makeStandIn(ble));
    expect(installAddress(id, M1)).toEqual({ address: Number.parseInt(ble.installAddress.STM32WB5xxG_1M!.slice(2), 16), source: 'table', warnings: [] });
  });

  it('WB3x parts use the WB5x column of the same flash size when the table has no WB3x cell', () => {
    const fus22 = findBy(images, (r) => r.kind === 'fus' && r.version === '2.2.0' && r.families.includes('STM32WB3x'), 'FUS 2.2.0');
    expect(fus22.installAddress.STM32WB3xxE_512K).toBeUndefined();
    expect(installAddress(catalogIdentity(fus22), deviceByKey('STM32WB3xxE_512K'))).toEqual({ address: 0x0807a000, source: 'table', warnings: [] });
  });

  it('an image ST marks as not for a device gets the formula with a warning; another family warns too', () => {
    const big = findBy(images, (r) => r.installAddress.STM32WB5xxC_256K === null && r.installAddress.STM32WB5xxG_1M !== undefined, 'too big for 256K');
    const a = installAddress(catalogIdentity(big), deviceByKey('STM32WB5xxC_256K'));
    expect(a.source).toBe('formula');
    expect(a.warnings.join('\n')).toMatch(/not available for STM32WB5xxC_256K/);
    const wb1 = installAddress(catalogIdentity(big), WB1);
    expect(wb1.warnings.join('\n')).toMatch(/not STM32WB1x/);
  });
});

describe('checkInstallAddress', () => {
  const codes = (...args: Parameters<typeof checkInstallAddress>) => checkInstallAddress(...args).map((p) => p.code);

  it('accepts a page-aligned address below SFSA and above the application', () => {
    expect(checkInstallAddress(0x080ce000, 0x20000, M1, { sfsa: 0xf4, applicationEnd: 0x08080000 })).toEqual([]);
  });

  it('flags each problem with both addresses in the message', () => {
    expect(codes(0x080ce800, 0x1000, M1)).toEqual(['UNALIGNED']);
    const past = checkInstallAddress(0x080f0000, 0x5000, M1);
    expect(past.map((p) => p.code)).toEqual(['PAST_TOP']);
    expect(past[0]!.message).toMatch(/0x080F0000.*0x080F5000.*0x080F4000/);
    const secure = checkInstallAddress(0x080c0000, 0x10000, M1, { sfsa: 0xce });
    expect(secure.map((p) => p.code)).toEqual(['OVERLAPS_SECURE_AREA']);
    expect(secure[0]!.message).toMatch(/0x080C0000.*0x080D0000.*0x080CE000 \(SFSA 0xCE\)/);
    const app = checkInstallAddress(0x0807f000, 0x1000, M1, { applicationEnd: 0x08080000 });
    expect(app.map((p) => p.code)).toEqual(['OVERLAPS_APPLICATION']);
    expect(app[0]!.message).toMatch(/0x0807F000.*0x08080000/);
    expect(codes(0x07fff000, 0x1000, M1)).toEqual(['BELOW_FLASH']);
  });

  it('uses 2 KiB pages on WB1x', () => {
    expect(codes(0x08044800, 2048, WB1)).toEqual([]);
    expect(codes(0x08044400, 2048, WB1)).toEqual(['UNALIGNED']);
  });

  it('a typo cell as ST wrote it would be refused (PAST_TOP), which is why the formula is used', () => {
    const rfd = images.find((r) => r.sha256.startsWith('30a2bba1515f'))!;
    expect(codes(0x080b3000, rfd.size, M1)).toContain('PAST_TOP');
    expect(codes(0x080b2000, rfd.size, M1)).toEqual([]);
  });
});
