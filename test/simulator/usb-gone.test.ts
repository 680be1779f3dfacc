/**
 * USB DFU that never comes back after a reset is a lost connection, whatever the chip does next on its own: a
 * later reset inside the same operation (a FUS update reboots several times) must not bring it back, and a wait
 * for it never succeeds. Checked on the model, through the simulator driver, and through the real driver over
 * the fake STM32_Programmer_CLI.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { apply, armFault, parseFault, makeBoard, writeSimulatedBoard, readSimulatedBoard, createSimulatorDriver } from '../../src/drivers/simulator/index.js';
import { createCubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/index.js';
import { DriverError } from '../../src/drivers/driver.js';
import { identifyBytes } from '../../src/images/index.js';
import type { AvailableImage } from '../../src/images/types.js';
import { IMG, install, play, record, standInBytes, standInWrite, USB } from './helpers.js';
import { tempDir, writeFile } from './transcript.js';

const FAKE_CLI = path.join(import.meta.dirname, '..', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');

/** FUS 1.2.0, no stack, USB DFU only, USB armed to vanish at the next reset (the FUS update's first reboot). */
const goneAtNextReset = (serial = 'USBGONE1') => armFault(makeBoard({ serial, fusVersion: '1.2.0', stack: null, cpu2: 'fus', attachments: [{ transport: 'usb', serial }] }), parseFault('usb-gone'));

function imageFile(dir: string, prefix: string): AvailableImage {
  const bytes = standInBytes(prefix);
  const name = record(prefix).names.at(-1)!;
  return { identity: identifyBytes(bytes, name), path: writeFile(dir, name, bytes), name, origin: 'stand-in' };
}

describe('USB-GONE-STAYS: a DFU device that stopped enumerating is not brought back by the chip\'s later resets', () => {
  // fidelity: USB-GONE-STAYS
  it('a FUS update whose first reboot loses USB fails as a lost connection; the chip finished on its own', () => {
    const r = install(goneAtNextReset(), standInWrite(IMG.FUS_2_2_0, 0x080ee000), USB);
    // On main before this fix the three later reboots set USB back and the update reported success.
    expect(r.upgrade).toMatchObject({ ok: false, error: 'CONNECTION_LOST' });
    expect(r.upgrade.installed).toBeUndefined(); // the host did not see it
    expect(r.events.filter((e) => e.type === 'reset').length).toBeGreaterThan(1);
    expect(r.board.usbAvailableAtMs).toBeNull();
    expect(r.board.fus.version).toBe('2.2.0'); // FUS needs no host to finish its own update
    const lostAt = r.events.findIndex((e) => e.type === 'reset');
    expect(r.events.slice(lostAt).filter((e) => e.type === 'fus-state')).toEqual([]); // nobody read those
    // A wait for it never succeeds, however long; a connect finds nothing; a reset does not help either.
    expect(apply(r.board, { op: 'awaitUsb', timeoutMs: 3_600_000 }, USB).outcome).toMatchObject({ ok: false, error: 'CONNECTION_LOST' });
    const reset = play(r.board, [{ op: 'reset', kind: 'hardware' }, { op: 'connect' }], USB);
    expect(reset.outcomes[1]).toMatchObject({ ok: false, error: 'NOT_REACHABLE' });
    // Only a power cycle (re-plug) brings it back, and then the read shows what the chip did.
    const replugged = play(r.board, [{ op: 'powerCycle' }, { op: 'connect' }, { op: 'getState' }], USB);
    expect(replugged.outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(replugged.board.fus.version).toBe('2.2.0');
  });

  it('a delete whose reset loses USB: the next command over USB cannot reach the chip', () => {
    const b = armFault(makeBoard({ serial: 'USBGONE2', fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' }), parseFault('usb-gone'));
    const r = play(b, [{ op: 'fwDelete' }, { op: 'getState' }], USB);
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: 'CONNECTION_LOST' });
    expect(r.board.stack).toBeNull();
    expect(r.board.usbAvailableAtMs).toBeNull();
  });

  it('over SWD the same reset costs nothing: the probe does not depend on USB', () => {
    const b = armFault(makeBoard({ serial: 'USBGONE3', fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus' }), parseFault('usb-gone'));
    const r = apply(b, { op: 'reset', kind: 'software' }, USB);
    expect(apply(r.board, { op: 'connect' }, { transport: 'swd' }).outcome.ok).toBe(true);
  });

  it('simulator driver: the FUS update fails as DISCONNECTED, the next operation finds no device', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, goneAtNextReset());
    const d = await createSimulatorDriver({ dir, serial: 'USBGONE1', transport: 'usb' });
    const r = await d.upgrade(imageFile(dir, IMG.FUS_2_2_0), 0x080ee000, { firstInstall: true, startStack: false });
    expect(r).toMatchObject({ ok: false, error: 'DISCONNECTED' });
    expect(r.messages.join('\n')).not.toMatch(/FUS_IDLE/);
    const err = await d.readState().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DriverError);
    expect((await readSimulatedBoard(dir, 'USBGONE1')).fus.version).toBe('2.2.0');
  });

  it('real driver through the fake CLI: the FUS update is not reported as done; the tool says the connection is lost', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, goneAtNextReset());
    const saved = { dir: process.env.COPRO_SIM_DIR, allow: process.env.COPRO_ALLOW_STANDIN_IMAGES };
    process.env.COPRO_SIM_DIR = dir;
    process.env.COPRO_ALLOW_STANDIN_IMAGES = '1';
    try {
      const d = await createCubeProgrammerDriver({ executable: FAKE_CLI, port: 'usb1', serial: 'USBGONE1', allowStandInImages: true, reconnect: { limitMs: 2_000, firstDelayMs: 200, maxDelayMs: 500 } });
      const r = await d.upgrade(imageFile(dir, IMG.FUS_2_2_0), 0x080ee000, { firstInstall: true, startStack: false }).catch((e: unknown) => e);
      const text = r instanceof DriverError ? `${r.code} ${r.message}` : JSON.stringify(r);
      expect(r instanceof DriverError ? r.code : (r as { ok: boolean; error?: string }).error, text).toMatch(/DISCONNECTED|NO_TARGET/);
      expect(text).toMatch(/Connection to device 0x495 is lost|did not come back|lost/i);
      // The tool prints nothing the host could not have read: no FUS state from after the reset that lost USB.
      expect(text).not.toMatch(/FUS_IDLE/);
      await d.close();
    } finally {
      for (const [k, v] of [['COPRO_SIM_DIR', saved.dir], ['COPRO_ALLOW_STANDIN_IMAGES', saved.allow]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
