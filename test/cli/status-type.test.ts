/**
 * `copro status` says what the manifest expects where FUS does not report the stack's type, in the words
 * `apply` uses ("type not reported by FUS: expected BLE_Stack_full"); without a manifest there is nothing to expect.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { QUICK_START, makeProject, removeProjects } from './helpers.js';

afterAll(removeProjects);

describe('copro status: a stack type FUS does not report', () => {
  it('with a manifest: the expected type, as apply says it; without: only that it is not reported', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    const applied = await p.copro(['apply', m, '--simulate', '--yes']);
    expect(applied.exitCode, applied.all).toBe(0);
    expect(applied.stdout).toMatch(/type not reported by FUS: expected BLE_Stack_full/);
    const withManifest = await p.copro(['status', m, '--simulate', '--full']);
    expect(withManifest.exitCode, withManifest.all).toBe(0);
    expect(withManifest.stdout).toMatch(/^Stack {6}1\.24\.0 \(type not reported by FUS: expected BLE_Stack_full\), running at 0x080D0000$/m);
    const bare = await p.copro(['status', '--simulate', '--full']);
    expect(bare.exitCode, bare.all).toBe(0);
    expect(bare.stdout).toMatch(/^Stack {6}1\.24\.0 \(type not reported by FUS\), running/m);
  });

  it('a free read that did not reach FUS: the manifest is not judged (not "cannot be applied")', async () => {
    const p = await makeProject();
    const m = await p.useManifest(QUICK_START);
    await p.resetBoard();
    expect((await p.copro(['apply', m, '--simulate', '--yes'])).exitCode).toBe(0);
    // The stack runs: a free read cannot see the FUS version, and every rule depends on it.
    const free = await p.copro(['status', m, '--simulate']);
    expect(free.exitCode, free.all).toBe(0);
    expect(free.stdout).toMatch(/^Manifest {3}not judged: The FUS version could not be read.*copro status --full reads it/m);
    expect(free.stdout).not.toMatch(/cannot be applied/);
    const full = await p.copro(['status', m, '--simulate', '--full']);
    expect(full.stdout).toMatch(/^Manifest {3}matches: nothing to do$/m);
  });
});
