/**
 * What every board-facing command needs: the manifest (loaded and resolved), the images it may use,
 * and a way to open a driver for a given board. The one place that turns CLI options into those.
 */
import path from 'node:path';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadManifest, resolveTarget, formatManifestIssues, type LoadedManifest } from '../manifest/index.js';
import { collectImages } from '../images/inventory.js';
import type { AvailableImage } from '../images/types.js';
import type { Target } from '../planner/types.js';
import type { BoardAccess, Driver, Transport } from '../drivers/driver.js';
import { deviceFromName } from '../domain/devices.js';
import { EXIT } from './exit-codes.js';
import { sha256OfFile } from '../runner/preflight.js';
import { checkTargetOffline, type OfflineRefusal } from '../planner/preflight.js';
import { trace } from './verbosity.js';
import { traced } from './traced-driver.js';

export interface CommonOptions {
  simulate?: boolean;
  cubeprogrammer?: string;
  port?: string;
  serial?: string;
  json?: boolean;
  color?: boolean;
}

export { CliError } from './cli-error.js';
import { CliError } from './cli-error.js';

export function defaultManifestPath(cwd = process.cwd()): string {
  return path.join(cwd, 'copro.yaml');
}

/** The simulated boards live with the project, like a board on the desk: `.copro/sim/` (git-ignored). */
export function simulatorDir(cwd = process.cwd()): string {
  return process.env.COPRO_SIM_DIR ?? path.join(cwd, '.copro', 'sim');
}

/**
 * The in-process simulator runs at 10x the modelled device time unless COPRO_SIM_SPEED says otherwise
 * (1 = real time, as benchmarks use; the fake STM32_Programmer_CLI defaults to real time).
 */
export const DEFAULT_SIM_SPEED = 10;
export function simulatorSpeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.COPRO_SIM_SPEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SIM_SPEED;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`COPRO_SIM_SPEED must be a positive number (1 = real time); found ${JSON.stringify(raw)}`, EXIT.INVALID_INPUT);
  return n;
}

/**
 * Where board locks live, so that two copro processes never drive one board: a simulated board's lock sits
 * with the board itself; a real board's is machine-wide (two checkouts or CI jobs on one bench see it).
 */
export function lockDir(simulated: boolean, env: NodeJS.ProcessEnv = process.env): string {
  // COPRO_SIM_DIR set: the boards are simulated, in-process or behind the fake STM32_Programmer_CLI.
  if (simulated || env.COPRO_SIM_DIR !== undefined) return path.join(simulatorDir(), '.locks');
  return env.COPRO_LOCK_DIR ?? path.join(os.tmpdir(), 'copro-locks');
}

export function stateDir(cwd = process.cwd()): string {
  return path.join(cwd, '.copro');
}

export async function readManifest(file: string | undefined): Promise<LoadedManifest> {
  const p = path.resolve(file ?? defaultManifestPath());
  if (!existsSync(p)) {
    throw new CliError(`no manifest at ${p}`, EXIT.INVALID_INPUT, 'check the path; without one, copro reads ./copro.yaml (to try copro: `copro apply manifests/nucleo-wb55-ble.yaml --simulate`)');
  }
  const loaded = await loadManifest(p, { projectRoot: projectRootOf(p) });
  if (loaded.warnings.length) process.stderr.write(formatManifestIssues(loaded.warnings, 'warning') + '\n');
  return loaded;
}

/** The project a manifest belongs to: the nearest folder above it with .git or package.json (paths in the manifest must stay inside it). */
export function projectRootOf(manifestFile: string): string {
  let dir = path.dirname(path.resolve(manifestFile));
  for (;;) {
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.dirname(path.resolve(manifestFile));
    dir = parent;
  }
}

export function isSimulated(m: LoadedManifest | undefined, opts: CommonOptions): boolean {
  return opts.simulate === true || m?.manifest.connection?.driver === 'simulator';
}

export function transportOf(port: string | undefined, simulated: boolean): Transport {
  if (simulated && !port) return 'usb';
  const p = (port ?? 'usb1').toLowerCase();
  if (p.startsWith('usb')) return 'usb';
  if (p === 'swd' || p === 'jtag') return 'swd';
  return 'uart';
}

/** The folder a manifest's images are read from (and `copro fetch` writes to): `images.dir` next to the manifest, or `<cwd>/binaries`. */
export function imagesDirOf(m: { images?: { dir?: string } }, manifestFile: string, cwd = process.cwd()): string {
  return m.images?.dir ? path.resolve(path.dirname(path.resolve(manifestFile)), m.images.dir) : path.join(cwd, 'binaries');
}

