/**
 * copro as a library: the same functions the CLI uses.
 *
 *   import { loadManifest, resolveTarget, collectImages, plan, apply, identifyFile } from 'copro';
 *
 * The pure core (manifest parsing, image identification, addresses, planning) does no I/O beyond
 * reading the files it is given; drivers and `apply` are the effects.
 */
export * as domain from './domain/index.js';
export { loadManifest, parseManifest, resolveTarget, ManifestError, formatManifestIssues, type LoadedManifest, type Manifest, type ManifestIssue } from './manifest/index.js';
export {
  identifyBytes,
  identifyFile,
  parseFooter,
  FooterError,
  findCatalogImage,
  catalogImages,
  installAddress,
  checkInstallAddress,
  formulaAddress,
  collectImages,
  fetchImages,
  readLock,
  writeLock,
  type ImageIdentity,
  type AvailableImage,
  type CatalogImage,
} from './images/index.js';
export { plan, formatPlan, rules, type Plan, type Step, type Refusal, type Target, type PlanInput } from './planner/index.js';
export { DriverError, type Driver, type DriverInfo, type OperationReport, type Progress, type BoardState } from './drivers/driver.js';
export { readSnapshot, writeSnapshot } from './drivers/snapshot.js';
export { applyBoards as apply, type BoardSpec, type BoardResult, type ApplyOptions } from './runner/apply.js';
export { runStep, type StepOutcome } from './runner/execute.js';
export { compareWithExpectation, type Mismatch } from './runner/verify.js';
export { junitFromEvents } from './runner/junit.js';
export type { CoproEvent } from './runner/events.js';
export { EXIT } from './cli/exit-codes.js';

/** Opens the simulated board (in-process) or the real one (STM32_Programmer_CLI), lazily. */
export async function openSimulator(...args: Parameters<typeof import('./drivers/simulator/index.js').createSimulatorDriver>) {
  const { createSimulatorDriver } = await import('./drivers/simulator/index.js');
  return createSimulatorDriver(...args);
}
export async function openCubeProgrammer(...args: Parameters<typeof import('./drivers/cubeprogrammer/index.js').createCubeProgrammerDriver>) {
  const { createCubeProgrammerDriver } = await import('./drivers/cubeprogrammer/index.js');
  return createCubeProgrammerDriver(...args);
}
