/**
 * A value copro did not read is never printed as read (issue 13). In FUS mode FUS does not report the stack's type
 * (STM32CubeWB release notes, AN5185): through the real CubeProgrammer driver (fake STM32_Programmer_CLI) a stack
 * install is read back with FUS running, so every output says "type not reported by FUS: expected
 * BLE_Stack_full" (text, NDJSON, JUnit alike), and names where FUS put the stack.
 *
 * On main before this commit the driver filled the type in from what it meant to install: the summary said
 * "stack 1.24.0 (BLE_Stack_full)" and the step "verified ... BLE_Stack_full 1.24.0 (running)".
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { FAKE_CLI, makeProject, manifestText, putBoard, runCli, type Project } from '../hardening/helpers.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

async function project(): Promise<Project> {
  const p = await makeProject('copro-type-');
  projects.push(p);
  await putBoard(p.simDir, { fusVersion: '2.2.0', stack: null });
  await p.write('copro.yaml', manifestText({ driver: 'cubeprogrammer' }));
  return p;
}

const env = (p: Project) => ({ COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0', COPRO_LOCK_DIR: path.join(p.root, 'locks') });
const SAID = 'type not reported by FUS: expected BLE_Stack_full';

describe('a stack type FUS did not report is never shown as read', () => {
  it('text and JUnit: "type not reported by FUS: expected BLE_Stack_full", with the install address', async () => {
    const p = await project();
    const r = await runCli(['apply', 'copro.yaml', '--yes', '--no-color', '--cubeprogrammer', FAKE_CLI, '--junit', 'junit.xml'], { cwd: p.root, env: env(p) });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toContain(`stack 1.24.0 (${SAID}, running), installed at 0x080D0000`);
    expect(r.stdout).toMatch(new RegExp(`provisioned and verified \\(FUS 2\\.2\\.0, stack 1\\.24\\.0 \\(${SAID}\\)`));
    // Nowhere is the type presented as read back.
    expect(r.stdout).not.toMatch(/BLE_Stack_full 1\.24\.0 \(running\)|stack 1\.24\.0 \(BLE_Stack_full\)/);
    const xml = await readFile(path.join(p.root, 'junit.xml'), 'utf8');
    expect(xml).toContain(`<system-out>verified by read-back: FUS 2.2.0, stack 1.24.0 (${SAID}, running), installed at 0x080D0000</system-out>`);
  }, 60_000);

  it('NDJSON: step-finished and board-finished say the same', async () => {
    const p = await project();
    const r = await runCli(['apply', 'copro.yaml', '--yes', '--json', '--cubeprogrammer', FAKE_CLI], { cwd: p.root, env: env(p) });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const step = events.find((e) => e.type === 'step-finished' && e.kind === 'stack-install') as { verified: Record<string, string> };
    expect(step.verified).toMatchObject({ stack: `1.24.0 (${SAID}, running)`, stackInstallAddress: '0x080D0000' });
    const board = events.find((e) => e.type === 'board-finished') as { stack: string };
    expect(board.stack).toBe(`1.24.0 (${SAID}, running)`);
  }, 60_000);
});
