/** `copro sim reset|show`: the simulated boards in .copro/sim/. */
import { readSnapshot } from '../../drivers/snapshot.js';
import { EXIT } from '../exit-codes.js';
import { simulatorDir, CliError } from '../session.js';

export async function simResetCommand(opts: { state?: string; serial?: string; count?: number }): Promise<number> {
  const sim = await import('../../drivers/simulator/index.js');
  const dir = simulatorDir();
  const snapshot = opts.state ? await readSnapshot(opts.state) : undefined;
  if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 64) throw new CliError('--count must be 1..64', EXIT.INVALID_INPUT);
    const serials = await sim.resetFleet(dir, opts.count, snapshot);
    process.stdout.write(`${serials.length} simulated boards in ${dir}: ${serials.join(', ')}\n`);
    return EXIT.OK;
  }
  const serial = await sim.resetBoard(dir, snapshot, opts.serial);
  process.stdout.write(`simulated board ${serial} reset to ${opts.state ?? 'the default: STM32WB55xG, FUS 0.5.3, no stack'} (${dir})\n`);
  return EXIT.OK;
}

export async function simShowCommand(opts: { serial?: string }): Promise<number> {
  const sim = await import('../../drivers/simulator/index.js');
  const dir = simulatorDir();
  const boards = await sim.listSimulatedBoards(dir);
  const serial = opts.serial ?? boards[0];
  if (!serial) throw new CliError(`no simulated board in ${dir}: run \`copro sim reset\``, EXIT.ENVIRONMENT);
  process.stdout.write(JSON.stringify(await sim.readSimulatedBoard(dir, serial), null, 2) + '\n');
  return EXIT.OK;
}
