/** The FUS state machine: FUS_GET_STATE, the gate every FUS command passes, FW_DELETE, START_WS, anti-rollback, keys. */
import { compareVersions, BLANK_VERSION_WORD } from '../../../domain/version.js';
import type { SimBoard, FusError } from '../../../generated/sim-board.js';
import { deviceOf, fusAreaStart, pageOf, sbrvFor, isLockupProne, FUSV2_ONLY_EXTRA_BYTES } from '../layout.js';
import { TIMING } from '../timing.js';
import { fusRefuses, keepsNvmArea } from './install.js';
import { prepareSwdFus, writeOperatorVersions } from './operator.js';
import { resetChip, cutPower } from './power.js';
import { busyAt, busyStatus, recordBusy } from './busy.js';
import { IDLE, NOT_RUNNING, UNKNOWN_ERROR, Run, fail, resolveOutcome, type FusStatus, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- FUS state

export function getState(run: Run): SimOutcome {
  if (run.ctx.transport === 'swd') {
    const prepared = prepareSwdFus(run);
    if (prepared) return prepared;
  }
  run.emit({ type: 'fus-command', command: 'FUS_GET_STATE', ms: TIMING.fusCommandMs });
  run.b.counters.fusGetStates++;
  const status = answerGetState(run);
  run.emit({ type: 'fus-state', ...status, ms: 0 });
  return { ok: true, status };
}

/** What one FUS_GET_STATE answers, with its side effects (STM32CubeWB release notes and AN5185, reading versions-6). */
export function answerGetState(run: Run): FusStatus {
  const b = run.b;
  if (b.lockedUp !== null) return UNKNOWN_ERROR;
  // fidelity: BUSY-READ. While FUS works, FUS_GET_STATE answers the ongoing state (shci.h: 0x10-0x1F stack upgrade,
  // 0x20-0x2F FUS upgrade, 0x30-0x3F service ongoing; MicroPython rfcore_firmware.py polls through them; community
  // qa 156151 shows state 0x10 FW_UPGRD_ONGOING read mid-install), never the end state.
  const busy = busyAt(b, run.now());
  if (busy) return busyStatus(busy);
  if (b.cpu2 === 'safeboot') return NOT_RUNNING; // public field reports: FUS cannot be started, reads v0.0.0
  if (b.cpu2 === 'fus' && b.fusDamaged !== null) return { ...UNKNOWN_ERROR }; // fidelity: FUS-DAMAGED (m-p/106679)
  if (b.cpu2 === 'stack') {
    b.fus.consecutiveGetState++;
    // fidelity: FUS-GETSTATE-TWICE
    // FAQ ta-p/722270: "If the user application sends two consecutive FUS_GET_STATE commands, the wireless stack boots again on FUS."
    if (b.fus.consecutiveGetState >= 2) {
      if (!resetChip(run, 'second FUS_GET_STATE in a row', 'fus')) return NOT_RUNNING;
      b.fus.state = 'FUS_IDLE';
      b.fus.error = 'NO_ERROR';
      return { ...IDLE };
    }
    return { ...NOT_RUNNING };
  }
  // FUS answers its last state/error (sticky: public CLI log: community custom wb55cc fwdelete starts with SERVICE_ONGOING/IMAGE_NOT_FOUND
  // left by an earlier delete), then is idle again.
  const status: FusStatus = { state: b.fus.state, error: b.fus.error };
  b.fus.state = 'FUS_IDLE';
  b.fus.error = 'NO_ERROR';
  return status;
}

export function startFus(run: Run): SimOutcome {
  let last: SimOutcome = { ok: true };
  for (let i = 0; i < 2; i++) {
    last = getState(run);
    if (!last.ok || run.b.cpu2 === 'fus') break;
  }
  if (run.b.cpu2 !== 'fus' || run.b.lockedUp !== null) return fail('STATE_NOT_RUNNING', 'FUS did not start (CPU2 stays in safeboot or is locked up)', { status: last.status ?? NOT_RUNNING });
  return last;
}

/**
 * Common gate of the FUS commands (delete, upgrade, start stack, anti-rollback, keys). Returns a failed
 * outcome, or undefined when FUS is running and may be asked.
 */
export function fusGate(run: Run, command: string, isFusUpdate = false): SimOutcome | undefined {
  const b = run.b;
  b.counters.fusCommands++;
  if (run.ctx.transport === 'swd') {
    const prepared = prepareSwdFus(run, command === 'FUS_START_WS');
    if (prepared) return prepared;
    if (b.cpu2 === 'stack' && b.lockedUp === null && !busyAt(b, run.now())) {
      // fidelity: SWD-STACK-RUNNING. A FUS service command over SWD while the stack runs reaches no FUS: the tool ends
      // with "Error: FUS_STATE_ERR_UNKNOWN" after loading its operator (public CubeProgrammer 2.8.0 log, community
      // thread 39603). ST (community td-p/299518): "FUS_STATE_ERR_UNKNOWN error message means the FUS is not
      // activated ... the M0+ core is running the RF stack. To wake it up, you have to issue the FUS get State command"
      // (-fusgetstate). Nothing is switched or done silently. (FUS_START_WS is let through: the stack runs either way.)
      return fail('ERR_UNKNOWN', `${command} over SWD: FUS is not activated (the wireless stack runs); -fusgetstate first switches CPU2 to FUS`, { status: { ...UNKNOWN_ERROR } });
    }
  }
  b.fus.consecutiveGetState = 0;
  const busy = busyAt(b, run.now());
  if (busy) {
    // BUSY-READ: FUS takes no new command before the one in progress ends (the host polls FUS_GET_STATE until idle).
    return fail('FUS_BUSY', `${command}: FUS is still busy (${busy.state}, about ${Math.ceil((busy.untilMs - run.now()) / 1000)} s left)`, { status: busyStatus(busy) });
  }
  if (b.lockedUp !== null) return fail('LOCKED_UP', `CPU2 is locked up for good (${b.lockedUp})`, { status: UNKNOWN_ERROR });
  if (b.cpu2 === 'safeboot') {
    // public field reports: FUS version 0.0.0, FUS cannot be started while the option bytes force safeboot.
    const ob = b.optionBytes;
    return fail('STATE_NOT_RUNNING', `CPU2 runs safeboot (SFSA=0x${ob.sfsa.toString(16).toUpperCase().padStart(2, '0')}, SBRV=0x${ob.sbrv.toString(16).toUpperCase()}): FUS is not running and cannot be started`, { status: NOT_RUNNING });
  }
  if (b.cpu2 !== 'fus') {
    // community m-p/63529: FUS commands sent while the wireless stack runs are not understood.
    return fail('STATE_NOT_RUNNING', `${command}: FUS is not running (the wireless stack is); send FUS_GET_STATE twice first`, { status: NOT_RUNNING });
  }
  if (b.fusDamaged !== null && command !== 'FUS_START_WS') {
    // fidelity: FUS-DAMAGED. Field report (community m-p/106679, STM32WB5MMG, power removed during a FUS update): every
    // FUS install fails with FUS_STATE_ERR_UNKNOWN, SBRV stays; ST: "the FUS managing the secure updates has been
    // damaged", the current stack still runs but can never be updated again.
    const status: FusStatus = { ...UNKNOWN_ERROR };
    setReport(b, status);
    return fail('ERR_UNKNOWN', `${command}: FUS is damaged for good (${b.fusDamaged}); the installed stack still runs, nothing can be installed any more`, { status });
  }
  if (b.optionBytes.rdp !== 0xaa) {
    // fidelity: RDP-FUS. Refuse while RDP is not 0xAA. Field report (community m-p/266630): FUS 0.5.3 update with RDP
    // 0xBB -> "Error: Firmware not authentic!", and afterwards SFSA = 0, nothing to do (observed once: modelled for a FUS update).
    const error: FusError = command === 'FW_UPGRADE' ? 'IMG_NOT_AUTHENTIC' : 'ERR_UNKNOWN';
    const status: FusStatus = { state: 'FUS_ERROR', error };
    setReport(b, status);
    if (command === 'FW_UPGRADE' && isFusUpdate) b.pending = { operation: 'option-bytes', outcome: 'ob-corrupt' };
    return fail(error, `${command} refused: RDP is 0x${b.optionBytes.rdp.toString(16).toUpperCase()}, FUS operations need level 0 (0xAA)`, { status });
  }
  if (!isFusUpdate && isLockupProne(b)) {
    // fidelity: LOCKUP-WB5XC-053
    // ST v1.1.1 (WB5x): "On STM32WB5xxC and STM32WB5xxE, it is mandatory to install FUS V1.0.2 before any other
    // operation. Otherwise, the device might be locked in an unrecoverable state." (public CLI log: community custom wb55cc fwdelete: a WB55CC
    // on FUS 0.5.3 drops off USB on -fwdelete.)
    lockUp(run, `${command} on a ${b.device.key} still running FUS ${b.fus.version}`);
    return fail('LOCKED_UP', `CPU2 locked up: ${command} on a ${b.device.key} with FUS ${b.fus.version} (ST: update FUS before any other operation)`, { status: UNKNOWN_ERROR });
  }
  return undefined;
}

export function lockUp(run: Run, reason: string): void {
  const b = run.b;
  b.lockedUp = reason;
  setReport(b, UNKNOWN_ERROR);
  run.emit({ type: 'locked-up', reason, ms: 0 });
  // The chip resets and drops off USB (public CLI log: community custom wb55cc fwdelete: "DFU disappears from Device Manager").
  resetChip(run, 'CPU2 lock-up');
}

export function setReport(b: SimBoard, status: FusStatus): void {
  b.fus.state = status.state;
  b.fus.error = status.error;
}

export function pollSeen(run: Run, status: FusStatus): void {
  run.emit({ type: 'fus-state', ...status, ms: TIMING.fusCommandMs });
}

// ---------------------------------------------------------------- delete

export function toolRefusesDelete(run: Run): string | undefined {
  const { transport, toolVersion } = run.ctx;
  // fidelity: TOOL-DELETE-SWD-FUS2
  // Release notes v1.22.1, Warning 1: "With FUS v2.0.0, Coprocessor Binaries can be installed only through the USB
  // interface, Currently CubeProgrammer versions do not support "FW_delete" command when using the ST-Link interface."
  // v1.23.0 asks for CubeProgrammer >= 2.20. (public field reports saw the stack deleted anyway with 2.17; we model the
  // documented refusal: nothing happens on the board.)
  if (transport === 'swd' && toolVersion !== undefined && compareVersions(normalise(toolVersion), '2.20.0') < 0 && compareVersions(run.b.fus.version, '2.0.0') >= 0) {
    return `STM32CubeProgrammer ${toolVersion} cannot FW_DELETE over ST-LINK with FUS ${run.b.fus.version} (needs >= 2.20; or use USB)`;
  }
  return undefined;
}

/** `2.17` / `2.17.0` -> `2.17.0`. */
export function normalise(version: string): string {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  while (parts.length < 3) parts.push(0);
  return parts.slice(0, 3).join('.');
}

export function fwDelete(run: Run): SimOutcome {
  const b = run.b;
  const refusal = toolRefusesDelete(run);
  if (refusal) return fail('UNSUPPORTED', refusal);
  const gate = fusGate(run, 'FW_DELETE');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FW_DELETE', ms: TIMING.fusCommandMs });
  if (!b.stack) {
    // fidelity: DELETE-NOTHING
    // STM32CubeWB release notes, upgrade procedure: deleting when nothing is installed reports IMG_NOT_FOUND and is harmless; FUS reports
    // SERVICE_ONGOING + IMAGE_NOT_FOUND to the next GET_STATE (public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence, third command).
    const status: FusStatus = { state: 'FUS_SERVICE_ONGOING', error: 'IMG_NOT_FOUND' };
    setReport(b, status);
    writeOperatorVersions(run);
    return { ok: true, warning: 'IMG_NOT_FOUND', status };
  }
  const loss = run.takePowerLoss('delete');
  if (loss) {
    // fidelity: PL-DELETE. FUS resumes the delete at the next boot (ST, community td-p/272587), or the option bytes
    // are corrupted (same thread; safeboot).
    b.pending = { operation: 'delete', outcome: resolveOutcome(run, loss, 'delete') };
    setReport(b, { state: 'FUS_SERVICE_ONGOING', error: 'NO_ERROR' });
    run.emit({ type: 'wait', reason: 'FW_DELETE', ms: TIMING.deleteMs / 2 });
    cutPower(run, loss);
    return fail('POWER_LOSS', 'power was lost while FUS deleted the stack');
  }
  const startMs = run.now();
  run.emit({ type: 'delete', ms: TIMING.deleteMs });
  removeStack(run);
  setReport(b, IDLE);
  recordBusy(run, 'delete', 'FUS_SERVICE_ONGOING', startMs);
  if (!resetChip(run, 'FW_DELETE done', 'fus')) return fail('POWER_LOSS', 'power was lost during the reset after FW_DELETE');
  writeOperatorVersions(run);
  return { ok: true, status: IDLE };
}

export function removeStack(run: Run): void {
  const b = run.b;
  const device = deviceOf(b);
  // community 166069: SFSA 0xCE -> 0xF4 after delete on a 1M part: the secure area shrinks back to FUS.
  // FUS2-NVM: FW_DELETE keeps the 16 KiB NVM area once a FUS_v2-only image was installed (v1.23.0 release notes).
  const fusStart = fusAreaStart(device, b.fus.version) - (keepsNvmArea(b, { fusV2Only: false }) ? FUSV2_ONLY_EXTRA_BYTES : 0);
  if (b.stack) run.countPages('erase', 'secure', b.stack.pages);
  b.stack = null;
  b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, fusStart), sbrv: sbrvFor(device, fusStart) };
  if (b.cpu2 === 'stack') b.cpu2 = 'fus';
}

