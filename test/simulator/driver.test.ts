/** SimulatorDriver: the Driver contract over the store + model + timing. */
import { describe, it, expect } from 'vitest';
import {
  createSimulatorDriver,
  makeBoard,
  writeSimulatedBoard,
  readSimulatedBoard,
  armFault,
  parseFault,
  listSimulatedBoards,
  modelledDuration,
  TIMING,
  simSpeed,
  sleepModelled,
  type SimEvent,
} from '../../src/drivers/simulator/index.js';
import { DriverError, type Progress } from '../../src/drivers/driver.js';
import { identifyBytes } from '../../src/images/index.js';
import type { AvailableImage } from '../../src/images/types.js';
import { assertValid } from '../../src/schemas.js';
import { IMG, standInBytes, standInWrite, record, install } from './helpers.js';
import { tempDir, writeFile } from './transcript.js';

function imageFile(dir: string, prefix: string): AvailableImage {
  const bytes = standInBytes(prefix);
  const name = record(prefix).names.at(-1)!;
  return { identity: identifyBytes(bytes, name), path: writeFile(dir, name, bytes), name, origin: 'stand-in' };
}

describe('SimulatorDriver', () => {
  it('opens the default board in an empty folder and reads a schema-valid state', async () => {
    const dir = tempDir();
    const d = await createSimulatorDriver({ dir });
    expect(await listSimulatedBoards(dir)).toEqual([d.serial]);
    expect(d.info()).toMatchObject({ kind: 'simulator', transport: 'simulated', serial: d.serial });
    const s = await d.readState();
    assertValid('board-state', s, 'simulator read-back');
    expect(s).toMatchObject({ cpu2: 'fus', fus: { version: '0.5.3' }, stack: { status: 'none' }, optionBytes: { sfsa: '0xF6' } });
  });

  it('takes the rescue board to FUS 2.2.0 and a running stack, reporting progress', async () => {
    const dir = tempDir();
    const d = await createSimulatorDriver({ dir, transport: 'usb' });
    const seen: Progress['phase'][] = [];
    const onProgress = (p: Progress) => seen.push(p.phase);
    const r1 = await d.upgrade(imageFile(dir, IMG.FUS_1_2_0_FOR_053), 0x080ec000, { firstInstall: true, startStack: true, onProgress });
    expect(r1).toMatchObject({ ok: true });
    expect(r1.messages).toContain('Firmware Upgrade Success');
    expect(seen).toEqual(expect.arrayContaining(['connect', 'download', 'install', 'reset', 'reconnect']));
    expect((await d.upgrade(imageFile(dir, IMG.FUS_2_2_0), 0x080ee000, { firstInstall: true, startStack: true })).ok).toBe(true);
    const r3 = await d.upgrade(imageFile(dir, IMG.BLE_FULL_1_24_0_V2), 0x080d0000, { firstInstall: false, startStack: true });
    expect(r3.ok).toBe(true);
    const s = await d.readState();
    // over USB the running stack hides the versions (P23): like the CubeProgrammer driver, the read starts
    // FUS, reads, and starts the stack again (two resets), never guessing
    expect(s).toMatchObject({ cpu2: 'stack', fus: { version: '2.2.0' }, stack: { status: 'installed', version: '1.24.0', running: true } });
    expect(s.notes.join(' ')).toMatch(/FUS started, then the stack started again/);
    const sim = await createSimulatorDriver({ dir, serial: d.serial });
    expect(await sim.readState()).toMatchObject({ fus: { version: '2.2.0' }, stack: { version: '1.24.0', type: 'BLE_Stack_full' } });
    expect(d.modelledMs).toBeGreaterThan(3 * TIMING.fusUpgradeMs);
  });

  it('refuses what it cannot do, and reports FUS refusals as typed errors', async () => {
    const dir = tempDir();
    const d = await createSimulatorDriver({ dir });
    await expect(d.upgrade({ ...imageFile(dir, IMG.FUS_2_2_0), path: undefined }, 0x080ee000, { firstInstall: true, startStack: true })).rejects.toMatchObject({ code: 'REFUSED' });
    const r = await d.upgrade(imageFile(dir, IMG.FUS_2_2_0), 0x080ee000, { firstInstall: true, startStack: true });
    expect(r).toMatchObject({ ok: false, error: 'NOT_AUTHENTIC' });
    expect(r.messages).toContain('FUS status is FUS_IMAGE_NOT_AUTHENTIC');
    const del = await d.deleteStack();
    expect(del.ok).toBe(true);
    expect(del.messages).toContain('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
    await d.close();
    await expect(d.readState()).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('the "not authentic" quirk: the tool claims failure, the read-back shows the FUS updated (judge by read-back)', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, armFault(makeBoard({ serial: 'Q1' }), parseFault('fus-053-not-authentic-quirk')));
    const d = await createSimulatorDriver({ dir, serial: 'Q1' });
    const r = await d.upgrade(imageFile(dir, IMG.FUS_1_0_2), 0x080ec000, { firstInstall: true, startStack: true });
    expect(r).toMatchObject({ ok: false, error: 'NOT_AUTHENTIC' });
    expect((await d.readState()).fus.version).toBe('1.0.2');
  });

  it('over SWD the FUS operator clobbers the application; re-flashing restores it', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, makeBoard({ serial: 'S1', fusVersion: '1.2.0', application: { sizeBytes: 0x8000 } }));
    const d = await createSimulatorDriver({ dir, serial: 'S1', transport: 'swd', toolVersion: '2.17.0' });
    expect((await d.deleteStack()).ok).toBe(true);
    let s = await d.readState();
    expect(s.application).toMatchObject({ present: true, clobberedByFusOperator: true });
    expect(s.optionBytes).toMatchObject({ nSWboot0: 0 });
    const app = writeFile(dir, 'app.bin', new Uint8Array(0x8000).fill(7));
    expect((await d.flash(app, 0x08000000)).ok).toBe(true);
    expect((await d.writeOptionBytes({ nSWboot0: 1 })).ok).toBe(true);
    // A full read over SWD would run the operator again (P47): the late steps are checked with a flash-only read.
    s = await d.readState({ scope: 'flash' });
    expect(s.fus.version).toBe('unknown');
    expect(s.application.clobberedByFusOperator).toBeUndefined();
    expect(s.application.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.optionBytes).toMatchObject({ nSWboot0: 1 });
    // and a full read clobbers it again, as a real chip does
    const full = await d.readState();
    expect(full.application.clobberedByFusOperator).toBe(true);
    expect(full.optionBytes).toMatchObject({ nSWboot0: 0 });
  });

  it('a USB device that does not come back makes the driver fail with a typed error', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, armFault(makeBoard({ serial: 'U1', fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), parseFault('usb-gone')));
    const d = await createSimulatorDriver({ dir, serial: 'U1', transport: 'usb' });
    // Two GET_STATE reset the chip... and USB never returns: the host lost the device (not "FUS is running").
    expect(await d.startFus()).toMatchObject({ ok: false, error: 'DISCONNECTED' });
    const err = await d.readState().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ code: 'NO_TARGET' });
    // the ST-LINK still sees it (and through the operator reads the versions whatever CPU2 runs)
    expect((await (await createSimulatorDriver({ dir, serial: 'U1', transport: 'swd' })).readState()).fus.version).toBe('1.2.0');
  });

  it('an abort while the board is busy rejects with ABORTED, and the board went on (read it back)', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, makeBoard({ serial: 'A1', fusVersion: '1.2.0' }));
    const d = await createSimulatorDriver({ dir, serial: 'A1', speed: 20 }); // a ~10 s install takes ~0.5 s of wall time
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(d.upgrade(imageFile(dir, IMG.BLE_FULL_1_13_0), 0x080c7000, { firstInstall: true, startStack: true, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await readSimulatedBoard(dir, 'A1')).stack?.version).toBe('1.13.0');
  });
});

