/**
 * Irreversible steps that cannot be read back (anti-rollback has no read-out over USB DFU, UART or SWD) are judged
 * by the tool's explicit success and the FUS state, and reported as "done, not verifiable by read-back" in the
 * text, the NDJSON events and the JUnit report, never as verified; a failure reply fails the step and the run.
 * On today's main a failed activation is accepted ("provisioned and verified", exit 0) because there is nothing
 * to compare it with.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { resolveSession } from '../../src/cli/session.js';
import { exitCodeOf } from '../../src/cli/commands/apply.js';
import { createSimulatorDriver, makeBoard, readSimulatedBoard, writeSimulatedBoard } from '../../src/drivers/simulator/index.js';
import type { Driver } from '../../src/drivers/driver.js';
import { applyOne } from '../support/apply-in-process.js';
import { EventLog } from '../../src/runner/events.js';
import { junitFromEvents } from '../../src/runner/junit.js';
import { validatorFor } from '../../src/schemas.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { manifestText } from '../hardening/helpers.js';
import { useInProcessCli } from '../support/in-process-cli.js';

const cli = useInProcessCli('copro-not-verifiable-', (p) => ({ COPRO_SIM_DIR: p.simDir, COPRO_SIM_SPEED: '1000' }));
const output = cli.output;
let manifest: string;

beforeAll(async () => {
  manifest = await cli.project.write('copro.yaml', manifestText({ driver: 'simulator' }).replace('antiRollback: false', 'antiRollback: true'));
});

/** FUS 2.2.0, no stack: the plan installs the stack, then activates anti-rollback (irreversible). */
async function freshBoard(serial: string): Promise<void> {
  await writeSimulatedBoard(cli.project.simDir, makeBoard({ serial, fusVersion: '2.2.0' }));
}

type Ev = { type: string; board: string; [k: string]: unknown };

describe('anti-rollback over USB DFU (no read-out)', () => {
  it('a success is "done, not verifiable by read-back" in events (schema-valid), JUnit and text; never "verified"', async () => {
    await freshBoard('NV01');
    const junit = path.join(cli.project.root, 'nv01.xml');
    let from = output.length;
    const code = await main(['node', 'copro', 'apply', manifest, '--port', 'usb1', '--serial', 'NV01', '--yes', '--json', '--junit', junit]);
    expect(code, output.slice(from).join('')).toBe(EXIT.OK);
    const events = output.slice(from).join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
    const validate = validatorFor('events');
    for (const e of events) expect(validate(e), JSON.stringify(e)).toBe(true);
    const ar = events.find((e) => e.type === 'step-finished' && e.kind === 'anti-rollback')!;
    expect(ar).toMatchObject({ verification: 'not-verifiable', verified: {} });
    expect(String(ar.unverifiable)).toMatch(/no read-out over usb/);
    expect(events.filter((e) => e.type === 'step-finished' && e.kind !== 'anti-rollback').every((e) => e.verification === 'read-back')).toBe(true);
    expect(events.find((e) => e.type === 'board-finished')).toMatchObject({ result: 'provisioned', notVerifiable: ['Activate anti-rollback'] });
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<testcase [^>]*name="step \d+: Activate anti-rollback"[^/]*>\s*<properties>\s*<property name="verification" value="not-verifiable"\/>/);
    expect(xml).toContain('done, not verifiable by read-back');
    // The board really has it (the simulator knows what the chip does not tell).
    expect((await readSimulatedBoard(cli.project.simDir, 'NV01')).antiRollback.state).toBe('active');

    await freshBoard('NV02');
    from = output.length;
    expect(await main(['node', 'copro', 'apply', manifest, '--port', 'usb1', '--serial', 'NV02', '--yes', '--no-color'])).toBe(EXIT.OK);
    const text = output.slice(from).join('');
    const summary = text.slice(text.lastIndexOf('Summary'));
    expect(summary).toMatch(/NV02: provisioned; .*Activate anti-rollback \(done, not verifiable by read-back\)/);
    const line = summary.split('\n').find((l) => l.includes('NV02:'))!;
    expect(line).not.toMatch(/\bverified\b/);
  }, 120_000);

  it('a failure reply from the tool fails the step and the run (exit 1), and later steps do not run', async () => {
    await freshBoard('NV03');
    const s = await resolveSession(manifest, { port: 'usb1' });
    const log = new EventLog();
    const result = await applyOne(
      'NV03',
      async (): Promise<Driver> => {
        const d = await createSimulatorDriver({ dir: cli.project.simDir, serial: 'NV03', transport: 'usb', speed: 1000 });
        // FUS answers the activation with an error (as FUS_ACTIVATE_ANTIROLLBACK may): nothing changes on the chip.
        return Object.assign(Object.create(Object.getPrototypeOf(d) as object) as Driver, d, {
          activateAntiRollback: async () => ({ ok: false, error: 'FUS_ERROR' as const, messages: ['FUS state is FUS_ERROR', 'FUS status is FUS_STATE_ERR_UNKNOWN', 'Error: Antirollback activation failed'] }),
        });
      },
      { target: s.target, images: s.images, emit: log.sink, lockDir: path.join(cli.project.simDir, '.locks') },
    );
    const results = [result];
    expect(results[0]).toMatchObject({ result: 'failed' });
    expect(results[0]!.error).toMatch(/Activate anti-rollback\) failed: the tool reported FUS_ERROR/);
    expect(exitCodeOf(results, false)).toBe(EXIT.BOARD_FAILED);
    const failed = log.events.find((e) => e.type === 'step-failed') as Ev | undefined;
    expect(failed).toMatchObject({ kind: 'anti-rollback' });
    expect(log.events.some((e) => e.type === 'step-finished' && (e as Ev).kind === 'anti-rollback')).toBe(false);
    expect(junitFromEvents(log.events)).toMatch(/name="step \d+: Activate anti-rollback"[^>]*>\s*<failure/);
    expect((await readSimulatedBoard(cli.project.simDir, 'NV03')).antiRollback.state).toBe('inactive');
  }, 120_000);
});
