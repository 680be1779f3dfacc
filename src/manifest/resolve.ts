/**
 * A validated manifest -> what the planner and the CLI consume: the Target (defaults filled in, names
 * parsed, paths absolute), the connection, and the fleet. Pure.
 */
import * as path from 'pathe';
import semver from 'semver';
import { parseHex } from '../domain/hex.js';
import { stackTypeByName } from '../domain/stack-types.js';
import type { Transport } from '../drivers/driver.js';
import type { Target } from '../planner/types.js';
import type { Manifest } from './parse.js';
import { lookupDevice } from './names.js';

export interface ResolveContext {
  /** Folder of the manifest: its relative paths start here. */
  manifestDir: string;
  transport: Transport;
  toolVersion?: string;
}

/** Where the application starts when the manifest does not say (STM32WB flash base). */
export const DEFAULT_APPLICATION_ADDRESS = '0x08000000';

type Connection = NonNullable<Manifest['connection']>;
export type ResolvedConnection = Omit<Connection, 'driver' | 'port'> & Required<Pick<Connection, 'driver' | 'port'>>;

export interface FleetBoard {
  serial: string;
  name?: string;
  /** The board's own port, else the manifest's connection port. */
  port: string;
}

function normalizeVersionTarget(text: string): string {
  // `v2.2.0` -> `2.2.0`; ranges, `latest` and `keep` are kept as written.
  return semver.valid(text) ?? text;
}

/** Throws on input the loader would have rejected: resolveTarget expects a manifest from loadManifest/parseManifest. */
export function resolveTarget(manifest: Manifest, ctx: ResolveContext): Target {
  const target: Target = {
    // A stack target brings FUS to the latest first, as every release's procedure does (STM32CubeWB release notes, upgrade procedure).
    fus: normalizeVersionTarget(manifest.fus ?? (typeof manifest.stack === 'object' ? 'latest' : 'keep')),
    policy: {
      fusUpgrade: manifest.policy?.fusUpgrade ?? 'allow',
      antiRollback: manifest.policy?.antiRollback ?? false,
      // STM32CubeProgrammer CLI, UM2237: the SWD FUS operator overwrites the application; with a file to re-flash, do that.
      swdApplicationLoss: manifest.policy?.swdApplicationLoss ?? (manifest.application?.file ? 'reflash' : 'refuse'),
      restoreOptionBytes: manifest.policy?.restoreOptionBytes ?? true,
    },
    transport: ctx.transport,
  };
  if (manifest.device !== undefined && manifest.device !== 'detect') {
    const device = lookupDevice(manifest.device);
    if (!device) throw new Error(`resolveTarget: unknown device "${manifest.device}" (load the manifest with loadManifest first)`);
    target.device = device.key;
  }
  if (manifest.stack === 'none') target.stack = 'none';
  else if (manifest.stack) {
    const type = stackTypeByName(manifest.stack.type);
    if (!type) throw new Error(`resolveTarget: unknown stack type "${manifest.stack.type}" (load the manifest with loadManifest first)`);
    target.stack = { type: type.name, range: normalizeVersionTarget(manifest.stack.version) };
  }
  if (manifest.application) {
    const address = parseHex(manifest.application.address ?? DEFAULT_APPLICATION_ADDRESS);
    const end = parseHex(manifest.application.end);
    if (address === undefined || end === undefined) throw new Error('resolveTarget: application.address/end are not hex addresses (load the manifest with loadManifest first)');
    target.application = {
      start: address,
      end,
      address,
      ...(manifest.application.file ? { file: path.resolve(ctx.manifestDir, manifest.application.file) } : {}),
    };
  }
  if (ctx.toolVersion !== undefined) target.toolVersion = ctx.toolVersion;
  return target;
}

/** The connection with its defaults: driver cubeprogrammer, port usb1 (the ROM USB DFU bootloader). */
export function connectionOf(manifest: Manifest): ResolvedConnection {
  return { ...manifest.connection, driver: manifest.connection?.driver ?? 'cubeprogrammer', port: manifest.connection?.port ?? 'usb1' };
}

/** The fleet the manifest lists (empty when it names no boards: the CLI then picks one). */
export function boardsOf(manifest: Manifest): FleetBoard[] {
  const port = connectionOf(manifest).port;
  return (manifest.boards ?? []).map((b) => ({ serial: b.serial, ...(b.name !== undefined ? { name: b.name } : {}), port: b.port ?? port }));
}
