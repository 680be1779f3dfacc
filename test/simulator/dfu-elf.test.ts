/**
 * A DFU write of an ELF, or over the FUS area (issue 14; public report "STM32WBxx FUS seems to be deleted": after
 * `-w Production.elf` over USB DFU, whose sector erases failed and whose second segment was not flash, FUS no longer
 * answered). A write reaching the secure area fails as the field reports say (FLASH-SECURE-ERASE); what killed FUS
 * in that report is not known, so it is not modelled (ledger row DFU-ELF-FUS-LOST), and copro never gives an ELF to
 * the tool.
 */
import { describe, it, expect } from 'vitest';
import { apply, makeBoard, writeSimulatedBoard } from '../../src/drivers/simulator/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { makeProject, manifestText, readBoard, runCli, SERIAL } from '../hardening/helpers.js';
import { IMG, standInWrite, play, USB } from './helpers.js';

describe('DFU writes of an ELF or over the FUS area', () => {
  it('a download reaching the secure area erases below SFSA, fails on the first FUS page, and FUS still answers', () => {
    const b = makeBoard({ fusVersion: '2.2.0', stack: null });
    const sfsaAddress = 0x08000000 + b.optionBytes.sfsa * 0x1000;
    const r = play(b, [{ op: 'connect' }, { op: 'stageImage', write: standInWrite(IMG.FUS_2_2_0, sfsaAddress - 0x1000) }], USB);
    expect(r.outcomes[1]).toMatchObject({ ok: false, error: 'WRITE_PROTECTED' });
    expect(r.events.find((e) => e.type === 'erase')).toMatchObject({ failedFromPage: b.optionBytes.sfsa });
    // Not modelled (DFU-ELF-FUS-LOST): the model does not kill FUS after such a write; FUS answers as before.
    const asked = apply(r.board, { op: 'getState' }, USB);
    expect(asked.outcome).toMatchObject({ ok: true });
    expect(asked.board.fus.version).toBe('2.2.0');
  });

  it('copro never hands an ELF to the tool: an ELF application.file is refused before the board is touched', async () => {
    const p = await makeProject('copro-elf-');
    try {
      await writeSimulatedBoard(p.simDir, makeBoard({ serial: SERIAL, fusVersion: '2.2.0', stack: null }));
      const before = await readBoard(p.simDir);
      const elf = new Uint8Array(20_512);
      elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
      await p.write('Production.elf', elf);
      const m = await p.write('copro.yaml', manifestText({ extra: 'application:\n  file: Production.elf\n  end: 0x08040000' }));
      const r = await runCli(['apply', m, '--simulate', '--yes', '--no-color'], { cwd: p.root, env: { COPRO_SIM_DIR: p.simDir } });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.INVALID_INPUT);
      expect(r.stderr).toMatch(/application\.file is an ELF file/);
      expect(r.stderr).toMatch(/objcopy -O binary/);
      const after = await readBoard(p.simDir);
      expect(after.counters).toEqual(before.counters);
    } finally {
      await p.cleanup();
    }
  });
});
