import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, writeFile, rm, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { identifyBytes, identifyFile, catalogIdentity } from '../../src/images/identify.js';
import { claimsFromFileName } from '../../src/images/names.js';
import { makeStandIn } from '../../src/images/standin.js';
import { FooterError } from '../../src/images/footer.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { findBy, imageWith, syntheticFile } from './helpers.js';

const images = loadCatalog().images;
const ble = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE_Stack_full 1.24.0');
const fus053 = findBy(images, (r) => r.names.includes('stm32wb5x_FUS_fw_for_fus_0_5_3.bin'), 'FUS for 0.5.3');
const fus120 = findBy(images, (r) => r.names.includes('stm32wb5x_FUS_fw_1_2_0.bin'), 'FUS 1_2_0');
const broken = findBy(images, (r) => !r.footer.valid, 'v1.5.0 FUS');
const v2only = findBy(images, (r) => r.footer.imageMagic === '0xB10C8B99', 'FUSv2-only stack');

describe('claimsFromFileName', () => {
  it('reads family, stack type and version tokens', () => {
    expect(claimsFromFileName('stm32wb5x_BLE_Stack_full_fw_1_23_0.bin')).toEqual({ family: 'STM32WB5x', kind: 'stack', stackType: 'BLE_Stack_full', version: '1.23.0' });
    expect(claimsFromFileName('/tmp/x/stm32wb5x_BLE_Stack_full_extended_fw.bin')).toMatchObject({ stackType: 'BLE_Stack_full_extended' });
    expect(claimsFromFileName('stm32wb1x_Safeboot_fw_v1.2.0.bin')).toEqual({ family: 'STM32WB1x', kind: 'safeboot', version: '1.2.0' });
  });

  it('does not read 802_15_4 as a version, nor for_fus_0_5_3 as the image version', () => {
    expect(claimsFromFileName('stm32wb5x_Mac_802_15_4_fw.bin')).toEqual({ family: 'STM32WB5x', kind: 'stack', stackType: 'Mac_802_15_4' });
    expect(claimsFromFileName('stm32wb5x_BLE_Mac_802_15_4_fw.bin').stackType).toBe('BLE_Mac_802_15_4');
    expect(claimsFromFileName('stm32wb3x_FUS_fw_for_fus_0_5_3.bin')).toEqual({ family: 'STM32WB3x', kind: 'fus', forFus: '0.5.3' });
    expect(claimsFromFileName('stm32wb5x_FUS_fw_1_2_0.bin')).toEqual({ family: 'STM32WB5x', kind: 'fus', version: '1.2.0' });
  });

  it('claims nothing for an unrelated name', () => {
    expect(claimsFromFileName('firmware.bin')).toEqual({});
  });
});

