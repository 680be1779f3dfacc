/** The board store: schema-valid JSON, atomic writes, locks between processes, fleets, snapshots. */
import { describe, it, expect } from 'vitest';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import {
  makeBoard,
  writeSimulatedBoard,
  readSimulatedBoard,
  listSimulatedBoards,
  lockBoard,
  withBoard,
  resetBoard,
  resetFleet,
  fromBoardState,
  toBoardState,
  advanceClock,
  defaultSimDir,
  armFault,
  parseFault,
  describeFault,
  FaultSyntaxError,
  SimStoreError,
  DEFAULT_SERIAL,
} from '../../src/drivers/simulator/index.js';
import { assertValid } from '../../src/schemas.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { tempDir } from './transcript.js';

describe('store', () => {
  it('round-trips a board through a schema-valid file, one file per serial', async () => {
    const dir = tempDir();
    const b = armFault(makeBoard({ serial: 'AAA1', fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), parseFault('usb-late:12'));
    await writeSimulatedBoard(dir, b);
    await writeSimulatedBoard(dir, makeBoard({ serial: 'AAA2' }));
    expect(await listSimulatedBoards(dir)).toEqual(['AAA1', 'AAA2']);
    const back = await readSimulatedBoard(dir, 'AAA1');
    expect({ ...back, clock: b.clock }).toEqual(b);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a file that does not match the schema, and names the problem', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'BAD.json'), JSON.stringify({ ...makeBoard({ serial: 'BAD' }), cpu2: 'dreaming' }));
    await expect(readSimulatedBoard(dir, 'BAD')).rejects.toThrow(/cpu2/);
    await expect(readSimulatedBoard(dir, 'NOPE')).rejects.toBeInstanceOf(SimStoreError);
    await expect(writeSimulatedBoard(dir, makeBoard({ serial: '../escape' }))).rejects.toThrow(/not a usable board serial/);
  });

  it('the default board is the rescue case: 1M, FUS 0.5.3 (SFSA 0xF6), no stack, RDP 0xAA, a USB DFU serial', async () => {
    const dir = defaultSimDir(tempDir());
    expect(dir.endsWith(path.join('.copro', 'sim'))).toBe(true);
    const serial = await resetBoard(dir);
    expect(serial).toBe(DEFAULT_SERIAL);
    expect(serial).toMatch(/^[0-9A-F]{12}$/);
    const b = await readSimulatedBoard(dir, serial);
    expect(b).toMatchObject({ device: { key: 'STM32WB5xxG_1M' }, fus: { version: '0.5.3' }, stack: null, optionBytes: { rdp: 0xaa, sfsa: 0xf6 } });
  });

  it('a fleet replaces the folder with N boards', async () => {
    const dir = tempDir();
    await resetBoard(dir, undefined, 'OLD');
    const serials = await resetFleet(dir, 3);
    expect(serials).toHaveLength(3);
    expect(new Set(serials).size).toBe(3);
    expect(await listSimulatedBoards(dir)).toEqual([...serials].sort());
  });

  it('a lock is exclusive; the second taker waits for the first', async () => {
    const dir = tempDir();
    await resetBoard(dir, undefined, 'L1');
    const order: string[] = [];
    const release = await lockBoard(dir, 'L1');
    const second = lockBoard(dir, 'L1').then(async (r) => {
      order.push('second');
      await r();
    });
    await new Promise((r) => setTimeout(r, 50));
    order.push('first-done');
    await release();
    await second;
    expect(order).toEqual(['first-done', 'second']);
    await expect(lockBoard(dir, 'L1', { timeoutMs: 50 }).then((r) => r())).resolves.toBeUndefined();
  });

  it('a lock left by a dead process is recovered', async () => {
    const dir = tempDir();
    await resetBoard(dir, undefined, 'L2');
    const dead = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    writeFileSync(path.join(dir, 'L2.lock'), JSON.stringify({ pid: Number(dead.stdout.trim()), since: 'then' }));
    const release = await lockBoard(dir, 'L2', { timeoutMs: 2000 });
    expect(JSON.parse(readFileSync(path.join(dir, 'L2.lock'), 'utf8')).pid).toBe(process.pid);
    await release();
    expect(existsSync(path.join(dir, 'L2.lock'))).toBe(false);
  });

  it('a lock held by a live process times out with a clear error', async () => {
    const dir = tempDir();
    await resetBoard(dir, undefined, 'L3');
    writeFileSync(path.join(dir, 'L3.lock'), JSON.stringify({ pid: process.ppid }));
    await expect(lockBoard(dir, 'L3', { timeoutMs: 60 })).rejects.toThrow(/stays locked by process/);
  });

  it('concurrent read-modify-write under the lock loses no update', async () => {
    const dir = tempDir();
    await resetBoard(dir, undefined, 'C1');
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withBoard(dir, 'C1', (b) => ({ board: { ...b, counters: { ...b.counters, connections: b.counters.connections + 1 } }, result: undefined })),
      ),
    );
    expect((await readSimulatedBoard(dir, 'C1')).counters.connections).toBe(8);
  });

  it('real time since the last save counts as device time, scaled by the speed', () => {
    const b = makeBoard();
    const saved = { ...b, clock: { ms: 1000, wallAt: 10_000 } };
    expect(advanceClock(saved, 10_050, 1000).clock.ms).toBe(1000 + 50_000);
    expect(advanceClock(saved, 9_000, 1000).clock.ms).toBe(1000); // never backwards
  });
});

