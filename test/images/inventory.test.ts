import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, writeFile, rm, mkdir, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectImages } from '../../src/images/inventory.js';
import { makeStandIn } from '../../src/images/standin.js';
import { catalogImages, loadCatalog } from '../../src/images/catalog.js';
import { findBy, imageWith } from './helpers.js';

const images = loadCatalog().images;
const ble = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE 1.24.0');
const fus22 = findBy(images, (r) => r.kind === 'fus' && r.version === '2.2.0' && r.families.includes('STM32WB5x'), 'FUS 2.2.0');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'copro-inventory-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('collectImages', () => {
  it('identifies local files by content, reports junk and pinned-sha256 mismatches, lists the rest of the catalog', async () => {
    const bins = path.join(dir, 'binaries');
    await mkdir(path.join(bins, 'v1.24.0'), { recursive: true });
    await writeFile(path.join(bins, 'v1.24.0', 'stm32wb5x_BLE_Stack_full_fw.bin'), makeStandIn(ble));
    await writeFile(path.join(bins, 'notes.txt'), 'not an image');
    await writeFile(path.join(bins, 'junk.bin'), new Uint8Array(500));
    const pinned = path.join(dir, 'fus.bin');
    await writeFile(pinned, makeStandIn(fus22));
    const { images: got, problems } = await collectImages({
      dir: bins,
      files: [{ path: pinned, sha256: 'ab'.repeat(32) }],
      release: 'v1.24.0',
      family: 'STM32WB5x',
      standIns: false,
    });
    expect(problems.map((p) => p.code).sort()).toEqual(['NOT_AN_IMAGE', 'SHA256_MISMATCH']);
    const mismatch = problems.find((p) => p.code === 'SHA256_MISMATCH')!;
    expect(mismatch.expected).toBe('ab'.repeat(32));
    expect(mismatch.actual).toMatch(/^[0-9a-f]{64}$/);
    expect(mismatch.actual).not.toBe(mismatch.expected);
    expect(mismatch.message).toContain(mismatch.actual!);

    const local = got.filter((i) => i.path);
    expect(local).toHaveLength(1);
    expect(local[0]).toMatchObject({ origin: 'stand-in', name: 'stm32wb5x_BLE_Stack_full_fw.bin', identity: { standInFor: ble.sha256 } });
    // The catalog supplies the rest of v1.24.0 for WB5x, but not what is already here.
    const fromCatalog = got.filter((i) => i.origin === 'catalog');
    const expected = catalogImages({ release: 'v1.24.0', family: 'STM32WB5x' }).filter((r) => r.sha256 !== ble.sha256);
    expect(fromCatalog.map((i) => i.identity.sha256).sort()).toEqual(expected.map((r) => r.sha256).sort());
    expect(fromCatalog.every((i) => i.path === undefined && i.name.startsWith('stm32wb5x_'))).toBe(true);
  });

  it('a pinned file whose sha256 matches is used; a missing one is a problem', async () => {
    const file = path.join(dir, 'x.bin');
    const bytes = imageWith({ memorySize: 2, version: 0x01190000, magic: 0x23372991 });
    await writeFile(file, bytes);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const r = await collectImages({ files: [{ path: file, sha256: sha.toUpperCase(), notST: true }, { path: path.join(dir, 'gone.bin') }], release: 'v1.24.0', family: 'STM32WB1x', standIns: false });
    expect(r.images.find((i) => i.path === file)?.identity.version).toBe('1.25.0');
    expect(r.problems).toEqual([expect.objectContaining({ code: 'MISSING_FILE', path: path.join(dir, 'gone.bin') })]);
  });

  it('a missing images folder is no problem', async () => {
    const r = await collectImages({ dir: path.join(dir, 'nope'), release: 'v1.24.0', family: 'STM32WB1x', standIns: false });
    expect(r.problems).toEqual([]);
    expect(r.images.every((i) => i.origin === 'catalog')).toBe(true);
  });

  it('files of another family in the folder are left out', async () => {
    await writeFile(path.join(dir, 'stm32wb5x_BLE_Stack_full_fw.bin'), makeStandIn(ble));
    const r = await collectImages({ dir, release: 'v1.24.0', family: 'STM32WB1x', standIns: false });
    expect(r.images.filter((i) => i.path)).toEqual([]);
  });

  it('with standIns, writes deterministic stand-ins under standInDir once, and reuses them', async () => {
    const standInDir = path.join(dir, '.copro', 'standins');
    const opts = { release: 'v1.24.0', family: 'STM32WB1x' as const, standIns: true, standInDir };
    const first = await collectImages(opts);
    const wanted = catalogImages({ release: 'v1.24.0', family: 'STM32WB1x' });
    expect(first.problems).toEqual([]);
    expect(first.images).toHaveLength(wanted.length);
    for (const i of first.images) {
      expect(i.origin).toBe('stand-in');
      expect(i.path!.startsWith(path.join(standInDir, 'v1.24.0'))).toBe(true);
      expect(i.identity.standInFor).toBeDefined();
      expect(i.identity.warnings.join('\n')).not.toMatch(/file name/);
    }
    const mtimes = await Promise.all(first.images.map(async (i) => (await stat(i.path!)).mtimeMs));
    const second = await collectImages(opts);
    expect(second.images.map((i) => i.identity.sha256)).toEqual(first.images.map((i) => i.identity.sha256));
    expect(await Promise.all(second.images.map(async (i) => (await stat(i.path!)).mtimeMs))).toEqual(mtimes);
    expect((await readdir(path.join(standInDir, 'v1.24.0'))).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('with standIns and no release, only the newest release gets stand-ins; older images stay in the catalog', async () => {
    const r = await collectImages({ family: 'STM32WB1x', standIns: true, standInDir: path.join(dir, 's') });
    const standIns = r.images.filter((i) => i.origin === 'stand-in');
    expect(standIns).toHaveLength(catalogImages({ release: 'v1.24.0', family: 'STM32WB1x' }).length);
    expect(r.images.filter((i) => i.origin === 'catalog').length).toBe(catalogImages({ family: 'STM32WB1x' }).length - standIns.length);
  });
});
