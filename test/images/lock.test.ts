import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, mkdir, rm, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLock, writeLock, checkAgainstLock, lockEntryOf, reconcileLock, LockError } from '../../src/images/lock.js';
import { catalogIdentity, identifyBytes } from '../../src/images/identify.js';
import { makeStandIn } from '../../src/images/standin.js';
import { loadCatalog } from '../../src/images/catalog.js';
import type { AvailableImage } from '../../src/images/types.js';
import { findBy, imageWith } from './helpers.js';

const images = loadCatalog().images;
const ble = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE 1.24.0');
const fus = findBy(images, (r) => r.kind === 'fus' && r.version === '2.2.0' && r.families.includes('STM32WB5x'), 'FUS 2.2.0');
const catalogImage = (r: typeof ble): AvailableImage => ({ identity: catalogIdentity(r), name: r.names.at(-1)!, origin: 'catalog' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'copro-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('copro.lock files', () => {
  it('round-trips, sorted and de-duplicated, written atomically (no temp file left)', async () => {
    const file = path.join(dir, 'copro.lock');
    const entries = [lockEntryOf(catalogImage(ble)), lockEntryOf(catalogImage(fus)), lockEntryOf(catalogImage(ble))];
    await writeLock(file, entries);
    const lock = await readLock(file);
    expect(lock.lockVersion).toBe(2);
    expect(lock.images.map((e) => e.kind)).toEqual(['fus', 'stack']);
    expect(lock.images[1]).toEqual({ name: 'stm32wb5x_BLE_Stack_full_fw.bin', sha256: ble.sha256, size: ble.size, version: '1.24.0', kind: 'stack', stackType: 'BLE_Stack_full', families: [...ble.families].sort() as never, st: true });
    expect(lock.images[0]!.stackType).toBeNull();
    expect(await readdir(dir)).toEqual(['copro.lock']);
    // Deterministic: the same entries in another order give the same bytes.
    const text = await readFile(file, 'utf8');
    await writeLock(file, [...entries].reverse());
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('a stand-in is locked as the image it stands for', () => {
    const id = identifyBytes(makeStandIn(ble));
    expect(lockEntryOf({ identity: id, name: 'x.bin', origin: 'stand-in' }).sha256).toBe(ble.sha256);
  });

  it('readLock: MISSING and INVALID are typed', async () => {
    await expect(readLock(path.join(dir, 'nope.lock'))).rejects.toMatchObject({ code: 'MISSING' });
    const bad = path.join(dir, 'bad.lock');
    await writeFile(bad, '{ not json');
    await expect(readLock(bad)).rejects.toBeInstanceOf(LockError);
    await writeFile(bad, JSON.stringify({ lockVersion: 2, images: [{ name: 'a', sha256: 'xyz' }] }));
    await expect(readLock(bad)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/sha256/) });
    await writeFile(bad, JSON.stringify({ lockVersion: 1, images: [{ name: 'a', sha256: 'xyz' }] }));
    await expect(readLock(bad)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/lockVersion 1 .*malformed/) });
  });

  it('writeLock refuses entries that do not match the schema', async () => {
    await expect(writeLock(path.join(dir, 'copro.lock'), [{ name: 'a', sha256: 'nothex', size: 1, version: '1.0.0', kind: 'fus', stackType: null, families: [], st: false }])).rejects.toThrow(/lock\.schema\.json/);
  });
});

describe('checkAgainstLock', () => {
  const lock = { lockVersion: 2 as const, images: [lockEntryOf(catalogImage(ble)), lockEntryOf(catalogImage(fus))] };

  it('accepts the pinned images and their stand-ins', () => {
    const standIn: AvailableImage = { identity: identifyBytes(makeStandIn(ble)), name: 'stm32wb5x_BLE_Stack_full_fw.bin', path: '/x/s.bin', origin: 'stand-in' };
    expect(checkAgainstLock([catalogImage(ble), catalogImage(fus), standIn], lock)).toEqual([]);
  });

  it('reports another content for a pinned image with expected and actual sha256', () => {
    const imposter = identifyBytes(imageWith({ memorySize: 2, version: 0x01180000, magic: 0xb10c8b99 }), 'stm32wb5x_BLE_Stack_full_fw.bin');
    expect(imposter.stackType).toBe('BLE_Stack_full');
    const m = checkAgainstLock([{ identity: imposter, name: 'stm32wb5x_BLE_Stack_full_fw.bin', path: '/b/x.bin', origin: 'file' }], lock);
    expect(m).toEqual([expect.objectContaining({ code: 'SHA256_DIFFERS', expected: ble.sha256, actual: imposter.sha256, path: '/b/x.bin' })]);
    expect(m[0]!.message).toContain(ble.sha256);
  });

  it('reports an image the lock does not pin', () => {
    const older = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.23.0' && r.families.includes('STM32WB5x'), 'BLE 1.23.0');
    expect(checkAgainstLock([catalogImage(older)], lock)).toEqual([expect.objectContaining({ code: 'NOT_LOCKED', actual: older.sha256 })]);
  });
});

