/**
 * The confirmation before irreversible steps asks for the word "yes", as terraform does: a single "y" (what a
 * yes/no prompt library such as @inquirer/confirm accepts) does not confirm a FUS update (docs/dependencies.md).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, QUICK_START, baseEnv, makeProject, removeProjects, shQuote } from './helpers.js';

afterAll(removeProjects);
// util-linux `script` gives the CLI a pseudo-terminal.
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((f) => existsSync(f));

describe.skipIf(!SCRIPT)('the confirmation prompt (on a terminal)', () => {
  it.each([
    ['y', 6],
    ['yes', 0],
  ])('answering %j: exit %i', async (answer, code) => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const serial = await p.resetBoard();
    const fus = (await p.board(serial)).fus.version;
    const cmd = ['exec node', shQuote(BIN), 'apply', shQuote(manifest), '--simulate', '--no-color'].join(' ');
    const r = await execa(SCRIPT!, ['-qec', cmd, '/dev/null'], { cwd: p.dir, env: baseEnv(p.simDir), extendEnv: false, reject: false, timeout: 60_000, input: `${answer}\n` });
    expect(String(r.stdout)).toMatch(/Type "yes"/);
    expect(r.exitCode, String(r.stdout)).toBe(code);
    // Not confirmed: FUS was not touched (reading the board is all that happened).
    expect((await p.board(serial)).fus.version).toBe(code === 6 ? fus : '2.2.0');
  });
});
