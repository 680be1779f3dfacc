/**
 * Fault injection over whole `copro apply` runs. A case is a start state (the board before step k of a
 * scenario) and a fault armed on it; the fault fires at the first matching point of the run (a download at
 * n %, an install, a reset, a delete, the CLI hanging...). Then `copro apply` is simply run again, up to
 * MAX_RUNS times, as a person or a CI retry would, and the case is classified:
 *   converged  a run exits 0, `copro plan --detailed-exitcode` then exits 0, and the board is at the target;
 *   diagnosed  every run failed, and the last one said why (a board result with an error message, a
 *              documented exit code), and the board is no worse than the fault explains;
 *   lost       anything else: an internal error (exit 70), a success claimed off target, a run without a
 *              diagnosis, or a board worse than the fault explains (FUS gone or downgraded, the user's
 *              application changed, anti-rollback switched on, read protection changed).
 *
 * Cases run concurrently in this process: one board (serial) per case in one simulated-board folder, each
 * run with `--json --serial <case>` so its events can be told apart (the NDJSON events carry the serial).
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { readSimulatedBoard, makeBoard, armFault, parseFault, describeFault, writeSimulatedBoard, applyAll, viewImage, type BoardSpec } from '../../src/drivers/simulator/index.js';
import { makeStandIn } from '../../src/images/index.js';
import { WB5X_FUS_220 } from './helpers.js';
import type { SimBoard, Fault } from '../../src/generated/sim-board.js';
import { EXIT } from '../../src/cli/exit-codes.js';

export const MAX_RUNS = 4;

export interface Stage {
  /** e.g. "rescue step 2 (FUS 1.2.0 -> 2.2.0)". */
  name: string;
  spec: BoardSpec;
}

export interface FaultCase {
  stage: Stage;
  fault: string;
}

export type Verdict = 'converged' | 'diagnosed' | 'lost';

export interface CaseResult {
  case: FaultCase;
  serial: string;
  verdict: Verdict;
  runs: { code: number; result?: string; error?: string }[];
  why: string;
  /** Whether the armed fault fired (was consumed by the board) during the runs. */
  fired: boolean;
  ms: number;
}

interface BoardEvent {
  type: string;
  board: string;
  result?: string;
  error?: string;
}

/** All output of the in-process runs, split by board serial (NDJSON) and the rest. */
class Capture {
  readonly byBoard = new Map<string, BoardEvent[]>();
  readonly other: string[] = [];
  private saved?: { out: typeof process.stdout.write; err: typeof process.stderr.write };

  install(): void {
    this.saved = { out: process.stdout.write, err: process.stderr.write };
    const take = (chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (!line.startsWith('{')) {
          if (line.trim()) this.other.push(line);
          continue;
        }
        try {
          const e = JSON.parse(line) as BoardEvent;
          const list = this.byBoard.get(e.board) ?? [];
          list.push(e);
          this.byBoard.set(e.board, list);
        } catch {
          this.other.push(line);
        }
      }
      return true;
    };
    process.stdout.write = take as typeof process.stdout.write;
    process.stderr.write = take as typeof process.stderr.write;
  }

  restore(): void {
    if (!this.saved) return;
    process.stdout.write = this.saved.out;
    process.stderr.write = this.saved.err;
  }

  /**
   * What a run said about a board since `from` events: its board-finished event, or else (a board that
   * failed while being read, before it had a plan) its last step-failed event.
   */
  lastFinished(serial: string, from: number): BoardEvent | undefined {
    const events = (this.byBoard.get(serial) ?? []).slice(from);
    return events.filter((e) => e.type === 'board-finished').at(-1) ?? events.filter((e) => e.type === 'step-failed').at(-1);
  }

  count(serial: string): number {
    return this.byBoard.get(serial)?.length ?? 0;
  }
}

export interface MatrixOptions {
  /** Absolute manifest path (its project is the cwd). */
  manifest: string;
  simDir: string;
  /** Extra CLI args: `--simulate`, or `--cubeprogrammer <fake>`. */
  args: string[];
  target: { fus: string; stackType: string; stackVersion: string };
  concurrency: number;
}

