import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { validatorFor, PACKAGE_ROOT } from '../../src/schemas.js';
import { loadCatalog, findCatalogImage, catalogImages, catalogInstallAddress, currentName } from '../../src/images/catalog.js';

// CI clones the repo with shared/ beside it.
const REFERENCE = fileURLToPath(new URL('../../../shared/reference/st-copro-images.json', import.meta.url));

describe('binaries/catalog.json', () => {
  it('validates against schemas/catalog.schema.json', () => {
    const validate = validatorFor('catalog');
    const ok = validate(loadCatalog());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('holds 657 distinct images and every release tag the records name', () => {
    const c = loadCatalog();
    expect(c.images).toHaveLength(657);
    expect(new Set(c.images.map((i) => i.sha256)).size).toBe(657);
    expect(c.latestRelease).toBe('v1.24.0');
    for (const i of c.images) for (const t of i.releases) expect(c.releases[t], `${i.sha256} ${t}`).toBeDefined();
  });

  it.skipIf(!existsSync(REFERENCE))('is what scripts/build-catalog.mjs builds from the reference (deterministic)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(PACKAGE_ROOT, 'scripts', 'build-catalog.mjs'), REFERENCE, '--check']);
    expect(stdout).toMatch(/catalog up to date \(657 images\)/);
  });

  it('keeps the facts of a known record (FUS 2.2.0 for WB5x/WB3x, rules §1)', () => {
    const fus = findCatalogImage('BBAB9B42D92C31F8A04E2F04EF9361C3F6F01714C14408CD34FB1583A6EDF30D'.toLowerCase());
    expect(fus).toMatchObject({ kind: 'fus', version: '2.2.0', size: 24468, releases: ['v1.24.0'], families: ['STM32WB5x', 'STM32WB3x'] });
    expect(fus?.installAddress.STM32WB5xxG_1M).toBe('0x080EE000');
    expect(findCatalogImage('bbab9b42d92c31f8a04e2f04ef9361c3f6f01714c14408cd34fb1583a6edf30d')).toBe(fus);
    expect(findCatalogImage('00'.repeat(32))).toBeUndefined();
  });
});

describe('catalogImages filters', () => {
  it('by kind, family and release: v1.24.0 ships FUS 1.2.0 twice and FUS 2.2.0 for WB5x (rules §1)', () => {
    const fus = catalogImages({ kind: 'fus', family: 'STM32WB5x', release: 'v1.24.0' });
    expect(fus.map((f) => f.version).sort()).toEqual(['1.2.0', '1.2.0', '2.2.0']);
    expect(catalogImages({ kind: 'fus', family: 'STM32WB1x', release: 'latest' }).map((f) => f.version)).toEqual(['2.2.0']);
  });

  it('by stack type', () => {
    const ble = catalogImages({ stackType: 'BLE_Stack_full', family: 'STM32WB5x', release: 'v1.24.0' });
    expect(ble).toHaveLength(1);
    expect(ble[0]).toMatchObject({ version: '1.24.0', kind: 'stack' });
  });

  it('by device: only images with a table address there (WB3x uses the WB5x column of its size)', () => {
    const wb3 = catalogImages({ device: 'STM32WB3xxE_512K', release: 'v1.24.0' });
    expect(wb3.length).toBeGreaterThan(0);
    for (const r of wb3) {
      expect(r.families).toContain('STM32WB3x');
      expect(catalogInstallAddress(r, 'STM32WB3xxE_512K')?.address).toBeTypeOf('number');
    }
    const c256 = catalogImages({ device: 'STM32WB5xxC_256K', release: 'v1.24.0', kind: 'stack' });
    for (const r of c256) expect(r.installAddress.STM32WB5xxC_256K).toMatch(/^0x/);
  });

  it('currentName is the pinned file name, or the family-specific one', () => {
    const fus = findCatalogImage('3f73a9be93eec3de7ff663d4b8a7669064c86f841db401c8ccee4f6ccd4e4b30')!;
    expect(currentName(fus)).toBe('stm32wb5x_FUS_fw_for_fus_0_5_3.bin');
    expect(currentName(fus, 'STM32WB3x')).toBe('stm32wb3x_FUS_fw_for_fus_0_5_3.bin');
  });
});
