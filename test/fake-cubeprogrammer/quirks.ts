/**
 * Output faults of the tool itself (not of the chip), for tests that check copro never guesses (issue 13) and
 * classifies a crashed CLI (issue 14). Environment `COPRO_FAKE_CLI_QUIRKS`, comma-separated:
 *   stale-r32             every -r32 first prints its first row again with an older value in the last word
 *                         (one address, two values: which one is the chip's?)
 *   fus-state=NAME        every `FUS state is ...` line names NAME (a state copro does not know)
 *   fus-status=NAME       every `FUS status is ...` line names NAME
 *   erased-version        FUS/stack version words read FFFFFFFF
 *   foreign-serial=SN     the connection header names SN, not the board reached
 *   crash@COMMAND[:SIG]   the process kills itself with SIG (default SIGKILL): for fwupgrade after FUS started the
 *                         install (the chip finishes on its own), for any other command kind of args.ts (fwdelete,
 *                         startfus, startws, fusgetstate, r32, ob, write, ...) when that command starts
 * None of these is something a chip does; they are what a broken or mismatched tool can print.
 */
import { FUS_VERSION_ADDRESS, FUS_VERSION_ADDRESS_SWD, STACK_VERSION_ADDRESS, STACK_VERSION_ADDRESS_SWD } from '../../src/domain/fus.js';

export interface Quirks {
  staleR32: boolean;
  fusState?: string;
  fusStatus?: string;
  erasedVersion: boolean;
  foreignSerial?: string;
  crash?: { command: string; signal: NodeJS.Signals };
}

export class QuirkSyntaxError extends Error {}

export function quirksFromEnv(env: NodeJS.ProcessEnv): Quirks {
  const q: Quirks = { staleR32: false, erasedVersion: false };
  for (const raw of (env.COPRO_FAKE_CLI_QUIRKS ?? '').split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    const kv = /^([a-z-]+)=(.+)$/.exec(t);
    const crash = /^crash@([a-z0-9]+)(?::(SIG[A-Z0-9]+))?$/.exec(t);
    if (t === 'stale-r32') q.staleR32 = true;
    else if (t === 'erased-version') q.erasedVersion = true;
    else if (kv?.[1] === 'fus-state') q.fusState = kv[2];
    else if (kv?.[1] === 'fus-status') q.fusStatus = kv[2];
    else if (kv?.[1] === 'foreign-serial') q.foreignSerial = kv[2];
    else if (crash) q.crash = { command: crash[1]!, signal: (crash[2] ?? 'SIGKILL') as NodeJS.Signals };
    else throw new QuirkSyntaxError(`fake STM32_Programmer_CLI: unknown COPRO_FAKE_CLI_QUIRKS entry ${JSON.stringify(t)}`);
  }
  return q;
}

const VERSION_WORDS = new Set([FUS_VERSION_ADDRESS, STACK_VERSION_ADDRESS, FUS_VERSION_ADDRESS_SWD, STACK_VERSION_ADDRESS_SWD]);

/** The words an -r32 prints under the quirks: version words erased, and a stale first row before the real ones. */
export function r32Rows(q: Quirks, address: number, words: readonly number[]): Array<{ address: number; words: number[] }> {
  const shown = words.map((w, i) => (q.erasedVersion && VERSION_WORDS.has((address + i * 4) >>> 0) ? 0xffffffff : w));
  const rows: Array<{ address: number; words: number[] }> = [];
  for (let i = 0; i < shown.length; i += 4) rows.push({ address: address + i * 4, words: shown.slice(i, i + 4) });
  if (q.staleR32 && rows[0]) {
    const first = rows[0].words;
    const last = first[first.length - 1]!;
    rows.unshift({ address, words: [...first.slice(0, -1), last === 0x01020000 ? 0x01010000 : 0x01020000] });
  }
  return rows;
}

/** Ends this process by a signal, as a crashing tool does (no exit code, output cut where it was). */
export function crashNow(q: Quirks, command: string): void {
  if (q.crash?.command !== command) return;
  process.kill(process.pid, q.crash.signal);
}
