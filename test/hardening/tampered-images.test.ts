/**
 * Issue 9: tampered or wrong images are refused before any board operation, with expected and actual
 * values. Each case starts from the factory board (FUS 0.5.3, no stack) and runs `copro apply` as a user
 * would; the board's essence (everything but its clock and connection counters: a refused run may look at
 * the board, never change it) must be identical afterwards. Images are simulated stand-ins (ST's files
 * cannot ship here); the real driver runs through the fake STM32_Programmer_CLI with
 * COPRO_ALLOW_STANDIN_IMAGES=1 except where the refusal of stand-ins is the point.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countTests, recordSummary } from './summary.js';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resetBoard, createSimulatorDriver } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { applyOne } from '../support/apply-in-process.js';
import { loadManifest, resolveTarget } from '../../src/manifest/index.js';
import { collectImages, lockEntryOf, writeLock, makeStandIn, identifyBytes, type AvailableImage } from '../../src/images/index.js';
import { DriverError } from '../../src/drivers/driver.js';
import type { Plan } from '../../src/planner/types.js';
import {
  FAKE_CLI,
  SERIAL,
  boardBytes,
  WB5X_BLE_FULL_124,
  WB5X_FUS_120_FOR_053,
  WB5X_FUS_220,
  catalogRecord,
  essence,
  makeProject,
  manifestText,
  putBoard,
  readBoard,
  runCli,
  writeStandIn,
  type Project,
} from './helpers.js';
import { imageWith, syntheticFile } from '../images/helpers.js';

let p: Project;
let before: unknown;

beforeEach(async () => {
  p = await makeProject('copro-tamper-');
  await resetBoard(p.simDir, undefined, SERIAL);
  before = essence(await readBoard(p.simDir));
});
afterEach(() => p.cleanup());
// eslint-disable-next-line no-empty-pattern -- vitest passes the finished file as the second argument
afterAll(({}, file) => {
  const n = countTests(file);
  const line = `tampered and wrong images: ${n.total} cases, ${n.passed} refused before the board was touched (or never written), ${n.failed} failed`;
  console.log(line);
  recordSummary('tampered images', line);
});

const sim = (m: string, extra: string[] = []) => runCli(['apply', m, '--yes', '--no-color', ...extra], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
const real = (m: string, allowStandIns = true, extra: string[] = []) =>
  runCli(['apply', m, '--yes', '--no-color', '--serial', SERIAL, '--cubeprogrammer', FAKE_CLI, ...extra], {
    cwd: p.root,
    env: { COPRO_SIM_DIR: p.simDir, COPRO_ALLOW_STANDIN_IMAGES: allowStandIns ? '1' : undefined },
  });

/** A payload byte flipped (well before the footers, so only the content changes). */
const flip = (at = 100) => (b: Uint8Array) => {
  const c = Uint8Array.from(b);
  c[at] = c[at]! ^ 0x01;
  return c;
};

async function untouched(): Promise<void> {
  expect(essence(await readBoard(p.simDir))).toEqual(before);
}

/** The three genuine stand-ins of the rescue path, in binaries/ (for the real driver, which gets no generated ones). */
async function rescueImages(): Promise<void> {
  for (const r of [WB5X_FUS_120_FOR_053(), WB5X_FUS_220(), WB5X_BLE_FULL_124()]) await writeStandIn(p, r);
}

