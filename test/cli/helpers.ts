/**
 * CLI end-to-end helpers: a throw-away project (a temp folder with a package.json, so it is the project
 * root for manifest paths and holds `.copro/` and `copro.lock`), the BUILT CLI spawned with execa
 * (`npm test` builds first), views of the simulated boards, and small checks (ANSI, NDJSON, XML).
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sim from '../../src/drivers/simulator/index.js';
import type { SimBoard } from '../../src/generated/sim-board.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'copro.js');
export const FAKE_CLI = path.join(ROOT, 'test', 'fake-cubeprogrammer', 'STM32_Programmer_CLI');
export const QUICK_START = 'nucleo-wb55-ble.yaml';

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for messages whose stream is not the point of the test. */
  all: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * The environment every spawned CLI gets: the parent's, minus what would change copro's output
 * (colour forcing, CI detection, a caller's COPRO_*), plus a private simulator folder and a fast clock.
 */
export function baseEnv(simDir: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith('COPRO_') || k === 'FORCE_COLOR' || k === 'NO_COLOR' || k === 'CI' || k === 'STM32_PRG_PATH') continue;
    env[k] = v;
  }
  Object.assign(env, { COPRO_SIM_DIR: simDir, COPRO_SIM_SPEED: process.env.COPRO_SIM_SPEED ?? '1000', NO_COLOR: '1' });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Project {
  dir: string;
  simDir: string;
  /** Runs `node bin/copro.js <args>` in the project (stdin is an empty pipe: never a TTY). */
  copro(args: string[], o?: RunOptions): Promise<Run>;
  /** Copies a manifest from manifests/ into the project; returns its file name (relative to the project). */
  useManifest(name: string, edit?: (text: string) => string, as?: string): Promise<string>;
  write(rel: string, content: string): Promise<string>;
  boards(): Promise<string[]>;
  board(serial: string): Promise<SimBoard>;
  boardBytes(serial: string): Promise<string>;
  /** Resets one simulated board to the factory rescue state (FUS 0.5.3, no stack); returns its serial. */
  resetBoard(serial?: string): Promise<string>;
  arm(serial: string, fault: string): Promise<void>;
}

const made: string[] = [];

/** Removes the projects this test file made (set COPRO_KEEP_TEST_DIRS=1 to keep them for a post-mortem). */
export async function removeProjects(): Promise<void> {
  if (process.env.COPRO_KEEP_TEST_DIRS === '1') return;
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function makeProject(): Promise<Project> {
  const dir = await mkdtemp(path.join(tmpdir(), 'copro-cli-'));
  made.push(dir);
  await writeFile(path.join(dir, 'package.json'), '{ "name": "copro-cli-e2e", "private": true }\n');
  const simDir = path.join(dir, 'sim');
  const p: Project = {
    dir,
    simDir,
    async copro(args, o = {}) {
      const r = await execa('node', [BIN, ...args], {
        cwd: dir,
        env: baseEnv(simDir, o.env),
        extendEnv: false,
        reject: false,
        input: '',
        timeout: o.timeoutMs ?? 30_000,
      });
      const stdout = String(r.stdout ?? '');
      const stderr = String(r.stderr ?? '');
      return { exitCode: r.exitCode ?? -1, stdout, stderr, all: `${stdout}\n${stderr}` };
    },
    async useManifest(name, edit = (t) => t, as = path.basename(name)) {
      const text = await readFile(path.join(ROOT, 'manifests', name), 'utf8');
      const out = as;
      await writeFile(path.join(dir, out), edit(text));
      return out;
    },
    async write(rel, content) {
      const file = path.join(dir, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    boards: () => sim.listSimulatedBoards(simDir),
    board: (serial) => sim.readSimulatedBoard(simDir, serial),
    boardBytes: (serial) => readFile(sim.boardFile(simDir, serial), 'utf8'),
    resetBoard: (serial) => sim.resetBoard(simDir, undefined, serial),
    async arm(serial, fault) {
      const b = await sim.readSimulatedBoard(simDir, serial);
      await sim.writeSimulatedBoard(simDir, sim.armFault(b, sim.parseFault(fault)));
    },
  };
  return p;
}

/**
 * "Nothing left to do?" asked the way the read-only rule allows: `copro plan` reads only what costs nothing (a
 * board whose stack runs cannot tell its FUS version that way), so read fully with `copro status --full --save`
 * and plan from that snapshot. Returns the `plan --state ... --detailed-exitcode` run.
 */
export async function planFromFullRead(p: Project, manifest: string, args: string[], o?: RunOptions): Promise<Run> {
  const snap = `full-read-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`;
  const status = await p.copro(['status', manifest, ...args, '--full', '--save', snap], o);
  if (status.exitCode !== 0) return status;
  return p.copro(['plan', manifest, '--state', snap, '--detailed-exitcode'], o);
}

/** The quick-start target, as the simulated board's own JSON holds it. */
export function atQuickStartTarget(b: SimBoard): boolean {
  return b.fus.version === '2.2.0' && b.stack?.type === 'BLE_Stack_full' && b.stack.version === '1.24.0' && b.stack.address === 0x080d0000 && b.cpu2 === 'stack';
}

/** A lock file as another live copro would leave it (the pid is this test process: alive, same host). */
export async function holdLock(project: Project, serial: string): Promise<string> {
  // A simulated board's lock lives with the board (src/cli/session.ts lockDir).
  await mkdir(path.join(project.simDir, '.locks'), { recursive: true });
  const file = path.join(project.simDir, '.locks', `${serial}.lock`);
  await writeFile(file, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), command: 'apply held-by-test.yaml' }));
  return file;
}