describe('identify known ST images (catalog, by sha256)', () => {
  it('catalogIdentity carries the catalog facts and the FUS 1.2.0 version from the notes', () => {
    const id = catalogIdentity(fus053);
    expect(id).toMatchObject({ kind: 'fus', version: '1.2.0', versionSource: 'catalog', versionWord: 0xffffffff, signature: 'st', fusV2Only: false });
    expect(id.build).toBeUndefined();
    expect(id.catalog?.names).toContain('stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    expect(id.catalog?.installAddress.STM32WB5xxG_1M).toBe('0x080EC000');
  });

  it('a FUSv2-only stack warns that it needs FUS 2.x', () => {
    const id = catalogIdentity(v2only);
    expect(id.fusV2Only).toBe(true);
    expect(id.warnings.join('\n')).toMatch(/FUSv2-only.*FUS >= 2\.0\.0/);
  });

  it('the unsigned v1.5.0 FUS identifies (known sha256) with "never install it"', () => {
    const id = catalogIdentity(broken);
    expect(id).toMatchObject({ kind: 'fus', version: '1.1.0', signature: 'none', size: 24344 });
    expect(id.warnings.join('\n')).toMatch(/never install it/);
  });
});

describe('identify stand-ins', () => {
  it('a stand-in under its ST name: identity of the original, stand-in and FUSv2 warnings, no name warning', () => {
    const bytes = makeStandIn(ble);
    const id = identifyBytes(bytes, 'stm32wb5x_BLE_Stack_full_fw.bin');
    expect(id).toMatchObject({ kind: 'stack', stackType: 'BLE_Stack_full', stackTypeSource: 'stand-in', version: '1.24.0', signature: 'simulated', standInFor: ble.sha256, size: ble.size });
    expect(id.sha256).not.toBe(ble.sha256);
    // BLE_Stack_full 1.24.0 is "FUS_v2 only" (magic 0xB10C8B99, rules §4).
    expect(id.warnings).toHaveLength(2);
    expect(id.warnings[0]).toMatch(/stand-in.*only the simulator/);
    expect(id.warnings[1]).toMatch(/FUSv2-only/);
  });

  it('a renamed stand-in warns that the name and content disagree (version and type)', () => {
    const bytes = makeStandIn(ble);
    const v = identifyBytes(bytes, 'stm32wb5x_BLE_Stack_full_fw_1_23_0.bin');
    expect(v.warnings.join('\n')).toMatch(/says version 1\.23\.0 but the content is BLE_Stack_full 1\.24\.0/);
    const t = identifyBytes(bytes, 'stm32wb5x_Thread_FTD_fw.bin');
    expect(t.warnings.join('\n')).toMatch(/says Thread_FTD but the content is BLE_Stack_full/);
    const k = identifyBytes(bytes, 'stm32wb5x_FUS_fw.bin');
    expect(k.warnings.join('\n')).toMatch(/says fus but the content is BLE_Stack_full/);
    const f = identifyBytes(bytes, 'stm32wb1x_BLE_Stack_full_fw.bin');
    expect(f.warnings.join('\n')).toMatch(/says STM32WB1x/);
  });

  it('tells the two FUS 1.2.0 images apart and catches a _for_fus_0_5_3 name on the other one', () => {
    const a = identifyBytes(makeStandIn(fus053), 'stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    const b = identifyBytes(makeStandIn(fus120), 'stm32wb5x_FUS_fw_1_2_0.bin');
    expect(a.version).toBe('1.2.0');
    expect(b.version).toBe('1.2.0');
    expect(a.standInFor).toBe(fus053.sha256);
    expect(b.standInFor).toBe(fus120.sha256);
    expect(a.warnings.filter((w) => /name/.test(w))).toEqual([]);
    expect(b.warnings.filter((w) => /name/.test(w))).toEqual([]);
    // STM32WB.md §2: a file named _for_fus_0_5_3.bin that holds another image.
    const swapped = identifyBytes(makeStandIn(fus120), 'stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    expect(swapped.warnings.join('\n')).toMatch(/says it is the FUS image for FUS 0\.5\.3, but the content is FUS 1\.2\.0 \(stm32wb5x_FUS_fw_1_2_0\.bin\)/);
    const reverse = identifyBytes(makeStandIn(fus053), 'my_fus_1_2_0.bin');
    expect(reverse.warnings.join('\n')).toMatch(/only on a device running FUS 0\.5\.3/);
  });

  it('a stand-in of the v1.5.0 FUS (no trailer) still identifies, with "never install it"', () => {
    const id = identifyBytes(makeStandIn(broken));
    expect(id.standInFor).toBe(broken.sha256);
    expect(id.warnings.join('\n')).toMatch(/never install it/);
  });

  it('a tampered stand-in is not accepted as one and says so', () => {
    const bytes = makeStandIn(ble);
    bytes[100] = bytes[100]! ^ 0xff;
    const id = identifyBytes(bytes);
    expect(id.standInFor).toBeUndefined();
    expect(id.signature).toBe('simulated');
    expect(id.warnings.join('\n')).toMatch(/stand-in marker but its digest does not match/);
  });
});

describe('identify unknown files by their footer', () => {
  it('an unknown ST-signed file: identity from the footer, stack type from its name, "not a known ST image"', () => {
    const bytes = imageWith({ memorySize: 0x0f0aff2f, version: 0x01190002, magic: 0x23372991 });
    const id = identifyBytes(bytes, 'stm32wb5x_BLE_Stack_light_fw.bin');
    expect(id).toMatchObject({ kind: 'stack', version: '1.25.0', build: 2, stackType: 'BLE_Stack_light', stackTypeSource: 'file-name', families: ['STM32WB5x'], flashPages: 47, signature: 'st' });
    expect(id.catalog).toBeUndefined();
    expect(id.warnings.join('\n')).toMatch(/not a known ST image.*newer ST release, or a modified file/);
  });

  it('a recorded ST footer on other content is not the ST image', () => {
    const id = identifyBytes(syntheticFile(ble), 'stm32wb5x_BLE_Stack_full_fw.bin');
    expect(id.catalog).toBeUndefined();
    expect(id.version).toBe('1.24.0');
    expect(id.warnings.join('\n')).toMatch(/not a known ST image/);
  });

  it('customer-signed and FUSv2-only footers warn', () => {
    const c = identifyBytes(imageWith({ memorySize: 2, version: 0x01180000, magic: 0x23372991, sigMagic: 0xe2b51d4a }));
    expect(c.signature).toBe('customer');
    expect(c.warnings.join('\n')).toMatch(/customer-signed/);
    expect(c.warnings.join('\n')).not.toMatch(/not a known ST image/);
    const v2 = identifyBytes(imageWith({ memorySize: 2, version: 0x01180000, magic: 0xb10c8b99 }));
    expect(v2.fusV2Only).toBe(true);
    expect(v2.warnings.join('\n')).toMatch(/FUSv2-only/);
  });

  it('an unknown FUS with the blank version word is assumed 1.2.0, and says so', () => {
    const id = identifyBytes(imageWith({ memorySize: 6, version: 0xffffffff, magic: 0x32279221 }));
    expect(id.version).toBe('1.2.0');
    expect(id.warnings.join('\n')).toMatch(/blank version word/);
  });

  it('a name whose kind or version disagrees with the footer warns', () => {
    const id = identifyBytes(imageWith({ memorySize: 6, version: 0x02020000, magic: 0x32279221 }), 'stm32wb5x_FUS_fw_2_1_0.bin');
    expect(id.warnings.join('\n')).toMatch(/says version 2\.1\.0 but the content is fus 2\.2\.0/);
  });

  it('throws the typed FooterError for a file without a trailer', () => {
    expect(() => identifyBytes(new Uint8Array(1000))).toThrow(FooterError);
    try {
      identifyBytes(new Uint8Array(1000));
    } catch (e) {
      expect((e as FooterError).code).toBe('NO_SIGNATURE_FOOTER');
    }
  });
});

async function zeroTail(file: string, size: number) {
  const fh = await open(file, 'r+');
  await fh.write(new Uint8Array(104), 0, 104, size - 104);
  await fh.close();
}

describe('identifyFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'copro-identify-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same identity as identifyBytes, with the file name checked', async () => {
    const file = path.join(dir, 'stm32wb5x_BLE_Stack_full_fw_1_23_0.bin');
    const bytes = makeStandIn(ble);
    await writeFile(file, bytes);
    expect(await identifyFile(file)).toEqual(identifyBytes(bytes, file));
  });

  it('streams a file bigger than any image and still finds its footer', async () => {
    const file = path.join(dir, 'big.bin');
    const tail = imageWith({ payload: 0, memorySize: 2, version: 0x01180000, magic: 0x23372991 });
    const size = 17 * 1024 * 1024 + 3;
    const fh = await open(file, 'w');
    await fh.truncate(size - tail.length);
    await fh.write(tail, 0, tail.length, size - tail.length);
    await fh.close();
    const id = await identifyFile(file);
    expect(id.size).toBe(size);
    expect(id.version).toBe('1.24.0');
    expect(id.warnings.join('\n')).toMatch(/far bigger than any coprocessor image/);
    await zeroTail(file, size);
    await expect(identifyFile(file)).rejects.toMatchObject({ code: 'NO_SIGNATURE_FOOTER', message: expect.stringContaining(`at offset ${size - 20} (size-20)`) });
  });

  it('rejects with ENOENT for a missing file', async () => {
    await expect(identifyFile(path.join(dir, 'nope.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
