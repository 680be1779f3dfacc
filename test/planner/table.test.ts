/**
 * The planner over the product of start states and targets. The expected steps are written from ST's
 * rules (STM32WB.md §4, release notes v1.24.0 STEP 4..8), not from the planner:
 *   FUS 0.5.3 -> 1.2.0 (for_fus_0_5_3) -> 2.2.0; FUS 1.0.x/1.1.x -> 1.2.0 (_1_2_0) -> 2.2.0; 1.2.0/2.0/2.1 -> 2.2.0;
 *   WB1x only from 1.2.0; a changed stack is deleted (before the FUS update, except on WB5xxC/E (and WB3x 256K/512K, indistinguishable) on 0.5.3/1.0.1,
 *   which must update FUS before anything else) and installed; a kept stack is started after a FUS update.
 */
import { describe, expect, it } from 'vitest';
import semver from 'semver';
import type { DeviceKey } from '../../src/domain/devices.js';
import { deviceByKey } from '../../src/domain/devices.js';
import { plan } from '../../src/planner/index.js';
import { board, kinds, release, target } from './fixtures.js';

const FUS_VERSIONS = ['0.5.3', '1.0.1', '1.0.2', '1.1.0', '1.1.2', '1.2.0', '2.0.0', '2.1.0', '2.2.0'] as const;
const DEVICES: DeviceKey[] = ['STM32WB5xxG_1M', 'STM32WB5xxC_256K', 'STM32WB5xxE_512K', 'STM32WB3xxE_512K', 'STM32WB1xxC_320K'];
type Situation = 'no stack' | 'older stack' | 'other stack type' | 'target stack';
const SITUATIONS: Situation[] = ['no stack', 'older stack', 'other stack type', 'target stack'];

interface Scenario {
  name: string;
  fus: 'latest' | 'keep';
  stackType: string;
  /** v1.24.0's version of that stack, and whether it is "FUSv2 only" (min FUS 2.1.0) or classic (min 1.0.1). */
  version: string;
  fusV2Only: boolean;
}
const SCENARIOS: Scenario[] = [
  { name: 'fus latest + BLE_Stack_full 1.24.0 (FUSv2 only)', fus: 'latest', stackType: 'BLE_Stack_full', version: '1.24.0', fusV2Only: true },
  { name: 'fus keep + BLE_HCILayer_extended 1.24.0 (classic)', fus: 'keep', stackType: 'BLE_HCILayer_extended', version: '1.24.0', fusV2Only: false },
];

type Expected = { refusal: string } | { kinds: string[]; fus: string[] };

/** The oracle: ST's rules written out for these scenarios. */
function expected(device: DeviceKey, fus: string, situation: Situation, sc: Scenario): Expected {
  const wb1x = deviceByKey(device).family === 'STM32WB1x';
  const installed = situation !== 'no stack';
  const fusChain = (stackChanges: boolean): string[] | undefined => {
    let needFus: string | undefined;
    if (sc.fus === 'latest') needFus = '2.2.0';
    else if (stackChanges && sc.fusV2Only) needFus = '2.1.0';
    else if (stackChanges && semver.lt(fus, '1.0.1')) needFus = '1.0.1';
    if (early(stackChanges)) needFus = needFus ?? '1.0.2';
    if (needFus === undefined || semver.gte(fus, needFus)) return [];
    if (wb1x && semver.lt(fus, '1.2.0')) return undefined;
    // keep: the fewest updates that reach the minimum; latest: 2.2.0.
    const via12 = semver.lt(fus, '1.2.0') ? ['1.2.0'] : [];
    return sc.fus === 'keep' && semver.lte(needFus, '1.2.0') ? via12 : [...via12, '2.2.0'];
  };
  // ST names WB5xxC/E; WB3x 256K/512K read back identically (id 0x495, same flash), so they get the same rule.
  const early = (stackChanges: boolean) => ['STM32WB5xxC_256K', 'STM32WB5xxE_512K', 'STM32WB3xxC_256K', 'STM32WB3xxE_512K'].includes(device) && (fus === '0.5.3' || fus === '1.0.1') && stackChanges;
  let stackChanges = situation !== 'target stack';
  let chain = fusChain(stackChanges);
  if (chain === undefined) return { refusal: 'NO_FUS_PATH' };
  // A stack installed under FUS 0.5.3 cannot stay through its update (release notes v1.1.0): it is reinstalled.
  if (fus === '0.5.3' && installed && chain.length > 0 && !stackChanges) {
    stackChanges = true;
    chain = fusChain(true)!;
  }
  const out: string[] = [];
  if ((chain.length > 0 || stackChanges) && installed) out.push('start-fus');
  const deleteFirst = installed && stackChanges && chain.length > 0 && !early(stackChanges);
  if (deleteFirst) out.push('stack-delete');
  out.push(...chain.map(() => 'fus-upgrade'));
  if (installed && stackChanges && !deleteFirst) out.push('stack-delete');
  if (stackChanges) out.push('stack-install');
  if (!stackChanges && chain.length > 0) out.push('start-stack');
  return { kinds: out, fus: chain };
}

