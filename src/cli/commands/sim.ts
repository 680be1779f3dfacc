/** `copro sim reset|show`: the simulated boards in .copro/sim/. */
import { readSnapshot } from '../../drivers/snapshot.js';
import { deviceFromName } from '../../domain/devices.js';
import { EXIT } from '../exit-codes.js';
import { simulatorDir, CliError } from '../session.js';
import { oneSimulatedBoard, severalBoards } from '../boards.js';

async function defaultForReset(dir: string): Promise<string | undefined> {
  const sim = await import('../../drivers/simulator/index.js');
  const boards = await sim.listSimulatedBoards(dir);
  if (boards.length > 1) throw severalBoards(boards, 'simulated boards');
  return boards[0];
}

export async function simResetCommand(opts: { state?: string; serial?: string; count?: number; device?: string }): Promise<number> {
  const sim = await import('../../drivers/simulator/index.js');
  const dir = simulatorDir();
  const snapshot = opts.state ? await readSnapshot(opts.state) : undefined;
  const device = opts.device === undefined ? undefined : deviceFromName(opts.device);
  if (opts.device !== undefined && !device) throw new CliError(`--device ${opts.device}: not an STM32WB part copro knows (STM32WB55RG, STM32WB5MMG, STM32WB15CC, ...)`, EXIT.INVALID_INPUT);
  if (device && snapshot) throw new CliError('--device and --state both describe the board: give one', EXIT.INVALID_INPUT);
  if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 64) throw new CliError('--count must be 1..64', EXIT.INVALID_INPUT);
    const serials = await sim.resetFleet(dir, opts.count, snapshot, device?.key);
    process.stdout.write(`${serials.length} simulated boards in ${dir}: ${serials.join(', ')}\n`);
    return EXIT.OK;
  }
  if (device && opts.count === undefined) {
    const serial = await sim.resetBoard(dir, undefined, opts.serial ?? (await defaultForReset(dir)), device.key);
    const b = await sim.readSimulatedBoard(dir, serial);
    process.stdout.write(`simulated board ${serial} reset to a new ${opts.device} (${device.key}): FUS ${b.fus.version}, no stack (${dir})\n`);
    return EXIT.OK;
  }
  // No serial: the board every other command means when none is named (the only one; the default board when
  // there is none); several: refused, as apply refuses. `--serial X` resets X, creating it if need be.
  const serial = await sim.resetBoard(dir, snapshot, opts.serial ?? (await defaultForReset(dir)));
  process.stdout.write(`simulated board ${serial} reset to ${opts.state ?? 'the default: STM32WB55xG, FUS 0.5.3, no stack'} (${dir})\n`);
  return EXIT.OK;
}

export async function simShowCommand(opts: { serial?: string }): Promise<number> {
  const sim = await import('../../drivers/simulator/index.js');
  const dir = simulatorDir();
  const serial = await oneSimulatedBoard(opts.serial, { create: false });
  process.stdout.write(JSON.stringify(await sim.readSimulatedBoard(dir, serial), null, 2) + '\n');
  return EXIT.OK;
}

/** `copro sim fault <spec>`: arm a fault on a simulated board (power loss, unplug, hung CLI, late USB...), to rehearse recovery. */
export async function simFaultCommand(spec: string, opts: { serial?: string; clear?: boolean }): Promise<number> {
  const sim = await import('../../drivers/simulator/index.js');
  const dir = simulatorDir();
  const serial = await oneSimulatedBoard(opts.serial, { create: false });
  const board = await sim.readSimulatedBoard(dir, serial);
  if (opts.clear) {
    await sim.writeSimulatedBoard(dir, sim.disarmFaults(board));
    process.stdout.write(`simulated board ${serial}: faults cleared\n`);
    return EXIT.OK;
  }
  let fault;
  try {
    fault = sim.parseFault(spec);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.INVALID_INPUT);
  }
  await sim.writeSimulatedBoard(dir, sim.armFault(board, fault));
  process.stdout.write(`simulated board ${serial}: armed ${sim.describeFault(fault)}\n`);
  return EXIT.OK;
}
