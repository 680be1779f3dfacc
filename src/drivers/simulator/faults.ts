/**
 * Faults a simulated board can be armed with (persisted in the board, consumed by the model when they fire):
 * - `power-loss` / `unplug` at `download:<percent>`, `install`, `delete`, `reset` or `ob-load` (option byte reload);
 *   at `install`, `delete` and `ob-load` an outcome may be chosen (ST, community td-p/272587 and m-p/106679):
 *   `power-loss@install:outcome=resume|image-corrupt|ob-corrupt|fus-damaged` (fus-damaged: FUS updates only), or
 *   `:seed=<n>` picks one of those possible there; without either FUS resumes;
 * - `erase-fail`: the next flash erase fails on some of its pages (public field reports: "erasing sector ... failed");
 * - `hung-cli`: the fake STM32_Programmer_CLI never exits during -fwupgrade (public field reports);
 * - `usb-late` (N s) / `usb-gone`: USB DFU comes back late / not at all after the next reset;
 * - `corrupt-option-bytes`: at the next boot SFSA=0, SBRV=0x3FC00 -> safeboot;
 * - `exit-0-after-error`: the fake CLI prints its error but exits 0 (public CLI log: community uart connect and misc errors A);
 * - `fus-053-not-authentic-quirk`: the FUS 0.5.3 upgrade prints "Firmware not authentic!" although it
 *   worked (public field reports, public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence and 20).
 */
import type { Fault, SimBoard } from '../../generated/sim-board.js';

export type { Fault };

export class FaultSyntaxError extends Error {
  constructor(text: string, why: string) {
    super(`cannot arm fault ${JSON.stringify(text)}: ${why}. Expected one of: power-loss@download:<0-100>, power-loss@install[:outcome=resume|image-corrupt|ob-corrupt|fus-damaged | :seed=<n>], power-loss@delete[:outcome=resume|ob-corrupt], power-loss@ob-load[:outcome=resume|ob-corrupt], power-loss@reset (or unplug@...), hung-cli, usb-late:<seconds>, usb-gone, corrupt-option-bytes, erase-fail, exit-0-after-error, fus-053-not-authentic-quirk (suffix ! = persistent)`);
    this.name = 'FaultSyntaxError';
  }
}

const POINT = /^(download:(100|[1-9]?[0-9])|install|delete|reset|ob-load)$/;
const SIMPLE = ['hung-cli', 'usb-gone', 'corrupt-option-bytes', 'erase-fail', 'exit-0-after-error', 'fus-053-not-authentic-quirk'] as const;
type Outcome = NonNullable<Extract<Fault, { at: string }>['outcome']>;
/** The outcomes ST describes at each point (kept in step with the model's POWER_LOSS_OUTCOMES). */
const OUTCOMES: Record<string, readonly Outcome[]> = {
  install: ['resume', 'image-corrupt', 'ob-corrupt', 'fus-damaged'],
  delete: ['resume', 'ob-corrupt'],
  'ob-load': ['resume', 'ob-corrupt'],
};

/** Parses the text form used by `copro sim fault` and tests (`power-loss@download:40`, `usb-late:12`, `hung-cli!`). */
export function parseFault(text: string): Fault {
  const t = text.trim();
  const at = /^(power-loss|unplug)@([^:]+(?::[0-9]+)?)(?::(outcome|seed)=([a-z0-9-]+))?$/.exec(t);
  if (at) {
    const point = at[2]!;
    if (!POINT.test(point)) throw new FaultSyntaxError(text, `unknown point ${JSON.stringify(point)}`);
    const fault: Extract<Fault, { at: string }> = { kind: at[1] as 'power-loss' | 'unplug', at: point };
    if (at[3]) {
      const possible = OUTCOMES[point];
      if (!possible) throw new FaultSyntaxError(text, `a power loss at ${point} has no outcome to choose (only at install, delete, ob-load)`);
      if (at[3] === 'seed') {
        if (!/^[0-9]+$/.test(at[4]!)) throw new FaultSyntaxError(text, `seed must be a whole number`);
        fault.seed = Number(at[4]);
      } else {
        if (!(possible as readonly string[]).includes(at[4]!)) throw new FaultSyntaxError(text, `outcome ${JSON.stringify(at[4])} does not happen at ${point} (possible: ${possible.join(', ')})`);
        fault.outcome = at[4] as Outcome;
      }
    }
    return fault;
  }
  const late = /^usb-late:([0-9]+(?:\.[0-9]+)?)$/.exec(t);
  if (late) return { kind: 'usb-late', seconds: Number(late[1]) };
  const persistent = t.endsWith('!');
  const name = persistent ? t.slice(0, -1) : t;
  if ((SIMPLE as readonly string[]).includes(name)) {
    return persistent ? { kind: name as (typeof SIMPLE)[number], persistent: true } : { kind: name as (typeof SIMPLE)[number] };
  }
  throw new FaultSyntaxError(text, 'unknown fault');
}

export function describeFault(f: Fault): string {
  if ('at' in f) return `${f.kind}@${f.at}${f.outcome ? `:outcome=${f.outcome}` : f.seed !== undefined ? `:seed=${f.seed}` : ''}`;
  if ('seconds' in f) return `usb-late:${f.seconds}`;
  return f.persistent ? `${f.kind}!` : f.kind;
}

/** Returns the board with the fault armed (pure). A second fault of the same kind and point replaces the first. */
export function armFault(board: SimBoard, fault: Fault): SimBoard {
  if ('at' in fault && !POINT.test(fault.at)) throw new FaultSyntaxError(describeFault(fault), `unknown point ${JSON.stringify(fault.at)}`);
  const key = (f: Fault) => ('at' in f ? `${f.kind}@${f.at}` : describeFault(f).replace(/!$/, ''));
  const same = (f: Fault) => key(f) === key(fault) || (f.kind === 'usb-late' && fault.kind === 'usb-late');
  return { ...board, faults: [...board.faults.filter((f) => !same(f)), fault] };
}

/** Removes armed faults (all, or those of one kind). */
export function disarmFaults(board: SimBoard, kind?: Fault['kind']): SimBoard {
  return { ...board, faults: kind ? board.faults.filter((f) => f.kind !== kind) : [] };
}

/** Whether a fault of that kind is armed (the fake CLI checks `hung-cli` and `exit-0-after-error` itself). */
export function hasFault(board: SimBoard, kind: Fault['kind']): boolean {
  return board.faults.some((f) => f.kind === kind);
}

/** Consumes one fault of that kind (kept when persistent). For tool-side faults the model does not see. */
export function consumeFault(board: SimBoard, kind: Fault['kind']): { board: SimBoard; fired: boolean } {
  const i = board.faults.findIndex((f) => f.kind === kind);
  if (i < 0) return { board, fired: false };
  const f = board.faults[i]!;
  if ('persistent' in f && f.persistent) return { board, fired: true };
  return { board: { ...board, faults: board.faults.filter((_, j) => j !== i) }, fired: true };
}