function stateFor(device: DeviceKey, fus: string, situation: Situation, sc: Scenario) {
  const stack =
    situation === 'no stack'
      ? ('none' as const)
      : situation === 'older stack'
        ? { type: sc.stackType, version: '1.13.0' }
        : situation === 'other stack type'
          ? { type: 'Zigbee_FFD', version: '1.24.0' }
          : { type: sc.stackType, version: sc.version, fusV2Only: sc.fusV2Only };
  return board({ device, fus, stack });
}

const images = release('v1.24.0');

describe.each(SCENARIOS)('$name', (sc) => {
  const cases = DEVICES.flatMap((device) => FUS_VERSIONS.flatMap((fus) => SITUATIONS.map((situation) => ({ device, fus, situation }))));
  it.each(cases)('$device on FUS $fus with $situation', ({ device, fus, situation }) => {
    const p = plan({ state: stateFor(device, fus, situation, sc), target: target({ fus: sc.fus, stack: { type: sc.stackType, range: sc.version } }), images });
    const want = expected(device, fus, situation, sc);
    if ('refusal' in want) {
      expect(p.status).toBe('refused');
      expect(p.refusals.map((r) => r.code)).toEqual([want.refusal]);
      expect(p.steps).toEqual([]);
      return;
    }
    expect(p.refusals).toEqual([]);
    expect(kinds(p.steps)).toEqual(want.kinds);
    expect(p.steps.filter((s) => s.kind === 'fus-upgrade').map((s) => s.expect.fusVersion)).toEqual(want.fus);
    expect(p.status).toBe(want.kinds.length === 0 ? 'up-to-date' : 'changes');
    // The first FUS hop from 0.5.3 uses the image made for 0.5.3; from 1.x (< 1.2.0) the _1_2_0 one.
    const firstFus = p.steps.find((s) => s.kind === 'fus-upgrade');
    if (firstFus && fus === '0.5.3') expect(firstFus.image?.sha256.startsWith('3f73a9be93eec3de')).toBe(true);
    if (firstFus && semver.gte(fus, '1.0.0') && semver.lt(fus, '1.2.0')) expect(firstFus.image?.sha256.startsWith('2712d4d23417c00a')).toBe(true);
    // The install, if any, is the requested stack for this family, at its place below TOP.
    const install = p.steps.find((s) => s.kind === 'stack-install');
    if (install) {
      expect(install.image?.stackType).toBe(sc.stackType);
      expect(install.image?.version).toBe(sc.version);
      expect(install.expect).toMatchObject({ stackStatus: 'installed', stackType: sc.stackType, stackVersion: sc.version, stackRunning: true, cpu2: 'stack' });
    }
  });
});

describe('WB1x embeds FUS 1.2.0 and updates it only with stm32wb1x_FUS_fw.bin', () => {
  it('goes 1.2.0 -> 2.2.0 with the WB1x image, never a WB5x one', () => {
    const p = plan({ state: board({ device: 'STM32WB1xxC_320K', fus: '1.2.0' }), target: target({ fus: 'latest' }), images });
    expect(kinds(p.steps)).toEqual(['fus-upgrade']);
    expect(p.steps[0]!.image?.sha256.startsWith('e64bf8a8d3e653ac')).toBe(true);
    expect(p.steps[0]!.address).toBe('0x08040000');
  });
});
