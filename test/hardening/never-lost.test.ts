/**
 * Issue 9, "never lose what the user owns": over SWD, CubeProgrammer's FUS operator overwrites the start of
 * flash (the application) and sets option bytes (STM32WB.md §5/§6, field reports P20/P26); copro either
 * refuses that loss in advance or re-flashes the application and restores the option bytes, verified. The
 * loss of the user keys stored in FUS is announced before any FUS update, and a board that cannot ask
 * (no terminal, no --yes) is not touched. copro's own files (copro.lock, board files) are written
 * atomically: concurrent writers never leave half a file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { makeBoard, writeSimulatedBoard, readSimulatedBoard, resetBoard } from '../../src/drivers/simulator/index.js';
import { writeLock, readLock, type LockEntry } from '../../src/images/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import {
  FAKE_CLI,
  SERIAL,
  WB5X_BLE_FULL_124,
  WB5X_FUS_120_FOR_053,
  WB5X_FUS_220,
  essence,
  makeProject,
  manifestText,
  readBoard,
  runCli,
  writeStandIn,
  type Project,
} from './helpers.js';

let p: Project;
beforeEach(async () => {
  p = await makeProject('copro-never-lost-');
});
afterEach(() => p.cleanup());

const APP_SIZE = 40_000;

/** A board on FUS 1.2.0 with the user's application flashed at 0x08000000; returns its sha256. */
async function boardWithApplication(): Promise<{ app: string; sha256: string }> {
  const bytes = randomBytes(APP_SIZE);
  const app = await p.write('firmware/app.bin', bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeSimulatedBoard(p.simDir, makeBoard({ serial: SERIAL, fusVersion: '1.2.0', stack: null, cpu2: 'fus', application: { sizeBytes: APP_SIZE, sha256 } }));
  return { app, sha256 };
}

/** The quick-start target over SWD (ST-LINK), where CubeProgrammer's FUS operator overwrites the application. */
const swdManifest = (policy: string, withFile: boolean) =>
  manifestText({ extra: withFile ? 'application:\n  file: firmware/app.bin\n  address: 0x08000000\n  end: 0x08080000' : '' })
    .replace('  port: usb1', '  port: swd')
    .replace('policy:\n', `policy:\n  swdApplicationLoss: ${policy}\n  restoreOptionBytes: true\n`);

const apply = (m: string, extra: string[] = []) => runCli(['apply', m, '--yes', '--no-color', ...extra], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });

describe('the application over SWD', () => {
  // REPORTED (hardening report, finding 8, a real bug): over SWD the runner reads the board with a full
  // readState, which loads CubeProgrammer's FUS operator at 0x08000000 (the simulator models it, as
  // cli-transcripts/06a show) and overwrites the application BEFORE the planner can refuse: the planner then
  // sees `clobberedByFusOperator: true`, finds no application to protect, and goes on. Even `copro plan`
  // destroys the application over SWD.
  it('swdApplicationLoss: refuse: the loss is refused in advance (exit 3) and the application is untouched', async () => {
    const { sha256 } = await boardWithApplication();
    const m = await p.write('m.yaml', swdManifest('refuse', false));
    const r = await apply(m);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.REFUSED);
    expect(r.stdout).toContain('SWD_APPLICATION_LOSS');
    expect((await readBoard(p.simDir)).application).toMatchObject({ present: true, sha256, clobberedByFusOperator: false });
  });

  it('copro plan over SWD (a read-only command) leaves the application intact', async () => {
    await boardWithApplication();
    const m = await p.write('m.yaml', swdManifest('refuse', false));
    await runCli(['plan', m, '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect((await readBoard(p.simDir)).application.clobberedByFusOperator).toBe(false);
  });

  it('swdApplicationLoss: reflash: the application is re-flashed and verified, the option bytes restored', async () => {
    const { sha256 } = await boardWithApplication();
    const before = await readBoard(p.simDir);
    const m = await p.write('m.yaml', swdManifest('reflash', true));
    const r = await apply(m);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/Re-flash the application .*app\.bin: verified/);
    const after = await readBoard(p.simDir);
    expect([after.fus.version, after.stack?.type, after.stack?.version]).toEqual(['2.2.0', 'BLE_Stack_full', '1.24.0']);
    expect(after.application).toMatchObject({ present: true, sha256, overwritten: false, clobberedByFusOperator: false });
    // Boot option bytes as they were; SFSA/SBRV are FUS's own (they move with the FUS and the stack).
    const boot = (b: typeof before) => ({ rdp: b.optionBytes.rdp, nSWboot0: b.optionBytes.nSWboot0, nBOOT0: b.optionBytes.nBOOT0, nBOOT1: b.optionBytes.nBOOT1 });
    expect(boot(after)).toEqual(boot(before));
    expect(after.fusOperator.inFlash).toBe(false);
  });

  it('over USB DFU the application is never touched (no re-flash needed)', async () => {
    const { sha256 } = await boardWithApplication();
    const m = await p.write('m.yaml', manifestText());
    const r = await apply(m, ['--simulate']);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).not.toMatch(/Re-flash/);
    expect((await readBoard(p.simDir)).application).toMatchObject({ present: true, sha256, overwritten: false });
  });
});

