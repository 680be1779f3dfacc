/** CubeProgrammer's SWD FUS operator (0x495_FUS_Operator.bin, 0x494_ on a WB1x, at 0x08000000) and what it writes to SRAM1. */
import { deviceOf, operatorBytesFor } from '../layout.js';
import { TIMING, downloadMs, eraseMs } from '../timing.js';
import { destroyRange } from './flash.js';
import { resetChip } from './power.js';
import { SimModelError, Run, fail, fusVersionWord, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- preconditions of FUS commands

/**
 * Over SWD the FUS is reached through CubeProgrammer's FUS operator (STM32CubeProgrammer CLI, UM2237): it must sit at
 * 0x08000000 with nSWboot0=0 nboot1=1 nboot0=1, and it brings CPU2 into FUS itself (ST: "-fusgetstate ...
 * With this command you switch the M0+ core to execute security services", public CLI log: community r32 multiword iap security ext D).
 */
export function prepareSwdFus(run: Run, switchToFus = true): SimOutcome | undefined {
  const b = run.b;
  const ob = b.optionBytes;
  if (!b.fusOperator.inFlash || ob.nSWboot0 !== 0 || ob.nBOOT0 !== 1 || ob.nBOOT1 !== 1) {
    const loaded = loadFusOperator(run);
    if (!loaded.ok) return loaded;
  }
  // Only FUS_GET_STATE (-fusgetstate / -startfus) switches CPU2 from the stack to FUS (see fusGate for the others).
  if (switchToFus && b.cpu2 === 'stack' && b.lockedUp === null) {
    b.fus.consecutiveGetState = 1;
    b.counters.fusGetStates += 2;
    if (!resetChip(run, 'FUS operator: second FUS_GET_STATE', 'fus')) return fail('POWER_LOSS', 'power was lost while the operator started FUS');
  }
  return undefined;
}

export function loadFusOperator(run: Run): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  if (run.ctx.transport !== 'swd') throw new SimModelError('the FUS operator is only used over SWD');
  if (b.optionBytes.rdp !== 0xaa) return fail('RDP_PROTECTED', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()}): the FUS operator cannot be loaded`);
  if (b.cpu2 === 'safeboot') {
    // public field reports: in safeboot the flash is write protected.
    return fail('WRITE_PROTECTED', 'flash is write protected (safeboot): the FUS operator cannot be loaded at 0x08000000');
  }
  // fidelity: SWD-OPERATOR
  // STM32CubeProgrammer CLI, UM2237: the operator goes to 0x08000000 (erasing sectors 0-1, 0-3 on WB1x and nSWboot0=0 nboot1=1 nboot0=1.
  const wanted: [string, 'nSWboot0' | 'nBOOT0' | 'nBOOT1', 0 | 1][] = [
    ['nSWboot0', 'nSWboot0', 0],
    ['nboot0', 'nBOOT0', 1],
    ['nboot1', 'nBOOT1', 1],
  ];
  const obChanged: string[] = [];
  const obUnchanged: string[] = [];
  for (const [label, key, value] of wanted) {
    if (b.optionBytes[key] === value) obUnchanged.push(label);
    else {
      b.optionBytes = { ...b.optionBytes, [key]: value };
      obChanged.push(label);
    }
  }
  const start = device.flashBase;
  const bytes = operatorBytesFor(run.ctx.toolVersion);
  const pages = Math.ceil(bytes / device.pageSize);
  const end = start + pages * device.pageSize;
  const clobbered = destroyRange(run, start, end, 'fus-operator');
  b.counters.fusOperatorLoads++;
  if (obChanged.length) b.counters.optionByteWrites++;
  run.countPages('erase', 'application', pages);
  run.countPages('write', 'application', pages);
  b.fusOperator = { ...b.fusOperator, inFlash: true };
  run.emit({ type: 'fus-operator', obChanged, obUnchanged, clobberedApplication: clobbered, bytes, ms: (obChanged.length ? TIMING.optionBytesMs : 0) + eraseMs(pages) + downloadMs('swd', bytes) });
  // "Application is running, Please Hold on..." -> "Reconnected !" (~7 s): the operator runs after a reset.
  if (!resetChip(run, 'FUS operator started')) return fail('POWER_LOSS', 'power was lost while the FUS operator started');
  writeOperatorVersions(run);
  return { ok: true };
}

/**
 * The operator writes the FUS and stack versions at 0x20010010/14 (release notes; public CLI log: community read fus
 * infos gui fus220); a WB1x's operator at 0x20002F10/14 (community m-p/89405). memory.ts serves them at the family's words.
 */
export function writeOperatorVersions(run: Run): void {
  const b = run.b;
  if (!b.fusOperator.inFlash || run.ctx.transport !== 'swd') return;
  const fusWord = b.cpu2 === 'safeboot' || b.lockedUp !== null ? 0 : fusVersionWord(b.fus.version);
  b.fusOperator = { ...b.fusOperator, sram1: { fusVersionWord: fusWord, stackVersionWord: b.stack?.versionWord ?? 0 } };
}