describe('faults', () => {
  it('parses and prints the fault forms', () => {
    for (const t of ['power-loss@download:40', 'unplug@install', 'power-loss@reset', 'usb-late:12', 'usb-gone', 'hung-cli!', 'corrupt-option-bytes', 'exit-0-after-error', 'fus-053-not-authentic-quirk']) {
      expect(describeFault(parseFault(t))).toBe(t);
    }
    expect(() => parseFault('power-loss@download:101')).toThrow(FaultSyntaxError);
    expect(() => parseFault('meteor')).toThrow(/unknown fault/);
  });
});

describe('snapshots (board-state.schema.json)', () => {
  it('fromBoardState builds a board that reads back as the snapshot said', () => {
    const snapshot: BoardState = {
      schemaVersion: 1,
      source: { driver: 'snapshot', transport: 'usb' },
      device: { deviceId: '0x495', flashSizeKB: 1024, key: 'STM32WB5xxG_1M', uid64: '0x0080E12600658473', probeSerial: '2065385A3036' },
      cpu2: 'stack',
      fus: { version: '1.2.0', state: 'FUS_IDLE', error: 'NO_ERROR' },
      stack: { status: 'installed', version: '1.13.0', type: 'BLE_Stack_full', running: true, installAddress: '0x080C7000' },
      optionBytes: { rdp: '0xAA', sfsa: '0xC7', sbrv: '0x31C00', nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 },
      antiRollback: 'inactive',
      application: { present: true },
      notes: [],
    };
    const b = fromBoardState(snapshot);
    expect(b.serial).toBe('2065385A3036');
    const back = toBoardState(b, 'simulated');
    assertValid('board-state', back, 'read-back');
    expect(back.fus.version).toBe('1.2.0');
    expect(back.stack).toMatchObject({ status: 'installed', version: '1.13.0', type: 'BLE_Stack_full', running: true, installAddress: '0x080C7000' });
    expect(back.optionBytes).toMatchObject({ sfsa: '0xC7', sbrv: '0x31C00' });
    expect(back.application.present).toBe(true);
  });

  it('unknown fields are guessed and the guess is noted', () => {
    const b = fromBoardState({
      schemaVersion: 1,
      source: { driver: 'cubeprogrammer', transport: 'usb' },
      device: { deviceId: '0x495', flashSizeKB: 512, key: 'unknown', uid64: 'unknown', probeSerial: null },
      cpu2: 'unknown',
      fus: { version: 'unknown', state: 'unknown', error: 'unknown' },
      stack: { status: 'none', version: null, type: null, running: false },
      optionBytes: 'unknown',
      antiRollback: 'unknown',
      application: { present: 'unknown' },
      notes: [],
    });
    expect(b.device.key).toBe('STM32WB5xxE_512K');
    expect(b.notes.join(' ')).toMatch(/guessed: device key .*FUS version/);
    assertValid('board-state', toBoardState(b, 'usb'), 'read-back');
  });
});
