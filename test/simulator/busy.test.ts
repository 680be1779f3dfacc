/**
 * Operations take time on the chip: a read while FUS installs or deletes sees the work in progress
 * (WIRELESS_STACK_UPGRADE_ONGOING, FUS_UPGRADE_ONGOING, FUS_SERVICE_ONGOING, the FUS 2.x NVM backup / restore
 * phases), never the end state; FUS takes no new command meanwhile. Each test names its ledger id.
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, toBoardState, advanceClock, createSimulatorDriver, writeSimulatedBoard, readSimulatedBoard, type SimBoard } from '../../src/drivers/simulator/index.js';
import { identifyBytes } from '../../src/images/index.js';
import type { AvailableImage } from '../../src/images/types.js';
import { IMG, install, play, record, standInBytes, standInWrite, USB } from './helpers.js';
import { tempDir, writeFile } from './transcript.js';

/** The board as a reader sees it `ms` of device time after the operation's window opened. */
const at = (b: SimBoard, ms: number): SimBoard => ({ ...b, clock: { ...b.clock, ms: b.busy!.startMs + ms } });
const DIT_STACK_INFO = 0x20030024 + 28;

function imageFile(dir: string, prefix: string): AvailableImage {
  const bytes = standInBytes(prefix);
  const name = record(prefix).names.at(-1)!;
  return { identity: identifyBytes(bytes, name), path: writeFile(dir, name, bytes), name, origin: 'stand-in' };
}

describe('BUSY-READ: a read during an install sees the install in progress, not its end', () => {
  // fidelity: BUSY-READ
  it('stack install: FUS_GET_STATE answers WIRELESS_STACK_UPGRADE_ONGOING, the read shows no stack yet, FUS refuses new work; after the window, the stack', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.BLE_FULL_1_13_0), USB);
    expect(r.upgrade.ok).toBe(true);
    const busy = r.board.busy!;
    expect(busy).toMatchObject({ operation: 'install', state: 'WIRELESS_STACK_UPGRADE_ONGOING' });
    expect(busy.untilMs - busy.startMs).toBeGreaterThan(1000);
    const mid = at(r.board, (busy.untilMs - busy.startMs) / 2);
    expect(apply(mid, { op: 'getState' }, USB).outcome.status).toEqual({ state: 'WIRELESS_STACK_UPGRADE_ONGOING', error: 'NO_ERROR' });
    const seen = toBoardState(mid, 'simulated');
    expect(seen.fus.state).toBe('WIRELESS_STACK_UPGRADE_ONGOING');
    expect(seen.stack.status).not.toBe('installed');
    expect(seen.notes.join(' ')).toMatch(/still in progress/);
    // The info table has no stack version yet.
    expect(apply(mid, { op: 'readMemory', address: 0x20030024 + 20, words: 1 }, USB).outcome.words).toEqual([0]);
    // FUS takes no new command meanwhile.
    expect(apply(mid, { op: 'fwDelete' }, USB).outcome).toMatchObject({ ok: false, error: 'FUS_BUSY', status: { state: 'WIRELESS_STACK_UPGRADE_ONGOING' } });
    // Once the window has passed: the end state, and busy is cleared by the next command.
    const after = at(r.board, busy.untilMs - busy.startMs);
    expect(toBoardState(after, 'simulated').stack).toMatchObject({ status: 'installed', version: '1.13.0' });
    expect(apply(after, { op: 'getState' }, USB).board.busy).toBeNull();
  });

  it('FUS update: FUS_UPGRADE_ONGOING, and the FUS version is not the new one yet', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.FUS_2_2_0, 0x080ee000), USB);
    expect(r.upgrade.ok).toBe(true);
    const mid = at(r.board, 10);
    expect(apply(mid, { op: 'getState' }, USB).outcome.status).toEqual({ state: 'FUS_UPGRADE_ONGOING', error: 'NO_ERROR' });
    const seen = toBoardState(mid, 'simulated');
    expect(seen.fus).toMatchObject({ state: 'FUS_UPGRADE_ONGOING', version: 'unknown' });
    expect(apply(mid, { op: 'readMemory', address: 0x20030030, words: 1 }, USB).outcome.words).toEqual([0]);
  });

  it('delete: FUS_SERVICE_ONGOING until the stack is gone', () => {
    const b = makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' });
    const r = apply(b, { op: 'fwDelete' }, USB);
    expect(r.outcome.ok).toBe(true);
    expect(apply(at(r.board, 5), { op: 'getState' }, USB).outcome.status).toEqual({ state: 'FUS_SERVICE_ONGOING', error: 'NO_ERROR' });
  });
});

