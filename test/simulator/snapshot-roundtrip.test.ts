/**
 * `copro status --save snap.json` then `copro sim reset --state snap.json` round-trips exactly: the board rebuilt from
 * a snapshot reads back as the same snapshot (no stack moved, no field reinterpreted).
 */
import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeBoard, toBoardState, fromBoardState, writeSimulatedBoard, readSimulatedBoard, type SimBoard, type BoardSpec } from '../../src/drivers/simulator/index.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { makeProject, manifestText, runCli, SERIAL } from '../hardening/helpers.js';
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

describe('through the CLI: copro status --full --save, then copro sim reset --state, then status again', () => {
  // The real commands over the transports a manifest names (USB DFU reads in FUS mode and restarts the stack; SWD
  // runs the operator, which the manifest accepts): the second snapshot is the first one, field for field.
  const cases: [string, string, BoardSpec][] = [
    ['rescue case over USB', 'usb1', { fusVersion: '0.5.3', stack: null }],
    ['FUS 1.2.0 + BLE_Stack_full 1.13.0 running + application, over USB', 'usb1', { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, application: { sizeBytes: 96 * 1024 } }],
    ['FUS 2.2.0 + BLE_Stack_full 1.24.0 (FUS_v2 only), CPU2 in FUS, over USB', 'usb1', { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus' }],
    ['512K part with an HCI stack, over SWD', 'swd', { device: 'STM32WB5xxE_512K', fusVersion: '1.2.0', stack: { type: 'BLE_HCILayer', version: '1.13.0' } }],
  ];
  for (const [name, port, spec] of cases) {
    it(name, async () => {
      const p = await makeProject('copro-roundtrip-');
      try {
        const manifest = await p.write('copro.yaml', manifestText({ extra: port === 'swd' ? '  swdApplicationLoss: accept' : '' }).replace('port: usb1', `port: ${port}`));
        await writeSimulatedBoard(p.simDir, makeBoard({ ...spec, serial: SERIAL }));
        const env = { COPRO_SIM_DIR: p.simDir };
        const status = async (file: string) => {
          const r = await runCli(['status', manifest, '--simulate', '--full', '--save', file], { cwd: p.root, env });
          expect(r.code, r.stdout + r.stderr).toBe(0);
          return JSON.parse(await readFile(path.join(p.root, file), 'utf8')) as BoardState;
        };
        const first = await status('a.json');
        const before = await readSimulatedBoard(p.simDir, SERIAL);
        const reset = await runCli(['sim', 'reset', '--state', 'a.json', '--serial', SERIAL], { cwd: p.root, env });
        expect(reset.code, reset.stdout + reset.stderr).toBe(0);
        const rebuilt = await readSimulatedBoard(p.simDir, SERIAL);
        // No stack moved, no option byte reinterpreted.
        expect(rebuilt.stack?.address ?? null).toBe(before.stack?.address ?? null);
        expect(rebuilt.optionBytes).toEqual(before.optionBytes);
        expect([rebuilt.cpu2, rebuilt.fus.version, rebuilt.device.uid64]).toEqual([before.cpu2, before.fus.version, before.device.uid64]);
        const second = await status('b.json');
        const strip = (s: BoardState) => ({ ...s, notes: [], source: { ...s.source, readAt: undefined } });
        expect(strip(second)).toEqual(strip(first));
      } finally {
        await p.cleanup();
      }
    });
  }
});
