/** Which boards a command acts on: --serial, the manifest's fleet, --all attached, or the one default board. */
import type { Resolved, CommonOptions } from './session.js';
import { simulatorDir, CliError } from './session.js';
import { EXIT } from './exit-codes.js';

export interface BoardRef {
  /** The serial number, or (portOnly) just a name for the board on that port in locks and reports. */
  serial: string;
  /** No serial known: the one board on the port (STM32_Programmer_CLI picks the first one without sn=). */
  portOnly?: boolean;
  name?: string;
  port?: string;
}

export async function selectBoards(s: Resolved, opts: CommonOptions & { all?: boolean }): Promise<BoardRef[]> {
  const m = s.loaded.manifest;
  if (opts.serial) return opts.serial.split(',').map((x) => ({ serial: x.trim() })).filter((b) => b.serial);
  if (m.boards?.length && !opts.all) return m.boards.map((b) => ({ serial: b.serial, name: b.name, port: b.port }));
  if (s.simulated) {
    const sim = await import('../drivers/simulator/index.js');
    let boards = await sim.listSimulatedBoards(simulatorDir());
    if (boards.length === 0) {
      await sim.resetBoard(simulatorDir());
      boards = await sim.listSimulatedBoards(simulatorDir());
    }
    const wanted = m.connection?.serial;
    if (opts.all) return boards.map((serial) => ({ serial }));
    if (wanted) return [{ serial: wanted }];
    return boards.slice(0, 1).map((serial) => ({ serial }));
  }
  if (opts.all) {
    const { listAttachedBoards } = await import('../drivers/cubeprogrammer/index.js');
    const attached = await listAttachedBoards({ executable: opts.cubeprogrammer ?? m.connection?.cubeprogrammer });
    const wantSwd = s.transport === 'swd';
    const picked = attached.filter((b) => (wantSwd ? b.transport === 'swd' : b.transport === 'usb'));
    if (picked.length === 0) throw new CliError(`no ${wantSwd ? 'ST-LINK probe' : 'USB DFU device'} attached (copro devices lists what is seen)`, EXIT.ENVIRONMENT);
    return picked.map((b) => ({ serial: b.serial }));
  }
  return m.connection?.serial ? [{ serial: m.connection.serial }] : [{ serial: s.port, portOnly: true }];
}