const serialOf = (i: number) => `FI${String(i).padStart(4, '0')}`;

/** What must hold whatever happened: what the fault cannot explain is "lost". Returns the first violation. */
export function worseThanTheFault(start: SimBoard, end: SimBoard): string | undefined {
  if (!end.fus.version || !semver.valid(end.fus.version)) return `FUS is gone (version ${String(end.fus.version)})`;
  if (semver.lt(end.fus.version, start.fus.version ?? '0.0.0')) return `FUS went down from ${start.fus.version} to ${end.fus.version}`;
  if (JSON.stringify(end.application) !== JSON.stringify(start.application)) return `the application changed: ${JSON.stringify(start.application)} -> ${JSON.stringify(end.application)}`;
  if (end.antiRollback.state !== start.antiRollback.state) return `anti-rollback changed to ${end.antiRollback.state} (the manifest says false)`;
  if (end.optionBytes.rdp !== start.optionBytes.rdp) return `RDP changed from ${start.optionBytes.rdp} to ${end.optionBytes.rdp}`;
  return undefined;
}

function atTarget(b: SimBoard, t: MatrixOptions['target']): boolean {
  return b.fus.version === t.fus && b.stack?.type === t.stackType && b.stack?.version === t.stackVersion;
}

/**
 * The power-loss outcomes ST describes for the next boot after a cut during FW_UPGRADE / FW_DELETE (community
 * threads td-p/272587 and m-p/106679): `<fault>/<outcome>`, e.g. `power-loss@install/fus-damaged`.
 */
export type PowerLossOutcome = 'resume' | 'image-corrupt' | 'ob-corrupt' | 'fus-damaged';

/**
 * Whether the simulated board models the outcomes: its schema defines them, and a power cut during a FUS
 * update armed with `fus-damaged` does leave FUS damaged at the next boot (probed on the pure model).
 */
export const OUTCOMES_MODELLED = ((): boolean => {
  if (!readFileSync(new URL('../../schemas/sim-board.schema.json', import.meta.url), 'utf8').includes('"powerLossOutcome"')) return false;
  try {
    const fus = viewImage(makeStandIn(WB5X_FUS_220()), 'stm32wb5x_FUS_fw.bin');
    const b = armFault(makeBoard({ fusVersion: '1.2.0', stack: null }), faultOf('power-loss@install/fus-damaged'));
    const r = applyAll(b, [{ op: 'stageImage', write: { address: 0x080ee000, size: fus.size, sha256: fus.sha256, name: 'stm32wb5x_FUS_fw.bin', image: fus.image } }, { op: 'fwUpgrade' }], { transport: 'usb' });
    const after = applyAll(r.board, [{ op: 'connect' }], { transport: 'usb' }).board as SimBoard & { fusDamaged?: string | null };
    return typeof after.fusDamaged === 'string' && after.fusDamaged.length > 0;
  } catch {
    return false;
  }
})();

/** Text form of a fault, with an optional `/outcome` after a power-loss point. */
export function faultOf(text: string): Fault {
  const [base, outcome] = text.split('/');
  const f = parseFault(base!);
  return outcome ? ({ ...f, outcome } as unknown as Fault) : f;
}

export function outcomeOf(fault: string): PowerLossOutcome | undefined {
  return /\/(resume|image-corrupt|ob-corrupt|fus-damaged)\b/.exec(fault)?.[1] as PowerLossOutcome | undefined;
}

