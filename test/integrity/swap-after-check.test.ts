/**
 * The bytes that were checked are the bytes written (issue 13). An attacker swaps the user's image file between
 * copro's sha256 check and the tool reading it: here a wrapper around the fake STM32_Programmer_CLI replaces the
 * user's BLE_Stack_full 1.24.0 with ST's BLE_HCILayer 1.24.0 (same version) at the moment -fwupgrade starts, which
 * is the latest a swap can happen. copro hands the tool a private read-only copy of the verified bytes, so the
 * board gets BLE_Stack_full; the wrapper also records the file the tool was given: 0400, in a 0700 folder that is
 * gone after the run.
 *
 * On main before this commit the tool read the user's path: ST's HCILayer was installed and reported
 * "provisioned and verified" as BLE_Stack_full.
 */
import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { loadCatalog, makeStandIn } from '../../src/images/index.js';
import { FAKE_CLI, makeProject, manifestText, putBoard, readBoard, runCli, writeStandIn, WB5X_BLE_FULL_124, type Project } from '../hardening/helpers.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

const hci = () => loadCatalog().images.find((r) => r.kind === 'stack' && r.stackType === 'BLE_HCILayer' && r.version === '1.24.0' && r.families.includes('STM32WB5x'))!;

/** A CLI wrapper: at -fwupgrade, records the file it was given and swaps the user's file, then runs the fake. */
const WRAPPER = (fake: string) => `#!/usr/bin/env node
import { appendFileSync, copyFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
const args = process.argv.slice(2);
const i = args.indexOf('-fwupgrade');
if (i >= 0) {
  const file = args[i + 1];
  appendFileSync(process.env.SWAP_RECORD, JSON.stringify({ file, mode: statSync(file).mode & 0o777, dirMode: statSync(dirname(file)).mode & 0o777 }) + '\\n');
  copyFileSync(process.env.SWAP_WITH, process.env.SWAP_TARGET);
}
const r = spawnSync(${JSON.stringify(fake)}, args, { stdio: 'inherit', env: process.env });
process.exit(r.status ?? 1);
`;

describe('an image swapped between the check and the write', () => {
  it('the board gets the verified bytes: the tool is given a private 0400 copy in a 0700 folder, removed after', async () => {
    const p = await makeProject('copro-swap-');
    projects.push(p);
    await putBoard(p.simDir, { fusVersion: '2.2.0', stack: null });
    const userFile = await writeStandIn(p, WB5X_BLE_FULL_124());
    const other = await p.write('elsewhere/hci.bin', makeStandIn(hci()));
    await p.write('copro.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  release: v1.24.0\n  dir: binaries' }));
    const wrapper = await p.write('tool/STM32_Programmer_CLI', WRAPPER(FAKE_CLI));
    await chmod(wrapper, 0o755);
    const record = path.join(p.root, 'record.ndjson');
    const r = await runCli(['apply', 'copro.yaml', '--yes', '--no-color', '--cubeprogrammer', wrapper], {
      cwd: p.root,
      env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_LOCK_DIR: path.join(p.root, 'locks'), SWAP_RECORD: record, SWAP_WITH: other, SWAP_TARGET: userFile },
    });
    const text = r.stdout + r.stderr;
    // The swap really happened: the user's file now holds the HCILayer.
    expect(await readFile(userFile)).toEqual(Buffer.from(makeStandIn(hci())));
    expect(r.code, text).toBe(EXIT.OK);
    const b = await readBoard(p.simDir);
    expect(b.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.24.0' });
    const given = (await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { file: string; mode: number; dirMode: number });
    expect(given).toHaveLength(1);
    expect(given[0]!.file).not.toBe(userFile);
    expect(path.basename(given[0]!.file)).toBe(path.basename(userFile));
    expect(given[0]!.mode).toBe(0o400);
    expect(given[0]!.dirMode).toBe(0o700);
    expect(existsSync(path.dirname(given[0]!.file))).toBe(false);
  }, 60_000);
});
