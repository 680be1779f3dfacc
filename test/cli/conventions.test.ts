/**
 * CLI conventions a user relies on from other tools: a closed pipe ends quietly, internal errors say how to
 * report them without a stack trace unless --debug, `copro version` and shell completion work.
 */
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, QUICK_START, makeProject, removeProjects, stripAnsi } from './helpers.js';
import { describeError, internalErrorText, REPORT_BUG } from '../../src/cli/errors.js';
import { buildProgram, debugRequested } from '../../src/cli/main.js';
import { rendererFor, useColor } from '../../src/cli/output.js';
import { commandTree, completionScript } from '../../src/cli/commands/completion.js';

const env = { ...process.env, NO_COLOR: '1' };

describe('closed pipes', () => {
  it.each([['--help'], ['completion', 'fish'], ['version']])('`copro %s | true` ends quietly: no EPIPE trace, exit 0', async (...args) => {
    // `true` exits at once, so copro writes into a closed pipe.
    const r = await execa('bash', ['-c', `node ${JSON.stringify(BIN)} ${args.join(' ')} | true; echo "rc=\${PIPESTATUS[0]}" >&2`], { cwd: ROOT, env, reject: false });
    expect(r.stderr).not.toMatch(/EPIPE|node:events|at /);
    expect(r.stderr).toMatch(/rc=0/);
  });
});

describe('internal errors', () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
  it('say what happened and how to report it, with no stack trace', () => {
    const d = describeError(bug);
    expect(d.exitCode).toBe(70);
    expect(d.text).toContain("copro: error: internal error: Cannot read properties of undefined (reading 'x')");
    expect(d.text).toContain(REPORT_BUG);
    expect(d.text).toContain('--debug');
    expect(d.text).not.toMatch(/\n\s+at /);
  });
  it('show the stack trace with --debug or COPRO_DEBUG=1', () => {
    expect(internalErrorText(bug, true)).toMatch(/\n\s+at /);
    expect(debugRequested(['node', 'copro', 'plan', '--debug'], {})).toBe(true);
    expect(debugRequested(['node', 'copro', 'plan'], { COPRO_DEBUG: '1' })).toBe(true);
    expect(debugRequested(['node', 'copro', 'plan'], {})).toBe(false);
  });
  it('--debug is accepted before and after the subcommand', async () => {
    for (const args of [['--debug', 'version'], ['version', '--debug']]) {
      const r = await execa('node', [BIN, ...args], { cwd: ROOT, env, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^copro \d+\.\d+\.\d+/);
    }
  });
});

describe('copro version', () => {
  it('names copro, node, the catalog and CubeProgrammer (text and JSON)', async () => {
    const t = await execa('node', [BIN, 'version'], { cwd: ROOT, env: { ...env, PATH: '/usr/bin:/bin', COPRO_CUBEPROGRAMMER: '' } });
    expect(t.stdout).toMatch(/^copro \d+\.\d+\.\d+\nnode v\d+/);
    expect(t.stdout).toMatch(/image catalog: \d+ images, STM32CubeWB releases up to v1\.\d+\.\d+/);
    expect(t.stdout).toMatch(/STM32CubeProgrammer: /);
    const j = JSON.parse((await execa('node', [BIN, 'version', '--json', '--cubeprogrammer', `${ROOT}/test/fake-cubeprogrammer/STM32_Programmer_CLI`], { cwd: ROOT, env })).stdout) as { copro: string; cubeprogrammer: { version?: string } };
    expect(j.copro).toMatch(/^\d+\.\d+\.\d+$/);
    expect(j.cubeprogrammer.version).toMatch(/^2\.\d+\.\d+$/);
  });
});

