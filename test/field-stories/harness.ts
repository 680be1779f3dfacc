/**
 * Field stories: each real failure of the field (the P1..P64 reports gathered for this project) replayed
 * against copro. A story sets the simulated board up as the report describes, does what the user did
 * (through `copro` in process: the simulator driver, or the real CubeProgrammer driver through the fake
 * STM32_Programmer_CLI when the story is about the tool), and the judge classifies what happened:
 *
 *   prevented     copro refused before touching the board (documented exit code, board unchanged),
 *                 with the reason the report needs;
 *   reproduced    the simulated board failed as the chip did, and copro's diagnosis (apply's message or
 *                 `copro doctor`) names the cause and the remedy;
 *   handled       copro converged: a run exits 0, the board is where the manifest says, and
 *                 a plan from a full read (`status --full --save`, `plan --state`) has nothing to do;
 *   not-testable  the report is about something no simulated board can show (a documented reason);
 *   missed        anything else, including a story whose outcome is not the one it expects.
 */
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBoard, writeSimulatedBoard, armFault, parseFault, type BoardSpec } from '../../src/drivers/simulator/index.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { FAKE_CLI, SERIAL, essence, runCli, type CliRun } from '../hardening/helpers.js';

export type Outcome = 'prevented' | 'reproduced' | 'handled' | 'not-testable';
export type Verdict = { outcome: Outcome | 'missed'; why: string };

export interface ManifestOptions {
  device?: string;
  fus?: string;
  /** `none`, or `<type> <version>`; absent: BLE_Stack_full 1.24.0. `keep`: no stack key at all. */
  stack?: string;
  release?: string;
  images?: string;
  port?: string;
  driver?: 'simulator' | 'cubeprogrammer';
  policy?: string[];
  extra?: string;
}

export interface Ctx {
  root: string;
  simDir: string;
  manifest: string;
  /** The manifest's connection.port. */
  port: string;
  /** The board as the story set it up. */
  before: SimBoard;
  /** `copro <args>` with the story's driver arguments appended. */
  copro(args: string[], env?: Record<string, string>): Promise<CliRun>;
  board(): Promise<SimBoard>;
  write(rel: string, content: string | Uint8Array): Promise<string>;
}

export interface Story {
  id: string;
  /** What happened in the field, in one line. */
  title: string;
  expect: Outcome;
  /** not-testable: why. */
  reason?: string;
  /** A simulator behaviour the story needs that is not modelled yet: while it is missing, the story counts as missed (with this reason) without failing the run. */
  blockedBy?: string;
  board?: BoardSpec;
  /** Changes to the board beyond what a BoardSpec describes (option bytes drifted, a stale image...). */
  mutate?: (b: SimBoard) => SimBoard;
  faults?: string[];
  manifest?: ManifestOptions;
  /** `cli`: the real CubeProgrammer driver through the fake STM32_Programmer_CLI. */
  driver?: 'sim' | 'cli';
  env?: Record<string, string>;
  run?: (ctx: Ctx) => Promise<Verdict>;
}

export function manifestText(o: ManifestOptions = {}): string {
  const stack = o.stack ?? 'BLE_Stack_full 1.24.0';
  const [type, version] = stack.split(' ');
  return [
    'version: 1',
    `device: ${o.device ?? 'STM32WB55RG'}`,
    `fus: ${o.fus ?? '2.2.0'}`,
    stack === 'keep' ? '' : stack === 'none' ? 'stack: none' : `stack:\n  type: ${type}\n  version: ${version}`,
    o.images ?? `images:\n  release: ${o.release ?? 'v1.24.0'}`,
    `connection:\n  driver: ${o.driver ?? 'simulator'}\n  port: ${o.port ?? 'usb1'}\n  timeoutSeconds: 10`,
    `policy:\n  fusUpgrade: allow\n${(o.policy ?? []).map((l) => `  ${l}\n`).join('')}`,
    o.extra ?? '',
  ].join('\n');
}

const CLI_ENV = { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };

