/**
 * Issue 7, resume: a run cut short by a power loss / unplug during a download fails and says where it
 * stopped; the next `copro apply` re-reads the board, continues from where it really is and converges;
 * a third run has nothing to do.
 */
import { afterAll, describe, it } from 'vitest';
import { QUICK_START, atQuickStartTarget, makeProject, planFromFullRead, removeProjects } from './helpers.js';

afterAll(removeProjects);

describe.concurrent('issue 7: an interrupted apply resumes on the next run', () => {
  it.for(['unplug@download:50', 'power-loss@download:50'])('%s during the first FUS update', async (fault, { expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    await p.arm(serial, fault);

    const first = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(first.exitCode, first.all).toBe(1);
    // The summary names the board and the step where it stopped.
    const summary = first.stdout.slice(first.stdout.lastIndexOf('Summary'));
    expect(summary).toMatch(new RegExp(`${serial}: FAILED: step 1 \\(Update FUS 0\\.5\\.3 -> 1\\.2\\.0\\)`));
    const stopped = await p.board(serial);
    expect(stopped.fus.version).toBe('0.5.3'); // half a download installs nothing
    expect(stopped.faults).toEqual([]); // the one-shot fault fired

    const second = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/1\. Update FUS 0\.5\.3 -> 1\.2\.0/); // it starts again from the board's real state
    expect(atQuickStartTarget(await p.board(serial))).toBe(true);

    const third = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(third.exitCode, third.all).toBe(0);
    expect(third.stdout).toContain('No changes');
    expect(third.stdout).toMatch(new RegExp(`${serial}: already matches the manifest`));
  });

  it('power-loss@install: FUS finishes the install when power returns; copro accepts the step by read-back, not by the tool', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    await p.arm(serial, 'power-loss@install');
    const first = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/note: step 1: the tool reported a failure \(DISCONNECTED\), but the board shows the expected state: step accepted/);
    expect(atQuickStartTarget(await p.board(serial))).toBe(true);
    const again = await planFromFullRead(p, manifest, ['--simulate']);
    expect(again.exitCode, again.all).toBe(0);
  });
});