describe('tampered images are refused before the board is touched', () => {
  it('a flipped payload byte in a file pinned by sha256: exit 4, expected and actual sha256', async () => {
    const r = WB5X_FUS_120_FOR_053();
    const genuine = makeStandIn(r);
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256').update(genuine).digest('hex');
    const file = await writeStandIn(p, r, 'fw/fus053.bin', flip());
    const actual = createHash('sha256').update(await readFile(file)).digest('hex');
    const m = await p.write('m.yaml', manifestText({ images: `images:\n  files:\n    - path: fw/fus053.bin\n      sha256: ${expected}` }));
    const run = await sim(m);
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain(`sha256 is ${actual}, the manifest pins ${expected}`);
    expect(run.stderr).toContain('nothing was touched');
    await untouched();
  });

  it('a truncated image named in the manifest: exit 4, "not a coprocessor image"', async () => {
    await writeStandIn(p, WB5X_FUS_220(), 'fw/fus.bin', (b) => b.subarray(0, b.length - 50));
    const m = await p.write('m.yaml', manifestText({ images: 'images:\n  files:\n    - path: fw/fus.bin' }));
    const run = await sim(m);
    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toMatch(/fw\/fus\.bin: not a coprocessor image: /);
    await untouched();
  });

  it('a file that is not an image at all (text): exit 4', async () => {
    await p.write('fw/readme.bin', 'this is not firmware\n'.repeat(20));
    const m = await p.write('m.yaml', manifestText({ images: 'images:\n  files:\n    - path: fw/readme.bin' }));
    const run = await sim(m);
    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain('fw/readme.bin: not a coprocessor image');
    await untouched();
  });

  it('an image that differs from copro.lock: exit 4 with the lock\'s sha256 and the file\'s', async () => {
    // The lock pins FUS 2.2.0 with another sha256 than the image copro would write now.
    const { createHash } = await import('node:crypto');
    const collected = await collectImages({ release: 'v1.24.0', standIns: true, family: 'STM32WB5x', standInDir: path.join(p.root, '.copro', 'standins') });
    const fus = collected.images.find((i) => i.identity.kind === 'fus' && i.identity.version === '2.2.0')!;
    const pinned = createHash('sha256').update('some other FUS 2.2.0').digest('hex');
    await writeLock(path.join(p.root, 'copro.lock'), [{ ...lockEntryOf(fus), sha256: pinned }]);
    const m = await p.write('m.yaml', manifestText());
    const run = await sim(m);
    expect(run.code, run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain(`expected ${pinned}, actual ${lockEntryOf(fus).sha256}`);
    expect(run.stderr).toContain('--update-lock');
    await untouched();
  });

  it('stand-ins in binaries/ with the real driver (no COPRO_ALLOW_STANDIN_IMAGES): refused by the planner, board untouched', async () => {
    await rescueImages();
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
    const run = await real(m, false);
    expect(run.code, run.stdout + run.stderr).toBe(EXIT.REFUSED);
    // Refused before the board is read (issue 12): no image the real board can take satisfies the manifest.
    expect(run.stderr).toContain('nothing was done (the board was not read)');
    await untouched();
  });

  // REPORTED (hardening report, finding 4): the refusal says "No BLE_Stack_full image 1.24.0 ... Put the stack
  // file in binaries/" although the file is there: it is a stand-in, which the real driver may not use.
  it('... and the refusal says why the file in binaries/ is not usable (a simulated stand-in)', async () => {
    await rescueImages();
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  dir: binaries' }));
    const run = await real(m, false);
    expect(run.stdout + run.stderr).toMatch(/stand-in/);
  });

  it('a stand-in handed to the real driver itself: DriverError REFUSED, the fake CLI never writes it', async () => {
    await rescueImages();
    const standIn = (await collectImages({ dir: path.join(p.root, 'binaries'), standIns: false, family: 'STM32WB5x' })).images.find((i) => i.origin === 'stand-in' && i.identity.kind === 'fus')!;
    const saved = process.env.COPRO_SIM_DIR;
    process.env.COPRO_SIM_DIR = p.simDir;
    try {
      const { createCubeProgrammerDriver } = await import('../../src/drivers/cubeprogrammer/index.js');
      const d = await createCubeProgrammerDriver({ executable: FAKE_CLI, port: 'usb1', serial: SERIAL, allowStandInImages: false });
      const err = await d.upgrade(standIn, 0x080ec000, { firstInstall: true, startStack: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DriverError);
      expect((err as DriverError).code).toBe('REFUSED');
      expect((err as DriverError).message).toContain('is a copro stand-in (simulated image), not an ST image: refusing to write it to a real board');
      await d.close();
    } finally {
      process.env.COPRO_SIM_DIR = saved;
    }
    await untouched();
  });

  it('a stand-in with a flipped payload byte named in the manifest is never written', async () => {
    await rescueImages();
    const tampered = await writeStandIn(p, WB5X_FUS_120_FOR_053(), 'fw/fus053.bin', flip());
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: fw/fus053.bin\n  dir: binaries' }));
    // The plan decides which file is written (and preflight pins its sha256): a dry run shows it.
    const run = await real(m, true, ['--dry-run']);
    // Named on purpose but modified: the run stops (exit 4) rather than quietly using another file.
    expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stdout).not.toContain(`(${tampered};`);
  });

  // REPORTED (finding 2): a file the manifest names explicitly but that is a corrupted stand-in (marker present,
  // digest wrong) is silently ignored; copro goes on with other images. It should stop with exit 4.
  it('... and naming it explicitly stops the run with exit 4 before the board is touched', async () => {
    await rescueImages();
    await writeStandIn(p, WB5X_FUS_120_FOR_053(), 'fw/fus053.bin', flip());
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: fw/fus053.bin\n  dir: binaries' }));
    const run = await real(m, true, ['--dry-run']); // a dry run stops where a refusal must: before the board
    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toMatch(/fw\/fus053\.bin.*(digest|tampered|modified)/);
    await untouched();
  });
});

describe('wrong images are refused before the board is touched', () => {
  /** A stack stand-in whose last 104 bytes (image footer, signature slot, signature footer) are a FUS image's. */
  async function forgedFus(): Promise<string> {
    const stack = makeStandIn(WB5X_BLE_FULL_124());
    const fus = makeStandIn(WB5X_FUS_220());
    const forged = Uint8Array.from(stack);
    forged.set(fus.subarray(fus.length - 104), forged.length - 104);
    await rescueImages();
    return p.write('binaries/stm32wb5x_FUS_fw.bin', forged);
  }

  // REPORTED (finding 1, a real bug): the forged file (not in the catalog, a broken stand-in marker) is planned
  // as "FUS 2.2.0" at an address computed from its forged footer (0x080D4000) and written to the board; only
  // FUS's own signature check stops it. copro must never write an image it cannot match to ST's catalog.
  it('an image footer of another kind (FUS footer on a stack payload): refused before any board operation', async () => {
    const file = await forgedFus();
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: binaries/stm32wb5x_FUS_fw.bin\n  dir: binaries' }));
    const run = await real(m, true, ['--dry-run']); // a dry run stops where a refusal must: before the board
    expect(run.stdout).not.toContain(`(${file};`);
    expect([EXIT.INVALID_INPUT, EXIT.REFUSED]).toContain(run.code);
    await untouched();
  });

  it('... and even when it is written, FUS refuses it and the board keeps a working FUS (diagnosed, not lost)', async () => {
    await forgedFus();
    await putBoard(p.simDir, { fusVersion: '1.2.0', stack: null, cpu2: 'fus' });
    before = essence(await readBoard(p.simDir));
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: binaries/stm32wb5x_FUS_fw.bin\n  dir: binaries' }));
    const run = await real(m);
    expect(run.code).not.toBe(EXIT.OK);
    expect(run.code).not.toBe(EXIT.INTERNAL);
    const b = await readBoard(p.simDir);
    expect(b.fus.version).toBe('1.2.0');
    expect(b.application).toEqual((before as { application: unknown }).application);
  });

  const wb1 = () => catalogRecord((r) => r.kind === 'stack' && r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB1x'), 'WB1x BLE_Stack_full 1.24.0');

  it('a WB1x stack for a WB5x board (named as a WB5x file) is never written', async () => {
    await rescueImages();
    const file = await writeStandIn(p, wb1(), 'fw/stm32wb5x_BLE_Stack_full_fw.bin');
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: fw/stm32wb5x_BLE_Stack_full_fw.bin\n  dir: binaries' }));
    const run = await real(m, true, ['--dry-run']);
    // Named on purpose but for another family: the run stops (exit 4) rather than quietly using another file.
    expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stdout).not.toContain(`(${file};`);
  });

  // REPORTED (finding 3): the explicitly named WB1x file is silently skipped; the issue asks for a refusal
  // with expected/actual (family STM32WB5x expected, STM32WB1x found).
  it('... and naming it explicitly stops the run with exit 4, expected STM32WB5x, actual STM32WB1x', async () => {
    await rescueImages();
    await writeStandIn(p, wb1(), 'fw/stm32wb5x_BLE_Stack_full_fw.bin');
    const m = await p.write('m.yaml', manifestText({ driver: 'cubeprogrammer', images: 'images:\n  files:\n    - path: fw/stm32wb5x_BLE_Stack_full_fw.bin\n  dir: binaries' }));
    const run = await real(m, true, ['--dry-run']); // a dry run stops where a refusal must: before the board
    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toMatch(/STM32WB5x/);
    expect(run.stderr).toMatch(/STM32WB1x/);
    await untouched();
  });

  it('the unsigned v1.5.0 FUS (FUS 1.1.0 without a trailer): identified as "never install it", never planned', async () => {
    const broken = catalogRecord((r) => r.kind === 'fus' && !r.footer.valid, 'the v1.5.0 FUS');
    const id = identifyBytes(makeStandIn(broken), 'stm32wb5x_FUS_fw.bin');
    expect(id.warnings.join('\n')).toContain('never install it');
    const m = await p.write('m.yaml', manifestText({ fus: broken.version, stack: 'none', images: `images:\n  release: ${broken.releases[0]}` }));
    const run = await sim(m);
    expect(run.code, run.stdout + run.stderr).toBe(EXIT.REFUSED);
    expect(run.stdout).toContain('Nothing will be done to the board.');
    await untouched();
  });
});

describe('a file that changes between plan and apply', () => {
  it('is refused with expected and actual sha256; the board is untouched', async () => {
    const m = await p.write('m.yaml', manifestText());
    const loaded = await loadManifest(m, { projectRoot: p.root });
    const target = resolveTarget(loaded.manifest, { manifestDir: p.root, transport: 'usb' });
    const { images } = await collectImages({ release: 'v1.24.0', standIns: true, family: 'STM32WB5x', standInDir: path.join(p.root, '.copro', 'standins') });
    let planned: Plan | undefined;
    let swapped: { file: string; sha256: string } | undefined;
    const r = await applyOne(SERIAL, async () => createSimulatorDriver({ dir: p.simDir, serial: SERIAL, transport: 'usb' }), {
      target,
      images: images as AvailableImage[],
      lockDir: path.join(p.root, '.copro', 'locks'),
      // The person confirms; meanwhile something rewrites the first image on disk.
      confirm: async (plans) => {
        planned = plans[0]!.plan;
        const img = planned.steps[0]!.image!;
        await writeFile(img.path!, flip(200)(await readFile(img.path!)));
        const { createHash } = await import('node:crypto');
        swapped = { file: img.path!, sha256: createHash('sha256').update(await readFile(img.path!)).digest('hex') };
        return true;
      },
    });
    expect(r.result).toBe('failed');
    expect(r.errorCode).toBe('IMAGE_CHECK');
    expect(r.error).toContain(`${swapped!.file} changed since it was planned: expected sha256 ${planned!.steps[0]!.image!.sha256}, found ${swapped!.sha256}`);
    expect(r.error).toContain('Nothing was written to the board');
    await untouched();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Issue 12: what the manifest's release allows, files that claim to be ST's, and names that lie. Every case
// runs the CLI as a user would, on the simulator and (where it matters) through the real driver and the fake
// STM32_Programmer_CLI; "not read" is checked byte for byte (the board file, counters included).

/** A file with ST's size and trailer for `r` but other content: what a real ST file with one flipped byte looks like. */
function stLookalike(r: ReturnType<typeof WB5X_FUS_220>, mutate: (b: Uint8Array) => Uint8Array = (b) => b): Uint8Array {
  return mutate(syntheticFile(r, 0x33));
}

async function notRead(run: { code: number; stdout: string; stderr: string }, bytesBefore: string): Promise<void> {
  expect(await boardBytes(p.simDir), run.stdout + run.stderr).toBe(bytesBefore);
}

describe('images.release bounds every image, before the board is read', () => {
  it('release v1.23.0 with fus: latest plans FUS 2.1.0 (the release\'s newest), never 2.2.0 (only v1.24.0 has it)', async () => {
    const m = await p.write('m.yaml', manifestText({ fus: 'latest', stack: 'none', images: 'images:\n  release: v1.23.0' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color', '--json'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect(run.code, run.stderr).toBe(EXIT.OK);
    const planned = (JSON.parse(run.stdout) as { boards: { plan: Plan }[] }).boards[0]!.plan;
    const fusSteps = planned.steps.filter((s) => s.kind === 'fus-upgrade');
    expect(fusSteps.map((s) => s.title)).toEqual(['Update FUS 0.5.3 -> 1.2.0', 'Update FUS 1.2.0 -> 2.1.0']);
    for (const s of fusSteps) expect(s.image!.releases).toContain('v1.23.0');
  });

  it('... also when FUS 2.2.0 is a local file in binaries/ (local files are bounded too)', async () => {
    await writeStandIn(p, WB5X_FUS_220(), 'binaries/stm32wb5x_FUS_fw.bin');
    const m = await p.write('m.yaml', manifestText({ fus: 'latest', stack: 'none', images: 'images:\n  release: v1.23.0\n  dir: binaries' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color', '--json'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect(run.code, run.stderr).toBe(EXIT.OK);
    const planned = (JSON.parse(run.stdout) as { boards: { plan: Plan }[] }).boards[0]!.plan;
    expect(planned.steps.map((s) => s.title)).not.toContain('Update FUS 1.2.0 -> 2.2.0');
    expect(planned.target.fus).toBe('2.1.0');
  });

  it('an unknown release (v1.99.0) with local files: exit 4 at its line and column, the board not read', async () => {
    const bytes = await boardBytes(p.simDir);
    await rescueImages();
    const m = await p.write('m.yaml', manifestText({ images: 'images:\n  release: v1.99.0\n  dir: binaries' }));
    const run = await sim(m);
    expect(run.code, run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toMatch(/m\.yaml:8:12: images\.release: v1\.99\.0 is not an STM32CubeWB release/);
    await notRead(run, bytes);
  });

  it('a stack version no image of the release satisfies: refused (exit 3) at stack.version, the board not read', async () => {
    const bytes = await boardBytes(p.simDir);
    const m = await p.write('m.yaml', manifestText({ stack: '1.25.0' }));
    for (const run of [await sim(m), await real(m)]) {
      expect(run.code, run.stderr).toBe(EXIT.REFUSED);
      expect(run.stderr).toMatch(/m\.yaml:6:12: refused \(IMAGE_MISSING\): no BLE_Stack_full image 1\.25\.0 exists for STM32WB5x in images\.release v1\.24\.0/);
      await notRead(run, bytes);
    }
  });

  it('a FUS version that does not exist (3.0.0): refused at fus, the board not read', async () => {
    const bytes = await boardBytes(p.simDir);
    const m = await p.write('m.yaml', manifestText({ fus: '3.0.0' }));
    const run = await sim(m);
    expect(run.code, run.stderr).toBe(EXIT.REFUSED);
    expect(run.stderr).toMatch(/m\.yaml:3:6: refused \(NO_FUS_PATH\)/);
    await notRead(run, bytes);
  });
});

describe('a file that claims to be ST\'s image but is not: exit 4 before the board is read, wherever it is', () => {
  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['one flipped byte', flip(100), /its content differs/],
    ['bytes appended', (b) => Uint8Array.from([...b, 0, 1, 2, 3]), /4 byte\(s\) longer than ST's file/],
    [
      'its footer version edited to 2.3.0',
      (b) => {
        const c = Uint8Array.from(b);
        new DataView(c.buffer).setUint32(c.length - 104 + 12, 0x02030000, true);
        return c;
      },
      /footer version was changed/,
    ],
  ];
  for (const [what, mutate, how] of cases) {
    for (const where of ['images.dir', 'images.files'] as const) {
      it(`${what}, in ${where}: simulated and real board alike`, async () => {
        const bytes = await boardBytes(p.simDir);
        const r = WB5X_FUS_220();
        const file = await p.write('binaries/stm32wb5x_FUS_fw.bin', stLookalike(r, mutate));
        const { createHash } = await import('node:crypto');
        const actual = createHash('sha256').update(await readFile(file)).digest('hex');
        const images = where === 'images.dir' ? 'images:\n  release: v1.24.0\n  dir: binaries' : 'images:\n  release: v1.24.0\n  files:\n    - path: binaries/stm32wb5x_FUS_fw.bin';
        const m = await p.write('m.yaml', manifestText({ images }));
        for (const run of [await sim(m), await real(m)]) {
          expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
          expect(run.stderr).toContain(`its footer claims to be ST's `);
          expect(run.stderr).toContain(`stm32wb5x_FUS_fw.bin (FUS 2.2.0 for STM32WB5x/STM32WB3x, sha256 ${r.sha256})`);
          expect(run.stderr).toMatch(new RegExp(`expected sha256 [0-9a-for ]*${r.sha256}[0-9a-for ]*, actual ${actual}`));
          expect(run.stderr).toMatch(how);
          await notRead(run, bytes);
        }
      });
    }
  }

  it('a stack with an edited footer version is never planned as an ST release ("BLE_Stack_full 1.25.0")', async () => {
    const r = WB5X_BLE_FULL_124();
    await p.write('fw/stm32wb5x_BLE_Stack_full_fw.bin', stLookalike(r, (b) => {
      const c = Uint8Array.from(b);
      new DataView(c.buffer).setUint32(c.length - 104 + 12, 0x01190000, true);
      return c;
    }));
    const m = await p.write('m.yaml', manifestText({ stack: 'latest', images: 'images:\n  files:\n    - path: fw/stm32wb5x_BLE_Stack_full_fw.bin\n      notST: true' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect(run.code).toBe(EXIT.INVALID_INPUT);
    expect(run.stdout + run.stderr).not.toContain('BLE_Stack_full 1.25.0');
    expect(run.stderr).toContain("its footer claims to be ST's");
  });
});

describe('an image that is not ST\'s is used only where the manifest names it and says so', () => {
  /** ST-signed trailer layout, but a footer no ST image has: a newer release, or a build of one's own. */
  const unknownStack = () => imageWith({ payload: 120_000, memorySize: 0x00000020, version: 0x01190000, magic: 0x23372991 });

  it('named in images.files without notST: exit 4, saying how to use it on purpose', async () => {
    await p.write('fw/stm32wb5x_BLE_Stack_full_fw.bin', unknownStack());
    const m = await p.write('m.yaml', manifestText({ stack: 'latest', images: 'images:\n  files:\n    - path: fw/stm32wb5x_BLE_Stack_full_fw.bin' }));
    const run = await sim(m);
    expect(run.code, run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain('not one of ST\'s published images');
    expect(run.stderr).toContain('notST: true');
  });

  it('in images.dir only: never used', async () => {
    await p.write('binaries/custom_BLE_Stack_full_fw.bin', unknownStack());
    const m = await p.write('m.yaml', manifestText({ stack: 'latest', images: 'images:\n  release: v1.24.0\n  dir: binaries' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color', '--json'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    const planned = (JSON.parse(run.stdout) as { boards: { plan: Plan }[] }).boards[0]!.plan;
    expect(planned.steps.find((s) => s.kind === 'stack-install')!.image!.version).toBe('1.24.0');
  });

  it('named with notST: true: planned, and its footer version is never shown as an ST release', async () => {
    await p.write('fw/stm32wb5x_BLE_Stack_full_fw.bin', unknownStack());
    const m = await p.write('m.yaml', manifestText({ stack: '1.25.0', images: 'images:\n  files:\n    - path: fw/stm32wb5x_BLE_Stack_full_fw.bin\n      notST: true' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    expect(run.code, run.stderr).toBe(EXIT.OK);
    expect(run.stdout).toContain('BLE_Stack_full (not an ST image; its footer says 1.25.0)');
    expect(run.stdout).not.toMatch(/Install BLE_Stack_full 1\.25\.0/);
  });
});

describe('names that say one image and hold another', () => {
  const wb1 = () => catalogRecord((r) => r.kind === 'stack' && r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB1x'), 'WB1x BLE_Stack_full 1.24.0');

  it('a WB1x stack named stm32wb5x_BLE_Stack_full_fw.bin in binaries/: no stand-in replaces it; apply refuses with expected and actual sha256 (simulated and real)', async () => {
    await rescueImages();
    const file = await writeStandIn(p, wb1(), 'binaries/stm32wb5x_BLE_Stack_full_fw.bin');
    const { createHash } = await import('node:crypto');
    const actual = createHash('sha256').update(await readFile(file)).digest('hex');
    const m = await p.write('m.yaml', manifestText({ images: 'images:\n  release: v1.24.0\n  dir: binaries' }));
    for (const run of [await sim(m), await real(m)]) {
      expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
      expect(run.stdout + run.stderr).toContain(`is named like ST's stm32wb5x_BLE_Stack_full_fw.bin`);
      expect(run.stdout + run.stderr).toContain(`expected sha256 ${WB5X_BLE_FULL_124().sha256}, actual ${actual}`);
      expect(run.stdout + run.stderr).not.toMatch(/stm32wb5x_BLE_Stack_full_fw\.bin is not on this machine/);
      await untouched();
    }
  });

  it('the FUS 0.5.3-only FUS 1.2.0 named stm32wb5x_FUS_fw.bin: plan uses it for 0.5.3 -> 1.2.0, says what it is and what the name claims, never "not on this machine" about it', async () => {
    const file = await writeStandIn(p, WB5X_FUS_120_FOR_053(), 'binaries/stm32wb5x_FUS_fw.bin');
    const m = await p.write('m.yaml', manifestText({ stack: 'none', images: 'images:\n  release: v1.24.0\n  dir: binaries' }));
    const run = await runCli(['plan', m, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
    const text = run.stdout + run.stderr;
    expect(text).toContain(`${file} is named like ST's stm32wb5x_FUS_fw.bin (FUS 2.2.0 for STM32WB5x/STM32WB3x`);
    expect(text).toMatch(/holds FUS 1\.2\.0 for STM32WB5x\/STM32WB3x \(sha256 [0-9a-f]{64}; installs only on FUS 0\.5\.3/);
    expect(text).toContain('used for step 1 (Update FUS 0.5.3 -> 1.2.0)');
    expect(text).not.toMatch(/stm32wb5x_FUS_fw\.bin is not on this machine/);
    expect(text).toContain(`${file} has its name but holds`);
  });
});

describe('copro.lock and the manifest file: user-caused problems are exit 4 with the file and what to do', () => {
  const lockCases: [string, () => Promise<void>, RegExp][] = [
    ['malformed JSON', async () => void (await p.write('copro.lock', '{ "lockVersion": 2, "images": [')), /copro\.lock is not JSON .*delete it and run `copro apply` again/s],
    ['a schema violation', async () => void (await p.write('copro.lock', JSON.stringify({ lockVersion: 2, images: [{ sha256: 'no' }] }))), /copro\.lock.*delete it and run `copro apply` again/s],
    ['a folder', async () => void (await mkdir(path.join(p.root, 'copro.lock'))), /copro\.lock is a folder, not copro's lock file: remove it/],
  ];
  for (const [what, make, message] of lockCases) {
    it(`copro.lock is ${what}: apply and apply --dry-run exit 4, never 70, no stack trace`, async () => {
      await make();
      const m = await p.write('m.yaml', manifestText());
      for (const extra of [[], ['--dry-run']]) {
        const run = await sim(m, extra);
        expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      }
      await untouched();
    });
  }

  it('apply --dry-run checks the images against copro.lock like apply (and writes nothing)', async () => {
    const { createHash } = await import('node:crypto');
    const pinned = createHash('sha256').update('some other FUS 2.2.0').digest('hex');
    const r = WB5X_FUS_220();
    const lockFile = path.join(p.root, 'copro.lock');
    await writeLock(lockFile, [{ sha256: pinned, families: ['STM32WB5x'], kind: 'fus', stackType: null, version: '2.2.0', size: r.size, name: 'stm32wb5x_FUS_fw.bin', st: false }]);
    const before = await readFile(lockFile, 'utf8');
    const m = await p.write('m.yaml', manifestText());
    const run = await sim(m, ['--dry-run']);
    expect(run.code, run.stdout + run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toContain(`expected ${pinned}, actual ${r.sha256}`);
    expect(await readFile(lockFile, 'utf8')).toBe(before);
  });

  // Root reads any file whatever its mode: skipped (reported as skipped) there.
  it.skipIf(process.getuid?.() === 0)('an unreadable manifest: exit 4 at the file, never 70', async () => {
    const m = await p.write('m.yaml', manifestText());
    await chmod(m, 0o000);
    const run = await sim(m);
    expect(run.code, run.stderr).toBe(EXIT.INVALID_INPUT);
    expect(run.stderr).toMatch(/m\.yaml:1:1: cannot read the manifest \(EACCES\)/);
  });
});

describe('plan and status check everything they can before the first board operation', () => {
  for (const cmd of ['plan', 'status'] as const) {
    it(`${cmd}: a modified ST image and an unreachable stack version are refused with the board not read (not even its counters)`, async () => {
      const bytes = await boardBytes(p.simDir);
      await p.write('binaries/stm32wb5x_FUS_fw.bin', stLookalike(WB5X_FUS_220(), flip(100)));
      const bad = await p.write('bad.yaml', manifestText({ images: 'images:\n  release: v1.24.0\n  dir: binaries' }));
      const run1 = await runCli([cmd, bad, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
      expect(run1.code, run1.stderr).toBe(EXIT.INVALID_INPUT);
      expect(run1.stderr).toContain("its footer claims to be ST's");
      await rm(path.join(p.root, 'binaries'), { recursive: true });
      const far = await p.write('far.yaml', manifestText({ stack: '1.99.0' }));
      const run2 = await runCli([cmd, far, '--simulate', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
      expect(run2.code, run2.stderr).toBe(EXIT.REFUSED);
      expect(run2.stderr).toContain('the board was not read');
      expect(await boardBytes(p.simDir)).toBe(bytes);
    });
  }
});
