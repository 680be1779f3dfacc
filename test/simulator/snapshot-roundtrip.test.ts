/**
 * `copro status --save snap.json` then `copro sim reset --state snap.json` round-trips exactly: the board rebuilt from
 * a snapshot reads back as the same snapshot (no stack moved, no field reinterpreted).
 */
import { describe, it, expect } from 'vitest';
import { makeBoard, toBoardState, fromBoardState, type SimBoard } from '../../src/drivers/simulator/index.js';
import { IMG, standInWrite, install, play, SIM } from './helpers.js';

function boards(): [string, SimBoard][] {
  const v2 = install(makeBoard({ fusVersion: '2.2.0' }), standInWrite(IMG.BLE_FULL_1_24_0_V2), SIM).board;
  return [
    ['rescue case (FUS 0.5.3, no stack)', makeBoard()],
    ['FUS 1.2.0, BLE_Stack_full 1.13.0 running, application', makeBoard({ fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, application: { sizeBytes: 128 * 1024 } })],
    ['FUS 2.2.0, FUS_v2-only stack installed by FUS', v2],
    ['the same, CPU2 left in FUS', play(v2, [{ op: 'startFus' }], SIM).board],
    ['512K part, HCI stack', makeBoard({ device: 'STM32WB5xxE_512K', fusVersion: '1.2.0', stack: { type: 'BLE_HCILayer', version: '1.13.0' } })],
  ];
}

describe('status --save then sim reset --state round-trips', () => {
  for (const [name, board] of boards()) {
    it(name, () => {
      const snap = toBoardState(board, 'simulated');
      const rebuilt = fromBoardState(JSON.parse(JSON.stringify(snap)) as typeof snap);
      const again = toBoardState(rebuilt, 'simulated');
      const { notes: _a, ...s1 } = snap;
      const { notes: _b, ...s2 } = again;
      expect(s2).toEqual(s1);
      expect(rebuilt.stack?.address ?? null).toBe(board.stack?.address ?? null);
      expect(rebuilt.optionBytes).toEqual(board.optionBytes);
    });
  }
});
