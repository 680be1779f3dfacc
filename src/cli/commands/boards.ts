/** `copro devices`: attached probes and DFU devices (or the simulated boards). */
import { EXIT } from '../exit-codes.js';
import { simulatorDir } from '../session.js';

export async function boardsCommand(opts: { simulate?: boolean; json?: boolean; cubeprogrammer?: string }): Promise<number> {
  if (opts.simulate) {
    const sim = await import('../../drivers/simulator/index.js');
    const serials = await sim.listSimulatedBoards(simulatorDir());
    process.stdout.write(opts.json ? JSON.stringify(serials.map((serial) => ({ transport: 'simulated', serial })), null, 2) + '\n' : serials.length ? serials.map((s) => `simulated  ${s}`).join('\n') + '\n' : `no simulated boards in ${simulatorDir()} (copro sim reset)\n`);
    return EXIT.OK;
  }
  const { devicesCommand } = await import('./devices.js');
  const r = await devicesCommand(opts);
  process.stdout.write(r.output);
  if (r.errors) process.stderr.write(r.errors);
  return r.exitCode;
}
