/** Board-state builders for runner tests. */
import type { BoardState } from '../../src/generated/board-state.js';

export function boardState(over: Partial<BoardState> & { fusVersion?: string; stack?: Partial<BoardState['stack']> } = {}): BoardState {
  const { fusVersion, stack, ...rest } = over;
  return {
    schemaVersion: 1,
    source: { driver: 'snapshot', transport: 'usb' },
    device: { deviceId: '0x495', flashSizeKB: 1024, key: 'STM32WB5xxG_1M', uid64: '0x0080E12600658473', probeSerial: '207F38933036' },
    cpu2: 'fus',
    fus: { version: fusVersion ?? '2.2.0', state: 'FUS_IDLE', error: 'NO_ERROR' },
    stack: { status: 'none', version: null, type: null, running: false, ...stack },
    optionBytes: { rdp: '0xAA', sfsa: '0xF4', sbrv: '0x3D000', nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 },
    antiRollback: 'inactive',
    application: { present: false },
    notes: [],
    ...rest,
  };
}