async function runOne(c: FaultCase, serial: string, o: MatrixOptions, cap: Capture): Promise<CaseResult> {
  let board = makeBoard({ ...c.stage.spec, serial });
  // `a+b` arms several faults at once (e.g. an error the CLI then hides behind exit code 0).
  for (const f of c.fault.split('+')) board = armFault(board, faultOf(f));
  await writeSimulatedBoard(o.simDir, board);
  const start = board;
  const runs: CaseResult['runs'] = [];
  let fired = false;
  const t0 = Date.now();
  const done = (verdict: Verdict, why: string): CaseResult => ({ case: c, serial, verdict, runs, why, fired, ms: Date.now() - t0 });
  for (let i = 0; i < MAX_RUNS; i++) {
    const from = cap.count(serial);
    const code = await main(['node', 'copro', 'apply', o.manifest, '--yes', '--json', '--serial', serial, ...o.args]);
    const fin = cap.lastFinished(serial, from);
    runs.push({ code, result: fin?.result, error: fin?.error });
    const now = await readSimulatedBoard(o.simDir, serial);
    fired ||= c.fault.split('+').every((want) => !now.faults.some((f) => ('at' in f ? `${f.kind}@${f.at}` : describeFault(f)) === want.split('/')[0]));
    const worse = worseThanTheFault(start, now);
    if (worse) return done('lost', worse);
    if (code === EXIT.INTERNAL) return done('lost', `internal error on run ${i + 1}`);
    if (code === EXIT.OK) {
      if (!atTarget(now, o.target)) return done('lost', `exit 0 but the board shows FUS ${now.fus.version}, stack ${now.stack?.type ?? 'none'} ${now.stack?.version ?? ''}`);
      // `copro plan` reads only what costs nothing (the running stack hides the FUS version): plan from a full read.
      const snap = path.join(os.tmpdir(), `copro-fault-${process.pid}-${serial}.json`);
      const read = await main(['node', 'copro', 'status', o.manifest, '--full', '--json', '--save', snap, '--serial', serial, ...o.args.filter((a) => a !== '--yes')]);
      const replan = read !== EXIT.OK ? read : await main(['node', 'copro', 'plan', o.manifest, '--detailed-exitcode', '--json', '--state', snap]);
      if (replan !== EXIT.OK) return done('lost', `reached the target but plan --detailed-exitcode exits ${replan}`);
      return done('converged', `run ${i + 1}`);
    }
  }
  const last = runs.at(-1)!;
  const documented = ([EXIT.BOARD_FAILED, EXIT.REFUSED, EXIT.ENVIRONMENT, EXIT.INTERRUPTED] as number[]).includes(last.code);
  if (documented && last.error && last.error.length > 10) return done('diagnosed', `exit ${last.code}: ${last.error}`);
  return done('lost', `no diagnosis after ${MAX_RUNS} runs (last exit ${last.code}, ${last.result ?? 'no board result'})`);
}

export async function runMatrix(cases: readonly FaultCase[], o: MatrixOptions): Promise<CaseResult[]> {
  const cap = new Capture();
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  cap.install();
  try {
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, cases.length) }, async () => {
        while (next < cases.length) {
          const i = next++;
          results[i] = await runOne(cases[i]!, serialOf(i), o, cap);
        }
      }),
    );
  } finally {
    cap.restore();
  }
  return results;
}

export function summarize(results: readonly CaseResult[], label: string): { line: string; lost: CaseResult[]; table: string } {
  const n = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const fired = results.filter((r) => r.fired).length;
  const line = `fault injection: ${results.length} tried, ${n('converged')} converged, ${n('diagnosed')} diagnosed, ${n('lost')} lost (${label}; ${fired} faults fired)`;
  const table = results
    .map((r) => `  ${r.verdict.padEnd(9)} ${r.case.stage.name} + ${r.case.fault}${r.fired ? '' : ' (did not fire)'}: exits ${r.runs.map((x) => x.code).join(',')} in ${(r.ms / 1000).toFixed(1)} s ${r.verdict === 'converged' ? '' : r.why}`)
    .join('\n');
  return { line, lost: results.filter((r) => r.verdict === 'lost'), table };
}

