/**
 * Which boards a command acts on (--serial, the manifest's fleet, --all attached, or the one board on the
 * port), each resolved to the board's identity BEFORE anything locks or touches it: the serial as the tool
 * reports it, upper-case (STM32_Programmer_CLI matches `sn=` case-insensitively, so `207f38933036` and
 * `207F38933036` are one board), or, with no serial, the one board the tool lists on that interface. One
 * identity is one lock (src/runner/lock.ts), whatever spelling or port name named the board.
 */
import { realpath } from 'node:fs/promises';
import type { Resolved, CommonOptions } from './session.js';
import { simulatorDir, CliError } from './session.js';
import { EXIT } from './exit-codes.js';

export interface BoardRef {
  /** The board's identity: its serial as the tool reports it (upper-case), or (portOnly) the resolved serial port. */
  serial: string;
  /** No serial exists (UART): the board on that port; the port's real path is its identity. */
  portOnly?: boolean;
  name?: string;
  port?: string;
}

export { parseSerialList, canonicalSerial } from './serials.js';
import { canonicalSerial, parseSerialList } from './serials.js';

/** Two names for one board in one command are refused: the board would be driven twice at once. */
export function refuseDuplicates(boards: readonly BoardRef[], what: string): BoardRef[] {
  const seen = new Map<string, BoardRef>();
  for (const b of boards) {
    const prev = seen.get(b.serial);
    if (prev) {
      throw new CliError(`${what} names board ${b.serial} twice${prev.name || b.name ? ` (${[prev.name, b.name].filter(Boolean).join(' and ')})` : ''}: one board is provisioned once per run (serial numbers are compared without regard to case)`, EXIT.INVALID_INPUT);
    }
    seen.set(b.serial, b);
  }
  return [...boards];
}

export async function selectBoards(s: Resolved, opts: CommonOptions & { all?: boolean }): Promise<BoardRef[]> {
  const m = s.loaded.manifest;
  if (opts.serial !== undefined) {
    const named = parseSerialList(opts.serial).map((x) => ({ serial: canonicalSerial(x) }));
    return resolveNamed(s, refuseDuplicates(named, `--serial ${opts.serial}`));
  }
  if (m.boards?.length && !opts.all) {
    const named = m.boards.map((b) => ({ serial: canonicalSerial(b.serial), name: b.name, port: b.port }));
    return resolveNamed(s, refuseDuplicates(named, 'the manifest\'s boards list'));
  }
  if (s.simulated) {
    const sim = await import('../drivers/simulator/index.js');
    let boards = await sim.listSimulatedBoards(simulatorDir());
    if (boards.length === 0) {
      // A new simulated board is the manifest's part as it leaves the factory (a WB15CC: FUS 1.2.0, no USB).
      const { deviceFromName } = await import('../domain/devices.js');
      const device = m.device && m.device !== 'detect' ? deviceFromName(m.device)?.key : undefined;
      await sim.resetBoard(simulatorDir(), undefined, undefined, device);
      boards = await sim.listSimulatedBoards(simulatorDir());
    }
    const wanted = m.connection?.serial;
    if (opts.all) return boards.map((serial) => ({ serial }));
    if (wanted) return resolveNamed(s, [{ serial: canonicalSerial(wanted) }]);
    return boards.slice(0, 1).map((serial) => ({ serial }));
  }
  if (s.transport === 'uart') {
    // A serial port names one board; its identity is the port's real path (/dev/serial/by-id/... and /dev/ttyACM0 are one).
    return [{ serial: await realpath(s.port).catch(() => s.port), portOnly: true }];
  }
  const wantSwd = s.transport === 'swd';
  const picked = await attachedOn(s, opts, wantSwd);
  if (opts.all) {
    if (picked.length === 0) throw new CliError(`no ${wantSwd ? 'ST-LINK probe' : 'USB DFU device'} attached`, EXIT.ENVIRONMENT, 'plug the board in; `copro devices` lists what is seen');
    return refuseDuplicates(picked.map((b) => ({ serial: canonicalSerial(b.serial) })), 'the attached boards list');
  }
  if (m.connection?.serial) return resolveNamed(s, [{ serial: canonicalSerial(m.connection.serial) }]);
  // No serial: the one board on this interface, by the serial the tool lists, so this run locks the same
  // board a run naming that serial locks (and addresses it by sn=, not "whichever comes first").
  if (picked.length === 0) throw new CliError(`no ${wantSwd ? 'ST-LINK probe' : 'USB DFU device'} attached`, EXIT.ENVIRONMENT, `${wantSwd ? 'plug the ST-LINK in' : 'start the ROM bootloader (BOOT0 high, then reset)'}; \`copro devices\` lists what is seen`);
  if (picked.length > 1) throw new CliError(`${picked.length} ${wantSwd ? 'ST-LINK probes' : 'USB DFU devices'} are attached (${picked.map((b) => b.serial).join(', ')}): name one with --serial, or pass --all`, EXIT.INVALID_INPUT);
  return [{ serial: canonicalSerial(picked[0]!.serial) }];
}

async function attachedOn(s: Resolved, opts: CommonOptions, wantSwd: boolean) {
  const { listAttachedBoards } = await import('../drivers/cubeprogrammer/index.js');
  const attached = await listAttachedBoards({ executable: opts.cubeprogrammer ?? s.loaded.manifest.connection?.cubeprogrammer });
  return attached.filter((b) => (wantSwd ? b.transport === 'swd' : b.transport === 'usb'));
}

/** Named boards: on the simulator each must exist (a typo is "no such board", never a new phantom board). */
async function resolveNamed(s: Resolved, named: BoardRef[]): Promise<BoardRef[]> {
  if (!s.simulated) return named;
  const sim = await import('../drivers/simulator/index.js');
  const existing = await sim.listSimulatedBoards(simulatorDir());
  const bySerial = new Map(existing.map((x) => [canonicalSerial(x), x]));
  return named.map((b) => {
    const actual = bySerial.get(b.serial);
    if (!actual) {
      throw new CliError(`no simulated board ${b.serial} in ${simulatorDir()} (${existing.length ? `there: ${existing.join(', ')}` : 'none there'})`, EXIT.ENVIRONMENT, `check the serial number; \`copro sim reset --serial ${b.serial}\` creates that board`);
    }
    return { ...b, serial: actual };
  });
}
