import type { Driver } from '../drivers/driver.js';
import type { Target } from '../planner/types.js';
import { swdOperatorCost } from '../domain/families.js';

/**
 * Over SWD every full read runs CubeProgrammer's FUS operator, which overwrites the application's first sectors
 * (8 KB from CubeProgrammer 2.4, 11,584 bytes before; public field reports). With `swdApplicationLoss: refuse` and nothing to re-flash, copro refuses before that first
 * full read, judging from a flash-only read that touches nothing.
 */
export async function swdReadWouldDestroyApplication(driver: Driver, target: Target, signal?: AbortSignal): Promise<string | undefined> {
  if (target.transport !== 'swd' || target.application?.file || target.policy.swdApplicationLoss !== 'refuse') return undefined;
  const light = await driver.readState({ signal, scope: 'flash' });
  if (light.application.present === false) return undefined;
  return `reading FUS over SWD loads CubeProgrammer's FUS operator at 0x08000000, which overwrites ${swdOperatorCost(driver.info().toolVersion, Number.parseInt(light.device.deviceId, 16) || undefined)} (the application: ${light.application.present === true ? 'present' : 'it may be present: it cannot be read without risk'}), and the manifest gives no application.file to re-flash (policy.swdApplicationLoss: refuse). Nothing was read or written. Set application.file, connect over USB DFU, or set policy.swdApplicationLoss: accept.`;
}