export type DriverKind = 'cubeprogrammer' | 'bootloader' | 'simulator';

/**
 * The manifest's `connection.driver` of the session resolved last: commands open drivers with it unless they
 * pass one (`copro apply --simulate` with `driver: bootloader` rehearses on the bootloader driver's code path).
 */
let sessionDriver: DriverKind | undefined;
/** The manifest's device id, when it names the part (a WB1x's SWD operator leaves the versions elsewhere). */
let sessionDeviceId: number | undefined;
let saidBootloaderCaveat = false;

export interface Resolved {
  driver: DriverKind;
  loaded: LoadedManifest;
  target: Target;
  images: AvailableImage[];
  imageProblems: string[];
  /** Refusals that need no board (a target no image at hand can reach): see assertReadyBeforeBoard. */
  offline: OfflineRefusal[];
  simulated: boolean;
  port: string;
  transport: Transport;
}

export async function resolveSession(manifestFile: string | undefined, opts: CommonOptions, toolVersion?: string): Promise<Resolved> {
  const loaded = await readManifest(manifestFile);
  const m = loaded.manifest;
  const simulated = isSimulated(loaded, opts);
  const driver: DriverKind = m.connection?.driver ?? 'cubeprogrammer';
  sessionDriver = driver;
  const port = opts.port ?? m.connection?.port ?? (driver === 'bootloader' ? 'usb' : 'usb1');
  const transport = transportOf(port, simulated);
  if (driver === 'bootloader' && transport === 'swd') {
    throw new CliError(`${loaded.file}: connection.driver bootloader talks to the ROM bootloader over USB DFU (port: usb) or UART (port: /dev/ttyACM0, COM3), not over ${port}`, EXIT.INVALID_INPUT);
  }
  // The fake STM32_Programmer_CLI (tests, benchmarks) drives a simulated board through the real driver; the
  // bootloader driver rehearses on the virtual devices over the simulated board, with the stand-in images.
  const allowStandIns = (!simulated && process.env.COPRO_ALLOW_STANDIN_IMAGES === '1') || (simulated && driver === 'bootloader');
  const target: Target = { ...resolveTarget(m, { manifestDir: path.dirname(loaded.file), transport, toolVersion }), ...(allowStandIns ? { allowStandIns } : {}) };
  // The application's sha256 lets the runner verify its re-flash by read-back (resolveTarget stays pure).
  if (target.application?.file) target.application = { ...target.application, fileSha256: await sha256OfFile(target.application.file) };
  const device = m.device && m.device !== 'detect' ? deviceFromName(m.device) : undefined;
  sessionDeviceId = device?.deviceId;
  const manifestDir = path.dirname(loaded.file);
  const { images, problems } = await collectImages({
    dir: imagesDirOf(m, loaded.file),
    files: m.images?.files?.map((f) => ({ path: path.resolve(manifestDir, f.path), sha256: f.sha256?.toLowerCase(), ...(f.notST === true ? { notST: true } : {}) })),
    release: m.images?.release,
    standIns: simulated || allowStandIns,
    family: device?.family,
  });
  trace(`manifest ${loaded.file}: ${simulated && driver !== 'bootloader' ? 'simulator' : driver} driver over ${port} (${transport}); ${images.length} image(s) usable from ${imagesDirOf(m, loaded.file)}${simulated || allowStandIns ? ' and stand-ins' : ''}${problems.length ? `, ${problems.length} problem(s)` : ''}`);
  const offline = checkTargetOffline({ target, images, family: device?.family, release: m.images?.release, simulated: simulated || allowStandIns, driver });
  return { driver, loaded, target, images, imageProblems: problems.map((p) => p.message), offline, simulated, port, transport };
}

/**
 * Everything that can be checked without a board, before the first board operation: bad images (exit 4)
 * and a target no image can reach (exit 3, at the manifest's line and column).
 */
export function assertReadyBeforeBoard(s: Resolved): void {
  if (s.imageProblems.length) throw new CliError(`image problems (nothing was touched; the board was not read):\n  ${s.imageProblems.join('\n  ')}`, EXIT.INVALID_INPUT, '`copro identify <file>` says what each file is; remove or replace the files named above');
  if (s.offline.length) {
    const shown = path.relative(process.cwd(), s.loaded.file) || s.loaded.file;
    const lines = s.offline.map((r) => {
      const pos = s.loaded.locate(r.pointer);
      return `${shown}:${pos.line}:${pos.column}: refused (${r.code}): ${r.message}\n  remedy: ${r.remedy}`;
    });
    const how = s.offline.every((r) => r.code === 'NO_USB_DFU') ? `over ${s.port}` : s.offline.every((r) => r.code === 'ANTI_ROLLBACK_NOT_ON_DRIVER') ? `through the ${s.driver} driver` : 'with the images at hand';
    throw new CliError(`the manifest's target cannot be reached ${how}:\n${lines.join('\n')}\nnothing was done (the board was not read).`, EXIT.REFUSED);
  }
}

