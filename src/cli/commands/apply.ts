/** `copro apply`: plan every board, check images, confirm irreversible steps, run and verify. */
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { plan, formatPlan } from '../../planner/index.js';
import { applyBoards, type BoardResult } from '../../runner/apply.js';
import { EventLog, fanOut, ndjsonSink, stamp } from '../../runner/events.js';
import { junitFromEvents } from '../../runner/junit.js';
import { checkPlansAgainstLock } from '../../runner/lockfile.js';
import { EXIT } from '../exit-codes.js';
import { ENVIRONMENT_ERROR_CODES } from '../errors.js';
import { assertReadyBeforeBoard, resolveSession, openDriver, stateDir, simulatorDir, simulatorSpeed, type CommonOptions, lockDir, lockObserver } from '../session.js';
import { selectBoards } from '../boards.js';
import { rendererFor, useColor } from '../output.js';
import { progressReporter } from '../progress.js';
import type { Plan } from '../../planner/types.js';
import type { PlanFile } from '../../generated/plan-file.js';
import { looksLikePlanFile, planDifference, readPlanFile } from '../plan-file.js';
import { CliError } from '../cli-error.js';
import { writeFileAtomic } from '../atomic.js';
import { isQuiet, isVerbose, note, seconds, trace } from '../verbosity.js';
import type { CoproEvent } from '../../runner/events.js';

/** --verbose: when each step starts and ends, and how long it took (the driver's own operations are traced too). */
function traceSteps(e: CoproEvent): void {
  const ev = e as CoproEvent & { type: string; board: string; step?: number; title?: string; durationMs?: number; error?: string };
  if (ev.type === 'step-started') trace(`${ev.board} step ${ev.step}: ${ev.title ?? ''} started`);
  else if (ev.type === 'step-finished') trace(`${ev.board} step ${ev.step}: verified after ${seconds(ev.durationMs ?? 0)}`);
  else if (ev.type === 'step-failed') trace(`${ev.board} step ${ev.step}: failed after ${seconds(ev.durationMs ?? 0)}: ${ev.error ?? ''}`);
}

export interface ApplyCliOptions extends CommonOptions {
  yes?: boolean;
  dryRun?: boolean;
  junit?: string;
  all?: boolean;
  concurrency?: number;
  waitLock?: number;
  updateLock?: boolean;
}

function irreversibleSummary(plans: { serial: string; plan: Plan }[]): string[] {
  return plans.flatMap(({ serial, plan: p }) => p.steps.filter((s) => s.irreversible).map((s) => `  board ${serial}: step ${s.n}. ${s.title}${s.warnings.length ? ` (${s.warnings.join('; ')})` : ''}`));
}

