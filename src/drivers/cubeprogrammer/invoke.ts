/**
 * Runs STM32_Programmer_CLI once: a timeout per call that kills the whole process tree (the CLI can hang
 * in -fwupgrade forever, public field reports), cancellation by AbortSignal, stdout+stderr interleaved, and
 * every call appended to the run's log file (argv, output, exit code, duration).
 *
 * `reject: false`: exit codes are untrustworthy (STM32CubeProgrammer CLI, UM2237: 0 seen after a failure); callers judge
 * by the parsed text and, above them, by read-back.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { DriverError } from '../driver.js';

export interface InvokeOptions {
  executable: string;
  args: readonly string[];
  /** Added to the process environment (e.g. LD_LIBRARY_PATH). */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Append-only transcript of every call. */
  logFile?: string;
  signal?: AbortSignal;
  /** Grace between SIGTERM and SIGKILL. */
  forceKillAfterMs?: number;
  /** Told (synchronously) when the tool process starts and when its whole process group has ended: the board lock records it. */
  onChild?: ToolChildObserver;
}

export interface ToolChildObserver {
  started(pid: number): void;
  ended(pid: number): void;
}

export interface InvokeResult {
  argv: string[];
  /** stdout and stderr interleaved, as a terminal would show them. */
  stdout: string;
  exitCode: number | undefined;
  timedOut: boolean;
  aborted: boolean;
  /** The signal that ended the tool when neither copro's timeout nor an abort did (it crashed or was killed). */
  signal?: string;
  durationMs: number;
}

/** Runs one call; never throws for the tool's own failures (a hang is `timedOut`, an abort is `aborted`). */
export async function invokeCli(o: InvokeOptions): Promise<InvokeResult> {
  const started = performance.now();
  const argv = [o.executable, ...o.args];
  // POSIX: its own process group, so a timeout kills the CLI's children too (STM32_Programmer.sh wrappers).
  const ownGroup = process.platform !== 'win32';
  const child = execa(o.executable, [...o.args], {
    all: true,
    reject: false,
    stdin: 'ignore',
    timeout: o.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: o.forceKillAfterMs ?? 2000,
    cancelSignal: o.signal,
    detached: ownGroup,
    env: o.env,
    extendEnv: true,
    stripFinalNewline: false,
    windowsHide: true,
  });
  const pid = child.pid;
  // A detached child would outlive us if this process exits first: take it down with us.
  if (pid !== undefined) {
    trackLive(pid, ownGroup);
    o.onChild?.started(pid);
  }
  let result;
  try {
    result = await child;
  } finally {
    if (pid !== undefined) {
      // The call is over only when nothing of it runs any more (the tool's own children included): the next
      // call, or the next copro after the lock is released, must never find a straggler on the board.
      await reapGroup(pid, ownGroup);
      live.delete(pid);
      o.onChild?.ended(pid);
    }
  }
  const timedOut = result.timedOut === true;
  const aborted = result.isCanceled === true;
  const out: InvokeResult = {
    argv,
    stdout: typeof result.all === 'string' ? result.all : String(result.stdout ?? ''),
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : undefined,
    ...(!timedOut && !aborted && typeof result.signal === 'string' ? { signal: result.signal } : {}),
    timedOut,
    aborted,
    durationMs: Math.round(performance.now() - started),
  };
  if (o.logFile) await appendTranscript(o.logFile, out);
  return out;
}