export interface OpenOptions {
  simulated: boolean;
  serial?: string;
  port: string;
  transport: Transport;
  cubeprogrammer?: string;
  mode?: string;
  baudrate?: number;
  timeoutSeconds?: number;
  logDir: string;
  /** What the command may do to the board: `free` reads only (plan, status, doctor), `full` (apply, --full). */
  access: BoardAccess;
  /** Default: the manifest's, as resolveSession saw it (cubeprogrammer when there is none). */
  driver?: DriverKind;
  /** Told when each tool process starts and ends: the board lock records them (src/runner/lock.ts). */
  onChild?: { started(pid: number): void; ended(pid: number): void };
}

/** The board lock as the driver's tool-process observer. */
export function lockObserver(lock: { addChild(pid: number): void; removeChild(pid: number): void } | undefined): OpenOptions['onChild'] {
  return lock ? { started: (pid) => lock.addChild(pid), ended: (pid) => lock.removeChild(pid) } : undefined;
}

/** Opens a driver for one board. The simulator is in-process; the real driver runs STM32_Programmer_CLI. With --verbose every operation is traced. */
export async function openDriver(o: OpenOptions): Promise<Driver> {
  const driver = await openUntraced(o);
  trace(`${o.serial ?? o.port}: ${driver.info().kind} driver opened (${o.access} access${driver.info().logFile ? `; transcript ${driver.info().logFile}` : ''})`);
  return traced(driver, o.serial ?? o.port);
}

async function openUntraced(o: OpenOptions): Promise<Driver> {
  await mkdir(o.logDir, { recursive: true });
  const logFile = path.join(o.logDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${(o.serial ?? 'board').replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
  if ((o.driver ?? sessionDriver) === 'bootloader') {
    // No STM32CubeProgrammer: copro talks to the ROM bootloader (USB DFU or UART); with --simulate, to the
    // virtual bootloader devices over the simulated board (the same driver code path).
    const { createBootloaderDriver } = await import('../drivers/bootloader/index.js');
    const { LinkError } = await import('../drivers/bootloader/link.js');
    if (!saidBootloaderCaveat) {
      // Said once per run (the read-back's notes say it again in `status`).
      saidBootloaderCaveat = true;
      const { DFU_UNCERTAINTIES } = await import('../drivers/bootloader/index.js');
      const what = transportOf(o.port, false) === 'usb' ? DFU_UNCERTAINTIES : ['the FUS commands over USART (AN3155 special commands 0x50/0x51) are confirmed by one source only'];
      process.stderr.write(`copro: warning: bootloader driver${o.simulated ? ' (virtual device)' : ''}: unconfirmed by the sources: ${what.join('; ')}. Every request and reply is recorded in ${logFile}; a run on a real board settles it.\n`);
    }
    try {
      // The bootloader driver honours the access level itself (free reads send no FUS_GET_STATE; changes refused).
      return await createBootloaderDriver({ port: o.port, ...(o.serial ? { serial: o.serial } : {}), ...(o.baudrate ? { baudrate: o.baudrate } : {}), simulated: o.simulated, simDir: simulatorDir(), speed: simulatorSpeed(), logFile, access: o.access });
    } catch (e) {
      if (e instanceof LinkError) throw new CliError(e.message, EXIT.ENVIRONMENT);
      throw e;
    }
  }
  if (o.simulated) {
    const { createSimulatorDriver } = await import('../drivers/simulator/index.js');
    return createSimulatorDriver({ dir: simulatorDir(), serial: o.serial, transport: o.transport, speed: simulatorSpeed(), access: o.access });
  }
  const { createCubeProgrammerDriver } = await import('../drivers/cubeprogrammer/index.js');
  return createCubeProgrammerDriver({
    executable: o.cubeprogrammer,
    port: o.port,
    serial: o.serial,
    mode: o.mode,
    baudrate: o.baudrate,
    timeoutMs: o.timeoutSeconds ? o.timeoutSeconds * 1000 : undefined,
    logFile,
    allowStandInImages: process.env.COPRO_ALLOW_STANDIN_IMAGES === '1',
    access: o.access,
    ...(sessionDeviceId !== undefined ? { deviceId: sessionDeviceId } : {}),
    ...(o.onChild ? { onChild: o.onChild } : {}),
  });
}