export async function runStory(s: Story): Promise<Verdict> {
  if (s.expect === 'not-testable') return { outcome: 'not-testable', why: s.reason ?? '(no reason given)' };
  const root = await mkdtemp(path.join(tmpdir(), `copro-story-${s.id}-`));
  try {
    await writeFile(path.join(root, 'package.json'), '{ "name": "field-story", "private": true }\n');
    const simDir = path.join(root, 'sim');
    await mkdir(simDir, { recursive: true });
    let b = makeBoard({ serial: SERIAL, ...s.board });
    if (s.mutate) b = s.mutate(b);
    for (const f of s.faults ?? []) b = armFault(b, parseFault(f));
    await writeSimulatedBoard(simDir, b);
    const manifest = path.join(root, 'copro.yaml');
    await writeFile(manifest, manifestText({ ...s.manifest, driver: s.driver === 'cli' ? 'cubeprogrammer' : 'simulator' }));
    const driverArgs = s.driver === 'cli' ? ['--cubeprogrammer', FAKE_CLI] : ['--simulate'];
    const env = { COPRO_SIM_DIR: simDir, ...(s.driver === 'cli' ? CLI_ENV : {}), ...s.env };
    const ctx: Ctx = {
      root,
      simDir,
      manifest,
      port: s.manifest?.port ?? 'usb1',
      before: b,
      copro: (args, extra) => runCli([...args, ...(args[0] === 'identify' ? [] : driverArgs), '--no-color'], { cwd: root, env: { ...env, ...extra } }),
      board: async () => JSON.parse(await readFile(path.join(simDir, `${SERIAL}.json`), 'utf8')) as SimBoard,
      write: async (rel, content) => {
        const f = path.join(root, rel);
        await mkdir(path.dirname(f), { recursive: true });
        await writeFile(f, content);
        return f;
      },
    };
    return await (s.run ?? defaultRun(s))(ctx);
  } catch (e) {
    return { outcome: 'missed', why: `the story threw: ${(e as Error).stack ?? String(e)}` };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function defaultRun(s: Story): (ctx: Ctx) => Promise<Verdict> {
  if (s.expect === 'handled') return (ctx) => converges(ctx);
  throw new Error(`story ${s.id} expects ${s.expect} but has no run()`);
}

const out = (r: CliRun) => `${r.stdout}\n${r.stderr}`;
const short = (r: CliRun) => out(r).replace(/\s+/g, ' ').slice(-600);

/** The target of the default manifest (or the given one) is on the board, and the stack runs. */
export function atTarget(b: SimBoard, fus = '2.2.0', stack = 'BLE_Stack_full 1.24.0'): string | undefined {
  const [type, version] = stack.split(' ');
  if (b.fus.version !== fus) return `FUS ${b.fus.version}, not ${fus}`;
  if (stack === 'none') return b.stack ? `a stack is installed (${b.stack.type} ${b.stack.version})` : undefined;
  if (b.stack?.type !== type || b.stack?.version !== version) return `stack ${b.stack?.type ?? 'none'} ${b.stack?.version ?? ''}, not ${stack}`;
  if (b.cpu2 !== 'stack') return `CPU2 runs ${b.cpu2}, not the stack`;
  return undefined;
}

/**
 * handled: `apply` (re-run up to `runs` times, as a person would after a failure) exits 0, the board is at
 * the target, `plan --detailed-exitcode` then exits 0, and `check` holds.
 */
export async function converges(
  ctx: Ctx,
  o: { runs?: number; fus?: string; stack?: string; args?: string[]; check?: (b: SimBoard, runs: CliRun[]) => string | undefined | Promise<string | undefined> } = {},
): Promise<Verdict> {
  const runs: CliRun[] = [];
  for (let i = 0; i < (o.runs ?? 1); i++) {
    const r = await ctx.copro(['apply', ctx.manifest, '--yes', ...(o.args ?? [])]);
    runs.push(r);
    if (r.code === EXIT.OK) break;
  }
  const last = runs.at(-1)!;
  if (last.code !== EXIT.OK) return { outcome: 'missed', why: `apply exits ${runs.map((r) => r.code).join(',')}: ${short(last)}` };
  const b = await ctx.board();
  const off = atTarget(b, o.fus, o.stack);
  if (off) return { outcome: 'missed', why: `apply exited 0 but ${off}` };
  if (ctx.port === 'swd') {
    // Over SWD a re-plan would read FUS again, i.e. run CubeProgrammer's FUS operator, which overwrites the
    // application and clears nSWboot0 again (P27, P47): the board itself is checked instead, with what the
    // operator would have left behind.
    const ob = b.optionBytes;
    if (ob.nSWboot0 !== 1 || ob.nBOOT0 !== 1 || ob.nBOOT1 !== 1) return { outcome: 'missed', why: `over SWD, the option bytes were left nSWboot0=${ob.nSWboot0} nBOOT0=${ob.nBOOT0} nBOOT1=${ob.nBOOT1}` };
    if (b.application.clobberedByFusOperator || b.application.overwritten) return { outcome: 'missed', why: 'over SWD, the application was left overwritten' };
  } else {
    // plan reads only what is free (a running stack's version is not, through CubeProgrammer): read fully
    // with status --full, then plan from that snapshot, as the README says to.
    const snap = path.join(await mkdtemp(path.join(tmpdir(), 'copro-story-snap-')), 'board.json');
    const read = await ctx.copro(['status', ctx.manifest, '--full', '--save', snap, ...(o.args ?? []).filter((a) => a !== '--yes')]);
    if (read.code !== EXIT.OK) return { outcome: 'missed', why: `converged, but status --full exits ${read.code}: ${short(read)}` };
    const again = await ctx.copro(['plan', ctx.manifest, '--detailed-exitcode', '--state', snap]);
    if (again.code !== EXIT.OK) return { outcome: 'missed', why: `converged, but plan --detailed-exitcode exits ${again.code}: ${short(again)}` };
  }
  const bad = await o.check?.(await ctx.board(), runs);
  if (bad) return { outcome: 'missed', why: bad };
  return { outcome: 'handled', why: `converged in ${runs.length} run(s)` };
}

/** prevented: the command exits with `code` (a refusal or invalid input), says `why`, and the board is as it was. */
export async function refuses(ctx: Ctx, args: string[], o: { code: number; why: RegExp[]; env?: Record<string, string>; swdReadEffects?: boolean }): Promise<Verdict> {
  const r = await ctx.copro(args, o.env);
  if (r.code !== o.code) return { outcome: 'missed', why: `exit ${r.code}, expected ${o.code}: ${short(r)}` };
  const missing = o.why.filter((re) => !re.test(out(r)));
  if (missing.length) return { outcome: 'missed', why: `refused, but the message lacks ${missing.join(', ')}: ${short(r)}` };
  const after = await ctx.board();
  // A connection under reset (SWD mode=UR) clears SRAM2a: a connection, not a change.
  const view = (b: SimBoard) => ({ ...(o.swdReadEffects ? withoutSwdReadEffects(b) : b), sram2aCleared: false });
  if (JSON.stringify(essence(view(after))) !== JSON.stringify(essence(view(ctx.before)))) return { outcome: 'missed', why: 'refused, but the board changed' };
  return { outcome: 'prevented', why: `exit ${r.code}: ${missing.length === 0 ? o.why.map(String).join(' ') : ''}` };
}

/**
 * What reading a board over SWD does by itself (CubeProgrammer's FUS operator at 0x08000000, nSWboot0=0,
 * CPU2 switched to FUS and back): not an install, delete or option-byte change of copro's.
 */
function withoutSwdReadEffects(b: SimBoard): SimBoard {
  const { nSWboot0: _a, nBOOT0: _b, nBOOT1: _c, ...ob } = b.optionBytes;
  return { ...b, optionBytes: ob as SimBoard['optionBytes'], fusOperator: { inFlash: false, sram1: null }, application: { ...b.application, clobberedByFusOperator: false }, cpu2: 'stack', notes: [] };
}

/**
 * reproduced: `apply` fails (exit 1 or 3), the board is in the state the chip was in (`board` says what
 * is wrong with it, undefined when it is as the report says), and the diagnosis (apply's output, then
 * `copro doctor`) names the cause and the remedy. A second apply must not repeat a failing run forever:
 * it stops with the same diagnosis.
 */
export async function reproduces(
  ctx: Ctx,
  o: { board: (b: SimBoard) => string | undefined; cause: RegExp; remedy: RegExp; via?: 'apply' | 'doctor' | 'either'; runs?: number },
): Promise<Verdict> {
  const runs: CliRun[] = [];
  for (let i = 0; i < (o.runs ?? 2); i++) runs.push(await ctx.copro(['apply', ctx.manifest, '--yes']));
  const bad = runs.find((r) => r.code !== EXIT.BOARD_FAILED && r.code !== EXIT.REFUSED);
  if (bad) return { outcome: 'missed', why: `apply exits ${runs.map((r) => r.code).join(',')}: expected a failure or refusal: ${short(bad)}` };
  const wrong = o.board(await ctx.board());
  if (wrong) return { outcome: 'missed', why: `the board is not as the report says: ${wrong}` };
  const last = runs.at(-1)!;
  const doctor = await ctx.copro(['doctor']);
  const said = { apply: out(last), doctor: out(doctor) };
  const texts = o.via === 'apply' ? [said.apply] : o.via === 'doctor' ? [said.doctor] : [said.apply, said.doctor];
  const named = texts.some((t) => o.cause.test(t) && o.remedy.test(t));
  if (!named) return { outcome: 'missed', why: `no diagnosis naming ${o.cause} and ${o.remedy}: apply said ${short(last)} / doctor said ${short(doctor)}` };
  return { outcome: 'reproduced', why: `exits ${runs.map((r) => r.code).join(',')}; diagnosis names ${o.cause}` };
}

export function summaryLine(results: readonly { story: Story; verdict: Verdict }[]): string {
  const n = (o: Verdict['outcome']) => results.filter((r) => r.verdict.outcome === o).length;
  return `field stories: ${results.length} total, ${n('prevented')} prevented, ${n('reproduced')} reproduced, ${n('handled')} handled, ${n('not-testable')} not testable, ${n('missed')} missed`;
}
