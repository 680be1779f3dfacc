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
    throw new CliError(`no manifest at ${p}${file ? '' : ' (pass one: `copro apply manifests/nucleo-wb55-ble.yaml`)'}`, EXIT.INVALID_INPUT);
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

export interface Resolved {
  loaded: LoadedManifest;
  target: Target;
  images: AvailableImage[];
  imageProblems: string[];
  simulated: boolean;
  port: string;
  transport: Transport;
}

export async function resolveSession(manifestFile: string | undefined, opts: CommonOptions, toolVersion?: string): Promise<Resolved> {
  const loaded = await readManifest(manifestFile);
  const m = loaded.manifest;
  const simulated = isSimulated(loaded, opts);
  const port = opts.port ?? m.connection?.port ?? 'usb1';
  const transport = transportOf(port, simulated);
  // The fake STM32_Programmer_CLI (tests, benchmarks) drives a simulated board through the real driver.
  const allowStandIns = !simulated && process.env.COPRO_ALLOW_STANDIN_IMAGES === '1';
  const target: Target = { ...resolveTarget(m, { manifestDir: path.dirname(loaded.file), transport, toolVersion }), ...(allowStandIns ? { allowStandIns } : {}) };
  // The application's sha256 lets the runner verify its re-flash by read-back (resolveTarget stays pure).
  if (target.application?.file) target.application = { ...target.application, fileSha256: await sha256OfFile(target.application.file) };
  const device = m.device && m.device !== 'detect' ? deviceFromName(m.device) : undefined;
  const manifestDir = path.dirname(loaded.file);
  const { images, problems } = await collectImages({
    dir: imagesDirOf(m, loaded.file),
    files: m.images?.files?.map((f) => ({ path: path.resolve(manifestDir, f.path), sha256: f.sha256?.toLowerCase() })),
    release: m.images?.release,
    standIns: simulated || allowStandIns,
    family: device?.family,
  });
  return { loaded, target, images, imageProblems: problems.map((p) => p.message), simulated, port, transport };
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
}

/** Opens a driver for one board. The simulator is in-process; the real driver runs STM32_Programmer_CLI. */
export async function openDriver(o: OpenOptions): Promise<Driver> {
  await mkdir(o.logDir, { recursive: true });
  const logFile = path.join(o.logDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${(o.serial ?? 'board').replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
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
  });
}
