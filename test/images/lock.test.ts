import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, rm, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLock, writeLock, checkAgainstLock, lockEntryOf, LockError } from '../../src/images/lock.js';
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
    expect(lock.lockVersion).toBe(1);
    expect(lock.images.map((e) => e.kind)).toEqual(['fus', 'stack']);
    expect(lock.images[1]).toEqual({ name: 'stm32wb5x_BLE_Stack_full_fw.bin', sha256: ble.sha256, size: ble.size, version: '1.24.0', kind: 'stack', stackType: 'BLE_Stack_full' });
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
    await writeFile(bad, JSON.stringify({ lockVersion: 1, images: [{ name: 'a', sha256: 'xyz' }] }));
    await expect(readLock(bad)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/sha256/) });
  });

  it('writeLock refuses entries that do not match the schema', async () => {
    await expect(writeLock(path.join(dir, 'copro.lock'), [{ name: 'a', sha256: 'nothex', size: 1, version: '1.0.0', kind: 'fus', stackType: null }])).rejects.toThrow(/lock\.schema\.json/);
  });
});

describe('checkAgainstLock', () => {
  const lock = { lockVersion: 1 as const, images: [lockEntryOf(catalogImage(ble)), lockEntryOf(catalogImage(fus))] };

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
