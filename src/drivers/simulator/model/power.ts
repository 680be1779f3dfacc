/** Power, connections, chip resets and CPU2 boot (what SBRV/FUS decide; FUS resuming an interrupted operation). */
import { hex } from '../../../domain/hex.js';
import { hasUsbDfu } from '../../../domain/families.js';
import { deviceOf, isSafebootOptionBytes, bootsRomBootloader, safebootSbrv } from '../layout.js';
import { TIMING, reconnectMs, stackInstallMs } from '../timing.js';
import { removeStack } from './fus.js';
import { installFus, installStack } from './install.js';
import { Run, fail, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- power, connection, resets

export function powerOn(run: Run): void {
  const b = run.b;
  b.powered = true;
  // SRAM loses its content without power: the operator's version words are gone.
  b.fusOperator = { ...b.fusOperator, sram1: null };
  run.emit({ type: 'power-on', ms: TIMING.cpu2BootMs });
  boot(run, 'power-on');
}

/** A (re)boot of the chip: CPU2 starts what SBRV/FUS decide; FUS resumes an interrupted operation first. */
export function boot(run: Run, reason: string, into?: 'fus'): void {
  const b = run.b;
  b.counters.resets++;
  b.counters.cpu2Boots++;
  b.fus.consecutiveGetState = 0;
  b.sram2aCleared = false;
  if (run.takeFault('corrupt-option-bytes')) corruptOptionBytes(run, 'armed fault corrupt-option-bytes');
  if (b.pending?.outcome === 'ob-corrupt') {
    // fidelity: PL-OB-CORRUPT. ST (community td-p/272587): after a power loss during an install "the option bytes are
    // corrupted" and the part may not be recoverable; ST wiki via m-p/161428: SFSA = 0x00 and SBRV = 0x3FC00.
    b.pending = null;
    corruptOptionBytes(run, 'a FUS operation was cut off or refused at RDP level 1');
  }
  if (b.pending && !isSafebootOptionBytes(b) && b.lockedUp === null) resumePending(run);
  // fidelity: CPU2-STAYS-FUS. ST FAQ ta-p/722270 and td-p/806816: once switched to FUS, CPU2 boots FUS again at every
  // reset and power cycle until FUS_START_WS ("Start Wireless Stack"); a stack install starts the stack by default.
  if (into === 'fus') b.fusRequested = true;
  // fidelity: SAFEBOOT-SIGNATURES (SFSA 0 whatever SBRV, or SBRV in safeboot's page: src/domain/families.ts)
  if (isSafebootOptionBytes(b)) b.cpu2 = 'safeboot';
  else if (b.fusRequested || !b.stack) b.cpu2 = 'fus';
  else b.cpu2 = 'stack';
  run.emit({ type: 'reset', reason, cpu2: b.cpu2, ms: TIMING.cpu2BootMs });
}

/** SFSA = 0x00 and the family's safeboot SBRV (0x3FC00 on WB5x): the hardware forces CPU2 into safeboot (public field reports, ST wiki). */
export function corruptOptionBytes(run: Run, why: string): void {
  const b = run.b;
  // fidelity: WB1X-SAFEBOOT-SBRV
  const sbrv = safebootSbrv(b);
  b.optionBytes = { ...b.optionBytes, sfsa: 0, sbrv };
  run.note(`option bytes corrupted (${why}): SFSA=0x00, SBRV=${hex(sbrv, 5)}, CPU2 boots into safeboot`);
}

/**
 * A whole-chip reset AN5185 and shci.h: FUS states, observed timings: every delete, upgrade, StartWS and the second GET_STATE resets the
 * chip): USB drops and re-enumerates (~4 s), SWD/UART reconnect. Armed faults may cut power here or
 * keep USB away. Returns false when power was lost.
 */
export function resetChip(run: Run, reason: string, into?: 'fus'): boolean {
  const b = run.b;
  const loss = run.takePowerLoss('reset');
  if (loss) {
    cutPower(run, loss);
    return false;
  }
  boot(run, reason, into);
  if (b.device.attachments.some((a) => a.transport === 'usb') && b.usbAvailableAtMs === null) {
    // fidelity: USB-GONE-STAYS. A DFU device that stopped enumerating stays gone through the chip's own later resets
    // (a FUS update reboots several times): only a power cycle or a re-plug brings it back (community td-p/159551,
    // "DFU device stopped enumerating"; 0D53W00000ElepU, "DFU disappears from Device Manager" until re-plugged).
    run.note('the chip reset, but USB DFU is still gone (only a power cycle or a re-plug brings it back)');
  } else if (b.device.attachments.some((a) => a.transport === 'usb')) {
    b.counters.usbReenumerations++;
    // fidelity: USB-GONE
    const gone = run.takeFault('usb-gone');
    const late = run.takeFault('usb-late');
    if (gone) {
      b.usbAvailableAtMs = null;
      run.note('USB DFU did not come back after the reset (armed fault usb-gone)');
    } else if (late && 'seconds' in late) {
      b.usbAvailableAtMs = run.now() + late.seconds * 1000;
      run.note(`USB DFU re-enumerates ${late.seconds} s after the reset (armed fault usb-late)`);
    } else {
      b.usbAvailableAtMs = run.now() + TIMING.usbReenumerationMs;
    }
  }
  const ms = run.ctx.transport === 'usb' ? Math.min(TIMING.usbReenumerationMs, Math.max(0, (b.usbAvailableAtMs ?? Infinity) - run.now())) : reconnectMs(run.ctx.transport, b.fusOperator.inFlash && run.ctx.transport === 'swd');
  run.emit({ type: 'reconnect', transport: run.ctx.transport, ms });
  return true;
}

export function cutPower(run: Run, loss: { at: string; mode: 'power-loss' | 'unplug' }): void {
  run.b.powered = false;
  run.emit({ type: 'power-loss', at: loss.at, mode: loss.mode, ms: 0 });
  run.note(`${loss.mode === 'unplug' ? 'unplugged' : 'power lost'} at ${loss.at} (armed fault)`);
}

export function connect(run: Run): SimOutcome {
  const b = run.b;
  const t = run.ctx.transport;
  if (!b.powered) powerOn(run);
  if (t === 'usb') {
    // fidelity: WB1X-NO-USB
    // AN2606: the WB10xx/15xx bootloader listens on USART1, SPI1 and I2C1 only; the part has no USB peripheral.
    if (!hasUsbDfu(deviceOf(b).family)) return fail('NOT_REACHABLE', `an ${deviceOf(b).family} has no USB: its ROM bootloader offers no DFU device (USART, SPI, I2C only)`);
    if (!b.device.attachments.some((a) => a.transport === 'usb')) return fail('NOT_REACHABLE', 'the board is not attached over USB');
    if (b.usbAvailableAtMs === null) return fail('NOT_REACHABLE', 'the USB DFU device did not come back after the last reset (unplug and plug it again)');
    if (b.usbAvailableAtMs > run.now()) return fail('NOT_REACHABLE', `the USB DFU device has not re-enumerated yet (back in ${Math.ceil((b.usbAvailableAtMs - run.now()) / 1000)} s)`);
    if (!bootsRomBootloader(b)) return fail('NOT_REACHABLE', 'the chip boots from flash, not the ROM bootloader: no USB DFU device (BOOT0 pin / nSWboot0 / nBOOT0)');
  } else if (t === 'swd') {
    const probe = b.device.attachments.find((a) => a.transport === 'swd');
    if (!probe) return fail('NOT_REACHABLE', 'no ST-LINK probe is attached to this board');
    if (probe.connectError) return fail('PROBE_ERROR', 'ST-LINK error (DEV_CONNECT_ERR)');
    if (probe.targetAbsent) return fail('NO_TARGET', 'the probe sees no STM32 target');
  } else if (t === 'uart') {
    if (!b.device.attachments.some((a) => a.transport === 'uart')) return fail('NOT_REACHABLE', 'the board is not attached over UART');
    if (!bootsRomBootloader(b)) return fail('NOT_REACHABLE', 'the chip boots from flash, not the ROM bootloader: the UART bootloader does not answer');
  }
  b.counters.connections++;
  run.emit({ type: 'connect', transport: t, ms: TIMING.connectMs[t] });
  if (t === 'swd' && run.ctx.connectMode === 'under-reset') {
    // fidelity: SRAM2A-UNDER-RESET
    // public CLI log: code string literals from parsers f: "reading the version table under reset (mode=UR) returns zeros, because SRAM2a is cleared by the reset".
    boot(run, 'connect under reset');
    b.sram2aCleared = true;
  }
  return { ok: true };
}

export function powerCycle(run: Run): SimOutcome {
  const b = run.b;
  if (b.powered) b.powered = false;
  b.usbAvailableAtMs = run.now();
  powerOn(run);
  return { ok: true };
}

export function awaitUsb(run: Run, timeoutMs: number): SimOutcome {
  const at = run.b.usbAvailableAtMs;
  if (at === null) {
    // A device that will never re-enumerate: the whole wait is spent, and the connection is lost (never a success).
    run.emit({ type: 'wait', reason: 'USB DFU re-enumeration', ms: timeoutMs });
    return fail('CONNECTION_LOST', `the USB DFU device did not come back within ${timeoutMs / 1000} s (it stopped enumerating: unplug and plug it again)`);
  }
  const wait = Math.max(0, at - run.now());
  if (wait > timeoutMs) {
    run.emit({ type: 'wait', reason: 'USB DFU re-enumeration', ms: timeoutMs });
    return fail('TIMEOUT', `the USB DFU device was not back within ${timeoutMs / 1000} s`);
  }
  if (wait > 0) run.emit({ type: 'wait', reason: 'USB DFU re-enumeration', ms: wait });
  return { ok: true };
}

/** FUS resumes an operation a power loss interrupted (see fwUpgrade): never silently, always noted. */
export function resumePending(run: Run): void {
  const b = run.b;
  const p = b.pending!;
  b.pending = null;
  if (p.operation === 'option-bytes') return; // the values were programmed; the reload at this boot applies them
  if (p.operation === 'delete') {
    removeStack(run);
    b.fusRequested = true;
    run.emit({ type: 'resumed', operation: 'delete', ms: TIMING.deleteMs });
    run.note('FUS resumed the stack delete that a power loss interrupted, at boot');
    return;
  }
  const staged = p.staged!;
  const image = staged.image!;
  if (p.outcome === 'image-corrupt') {
    // fidelity: PL-IMAGE-CORRUPT. ST (community td-p/272587): after a power loss the staged image may be found
    // corrupted; FUS erases it and reports an error (AN5185 error 0x02 IMG_CORRUPT). CPU2 stays in FUS.
    b.fus.state = 'FUS_ERROR';
    b.fus.error = 'IMG_CORRUPT';
    b.fusRequested = true;
    run.emit({ type: 'resumed', operation: 'install', ms: TIMING.fusCommandMs });
    run.note(`FUS found the interrupted ${image.kind} ${image.version} image corrupt at boot, erased it and reports IMG_CORRUPT`);
    return;
  }
  if (image.kind === 'fus') installFus(run, staged, image);
  else installStack(run, staged, image);
  run.emit({ type: 'resumed', operation: 'install', ms: image.kind === 'fus' ? TIMING.fusUpgradeMs : stackInstallMs(staged.size / deviceOf(b).pageSize) });
  run.note(`FUS resumed the ${image.kind === 'fus' ? 'FUS' : image.kind} ${image.version} install that a power loss interrupted, at boot`);
}