describe('timing', () => {
  it('models ST timings: 165 KB over USB in ~3.5 s, a FUS update with >= 4 reboots, USB re-enumeration ~4 s each', () => {
    const usb = { transport: 'usb' as const };
    const stack = install(makeBoard({ fusVersion: '1.0.2' }), standInWrite(IMG.BLE_STACK_1_4_0, 0x080cb000), usb);
    const write = stack.events.find((e): e is Extract<SimEvent, { type: 'write' }> => e.type === 'write')!;
    expect(write.ms).toBeGreaterThan(3300);
    expect(write.ms).toBeLessThan(3800);
    const fus = install(makeBoard(), standInWrite(IMG.FUS_1_2_0_FOR_053, 0x080ec000), usb);
    expect(fus.events.filter((e) => e.type === 'reset').length).toBeGreaterThanOrEqual(4);
    expect(fus.events.filter((e) => e.type === 'reconnect').every((e) => e.ms === TIMING.usbReenumerationMs)).toBe(true);
    expect(modelledDuration(fus.events)).toBeGreaterThan(4 * TIMING.usbReenumerationMs + TIMING.fusUpgradeMs);
  });

  it('COPRO_SIM_SPEED scales wall time (vitest runs at 1000) and refuses nonsense', async () => {
    expect(simSpeed({ COPRO_SIM_SPEED: '1000' })).toBe(1000);
    expect(simSpeed({})).toBe(1);
    expect(() => simSpeed({ COPRO_SIM_SPEED: '0' })).toThrow(/positive/);
    const t0 = performance.now();
    await sleepModelled(2000, 20);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(1000);
  });
});