describe('irreversible steps are announced before anything runs', () => {
  it('the plan announces the loss of the FUS user keys before each FUS update, and the summary repeats it', async () => {
    await resetBoard(p.simDir, undefined, SERIAL);
    const m = await p.write('m.yaml', manifestText());
    const r = await runCli(['plan', m, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect(r.code).toBe(EXIT.OK);
    const fusSteps = r.stdout.split(/\n(?= {2}\d+\. )/).filter((s) => /^ {2}\d+\. Update FUS/.test(s));
    expect(fusSteps).toHaveLength(2);
    for (const s of fusSteps) {
      expect(s).toContain('[irreversible]');
      expect(s).toContain('Installing FUS deletes the user keys stored in FUS');
    }
    expect(r.stdout).toMatch(/Warnings:\n(?: {2}! .*\n)*? {2}! Installing FUS deletes the user keys/);
  });

  it('a real board with no terminal and no --yes: exit 6, the irreversible steps and the key loss listed, board untouched', async () => {
    await resetBoard(p.simDir, undefined, SERIAL);
    for (const rec of [WB5X_FUS_120_FOR_053(), WB5X_FUS_220(), WB5X_BLE_FULL_124()]) await writeStandIn(p, rec);
    const before = essence(await readBoard(p.simDir));
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
    const r = await runCli(['apply', m, '--no-color', '--serial', SERIAL, '--cubeprogrammer', FAKE_CLI], {
      cwd: p.root,
      env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: '1' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.NOT_CONFIRMED);
    expect(r.stderr).toContain('these steps cannot be undone');
    expect(r.stderr).toMatch(/Update FUS 0\.5\.3 -> 1\.2\.0.*Installing FUS deletes the user keys/);
    expect(r.stderr).toContain('re-run with --yes');
    expect(essence(await readBoard(p.simDir))).toEqual(before);
  });
});

describe("copro's files are written atomically", () => {
  const entry = (i: number): LockEntry => ({ name: `img-${i}.bin`, sha256: createHash('sha256').update(String(i)).digest('hex'), size: 1000 + i, version: `1.${i}.0`, kind: 'stack', stackType: 'BLE_Stack_full', families: [], st: false });

  it('copro.lock: 30 concurrent writers leave one whole lock, never a mix or half a file', async () => {
    const file = path.join(p.root, 'copro.lock');
    const writes = Array.from({ length: 30 }, (_, i) => [entry(i), entry(i + 100)]);
    await Promise.all(writes.map((w) => writeLock(file, w)));
    const lock = await readLock(file);
    const names = lock.images.map((e) => e.name).sort();
    expect(writes.map((w) => w.map((e) => e.name).sort())).toContainEqual(names);
    expect((await readdir(p.root)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a simulated board file: concurrent writers leave a whole, valid board', async () => {
    const boards = Array.from({ length: 20 }, (_, i) => makeBoard({ serial: SERIAL, fusVersion: i % 2 ? '1.2.0' : '2.2.0', stack: null, cpu2: 'fus' }));
    await Promise.all(boards.map((b) => writeSimulatedBoard(p.simDir, b)));
    const read = await readSimulatedBoard(p.simDir, SERIAL); // validated against sim-board.schema.json
    expect(['1.2.0', '2.2.0']).toContain(read.fus.version);
    expect((await readdir(p.simDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the JUnit report is complete when it appears (temp file + rename)', async () => {
    await resetBoard(p.simDir, undefined, SERIAL);
    const m = await p.write('m.yaml', manifestText());
    const junit = path.join(p.root, 'report.xml');
    const r = await apply(m, ['--simulate', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    const xml = await readFile(junit, 'utf8');
    expect(xml.trimEnd()).toMatch(/<\/testsuites>$/);
    expect((await readdir(p.root)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
