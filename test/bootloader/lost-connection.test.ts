/**
 * A board that loses its connection during a bootloader-driver operation is a lost connection (DISCONNECTED,
 * as the CubeProgrammer driver classifies "Connection to device 0x495 is lost" and acknowledgement timeouts),
 * not a stall or a generic tool error: the runner's diagnosis (the power-loss advice) and recovery are then the
 * same on both drivers (issues 14 and 15).
 *
 * Over USB DFU a board that loses power (the simulated board's `unplug@` / `power-loss@` fault) or a USB
 * device that vanishes mid-transfer drops off the bus: every request fails, nothing is stalled. Over UART the
 * bootloader stops answering (the port stays, the chip is off): also a lost connection.
 */
import { describe, expect, it } from 'vitest';
import { parseUsbFault } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import { applyWith, bootloaderDriver, rescueTarget, sim, tempDir } from './helpers.js';
import { uartDriver, uartTarget } from './uart-e2e-helpers.js';

interface Failed {
  code: string;
  error: string;
}

async function firstFailure(transport: 'usb' | 'uart', fault: { board?: string; usb?: string }): Promise<{ failed: Failed; board: sim.SimBoard }> {
  const dir = tempDir();
  let board = sim.makeBoard({});
  if (fault.board) board = sim.armFault(board, sim.parseFault(fault.board));
  await sim.writeSimulatedBoard(dir, board);
  const faults = fault.usb ? [parseUsbFault(fault.usb)] : [];
  const open = async () => (transport === 'usb' ? (await bootloaderDriver(dir, board.serial, { faults, speed: 1000 })).driver : await uartDriver(dir, board.serial));
  const t = transport === 'usb' ? await rescueTarget(dir) : await uartTarget(dir);
  const r = await applyWith(dir, board.serial, open, t);
  expect(r.result.result).toBe('failed');
  const failed = r.events.find((e) => e.type === 'step-failed') as unknown as Failed | undefined;
  expect(failed, JSON.stringify(r.events)).toBeDefined();
  return { failed: failed!, board: await sim.readSimulatedBoard(dir, board.serial) };
}

const POWER_LOSS_ADVICE = /If the board lost power or was unplugged during this step/;

describe('lost connection through the bootloader driver', () => {
  it('virtual DFU: the board unplugged during the staging download (unplug@download:60) is DISCONNECTED, not a stall', async () => {
    const { failed, board } = await firstFailure('usb', { board: 'unplug@download:60' });
    expect(board.powered).toBe(false);
    expect(failed.code).toBe('DISCONNECTED');
    expect(failed.error).not.toMatch(/stalled/i);
    expect(failed.error).toMatch(/lost the connection|did not come back/);
    expect(failed.error).toMatch(POWER_LOSS_ADVICE);
  }, 60_000);

  it('virtual DFU: a power cut during the download (power-loss@download:60) is DISCONNECTED too', async () => {
    const { failed } = await firstFailure('usb', { board: 'power-loss@download:60' });
    expect(failed.code).toBe('DISCONNECTED');
    expect(failed.error).not.toMatch(/stalled/i);
    expect(failed.error).toMatch(POWER_LOSS_ADVICE);
  }, 60_000);

  it('virtual DFU: the USB device vanishing mid-transfer (USB fault unplug@60) is DISCONNECTED', async () => {
    const { failed } = await firstFailure('usb', { usb: 'unplug@60' });
    expect(failed.code).toBe('DISCONNECTED');
    expect(failed.error).toMatch(POWER_LOSS_ADVICE);
  }, 60_000);

  it('virtual UART: a bootloader that stops answering (power-loss@download:60) is reported as DISCONNECTED, with the power-loss advice', async () => {
    const { failed } = await firstFailure('uart', { board: 'power-loss@download:60' });
    // The port stays and the chip boots again at the next sync, so the read-back works: the step fails on
    // verification, and what the tool reported is a lost connection.
    expect(failed.error).toMatch(/the tool reported DISCONNECTED/);
    expect(failed.error).not.toMatch(/reported TIMEOUT/);
    expect(failed.error).toMatch(POWER_LOSS_ADVICE);
  }, 60_000);

  it('virtual UART: the adapter unplugged mid-download (unplug@download:60) is DISCONNECTED', async () => {
    const { failed } = await firstFailure('uart', { board: 'unplug@download:60' });
    expect(failed.error).toMatch(/the tool reported DISCONNECTED/);
    expect(failed.error).toMatch(POWER_LOSS_ADVICE);
  }, 60_000);
});
