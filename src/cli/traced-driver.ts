/**
 * `--verbose`: every operation copro asks of a board's driver, each progress event it reports (with the
 * cubeprogrammer driver: each STM32_Programmer_CLI command line as it starts), and how long each took. Wraps
 * any Driver; with --verbose off the driver is returned as it is.
 */
import type { Driver, OperationOptions, Progress } from '../drivers/driver.js';
import { isVerbose, seconds, trace } from './verbosity.js';

/** The position of each operation's options argument (the rest are the operation's own arguments). */
const OPTIONS_AT = {
  readState: 0,
  startFus: 0,
  deleteStack: 0,
  upgrade: 2,
  startStack: 0,
  writeOptionBytes: 1,
  flash: 2,
  activateAntiRollback: 0,
} as const satisfies Partial<Record<keyof Driver, number>>;

function describeProgress(p: Progress): string {
  return [p.phase, p.percent !== undefined ? `${Math.round(p.percent)}%` : '', p.fusState ?? '', p.message ?? ''].filter(Boolean).join(' ');
}

function describeArgs(op: string, args: unknown[]): string {
  if (op === 'readState') return `scope=${(args[0] as { scope?: string } | undefined)?.scope ?? 'default'}`;
  if (op === 'upgrade') return `${(args[0] as { name?: string }).name ?? 'image'} at 0x${(args[1] as number).toString(16).toUpperCase()}`;
  if (op === 'flash') return `${String(args[0])} at 0x${(args[1] as number).toString(16).toUpperCase()}`;
  return '';
}

export function traced(driver: Driver, board: string): Driver {
  if (!isVerbose()) return driver;
  const wrap = <K extends keyof typeof OPTIONS_AT>(op: K) =>
    (async (...args: unknown[]) => {
      const at = OPTIONS_AT[op];
      const given = (args[at] ?? {}) as OperationOptions;
      const started = performance.now();
      const onProgress = (p: Progress) => {
        trace(`${board} ${op}: ${describeProgress(p)}`);
        given.onProgress?.(p);
      };
      const call = [...args];
      call[at] = { ...given, onProgress };
      const what = describeArgs(op, args);
      trace(`${board} ${op}${what ? ` ${what}` : ''}: started`);
      try {
        const r = await (driver[op] as (...a: unknown[]) => Promise<unknown>).apply(driver, call);
        const ok = r && typeof r === 'object' && 'ok' in r ? ((r as { ok: boolean }).ok ? ', the tool reported success' : ', the tool reported failure') : '';
        trace(`${board} ${op}: done in ${seconds(performance.now() - started)}${ok}`);
        return r;
      } catch (e) {
        trace(`${board} ${op}: failed after ${seconds(performance.now() - started)}: ${(e as Error).message.split('\n')[0]}`);
        throw e;
      }
    }) as Driver[K];
  const ops = Object.fromEntries((Object.keys(OPTIONS_AT) as (keyof typeof OPTIONS_AT)[]).map((op) => [op, wrap(op)]));
  return {
    info: () => driver.info(),
    close: () => driver.close(),
    ...ops,
  } as Driver;
}
