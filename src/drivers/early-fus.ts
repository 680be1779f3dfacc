/**
 * ST, release notes v1.1.1 (WB5x): "On STM32WB5xxC and STM32WB5xxE, it is mandatory to install FUS V1.0.2
 * before any other operation. Otherwise, the device might be locked in an unrecoverable state." This
 * concerns 256 KB / 512 KB parts still on FUS 0.5.3 or 1.0.1. Drivers must not even restart the stack
 * there after reading the state.
 */
import type { BoardState } from '../generated/board-state.js';

export function mustUpdateFusFirst(s: Pick<BoardState, 'device' | 'fus'>): boolean {
  const smallPart = s.device.deviceId === '0x495' && (s.device.flashSizeKB === 256 || s.device.flashSizeKB === 512);
  return smallPart && (s.fus.version === '0.5.3' || s.fus.version === '1.0.1');
}