describe('copro.lock is keyed by content (issue 12)', () => {
  const fus053 = findBy(images, (r) => r.kind === 'fus' && r.names.some((n) => /for_fus_0_5_3/.test(n)), 'FUS 1.2.0 for 0.5.3');
  const fus12 = findBy(images, (r) => r.kind === 'fus' && r.version === '1.2.0' && r.names.some((n) => /_1_2_0\.bin$/.test(n)), 'FUS 1.2.0 for 1.x');
  const wb1 = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB1x'), 'WB1x BLE 1.24.0');

  it('the two different FUS 1.2.0 images coexist', () => {
    const lock = { lockVersion: 2 as const, images: [lockEntryOf(catalogImage(fus053))] };
    expect(checkAgainstLock([catalogImage(fus12)], lock)).toEqual([expect.objectContaining({ code: 'NOT_LOCKED' })]);
    expect(checkAgainstLock([catalogImage(fus053), catalogImage(fus12)], { lockVersion: 2, images: [lockEntryOf(catalogImage(fus053)), lockEntryOf(catalogImage(fus12))] })).toEqual([]);
  });

  it('a WB15 and a WB55 manifest share one folder: the same stack version for two families is two entries', () => {
    const lock = { lockVersion: 2 as const, images: [lockEntryOf(catalogImage(ble))] };
    expect(checkAgainstLock([catalogImage(wb1)], lock)).toEqual([expect.objectContaining({ code: 'NOT_LOCKED' })]);
  });

  it('an image that is not ST\'s, for a pinned ST image\'s family/kind/type/version: SHA256_DIFFERS', () => {
    const imposter = identifyBytes(imageWith({ memorySize: 2, version: 0x01180000, magic: 0xb10c8b99 }), 'stm32wb5x_BLE_Stack_full_fw.bin');
    const lock = { lockVersion: 2 as const, images: [lockEntryOf(catalogImage(ble))] };
    expect(checkAgainstLock([{ identity: imposter, name: 'x.bin', origin: 'file' }], lock)).toEqual([expect.objectContaining({ code: 'SHA256_DIFFERS', expected: ble.sha256 })]);
  });

  it('a lockVersion 1 file is read (families from the catalog) and reconciled into lockVersion 2 with a note', async () => {
    const file = path.join(dir, 'copro.lock');
    const v1 = { lockVersion: 1, images: [{ name: 'stm32wb5x_FUS_fw_for_fus_0_5_3.bin', sha256: fus053.sha256, size: fus053.size, version: '1.2.0', kind: 'fus', stackType: null }] };
    await writeFile(file, JSON.stringify(v1));
    const lock = await readLock(file);
    expect(lock.lockVersion).toBe(2);
    expect(lock.images[0]).toMatchObject({ sha256: fus053.sha256, st: true, families: expect.arrayContaining(['STM32WB5x']) });
    // Under version 1, FUS 1.2.0 for 1.x collided with the pinned FUS 1.2.0 for 0.5.3: now both are pinned.
    const r = await reconcileLock(file, [catalogImage(fus053), catalogImage(fus12)], { update: false });
    expect(r.differs).toEqual([]);
    expect(r.note).toContain('converted from lockVersion 1');
    expect(r.write!.map((e) => e.sha256).sort()).toEqual([fus053.sha256, fus12.sha256].sort());
  });

  it('a folder or an unreadable file named copro.lock: LockError UNREADABLE saying what to do', async () => {
    const asDir = path.join(dir, 'copro.lock');
    await mkdir(asDir);
    await expect(readLock(asDir)).rejects.toMatchObject({ code: 'UNREADABLE', message: expect.stringMatching(/is a folder, not copro's lock file: remove it/) });
  });
});
