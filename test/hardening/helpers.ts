/**
 * Hardening test helpers: throw-away projects (a temp folder with a package.json, so it is its own project
 * root), the CLI run in process (stdout/stderr captured) or spawned from the build, and views of a
 * simulated board to tell "untouched" from "changed".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { makeBoard, writeSimulatedBoard, armFault, parseFault, boardFile, type BoardSpec } from '../../src/drivers/simulator/index.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { loadCatalog, makeStandIn, currentName, type CatalogImage } from '../../src/images/index.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin', 'copro.js');
export const FAKE_CLI = path.join(REPO, 'test', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');
export const SERIAL = '207F38933036';

export interface Project {
  root: string;
  simDir: string;
  /** Writes a file under the project (creating folders); returns its absolute path. */
  write(rel: string, content: string | Uint8Array): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeProject(prefix = 'copro-hardening-'): Promise<Project> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  await writeFile(path.join(root, 'package.json'), '{ "name": "hardening-fixture", "private": true }\n');
  const simDir = path.join(root, 'sim');
  await mkdir(simDir, { recursive: true });
  return {
    root,
    simDir,
    async write(rel, content) {
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** The quick-start target: FUS 2.2.0 + BLE_Stack_full 1.24.0 on a NUCLEO-WB55 over USB DFU. */
export function manifestText(o: { driver?: 'simulator' | 'cubeprogrammer'; fus?: string; stack?: string; images?: string; extra?: string } = {}): string {
  return [
    'version: 1',
    'device: STM32WB55RG',
    `fus: ${o.fus ?? '2.2.0'}`,
    o.stack === 'none' ? 'stack: none' : `stack:\n  type: BLE_Stack_full\n  version: ${o.stack ?? '1.24.0'}`,
    o.images ?? 'images:\n  release: v1.24.0',
    `connection:\n  driver: ${o.driver ?? 'simulator'}\n  port: usb1\n  timeoutSeconds: 10`,
    'policy:\n  fusUpgrade: allow\n  antiRollback: false',
    o.extra ?? '',
  ].join('\n');
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `copro <args>` in this process (vitest runs each file in its own forked process, so chdir and env
 * changes stay in this file). Not re-entrant for stdout attribution: concurrent calls share the capture.
 */
export async function runCli(args: string[], o: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const restoreEnv = setEnv(o.env ?? {});
  const cwd = process.cwd();
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.chdir(o.cwd);
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'copro', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.chdir(cwd);
    restoreEnv();
  }
}

function setEnv(env: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  /** Resolves when stdout+stderr so far match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** Spawns the built CLI (`npm run build` first). */
export function spawnCli(args: string[], o: { cwd: string; env?: Record<string, string> }): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: { ...process.env, NO_COLOR: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.re.test(stdout + stderr)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
  return {
    child,
    done,
    waitFor: (re, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${stdout}\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
        check();
      }),
  };
}

/** The board's file, byte for byte (to prove a run did not touch it). */
export function boardBytes(simDir: string, serial = SERIAL): Promise<string> {
  return readFile(boardFile(simDir, serial), 'utf8');
}

export async function readBoard(simDir: string, serial = SERIAL): Promise<SimBoard> {
  return JSON.parse(await boardBytes(simDir, serial)) as SimBoard;
}

/**
 * What a board *is*, without what merely looking at it changes (its clock, connection counters, when USB is
 * back). A read-only command may change only those; a refused run must leave this identical.
 */
export function essence(b: SimBoard): unknown {
  const { counters: _c, clock: _k, usbAvailableAtMs: _u, fus, ...rest } = b;
  const { consecutiveGetState: _g, ...fusRest } = fus;
  return { ...rest, fus: fusRest };
}

/** Writes a board built from a spec, with faults armed (text form, e.g. `power-loss@download:50`). */
export async function putBoard(simDir: string, spec: BoardSpec, faults: string[] = []): Promise<SimBoard> {
  let b = makeBoard({ serial: SERIAL, ...spec });
  for (const f of faults) b = armFault(b, parseFault(f));
  await writeSimulatedBoard(simDir, b);
  return b;
}

/** The catalog record of an ST image. */
export function catalogRecord(pred: (r: CatalogImage) => boolean, what: string): CatalogImage {
  const r = loadCatalog().images.find(pred);
  if (!r) throw new Error(`no catalog image: ${what}`);
  return r;
}

export const WB5X_FUS_220 = () => catalogRecord((r) => r.kind === 'fus' && r.version === '2.2.0' && r.families.includes('STM32WB5x'), 'WB5x FUS 2.2.0');
export const WB5X_FUS_120_FOR_053 = () => catalogRecord((r) => r.kind === 'fus' && r.version === '1.2.0' && r.names.some((n) => /for_fus_0_5_3/.test(n)), 'FUS 1.2.0 for 0.5.3');
export const WB5X_BLE_FULL_124 = () =>
  catalogRecord((r) => r.kind === 'stack' && r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'WB5x BLE_Stack_full 1.24.0');

/** Writes the stand-in of a catalog image into the project under `rel` (default: binaries/<ST name>). */
export async function writeStandIn(p: Project, r: CatalogImage, rel?: string, mutate?: (b: Uint8Array) => Uint8Array): Promise<string> {
  const bytes = makeStandIn(r);
  return p.write(rel ?? path.join('binaries', currentName(r)), mutate ? mutate(bytes) : bytes);
}