export const ESC = '\u001b';

/** Drops CSI escape sequences (colours, cursor moves) and carriage returns, to read what a terminal shows. */
export function stripAnsi(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r') continue;
    if (c === ESC && s[i + 1] === '[') {
      i += 2;
      while (i < s.length && !(s[i]! >= '@' && s[i]! <= '~')) i++;
      continue;
    }
    out += c;
  }
  return out;
}

export function parseNdjson(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

/** Single-quotes a word for `sh -c` (used to run the CLI under `script` for a pseudo-TTY). */
export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A deliberately small XML well-formedness check (no XML dependency in the project): one prolog, tags
 * balanced and properly nested, attributes quoted and unique, `&` only in the five predefined entities
 * or character references, no `<` in text. Throws with the offset on the first problem; returns the root.
 */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${why} (near ${JSON.stringify(xml.slice(Math.max(0, i - 40), i + 40))})`);
  };
  const isNameChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_' || c === '-' || c === '.' || c === ':';
  const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';
  const checkEntities = (s: string) => {
    let at = s.indexOf('&');
    while (at >= 0) {
      const end = s.indexOf(';', at);
      const ent = end < 0 ? '' : s.slice(at + 1, end);
      const ok = ['amp', 'lt', 'gt', 'quot', 'apos'].includes(ent) || (ent.startsWith('#') && ent.length > 1);
      if (!ok) fail(`bad entity reference ${JSON.stringify(s.slice(at, at + 10))}`);
      at = s.indexOf('&', at + 1);
    }
  };
  const readName = () => {
    const start = i;
    while (i < xml.length && isNameChar(xml[i]!)) i++;
    if (i === start) fail('expected a name');
    return xml.slice(start, i);
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated prolog');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    checkEntities(text);
    if (text.includes('>')) fail('">" in text');
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root element');
    if (stack.length) stack[stack.length - 1]!.text += decodeEntities(text);
    if (lt < 0) break;
    i = lt + 1;
    if (xml[i] === '/') {
      i++;
      const name = readName();
      while (isSpace(xml[i])) i++;
      if (xml[i] !== '>') fail('expected ">" after a closing tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`closing </${name}> does not match <${open?.name ?? '(none)'}>`);
      continue;
    }
    const parent = stack[stack.length - 1];
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    if (parent) parent.children.push(el);
    else if (!root) root = el;
    else fail('a second root element');
    for (;;) {
      while (isSpace(xml[i])) i++;
      if (xml[i] === '/' && xml[i + 1] === '>') {
        i += 2;
        break;
      }
      if (xml[i] === '>') {
        i++;
        stack.push(el);
        break;
      }
      const attr = readName();
      if (xml[i] !== '=' || xml[i + 1] !== '"') fail(`attribute ${attr} is not name="value"`);
      i += 2;
      const end = xml.indexOf('"', i);
      if (end < 0) fail('unterminated attribute value');
      const value = xml.slice(i, end);
      if (value.includes('<')) fail(`"<" in attribute ${attr}`);
      checkEntities(value);
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = decodeEntities(value);
      i = end + 1;
      if (!isSpace(xml[i]) && xml[i] !== '/' && xml[i] !== '>') fail('attributes must be separated by space');
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}
