/** Option byte programming from CPU1 (SFSA/SBRV belong to CPU2; RDP regression mass-erases). */
import { deviceOf, secureStart } from '../layout.js';
import { TIMING } from '../timing.js';
import { destroyRange } from './flash.js';
import { resetChip, cutPower } from './power.js';
import { Run, fail, resolveOutcome, type OptionBytesRequest, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- option bytes

export const OB_NAMES: Record<keyof OptionBytesRequest, string> = { rdp: 'rdp', sfsa: 'sfsa', sbrv: 'sbrv', nSWboot0: 'nswboot0', nBOOT0: 'nboot0', nBOOT1: 'nboot1', ese: 'ese' };

export function writeOptionBytes(run: Run, values: OptionBytesRequest): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  const keys = Object.keys(values) as (keyof OptionBytesRequest)[];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const k of keys) (values[k] === b.optionBytes[k] ? unchanged : changed).push(OB_NAMES[k]);
  if (changed.length === 0) return { ok: true, changed, unchanged };
  if (b.cpu2 === 'safeboot') {
    // public field reports (public CLI log: community ob programming failed gui): "Error: Option Byte Programming failed Or modified by application after OB_LAUNCH".
    return fail('OB_FAILED', 'option byte programming failed (safeboot: the option bytes are locked)', { changed, unchanged, mismatches: keys.filter((k) => values[k] !== b.optionBytes[k]).map((k) => ({ name: OB_NAMES[k], expected: values[k]!, found: b.optionBytes[k] })) });
  }
  const mismatches: { name: string; expected: number; found: number }[] = [];
  for (const k of ['sfsa', 'sbrv'] as const) {
    const v = values[k];
    // fidelity: OB-SFSA-CPU2
    // public CLI log: community ob write sfsa fail and v2.2 fwupgrade ob A: "Error: Expected value for Option Byte "sfsa": 0xCB, found: ..." — "only CPU2 can change them".
    if (v !== undefined && v !== b.optionBytes[k]) mismatches.push({ name: OB_NAMES[k], expected: v, found: b.optionBytes[k] });
  }
  if (values.rdp !== undefined && values.rdp === 0xcc) {
    return fail('UNSUPPORTED', 'RDP level 2 (0xCC) is irreversible; the simulator does not go there', { changed, unchanged });
  }
  const next = { ...b.optionBytes };
  for (const k of ['nSWboot0', 'nBOOT0', 'nBOOT1', 'ese'] as const) {
    const v = values[k];
    if (v !== undefined) next[k] = v;
  }
  if (values.rdp !== undefined && values.rdp !== b.optionBytes.rdp) {
    if (b.optionBytes.rdp !== 0xaa && values.rdp === 0xaa) {
      // fidelity: RDP-REGRESSION
      // RDP regression 1 -> 0 mass-erases the non-secure flash (ST, public CLI log: community r32 multiword iap security ext F: "set the RDP level to 0xBB and
      // then revert to 0xAA" erases everything from 0x08000000 to SFSA).
      destroyRange(run, device.flashBase, secureStart(b), 'write');
      b.application = { ...b.application, present: false, sha256: null, size: 0, overwritten: false, clobberedByFusOperator: false };
      b.fusOperator = { ...b.fusOperator, inFlash: false };
    }
    next.rdp = values.rdp;
  }
  b.optionBytes = next;
  b.counters.optionByteWrites++;
  run.emit({ type: 'option-bytes', changed, ms: TIMING.optionBytesMs });
  // OBL_LAUNCH reloads the option bytes with a reset.
  const loss = run.takePowerLoss('ob-load');
  if (loss) {
    // fidelity: PL-OB-LOAD. Power lost while the option bytes reload: they load at the next boot, or they are corrupt
    // and the hardware forces safeboot (ST wiki via community m-p/161428: "option byte corruption, or ... supply voltage
    // or level stability"; field report m-p/788551: 1-2 % of a production batch ended with SFSA = 0x00).
    b.pending = { operation: 'option-bytes', outcome: resolveOutcome(run, loss, 'ob-load') };
    cutPower(run, loss);
    return fail('POWER_LOSS', 'power was lost during the option byte reload', { changed, unchanged });
  }
  if (!resetChip(run, 'option bytes reload (OBL_LAUNCH)')) return fail('POWER_LOSS', 'power was lost during the option byte reload');
  if (mismatches.length) return fail('OB_REFUSED', `${mismatches.map((m) => m.name.toUpperCase()).join(', ')}: only CPU2 (FUS) can change these`, { changed, unchanged, mismatches });
  return { ok: true, changed, unchanged };
}