/** Every fault at every step: download at the start, middle and end, install, reset, delete, USB late/gone, safeboot. */
export const BOARD_FAULTS = {
  /** Inside a FUS or stack upgrade: the download (1 %, 50 %, 99 %) and FUS's install. */
  upgrade: ['power-loss@download:1', 'power-loss@download:50', 'power-loss@download:99', 'power-loss@install', 'unplug@download:50', 'unplug@install'],
  /** Any step: the next reset, USB coming back late or not at all, corrupted option bytes at the next boot. */
  any: ['power-loss@reset', 'unplug@reset', 'usb-late:30', 'usb-late:600', 'usb-gone', 'corrupt-option-bytes'],
  delete: ['power-loss@delete', 'unplug@delete'],
} as const;

/** Power cut inside FW_UPGRADE / FW_DELETE, with each outcome ST lists for the next boot. */
export const OUTCOME_FAULTS = {
  /** A FUS update: all four outcomes, FUS damaged for good included. */
  fusUpdate: ['power-loss@install/resume', 'power-loss@install/image-corrupt', 'power-loss@install/ob-corrupt', 'power-loss@install/fus-damaged', 'unplug@install/image-corrupt'],
  /** A stack install: FUS itself is not being rewritten, so it cannot be damaged. */
  stackInstall: ['power-loss@install/resume', 'power-loss@install/image-corrupt', 'power-loss@install/ob-corrupt', 'unplug@install/ob-corrupt'],
  delete: ['power-loss@delete/resume', 'power-loss@delete/ob-corrupt'],
} as const;

/**
 * What each outcome must end as (besides lost = 0): resume and image-corrupt converge (re-run apply); option
 * bytes corrupted is diagnosed as safeboot with its recovery path; FUS damaged is diagnosed as such, with ST's
 * support as the only path, and bounded: once diagnosed, the next runs refuse instead of repeating the update.
 */
export function outcomeViolation(r: CaseResult): string | undefined {
  const outcome = outcomeOf(r.case.fault);
  if (!outcome || !r.fired) return undefined;
  const last = r.runs.at(-1)!;
  if (outcome === 'resume' || outcome === 'image-corrupt') return r.verdict === 'converged' ? undefined : `${outcome} must converge, got ${r.verdict}: ${r.why}`;
  if (r.verdict !== 'diagnosed') return `${outcome} must be diagnosed, got ${r.verdict}: ${r.why}`;
  if (outcome === 'ob-corrupt') return /safeboot/i.test(last.error ?? '') && /0x5800040C|C2BOOT/.test(last.error ?? '') ? undefined : `safeboot not diagnosed with its recovery path: ${last.error}`;
  if (!/FUS is damaged/.test(last.error ?? '') || !/ST/.test(last.error ?? '')) return `FUS damage not diagnosed: ${last.error}`;
  const firstDiagnosis = r.runs.findIndex((x) => /FUS is damaged/.test(x.error ?? ''));
  const repeated = r.runs.slice(firstDiagnosis + 1).filter((x) => x.code !== EXIT.REFUSED);
  return repeated.length ? `after the diagnosis, ${repeated.length} run(s) tried again (exits ${r.runs.map((x) => x.code).join(',')})` : undefined;
}

export const STAGES = {
  rescue1: { name: 'rescue step 1 (FUS 0.5.3 -> 1.2.0)', spec: { fusVersion: '0.5.3', stack: null, cpu2: 'fus', application: { sizeBytes: 96 * 1024 } } },
  rescue2: { name: 'rescue step 2 (FUS 1.2.0 -> 2.2.0)', spec: { fusVersion: '1.2.0', stack: null, cpu2: 'fus', application: { sizeBytes: 96 * 1024 } } },
  rescue3: { name: 'rescue step 3 (install BLE_Stack_full 1.24.0)', spec: { fusVersion: '2.2.0', stack: null, cpu2: 'fus', application: { sizeBytes: 96 * 1024 } } },
  upgrade1: { name: 'upgrade step 1 (start FUS, stack 1.13.0 running)', spec: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'stack', application: { sizeBytes: 96 * 1024 } } },
  upgrade2: { name: 'upgrade step 2 (delete stack 1.13.0)', spec: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, cpu2: 'fus', application: { sizeBytes: 96 * 1024 } } },
} satisfies Record<string, Stage>;
