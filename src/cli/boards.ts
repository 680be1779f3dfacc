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
    // Simulated boards are chosen as real ones are: named, --all, or the only one (several: refused).
    // A new simulated board is the manifest's part as it leaves the factory (a WB15CC: FUS 1.2.0, no USB).
    const { deviceFromName } = await import('../domain/devices.js');
    const device = m.device && m.device !== 'detect' ? deviceFromName(m.device)?.key : undefined;
    const wanted = m.connection?.serial;
    if (wanted && !opts.all) return resolveNamed(s, [{ serial: canonicalSerial(wanted) }]);
    if (opts.all) {
      const sim = await import('../drivers/simulator/index.js');
      return (await simulatedBoardsOrDefault(sim, device)).map((serial) => ({ serial }));
    }
    return [{ serial: await oneSimulatedBoard(undefined, { device }) }];
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
  if (picked.length > 1) throw severalBoards(picked.map((b) => canonicalSerial(b.serial)), wantSwd ? 'ST-LINK probes' : 'USB DFU devices');
  return [{ serial: canonicalSerial(picked[0]!.serial) }];
}

/**
 * Several boards and none named: refused, listing them (exit 4: the command line does not say which board),
 * never "whichever comes first": provisioning the wrong board of a bench cannot be undone.
 */
export function severalBoards(serials: readonly string[], what: string): CliError {
  return new CliError(`${serials.length} ${what} are attached and none is named:\n${serials.map((x) => `  ${x}`).join('\n')}`, EXIT.INVALID_INPUT, 'name one with --serial <serial> (or connection.serial in the manifest), or pass --all (apply) to act on every one');
}

type SimModule = typeof import('../drivers/simulator/index.js');

/** The simulated boards; with none, the default board is created (a board on the desk, as the quick start expects). */
async function simulatedBoardsOrDefault(sim: SimModule, device?: Parameters<SimModule['resetBoard']>[3]): Promise<string[]> {
  const boards = await sim.listSimulatedBoards(simulatorDir());
  if (boards.length > 0) return boards;
  await sim.resetBoard(simulatorDir(), undefined, undefined, device);
  return sim.listSimulatedBoards(simulatorDir());
}

/**
 * The one simulated board a command means, as for a real board: `serial` must name an existing board (a typo
 * is "no such board", never a new phantom board); none named: the only board (the default board is created
 * when there is none, unless `create` is false); several: refused, listing them.
 */
export async function oneSimulatedBoard(serial?: string, o: { create?: boolean; device?: Parameters<SimModule['resetBoard']>[3] } = {}): Promise<string> {
  const sim = await import('../drivers/simulator/index.js');
  if (serial !== undefined) return (await existingSimulated([{ serial: canonicalSerial(serial) }]))[0]!.serial;
  const boards = o.create === false ? await sim.listSimulatedBoards(simulatorDir()) : await simulatedBoardsOrDefault(sim, o.device);
  if (boards.length === 0) throw new CliError(`no simulated board in ${simulatorDir()}`, EXIT.ENVIRONMENT, 'run `copro sim reset`');
  if (boards.length > 1) throw severalBoards(boards, 'simulated boards');
  return boards[0]!;
}

async function attachedOn(s: Resolved, opts: CommonOptions, wantSwd: boolean) {
  const { listAttachedBoards } = await import('../drivers/cubeprogrammer/index.js');
  const attached = await listAttachedBoards({ executable: opts.cubeprogrammer ?? s.loaded.manifest.connection?.cubeprogrammer });
  return attached.filter((b) => (wantSwd ? b.transport === 'swd' : b.transport === 'usb'));
}

/** Named boards: on the simulator each must exist (a typo is "no such board", never a new phantom board). */
async function resolveNamed(s: Resolved, named: BoardRef[]): Promise<BoardRef[]> {
  return s.simulated ? existingSimulated(named) : named;
}

async function existingSimulated(named: BoardRef[]): Promise<BoardRef[]> {
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