describe('BUSY-NVM: FUS 2.x backs up and restores the stack NVM around an upgrade (InfoStack 0xF0 / 0xF1)', () => {
  // fidelity: BUSY-NVM
  it('a FUS_v2-only stack on FUS 2.2.0: the info table shows NVM_BACKUP first, NVM_RESTORE last', () => {
    const r = install(makeBoard({ fusVersion: '2.2.0' }), standInWrite(IMG.BLE_FULL_1_24_0_V2, 0x080d0000), USB);
    expect(r.upgrade.ok).toBe(true);
    const busy = r.board.busy!;
    expect(busy.nvm).toBe(true);
    const span = busy.untilMs - busy.startMs;
    const infoStack = (ms: number) => apply(at(r.board, ms), { op: 'readMemory', address: DIT_STACK_INFO, words: 1 }, USB).outcome.words![0]! & 0xff;
    expect([infoStack(1), infoStack(span / 2), infoStack(span - 1)]).toEqual([0xf0, 0, 0xf1]);
    expect(toBoardState(at(r.board, 1), 'simulated').notes.join(' ')).toMatch(/NVM backup/);
    expect(toBoardState(at(r.board, span - 1), 'simulated').notes.join(' ')).toMatch(/NVM restore/);
  });

  it('FUS 1.2.0 has no NVM phases', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.BLE_FULL_1_13_0), USB);
    expect(r.board.busy!.nvm).toBeUndefined();
  });
});

describe('BUSY-READ: who sees it: a host that stopped waiting', () => {
  it('a reader earlier than the saved clock (its host was killed mid-wait) is that much earlier in device time; jitter is on time', () => {
    const r = install(makeBoard({ fusVersion: '1.2.0' }), standInWrite(IMG.BLE_FULL_1_13_0), USB);
    const saved: SimBoard = { ...r.board, clock: { ms: r.board.clock.ms, wallAt: 100_000 } };
    const span = r.board.clock.ms - r.board.busy!.startMs;
    // 1x speed: the host was killed half way through the wait.
    const early = advanceClock(saved, 100_000 - span / 2, 1);
    expect(toBoardState(early, 'simulated').fus.state).toBe('WIRELESS_STACK_UPGRADE_ONGOING');
    // A few ms of timer jitter is not a killed host.
    expect(advanceClock(saved, 100_000 - 5, 1).clock.ms).toBe(r.board.clock.ms);
    // Without a FUS operation in the window the clock never goes back.
    expect(advanceClock({ ...saved, busy: null }, 100_000 - span / 2, 1).clock.ms).toBe(r.board.clock.ms);
  });

  it('simulator driver: aborted mid-install, the next read sees the install in progress; later, the stack', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, makeBoard({ serial: 'B1', fusVersion: '1.2.0' }));
    const d = await createSimulatorDriver({ dir, serial: 'B1', speed: 20 }); // a ~10 s install takes ~0.5 s of wall time
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    await expect(d.upgrade(imageFile(dir, IMG.BLE_FULL_1_13_0), 0x080c7000, { firstInstall: true, startStack: true, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const during = await d.readState();
    expect(during.fus.state).toBe('WIRELESS_STACK_UPGRADE_ONGOING');
    expect(during.stack.status).not.toBe('installed');
    const stored = await readSimulatedBoard(dir, 'B1');
    // Wait out the rest of the window (device time at speed 20).
    const left = (stored.busy!.untilMs - stored.clock.ms) / 20 + (stored.clock.wallAt - Date.now());
    expect(left).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, left + 100));
    const done = await d.readState();
    expect(done.stack).toMatchObject({ status: 'installed', version: '1.13.0' });
    expect(play(stored, [{ op: 'getState' }], USB).outcomes[0]!.ok).toBe(true);
  });
});
