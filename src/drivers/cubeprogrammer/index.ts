/** The STM32CubeProgrammer driver: locate the CLI, run it, parse it, drive a board with it. */
import { CubeProgrammerDriver, type CubeProgrammerDriverOptions, type OpKind } from './driver.js';
import { cliVersion } from './invoke.js';
import { locateCubeProgrammer, type LocatedCli, type LocateInput } from './locate.js';

export { CubeProgrammerDriver, DEFAULT_TIMEOUTS_MS, type CubeProgrammerDriverOptions, type OpKind, type ReconnectPolicy } from './driver.js';
export { locateCubeProgrammer, defaultFolders, type LocatedCli, type LocateInput, type FoundVia } from './locate.js';
export { invokeCli, runCli, cliVersion, versionFromText, formatArgv, type InvokeOptions, type InvokeResult } from './invoke.js';
export { parseCliOutput, parseSizeBytes, cleanLines, optionByte, wordAt, type CliResult, type CliEvent, type ConnectHeader, type DeviceList, type FusStatePair, type OptionBytesDisplay, type R32Block, type SuccessKind } from './parse.js';
export { buildBoardState, type StateReading } from './state.js';
export { reportFrom, classifyErrorText, classifyFusStatus } from './report.js';
export { connectArgs, fwUpgradeArgs, optionBytesArgs, flashArgs, transportOf, type ConnectionSpec, type CliTransport } from './args.js';
export { listAttached, listAttachedBoards, boardsOf, type ListOptions, type AttachedListing } from './list.js';

/** The CLI's version from its banner (cached per executable). */
export function cubeProgrammerVersion(found: LocatedCli): Promise<string> {
  return cliVersion(found.executable, found.env);
}

export interface CreateDriverOptions extends Omit<CubeProgrammerDriverOptions, 'executable' | 'timeoutMs'> {
  /** `--cubeprogrammer` / manifest `connection.cubeprogrammer`; otherwise located (see locate.ts). */
  executable?: string;
  timeoutMs?: number | Partial<Record<OpKind, number>>;
  locate?: Omit<LocateInput, 'explicit'>;
}

/** Locates STM32_Programmer_CLI, reads its version once, and returns a driver bound to one board. */
export async function createCubeProgrammerDriver(o: CreateDriverOptions): Promise<CubeProgrammerDriver> {
  const found = locateCubeProgrammer({ ...o.locate, explicit: o.executable });
  // The version is taken from the banner of the first real call (every call prints it): no extra process.
  return new CubeProgrammerDriver({ ...o, executable: found.executable, env: { ...found.env, ...o.env }, ...(o.toolVersion ? { toolVersion: o.toolVersion } : {}) });
}
