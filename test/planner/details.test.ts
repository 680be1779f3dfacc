/**
 * Smaller planner decisions: which image among equals, where a FUS image goes below a kept stack,
 * unknown facts, and that every step cites a rule of rules.ts.
 */
import { describe, expect, it } from 'vitest';
import { plan, rules } from '../../src/planner/index.js';
import type { AvailableImage } from '../../src/images/types.js';
import { board, kinds, release, SHA, target } from './fixtures.js';

const v124 = release('v1.24.0');

function standInOf(img: AvailableImage): AvailableImage {
  return {
    identity: { ...img.identity, sha256: 'f'.repeat(63) + '0', standInFor: img.identity.sha256, signature: 'simulated' },
    path: `/tmp/standins/${img.name}`,
    name: img.name,
    origin: 'stand-in',
  };
}

describe('planner details', () => {
  const fus220 = v124.find((i) => i.identity.sha256.startsWith(SHA.FUS_220))!;
  const withStandIn = [...v124, standInOf(fus220)];

  it('never uses a stand-in for a real board; prefers it on the simulator', () => {
    const real = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'latest' }), images: withStandIn });
    expect(real.steps[0]!.image!.origin).toBe('catalog');
    const simState = { ...board({ fus: '1.2.0' }), source: { driver: 'simulator' as const, transport: 'simulated' as const } };
    const sim = plan({ state: simState, target: target({ fus: 'latest', transport: 'simulated' }), images: withStandIn });
    expect(sim.steps[0]!.image!.origin).toBe('stand-in');
    expect(sim.steps[0]!.image!.path).toBe('/tmp/standins/stm32wb5x_FUS_fw.bin');
  });

  it('a local file beats the catalog copy of the same version', () => {
    const file: AvailableImage = { ...fus220, path: '/work/binaries/fus.bin', name: 'fus.bin', origin: 'file' };
    const p = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: 'latest' }), images: [...v124, file] });
    expect(p.steps[0]!.image).toMatchObject({ origin: 'file', path: '/work/binaries/fus.bin' });
    expect(p.warnings.join(' ')).not.toContain('copro fetch');
  });

  it('a FUS update with a kept stack writes the FUS image just below SFSA and starts the stack again', () => {
    // Stack of 0x24000 bytes below TOP 0x080F4000: SFSA at 0x080D0000; FUS 2.2.0 is 6 pages.
    const p = plan({ state: board({ fus: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } }), target: target({ fus: 'latest' }), images: v124 });
    expect(kinds(p.steps)).toEqual(['start-fus', 'fus-upgrade', 'start-stack']);
    expect(p.steps[1]!.address).toBe('0x080CA000');
    expect(p.steps[1]!.reason).toContain('0x080D0000');
    expect(p.assumptions.join(' ')).toMatch(/just below its SFSA/);
    expect(p.steps[2]!.expect).toMatchObject({ cpu2: 'stack', stackRunning: true, stackType: 'BLE_Stack_full', stackVersion: '1.13.0', fusVersion: '2.2.0' });
  });

  it('no start-fus when FUS already runs; start-stack only when the manifest wants the stack', () => {
    const inFus = board({ fus: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0', running: false } });
    expect(kinds(plan({ state: inFus, target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 }).steps)).toEqual(['start-stack']);
    expect(plan({ state: inFus, target: target(), images: v124 }).status).toBe('up-to-date');
    expect(kinds(plan({ state: inFus, target: target({ stack: 'none' }), images: v124 }).steps)).toEqual(['stack-delete']);
  });

  it('no delete when there is no stack', () => {
    const p = plan({ state: board({ fus: '2.2.0' }), target: target({ stack: { type: 'BLE_HCILayer_extended', range: 'latest' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['stack-install']);
    expect(plan({ state: board({ fus: '2.2.0' }), target: target({ stack: 'none' }), images: v124 }).status).toBe('up-to-date');
  });

  it('a stack of unknown type (FUS mode) with the version and footprint of the wanted one is kept', () => {
    // BLE_Stack_full 1.24.0 (FUSv2 only, 129460 B) sits at 0x080D0000 on a 1M part: SFSA 0xD0.
    const p = plan({ state: board({ fus: '2.2.0', stack: { type: null, version: '1.24.0', size: 0x24000 } }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(p.status).toBe('up-to-date');
    expect(p.target.stack).toBe('BLE_Stack_full 1.24.0');
    expect(p.warnings.join(' ')).toMatch(/flash footprint of BLE_Stack_full 1\.24\.0/);
  });

  it('a stack of unknown type with another footprint is reinstalled, with a warning', () => {
    const p = plan({ state: board({ fus: '2.2.0', stack: { type: null, version: '1.24.0', size: 0x30000 } }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'stack-install']);
    expect(p.warnings.join(' ')).toMatch(/unknown type/);
  });

  it('a stack of unknown type cannot be reinstalled to be sure under anti-rollback', () => {
    const p = plan({
      state: board({ fus: '2.2.0', stack: { type: null, version: '1.24.0', size: 0x30000 }, antiRollback: 'active' }),
      target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }),
      images: v124,
    });
    expect(p.refusals.map((r) => r.code)).toEqual(['STATE_UNKNOWN']);
  });

  it('anti-rollback that cannot be read is activated only in the run that installs the stack', () => {
    const want = target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { antiRollback: true } });
    const fresh = plan({ state: board({ fus: '2.2.0', antiRollback: 'unknown' }), target: want, images: v124 });
    expect(kinds(fresh.steps)).toEqual(['stack-install', 'start-fus', 'anti-rollback', 'start-stack']);
    expect(fresh.steps[2]!.expect.antiRollback).toBeUndefined(); // not verifiable by read-back
    expect(fresh.target.antiRollback).toBe(true);
    const done = plan({ state: board({ fus: '2.2.0', antiRollback: 'unknown', stack: { type: 'BLE_Stack_full', version: '1.24.0' } }), target: want, images: v124 });
    expect(done.status).toBe('up-to-date');
    expect(done.warnings.join(' ')).toMatch(/Anti-rollback cannot be read/);
  });

  it('CPU2 unknown: FUS is started first, with a warning', () => {
    const p = plan({ state: board({ fus: '2.2.0', cpu2: 'unknown' }), target: target({ stack: { type: 'BLE_Stack_full', range: '1.24.0' } }), images: v124 });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-install']);
    expect(p.warnings.join(' ')).toMatch(/could not be read/);
  });

  it('leaving the stack on FUS 0.5.3: it cannot survive the FUS update, so it is deleted first, with a warning', () => {
    const p = plan({ state: board({ fus: '0.5.3', stack: { type: 'BLE_Stack_full', version: '1.0.0' } }), target: target({ fus: 'latest' }), images: v124 });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'fus-upgrade', 'fus-upgrade']);
    expect(p.warnings.join(' ')).toMatch(/cannot run on FUS >= 1\.0\.1/);
  });

  it('the 2.x -> 2.y edge is listed as an assumption; the 1.2.0 -> 2.x edge is not', () => {
    const from20 = plan({ state: board({ fus: '2.0.0' }), target: target({ fus: '2.2.0' }), images: v124 });
    expect(from20.assumptions.some((a) => a.includes('2.x -> newer 2.x'))).toBe(true);
    const from12 = plan({ state: board({ fus: '1.2.0' }), target: target({ fus: '2.2.0' }), images: v124 });
    expect(from12.assumptions.some((a) => a.includes('2.x -> newer 2.x'))).toBe(false);
  });

  it('an exact FUS target is met exactly, by the shortest chain', () => {
    const p = plan({ state: board({ fus: '1.1.2' }), target: target({ fus: '2.1.0' }), images: release('v1.23.0') });
    expect(p.steps.map((s) => [s.requires.fusVersion, s.expect.fusVersion])).toEqual([
      ['1.1.2', '1.2.0'],
      ['1.2.0', '2.1.0'],
    ]);
  });

  it('every step cites a rule of rules.ts', () => {
    const ids = new Set<string>([
      ...rules.fusEdges.map((e) => e.id),
      ...Object.values(rules.fusMinimums).map((r) => r.id),
      ...[rules.antiRollback, rules.deleteBeforeFus, rules.stackDelete, rules.stackInstall, rules.startFus, rules.startStack, rules.restoreOptionBytes, rules.swdFusOperator].map((r) => r.id),
    ]);
    const p = plan({
      state: board({ fus: '0.5.3', transport: 'swd', stack: { type: 'BLE_Stack_full', version: '1.0.0' } }),
      target: target({ transport: 'swd', toolVersion: '2.20.0', stack: { type: 'BLE_Stack_full', range: '1.24.0' }, policy: { antiRollback: true }, application: { start: 0x08000000, end: 0x08040000, address: 0x08000000, file: 'app.bin' } }),
      images: v124,
    });
    expect(kinds(p.steps)).toEqual(['start-fus', 'stack-delete', 'fus-upgrade', 'fus-upgrade', 'stack-install', 'start-fus', 'anti-rollback', 'start-stack', 'restore-option-bytes', 'flash-application']);
    for (const s of p.steps) expect(ids.has(s.rule.split(':')[0]!), s.rule).toBe(true);
  });
});