// ---------------------------------------------------------------- start stack, anti-rollback, keys

export function startStack(run: Run): SimOutcome {
  const b = run.b;
  if (b.cpu2 === 'stack' && b.lockedUp === null && run.ctx.transport !== 'swd') return { ok: true, status: { ...NOT_RUNNING } };
  const gate = fusGate(run, 'FUS_START_WS');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FUS_START_WS', ms: TIMING.fusCommandMs });
  if (!b.stack) {
    // public field reports: "Error: Start Wireless Stack Operation Failure!" when no stack can be started.
    return fusRefuses(run, 'IMG_NOT_FOUND', 'FUS_ERROR', 'FUS_START_WS: no wireless stack is installed');
  }
  // Only START_WS (or the stack's own request) leaves FUS for good (ST FAQ ta-p/722270).
  b.fusRequested = false;
  if (!resetChip(run, 'FUS_START_WS')) return fail('POWER_LOSS', 'power was lost while the stack started');
  writeOperatorVersions(run);
  return { ok: true, status: { ...NOT_RUNNING } };
}

export function activateAntiRollback(run: Run): SimOutcome {
  const b = run.b;
  const gate = fusGate(run, 'ACTIVATE_ANTIROLLBACK');
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: 'FUS_ACTIVATE_ANTIROLLBACK', ms: TIMING.fusCommandMs });
  if (compareVersions(b.fus.version, '1.1.0') < 0) {
    // fidelity: AR-FUS-1.1
    // Release notes v1.5.0 (FUS 1.1.0): "Add Antirollback mechanism". Older FUS do not know the command.
    return fusRefuses(run, 'ERR_UNKNOWN', 'FUS_ERROR', `FUS ${b.fus.version} has no anti-rollback (added with FUS 1.1.0)`);
  }
  if (b.antiRollback.state === 'active') return { ok: true, status: { ...IDLE } };
  // Irreversible. AN5185 §2.4: with no stack installed FUS registers 0xFFFFFFFF and no stack can ever be installed.
  b.antiRollback = { state: 'active', floorWord: b.stack ? b.stack.versionWord >>> 0 : BLANK_VERSION_WORD };
  if (!b.stack) run.note('anti-rollback activated with no stack installed: no wireless stack can ever be installed on this chip');
  return { ok: true, status: { ...IDLE } };
}

export function keyCommand(run: Run, op: 'storeUserKey' | 'updateAuthKey' | 'lockAuthKey'): SimOutcome {
  const b = run.b;
  const gate = fusGate(run, op);
  if (gate) return gate;
  run.emit({ type: 'fus-command', command: op, ms: TIMING.fusCommandMs });
  if (op === 'storeUserKey') b.userKeys++;
  else if (op === 'lockAuthKey') b.customerAuthKey = 'locked';
  else {
    if (b.customerAuthKey === 'locked') return fusRefuses(run, 'AUTH_KEY_LOCKED', 'FUS_ERROR', 'the customer authentication key is locked');
    b.customerAuthKey = 'installed';
  }
  return { ok: true, status: { ...IDLE } };
}