describe('shell completion', () => {
  const program = buildProgram(() => {});
  it('covers every command, subcommand and option of the program', () => {
    const tree = commandTree(program);
    const root = tree.find((n) => n.path.length === 0)!;
    expect(root.subcommands).toEqual(expect.arrayContaining(['plan', 'apply', 'status', 'sim', 'version', 'completion']));
    const apply = tree.find((n) => n.path.join(' ') === 'apply')!;
    expect(apply.options).toEqual(expect.arrayContaining(['--dry-run', '--yes', '-y', '--debug', '--quiet', '--verbose', '--help']));
    // The options before the subcommand are the program's; after it only the command's own are accepted.
    expect(root.options).toEqual(expect.arrayContaining(['--json', '--quiet', '--simulate', '--serial']));
    expect(tree.find((n) => n.path.join(' ') === 'identify')!.options).not.toContain('--simulate');
    expect(tree.find((n) => n.path.join(' ') === 'sim')!.subcommands).toEqual(expect.arrayContaining(['reset', 'fault', 'show']));
  });
  it('bash: completes subcommands and options in a real bash', async () => {
    const script = completionScript('bash', program);
    const ask = (words: string[]) =>
      execa('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _copro_complete; echo "\${COMPREPLY[*]}"`]).then((r) => r.stdout.split(' '));
    expect(await ask(['copro', 'ap'])).toEqual(['apply']);
    expect(await ask(['copro', 'sim', 'fa'])).toEqual(['fault']);
    expect(await ask(['copro', 'apply', '--dry'])).toEqual(['--dry-run']);
    expect(await ask(['copro', 'plan', 'x.yaml', '--det'])).toEqual(['--detailed-exitcode']);
  });
  it('fish: one line per command and option', () => {
    const s = completionScript('fish', program);
    expect(s).toContain("complete -c copro -n '__fish_use_subcommand' -a apply");
    expect(s).toContain("complete -c copro -n '__fish_seen_subcommand_from apply' -l dry-run");
  });
  it('an unknown shell is invalid input (exit 4)', async () => {
    const r = await execa('node', [BIN, 'completion', 'tcsh'], { cwd: ROOT, env, reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/unknown shell "tcsh"/);
  });
});

describe('files in the user\'s tree', () => {
  afterEach(removeProjects);
  it('state and logs stay under .copro/, which ignores itself in git: a rehearsal leaves no untracked state', async () => {
    const p = await makeProject();
    await execa('git', ['init', '-q'], { cwd: p.dir });
    const manifest = await p.useManifest(QUICK_START);
    const r = await p.copro(['apply', manifest, '--simulate', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    const status = (await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: p.dir })).stdout;
    expect(status).not.toMatch(/\.copro\//);
    expect(status).toMatch(new RegExp(`\\?\\? ${manifest}`));
  });
});

describe('colour', () => {
  const tty = { isTTY: true, hasColors: () => true } as unknown as NodeJS.WriteStream;
  const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;
  it('--no-color wins; then FORCE_COLOR (even into a pipe); then NO_COLOR; then the terminal', () => {
    expect(useColor({ color: false }, tty, { FORCE_COLOR: '1' })).toBe(false);
    expect(useColor({}, pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor({}, tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor({}, tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({}, tty, { NO_COLOR: '' })).toBe(true);
    expect(useColor({}, pipe, {})).toBe(false);
    expect(useColor({}, tty, {})).toBe(true);
  });
  it('animations only on a real, wide, non-CI terminal, whatever colour says', () => {
    expect(rendererFor({}, { ...tty, columns: 120 } as NodeJS.WriteStream, {})).toBe('default');
    expect(rendererFor({}, { ...tty, columns: 0 } as NodeJS.WriteStream, {})).toBe('simple');
    expect(rendererFor({}, { ...tty, columns: 120 } as NodeJS.WriteStream, { CI: 'true' })).toBe('simple');
    expect(rendererFor({}, pipe, { FORCE_COLOR: '1' })).toBe('simple');
    expect(rendererFor({ json: true }, tty, {})).toBe('silent');
  });
  it('FORCE_COLOR=1 colours a plan printed into a pipe; NO_COLOR=1 does not', async () => {
    const p = await makeProject();
    const manifest = await p.useManifest(QUICK_START);
    const coloured = await p.copro(['plan', manifest, '--simulate'], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(coloured.exitCode, coloured.all).toBe(0);
    expect(stripAnsi(coloured.stdout)).not.toBe(coloured.stdout);
    const plain = await p.copro(['plan', manifest, '--simulate'], { env: { NO_COLOR: '1' } });
    expect(stripAnsi(plain.stdout)).toBe(plain.stdout);
    await removeProjects();
  });
});
