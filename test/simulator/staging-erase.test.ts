/**
 * The page erase a host sends before staging an image (CubeProgrammer `-e [first last]`, DfuSe erase, AN3155
 * Extended Erase), and why it matters: FUS installs the first image footer below SFSA (FUS-SEARCH), so a leftover
 * image there is installed instead of the one just written unless the area was erased (community td-p/70166).
 */
// fidelity: STAGING-ERASE
import { describe, expect, it } from 'vitest';
import { makeBoard } from '../../src/drivers/simulator/index.js';
import { IMG, USB, play, standInWrite } from './helpers.js';

const board = () => makeBoard({ serial: 'ERASE', fusVersion: '2.2.0', stack: null, application: { sizeBytes: 96 * 1024 } });
const LEFTOVER_AT = 0x08060000;

describe('staging-area erase', () => {
  it('a leftover image below the one written is what FUS installs when the area was not erased', () => {
    const r = play(board(), [{ op: 'stageImage', write: standInWrite(IMG.BLE_HCI_1_24_0, LEFTOVER_AT) }, { op: 'stageImage', write: standInWrite(IMG.BLE_FULL_1_24_0_V2) }, { op: 'fwUpgrade' }], USB);
    expect(r.outcomes.every((o) => o.ok)).toBe(true);
    expect(r.board.stack).toMatchObject({ type: 'BLE_HCILayer', version: '1.24.0' });
  });

  it('erasing the pages between the application end and SFSA removes the leftover, so FUS installs the image written', () => {
    const b = board();
    const sfsa = b.optionBytes.sfsa;
    const r = play(
      b,
      [{ op: 'stageImage', write: standInWrite(IMG.BLE_HCI_1_24_0, LEFTOVER_AT) }, { op: 'erasePages', firstPage: 0x40, lastPage: sfsa - 1 }, { op: 'stageImage', write: standInWrite(IMG.BLE_FULL_1_24_0_V2) }, { op: 'fwUpgrade' }],
      USB,
    );
    expect(r.outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(r.board.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.24.0' });
    expect(r.board.staged).toEqual([]);
    // The application below the erased pages is untouched; the erase is counted as staging pages.
    expect(r.board.application.overwritten).toBe(false);
    expect(r.board.counters.pageErases.staging).toBeGreaterThanOrEqual(sfsa - 0x40);
  });

  it('an erase reaching SFSA erases the pages below, then fails on the first protected page', () => {
    const b = board();
    const sfsa = b.optionBytes.sfsa;
    const r = play(b, [{ op: 'stageImage', write: standInWrite(IMG.BLE_HCI_1_24_0, LEFTOVER_AT) }, { op: 'erasePages', firstPage: 0x60, lastPage: sfsa }], USB);
    expect(r.outcomes[1]).toMatchObject({ ok: false, error: 'WRITE_PROTECTED' });
    expect(r.events.filter((e) => e.type === 'erase').at(-1)).toMatchObject({ firstPage: 0x60, lastPage: sfsa, failedFromPage: sfsa });
    expect(r.board.staged).toEqual([]);
  });

  it('pages past the flash end or a reversed range are refused without erasing anything', () => {
    const b = board();
    const r = play(b, [{ op: 'stageImage', write: standInWrite(IMG.BLE_HCI_1_24_0, LEFTOVER_AT) }, { op: 'erasePages', firstPage: 0x70, lastPage: 0x6f }, { op: 'erasePages', firstPage: 0x60, lastPage: 256 }], USB);
    expect(r.outcomes.slice(1).map((o) => o.error)).toEqual(['OUT_OF_FLASH', 'OUT_OF_FLASH']);
    expect(r.board.staged).toHaveLength(1);
  });
});