/** As `invokeCli`, but a hang becomes DriverError TIMEOUT and an abort DriverError ABORTED, naming the command and the log. */
export async function runCli(o: InvokeOptions): Promise<InvokeResult> {
  const r = await invokeCli(o);
  const command = formatArgv(r.argv);
  if (r.timedOut) {
    throw new DriverError('TIMEOUT', `STM32_Programmer_CLI did not finish within ${Math.round(o.timeoutMs / 1000)} s and was killed: ${command}${o.logFile ? ` (transcript: ${o.logFile})` : ''}`, {
      transcript: r.stdout,
      logFile: o.logFile,
      remedy: 'the CLI is known to hang in -fwupgrade (public field reports): power-cycle the board, read its state, and run again; raise connection.timeoutSeconds if the step is just slow',
    });
  }
  if (r.signal) {
    throw new DriverError('TOOL_CRASHED', `STM32_Programmer_CLI was killed by ${r.signal} before it finished: ${command}; what the board did is unknown until it is read back${o.logFile ? ` (transcript: ${o.logFile})` : ''}`, {
      transcript: r.stdout,
      logFile: o.logFile,
      remedy: 'read the board state (copro status) before running again: FUS may have finished the step on its own',
    });
  }
  if (r.aborted) {
    throw new DriverError('ABORTED', `interrupted while running: ${command}`, { transcript: r.stdout, logFile: o.logFile });
  }
  return r;
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

async function appendTranscript(logFile: string, r: InvokeResult): Promise<void> {
  const status = r.timedOut ? 'TIMED OUT (killed)' : r.aborted ? 'ABORTED (killed)' : r.signal ? `KILLED by ${r.signal} (crashed)` : `exit code ${r.exitCode ?? 'none'}`;
  const text = `=== ${new Date().toISOString()} $ ${formatArgv(r.argv)}\n${r.stdout}${r.stdout.endsWith('\n') || r.stdout === '' ? '' : '\n'}=== ${status} after ${r.durationMs} ms\n\n`;
  await mkdir(path.dirname(logFile), { recursive: true });
  await appendFile(logFile, text, { encoding: 'utf8', flag: 'a' });
}

const live = new Map<number, boolean>();
let exitHookInstalled = false;
function trackLive(pid: number, ownGroup: boolean): void {
  live.set(pid, ownGroup);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllTools);
}

/** Ends every tool process (group) this copro started and that still runs: on exit, fatal signals, uncaught errors. */
export function killAllTools(): number {
  let n = 0;
  for (const [p, g] of live) {
    killTree(p, g);
    n++;
  }
  return n;
}

/** Tool processes of this copro still running. */
export function liveToolCount(): number {
  return live.size;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** After the tool exited (or was killed), its process group must be empty: kill what is left and wait for it (bounded). */
async function reapGroup(pid: number, ownGroup: boolean): Promise<void> {
  if (!ownGroup) return;
  const until = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < until) {
    killTree(pid, true);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killTree(pid: number | undefined, ownGroup: boolean): void {
  if (pid === undefined) return;
  try {
    if (ownGroup) process.kill(-pid, 'SIGKILL');
    else process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const versionCache = new Map<string, Promise<string>>();

/** The tool's version from its `--version` banner, read once per executable. */
export function cliVersion(executable: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<string> {
  let cached = versionCache.get(executable);
  if (!cached) {
    cached = invokeCli({ executable, args: ['--version'], env, timeoutMs }).then((r) => {
      const v = versionFromText(r.stdout);
      if (!v) {
        throw new DriverError('TOOL_ERROR', `could not read the version of ${executable} from its --version output${r.timedOut ? ' (it hung and was killed)' : ''}: ${JSON.stringify(r.stdout.slice(0, 300))}`, {
          transcript: r.stdout,
          remedy: 'check that this is STM32_Programmer_CLI and that it runs on its own (Linux: its ../lib folder must be found)',
        });
      }
      return v;
    });
    versionCache.set(executable, cached);
    cached.catch(() => versionCache.delete(executable));
  }
  return cached;
}

/** `STM32CubeProgrammer v2.17.0` (banner) or `STM32CubeProgrammer version: 2.17.0`. */
export function versionFromText(text: string): string | undefined {
  const m = /STM32CubeProgrammer\s+(?:version\s*:\s*)?v?(\d+\.\d+\.\d+)/i.exec(text);
  return m?.[1];
}