export async function applyCommand(manifestFile: string, opts: ApplyCliOptions): Promise<number> {
  const started = Date.now();
  // `copro apply plan.json`: exactly the reviewed plan, on the boards it names (as `terraform apply planfile`).
  let reviewed: PlanFile | undefined;
  const planFile = looksLikePlanFile(manifestFile) ? manifestFile : undefined;
  if (planFile) {
    if (opts.serial !== undefined || opts.all) throw new CliError(`${planFile} names its boards; --serial and --all do not go with a plan file`, EXIT.INVALID_INPUT, `drop them, or make another plan: \`copro plan <manifest> --serial ... --out ${planFile}\``);
    const r = await readPlanFile(planFile);
    reviewed = r.doc;
    manifestFile = r.manifestFile;
    opts = { ...opts, serial: r.doc.boards.map((b) => b.board).join(','), simulate: opts.simulate === true || r.doc.connection.simulated, port: opts.port ?? r.doc.connection.port };
  }
  const stale = new Map<string, string[]>();
  const s = await resolveSession(manifestFile, opts);
  assertReadyBeforeBoard(s);
  // The result (plans, the summary) on stdout; --quiet keeps only the summary (docs/cli.md).
  const out = (line: string) => {
    if (!opts.json) process.stdout.write(line + '\n');
  };
  const detail = (line: string) => {
    if (!isQuiet()) out(line);
  };
  const boards = await selectBoards(s, opts);
  if (s.simulated) detail(`(simulated board${boards.length > 1 ? 's' : ''} in ${simulatorDir()}${s.driver === 'bootloader' ? ', through the bootloader driver over virtual bootloader devices' : ''}, clock at ${simulatorSpeed()}x the modelled device time; COPRO_SIM_SPEED=1 for real time)`);
  const log = new EventLog();
  const emit = fanOut(log.sink, opts.json ? ndjsonSink((l) => process.stdout.write(l)) : undefined, isVerbose() ? traceSteps : undefined);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT.INTERRUPTED); // second Ctrl-C: leave now
    process.stderr.write('\ncopro: interrupting: stopping the tool, then reporting where each board is (Ctrl-C again to leave at once)\n');
    abort.abort();
  };
  // SIGHUP (the terminal or SSH session closed) is a stop like SIGTERM: the tool is ended, the step in flight named, exit 130.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const conn = s.loaded.manifest.connection;
  emit(stamp({ type: 'run-started', board: '-', manifest: s.loaded.file, boards: boards.map((b) => b.serial), driver: runDriver(s), dryRun: opts.dryRun === true }));
  let results: BoardResult[];
  try {
    results = await applyBoards(
      boards.map((b) => ({
        serial: b.serial,
        name: b.name,
        open: (lock) => openDriver({ simulated: s.simulated, serial: b.portOnly ? undefined : b.serial, port: b.port ?? s.port, transport: s.transport, cubeprogrammer: opts.cubeprogrammer ?? conn?.cubeprogrammer, mode: conn?.mode, baudrate: conn?.baudrate, timeoutSeconds: conn?.timeoutSeconds, logDir: path.join(stateDir(), 'logs'), onChild: lockObserver(lock), access: 'full' }),
      })),
      {
        target: s.target,
        images: s.images,
        plan,
        dryRun: opts.dryRun === true,
        concurrency: opts.concurrency ?? 4,
        renderer: isQuiet() ? 'silent' : rendererFor(opts),
        // A live terminal redraws every event; a log gets milestones (src/cli/progress.ts).
        progressText: progressReporter(rendererFor(opts) === 'default'),
        emit,
        signal: abort.signal,
        lockDir: lockDir(s.simulated),
        waitLockMs: (opts.waitLock ?? 0) * 1000,
        applicationFile: s.target.application?.file,
        checkPlans: async (plans) => {
          const note = await checkPlansAgainstLock(path.join(path.dirname(s.loaded.file), 'copro.lock'), plans, s.images, { update: opts.updateLock === true, dryRun: opts.dryRun === true });
          if (note) detail(note);
        },
        // Notes about the run (a lock waited for or taken over), not its result: stderr.
        log: note,
        memoryDir: path.join(stateDir(), 'boards'),
        showPlan: (serial, p) => {
          const was = reviewed?.boards.find((b) => b.board === serial)?.plan;
          const diff = reviewed ? (was ? planDifference(was, p) : ['  (this board is not in the plan file)']) : [];
          if (diff.length) {
            stale.set(serial, diff);
            process.stderr.write(`copro: error: board ${serial} no longer matches the plan in ${planFile} (- reviewed, + what the board and images call for now):\n${diff.join('\n')}\n`);
          }
          if (opts.json || isQuiet()) return;
          if (boards.length > 1) out(`\n== board ${serial} ==`);
          out(formatPlan(p, { color: useColor(opts) }));
        },
        confirm: async (plans) => {
          // A plan file was reviewed: it runs only if every board still calls for exactly it, and without asking again.
          if (reviewed) return stale.size === 0;
          const irreversible = irreversibleSummary(plans);
          if (irreversible.length === 0 || opts.yes) return true;
          // A simulated board asks exactly as a real one does, so a script's exit 6 can be rehearsed.
          if (!process.stdin.isTTY) {
            process.stderr.write(`copro: error: these steps cannot be undone, and there is no terminal to ask:\n${irreversible.join('\n')}\n  remedy: re-run with --yes to confirm them\n`);
            return false;
          }
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            const answer = await rl.question(`These steps cannot be undone:\n${irreversible.join('\n')}\nProceed? Type "yes": `);
            return answer.trim().toLowerCase() === 'yes';
          } finally {
            rl.close();
          }
        },
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  let code = exitCodeOf(results, abort.signal.aborted);
  if (stale.size > 0 && (code === EXIT.OK || code === EXIT.NOT_CONFIRMED)) {
    // Nothing ran: the board or the images changed since the review.
    process.stderr.write(`copro: error: nothing was done: the plan in ${planFile} is stale for ${[...stale.keys()].join(', ')}\n  remedy: run \`copro plan ${reviewed!.manifest.path} --out ${planFile}\` again and review it\n`);
    code = EXIT.REFUSED;
  }
  const ok = results.filter((r) => r.result === 'provisioned' || r.result === 'up-to-date' || r.result === 'planned').length;
  emit(stamp({ type: 'run-finished', board: '-', exitCode: code, boards: { total: results.length, ok, failed: results.length - ok }, durationMs: Date.now() - started }));
  if (opts.junit) {
    await writeFileAtomic(opts.junit, junitFromEvents(log.events));
  }
  if (!opts.json) out(summarize(results, Date.now() - started, s.target.stack !== undefined && s.target.stack !== 'none' ? s.target.stack.type : undefined));
  return code;
}

export function exitCodeOf(results: readonly BoardResult[], interrupted: boolean): number {
  if (interrupted || results.some((r) => r.result === 'interrupted')) return EXIT.INTERRUPTED;
  const failed = results.filter((r) => r.result === 'failed');
  // The exit code table of every command (src/cli/errors.ts): a board that could not be reached or locked before
  // anything ran (no plan yet), or a missing tool, is the environment (5); a failure once steps ran is the board (1).
  const environment = (r: BoardResult) => r.plan === undefined && ENVIRONMENT_ERROR_CODES.includes(r.errorCode ?? '');
  if (failed.some((r) => !environment(r))) return EXIT.BOARD_FAILED;
  if (failed.length > 0) return EXIT.ENVIRONMENT;
  if (results.some((r) => r.result === 'refused')) return EXIT.REFUSED;
  if (results.some((r) => r.errorCode === 'NOT_CONFIRMED')) return EXIT.NOT_CONFIRMED;
  return EXIT.OK;
}

function summarize(results: readonly BoardResult[], ms: number, expectedType?: string): string {
  const lines = results.map((r) => {
    const st = r.finalState;
    // A type copro did not read is never shown as read: FUS mode does not report it.
    const type = st?.stack.type && st.stack.type !== 'unknown' ? st.stack.type : `type not reported by FUS${expectedType ? `: expected ${expectedType}` : ''}`;
    const where = st ? `FUS ${st.fus.version}, stack ${st.stack.status === 'installed' ? `${st.stack.version} (${type})` : st.stack.status}, UID ${st.device.uid64}` : '';
    const what: Record<BoardResult['result'], string> = {
      provisioned: r.notVerifiable?.length ? `provisioned; read back as planned except what has no read-out: ${r.notVerifiable.join(', ')} (done, not verifiable by read-back)` : 'provisioned and verified',
      'up-to-date': 'already matches the manifest: nothing to do',
      planned: r.errorCode === 'NOT_CONFIRMED' ? 'not confirmed: nothing was changed' : 'dry run: nothing was changed',
      refused: `refused: ${r.error ?? ''}`,
      failed: `FAILED: ${r.error ?? ''}`,
      interrupted: `INTERRUPTED: ${r.error ?? ''}`,
    };
    const extra = [...r.notes.map((n) => `    note: ${n}`), r.logFile && r.result !== 'provisioned' && r.result !== 'up-to-date' ? `    transcript: ${r.logFile}` : ''].filter(Boolean);
    return [`  ${r.name ? `${r.name} ` : ''}${r.serial}: ${what[r.result]}${where ? ` (${where})` : ''}`, ...extra].join('\n');
  });
  return `\nSummary (${(ms / 1000).toFixed(1)} s):\n${lines.join('\n')}`;
}

/** The driver that really runs: the bootloader driver also under --simulate (over the virtual devices). */
export function runDriver(s: { driver: string; simulated: boolean }): 'bootloader' | 'simulator' | 'cubeprogrammer' {
  return s.driver === 'bootloader' ? 'bootloader' : s.simulated ? 'simulator' : 'cubeprogrammer';
}
