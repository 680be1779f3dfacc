/**
 * The SWD FUS operator's size depends on the CubeProgrammer version: 8 KB (sectors 0-1) in every public log from
 * v2.7 on, 11,584 bytes (sectors 0-2) for the older "FUS_Operator.bin" (reconstructed). The model, the fake CLI and
 * copro's own message say what the connected version does.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { apply, makeBoard, writeSimulatedBoard, readSimulatedBoard } from '../../src/drivers/simulator/index.js';
import { createCubeProgrammerDriver } from '../../src/drivers/cubeprogrammer/index.js';
import { runFake, tempDir } from './transcript.js';
import { fusReadCost } from '../../src/drivers/driver.js';
import { swdOperatorCost } from '../../src/domain/families.js';
import { swdReadWouldDestroyApplication } from '../../src/runner/swd-guard.js';
import type { Target } from '../../src/planner/types.js';
import { runCli } from '../hardening/helpers.js';

const FAKE_CLI = path.join(import.meta.dirname, '..', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');
const withApp = (serial = 'OPSIZE01') => makeBoard({ serial, fusVersion: '1.1.0', application: { sizeBytes: 64 * 1024 } });

describe('SWD-OPERATOR-SIZE: what the connected CubeProgrammer version writes at 0x08000000', () => {
  // fidelity: SWD-OPERATOR-SIZE
  it('model: 11,584 bytes (3 sectors) before v2.4, 8 KB (2 sectors) from v2.4', () => {
    for (const [toolVersion, bytes, pages] of [
      ['2.3.0', 11_584, 3],
      ['2.7.0', 8192, 2],
      ['2.17.0', 8192, 2],
    ] as const) {
      const r = apply(withApp(), { op: 'loadFusOperator' }, { transport: 'swd', toolVersion });
      expect(r.events.find((e) => e.type === 'fus-operator'), toolVersion).toMatchObject({ bytes, clobberedApplication: true });
      expect(r.board.counters.pageErases.application, toolVersion).toBe(pages);
    }
  });

  it('fake CLI v2.3.0: FUS_Operator.bin, 11584 Bytes, sectors [0 2]; v2.8.0: 8 KBytes, sectors [0 1]', async () => {
    const dir = tempDir();
    await writeSimulatedBoard(dir, withApp());
    const old = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fusgetstate'], '2.3.0');
    expect(old.text).toMatch(/Opening and parsing file: FUS_Operator\.bin/);
    expect(old.text).toMatch(/Size {10}: 11584 Bytes/);
    expect(old.text).toMatch(/Erasing internal memory sectors \[0 2\]/);
    await writeSimulatedBoard(dir, withApp());
    const newer = await runFake(dir, ['-c', 'port=swd', 'mode=UR', '-fusgetstate'], '2.8.0');
    expect(newer.text).toMatch(/Size {10}: 8 KBytes/);
    expect(newer.text).toMatch(/Erasing internal memory sectors \[0 1\]/);
  });

  it("copro's message names the connected version's sectors (real driver through the fake CLI)", async () => {
    const messageFor = async (version: string) => {
      const dir = tempDir();
      await writeSimulatedBoard(dir, withApp());
      const saved = process.env.COPRO_SIM_DIR;
      process.env.COPRO_SIM_DIR = dir;
      try {
        const d = await createCubeProgrammerDriver({ executable: FAKE_CLI, port: 'swd', serial: (await readSimulatedBoard(dir, 'OPSIZE01')).device.attachments.find((a) => a.transport === 'swd')!.probeSerial, env: { COPRO_FAKE_CLI_VERSION: version } });
        const r = await d.startFus();
        await d.close();
        return r.messages.join('\n');
      } finally {
        if (saved === undefined) delete process.env.COPRO_SIM_DIR;
        else process.env.COPRO_SIM_DIR = saved;
      }
    };
    expect(await messageFor('2.3.0')).toMatch(/operator overwrote flash sectors 0-2 \(0x08000000-0x08002FFF, 11,584 bytes; STM32CubeProgrammer 2\.3\.0\)/);
    expect(await messageFor('2.17.0')).toMatch(/operator overwrote flash sectors 0-1 \(0x08000000-0x08001FFF; STM32CubeProgrammer 2\.17\.0\)/);
  });

  it("copro's other messages say what the connected version does (old and new CubeProgrammer through the fake CLI)", async () => {
    const target = { fus: 'keep', transport: 'swd', policy: { fusUpgrade: 'allow', antiRollback: false, swdApplicationLoss: 'refuse', restoreOptionBytes: true } } as Target;
    const messagesFor = async (version: string) => {
      const dir = tempDir();
      await writeSimulatedBoard(dir, withApp());
      const saved = process.env.COPRO_SIM_DIR;
      process.env.COPRO_SIM_DIR = dir;
      try {
        const serial = (await readSimulatedBoard(dir, 'OPSIZE01')).device.attachments.find((a) => a.transport === 'swd')!.probeSerial;
        const open = () => createCubeProgrammerDriver({ executable: FAKE_CLI, port: 'swd', serial, env: { COPRO_FAKE_CLI_VERSION: version } });
        // The refusal before the first full read over SWD, and the note of a free read (status without --full).
        const guard = await swdReadWouldDestroyApplication(await open(), target);
        const free = await (await open()).readState({ scope: 'free' });
        // A full read's note: what the operator now holds.
        const full = await (await open()).readState({ restartStack: false });
        return { guard: guard ?? '', free: free.notes.join('\n'), full: full.notes.join('\n') };
      } finally {
        if (saved === undefined) delete process.env.COPRO_SIM_DIR;
        else process.env.COPRO_SIM_DIR = saved;
      }
    };
    const old = await messagesFor('2.3.0');
    expect(old.guard).toMatch(/overwrites the application's flash sectors 0-2 \(0x08000000-0x08002FFF, 11,584 bytes, with STM32CubeProgrammer 2\.3\.0\)/);
    expect(old.free).toMatch(/overwrites the application's flash sectors 0-2 \(0x08000000-0x08002FFF, 11,584 bytes/);
    expect(old.full).toMatch(/FUS operator: flash sectors 0-2 \(0x08000000-0x08002FFF\) now hold it/);
    const newer = await messagesFor('2.17.0');
    expect(newer.guard).toMatch(/overwrites the application's flash sectors 0-1 \(0x08000000-0x08001FFF, 8 KB, with STM32CubeProgrammer 2\.17\.0\)/);
    expect(newer.free).toMatch(/flash sectors 0-1 \(0x08000000-0x08001FFF, 8 KB/);
    expect(newer.full).toMatch(/FUS operator: flash sectors 0-1 \(0x08000000-0x08001FFF\) now hold it/);
    for (const m of Object.values({ ...old, ...newer })) expect(m).not.toMatch(/first 8 KB/);
  });

  it('where the version is not known (a WB1x: sectors 0-3; --help): a wording true for every version', async () => {
    expect(swdOperatorCost('2.9.0', 0x494)).toMatch(/flash sectors 0-3 \(0x08000000-0x08001FFF, 8 KB/);
    const anyVersion = /the application's first sectors(: | \()8 KB on CubeProgrammer 2\.4 and later, up to 12 KB on older versions/;
    expect(swdOperatorCost(undefined)).toMatch(anyVersion);
    expect(swdOperatorCost('simulator')).toMatch(anyVersion);
    expect(fusReadCost('swd')).toMatch(anyVersion);
    for (const cmd of ['status', 'doctor']) {
      const help = await runCli([cmd, '--help'], { cwd: process.cwd() });
      expect(help.stdout.replace(/\s+/g, ' '), cmd).toMatch(anyVersion);
    }
  });
});
