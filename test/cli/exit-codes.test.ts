/**
 * Issue 7, exit codes (README "Exit codes", src/cli/exit-codes.ts), one situation each, through the built
 * CLI: 0 provisioned / up to date, 1 a board failed, 2 only for `plan --detailed-exitcode` with changes,
 * 3 refused, 4 invalid input, 5 board locked by another copro, 6 irreversible steps not confirmed.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, describe, it } from 'vitest';
import { FAKE_CLI, QUICK_START, atQuickStartTarget, holdLock, makeProject, parseNdjson, planFromFullRead, removeProjects } from './helpers.js';

afterAll(removeProjects);

describe.concurrent('issue 7: exit codes', () => {
  it('2 only with plan --detailed-exitcode when changes are planned; 0 once up to date; 0 without the flag', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    await p.resetBoard();
    expect((await p.copro(['plan', manifest, '--simulate'])).exitCode).toBe(0);
    const changes = await p.copro(['plan', manifest, '--simulate', '--detailed-exitcode']);
    expect(changes.exitCode, changes.all).toBe(2);
    const apply = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(apply.exitCode, apply.all).toBe(0);
    // The stack runs now: a free read cannot tell the FUS version (it would take two resets): 3, and it says why.
    const unread = await p.copro(['plan', manifest, '--simulate', '--detailed-exitcode']);
    expect(unread.exitCode, unread.all).toBe(3);
    expect(unread.stdout).toMatch(/unknown: .*reading it would reset the chip/);
    const upToDate = await planFromFullRead(p, manifest, ['--simulate']);
    expect(upToDate.exitCode, upToDate.all).toBe(0);
    expect(upToDate.stdout).toContain('No changes');
    expect((await p.copro(['apply', manifest, '--simulate', '--yes'])).exitCode).toBe(0);
  }, 90_000);

  it('3 when the plan is refused (policy.fusUpgrade: forbid on the FUS 0.5.3 board); nothing touched', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START, (t) => t.replace('fusUpgrade: allow', 'fusUpgrade: forbid'));
    const serial = await p.resetBoard();
    for (const args of [['apply', manifest, '--simulate', '--yes'], ['plan', manifest, '--simulate'], ['plan', manifest, '--simulate', '--detailed-exitcode']]) {
      const r = await p.copro(args);
      expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(3);
      expect(r.stdout).toContain('FUS_UPGRADE_FORBIDDEN');
    }
    const b = await p.board(serial);
    expect(b.fus.version).toBe('0.5.3');
    expect(b.stack).toBeNull();
  });

  it.for([
    ['a bad manifest value', ['apply', 'bad.yaml', '--simulate']],
    ['a missing manifest', ['apply', 'missing.yaml', '--simulate']],
    ['an unknown option', ['apply', QUICK_START, '--simulate', '--no-such-option']],
    ['a snapshot that is not a board state', ['plan', QUICK_START, '--state', 'snap.json']],
  ] as const)('4 for invalid input: %s; no board touched', async ([, args], { expect }) => {
    const p = await makeProject();
    await p.useManifest(QUICK_START, (t) => t.replace('fus: 2.2.0', 'fus: two'), 'bad.yaml');
    await p.useManifest(QUICK_START);
    await p.write('snap.json', '{ "not": "a board state" }');
    const r = await p.copro([...args]);
    expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(4);
    if (args[1] === 'bad.yaml') expect(r.stderr).toMatch(/^bad\.yaml:\d+:\d+: /m);
    expect(await p.boards()).toEqual([]); // no board was even created
  });

  it('1 when a board fails (USB DFU never comes back after a reset)', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    await p.arm(serial, 'usb-gone!');
    const r = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${serial}: FAILED: `));
    expect(atQuickStartTarget(await p.board(serial))).toBe(false);
  });

  it.for(['plan', 'apply'])('5 when the board is locked by another live copro (%s); the lock is left alone, the board untouched', async (command, { expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const lock = await holdLock(p, serial);
    const lockText = await readFile(lock, 'utf8');
    const before = await p.boardBytes(serial);
    const r = await p.copro([command, manifest, '--simulate']);
    expect(r.all).toContain(`pid ${process.pid}`);
    expect(r.all).toMatch(/--wait-lock/);
    expect(await readFile(lock, 'utf8')).toBe(lockText);
    expect(await p.boardBytes(serial)).toBe(before);
    expect(r.exitCode, r.all).toBe(5);
  });

  it('--json on a locked board: every board named in run-started gets its board-finished event', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    await holdLock(p, serial);
    const r = await p.copro(['apply', manifest, '--simulate', '--yes', '--json']);
    const events = parseNdjson(r.stdout) as { type: string; board: string; result?: string; boards?: string[] }[];
    expect(events[0]).toMatchObject({ type: 'run-started', boards: [serial] });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished' });
    const finished = events.filter((e) => e.type === 'board-finished');
    expect(finished.map((e) => e.board)).toEqual([serial]);
  });

  it('6 when irreversible steps are not confirmed (real driver via the fake CLI, no --yes, stdin not a TTY); nothing changed', async ({ expect }) => {
    const p = await makeProject();
    const serial = await p.resetBoard();
    // The board is named in the manifest so this test does not depend on how a missing serial is handled.
    const manifest = await p.useManifest(QUICK_START, (t) => t.replace('  port: usb1', `  port: usb1\n  serial: "${serial}"`));
    const before = await p.board(serial);
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI], { env: { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' } });
    expect(r.exitCode, r.all).toBe(6);
    expect(r.stderr).toMatch(/cannot be undone/);
    expect(r.stderr).toContain('--yes');
    expect(r.stderr).toMatch(/Update FUS 0\.5\.3 -> 1\.2\.0/);
    const after = await p.board(serial);
    expect(after.fus).toEqual(before.fus);
    expect(after.stack).toBeNull();
    expect(after.staged).toEqual([]); // no image was even downloaded
  });
});
