/** apply/applyAll: one command against a private copy of the board; dispatch by command. */
import type { SimBoard } from '../../../generated/sim-board.js';
import { modelledDuration } from '../timing.js';
import { writeFlash, erasePages } from './flash.js';
import { getState, startFus, fwDelete, startStack, activateAntiRollback, keyCommand } from './fus.js';
import { fwUpgrade } from './install.js';
import { readMemory, writeMemory } from './memory.js';
import { loadFusOperator } from './operator.js';
import { writeOptionBytes } from './option-bytes.js';
import { resetChip, connect, powerCycle, awaitUsb } from './power.js';
import { upgradeSimBoard } from './upgrade.js';
import { Run, fail, type SimContext, type SimCommand, type SimEvent, type SimOutcome, type SimResult } from './types.js';

export function apply(board: SimBoard, command: SimCommand, ctx: SimContext): SimResult {
  const run = new Run(upgradeSimBoard(structuredClone(board)), ctx);
  // A FUS operation whose window has passed is simply done.
  if (run.b.busy && run.b.clock.ms >= run.b.busy.untilMs) run.b.busy = null;
  const outcome = lostOverUsb(run, command, dispatch(run, command));
  run.b.clock = { ...run.b.clock, ms: run.b.clock.ms + modelledDuration(run.events) };
  return { board: run.b, events: run.events, outcome };
}

/** Applies commands in order, stopping at the first that fails; returns the last outcome. */
export function applyAll(board: SimBoard, commands: readonly SimCommand[], ctx: SimContext): SimResult {
  let b = board;
  const events: SimEvent[] = [];
  let outcome: SimOutcome = { ok: true };
  for (const c of commands) {
    const r = apply(b, c, ctx);
    b = r.board;
    events.push(...r.events);
    outcome = r.outcome;
    if (!outcome.ok) break;
  }
  return { board: b, events, outcome };
}

/**
 * Over USB the host talks to the chip only through the DFU device: when a reset inside the command left it gone
 * (it never re-enumerates), whatever the chip did afterwards on its own, the host saw none of it. The command
 * fails as a lost connection, not with the answer the host could not have received. (`reset` / `powerCycle` /
 * `connect` / `awaitUsb` are judged by the host's next connect or wait.)
 */
function lostOverUsb(run: Run, command: SimCommand, outcome: SimOutcome): SimOutcome {
  if (run.ctx.transport !== 'usb' || run.b.usbAvailableAtMs !== null) return outcome;
  if (command.op === 'reset' || command.op === 'powerCycle' || command.op === 'connect' || command.op === 'awaitUsb') return outcome;
  const lostAt = run.events.findIndex((e) => e.type === 'reset');
  if (lostAt < 0 || outcome.error === 'POWER_LOSS' || outcome.error === 'NOT_POWERED') return outcome;
  // The FUS states the chip went through after that reset reached no host: their time passes, nobody reads them.
  for (let i = lostAt + 1; i < run.events.length; i++) {
    const e = run.events[i]!;
    if (e.type === 'fus-state') run.events[i] = { type: 'wait', reason: 'FUS state the host could not read (USB gone)', ms: e.ms };
  }
  return fail('CONNECTION_LOST', 'the USB DFU device did not come back after a chip reset during the command: the connection is lost (the chip went on by itself; read it back after re-plugging)');
}

export function dispatch(run: Run, c: SimCommand): SimOutcome {
  if (c.op === 'connect') return connect(run);
  if (c.op === 'powerCycle') return powerCycle(run);
  if (!run.b.powered) return fail('NOT_POWERED', 'the board has no power (it was lost or unplugged); connect again to power it up');
  switch (c.op) {
    case 'reset':
      resetChip(run, c.kind === 'hardware' ? 'hardware reset' : 'software reset');
      return run.b.powered ? { ok: true } : fail('POWER_LOSS', 'power was lost during the reset');
    case 'awaitUsb':
      return awaitUsb(run, c.timeoutMs);
    case 'getState':
      return getState(run);
    case 'startFus':
      return startFus(run);
    case 'loadFusOperator':
      return loadFusOperator(run);
    case 'fwDelete':
      return fwDelete(run);
    case 'stageImage':
      return writeFlash(run, c.write, false);
    case 'flashApplication':
      return writeFlash(run, c.write, true);
    case 'erasePages':
      return erasePages(run, c.firstPage, c.lastPage);
    case 'fwUpgrade':
      return fwUpgrade(run);
    case 'startStack':
      return startStack(run);
    case 'activateAntiRollback':
      return activateAntiRollback(run);
    case 'storeUserKey':
    case 'updateAuthKey':
    case 'lockAuthKey':
      return keyCommand(run, c.op);
    case 'writeOptionBytes':
      return writeOptionBytes(run, c.values);
    case 'readMemory':
      return readMemory(run, c.address, c.words);
    case 'writeMemory':
      return writeMemory(run, c.address, c.words);
  }
}
