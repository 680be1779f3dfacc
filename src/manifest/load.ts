/**
 * Loading a manifest: text -> YAML -> schema -> meaning -> files, every problem reported at once with
 * its file:line:column. `parseManifest` is pure; `loadManifest` adds the reads (the manifest itself and
 * the existence of the files it names).
 */
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CoproManifest } from '../generated/manifest.js';
import { validatorFor } from '../schemas.js';
import { hex, parseHex } from '../domain/hex.js';
import { byPosition, ManifestError, type ManifestIssue } from './issues.js';
import { displayPath, schemaIssues, type PointedIssue } from './schema-issues.js';
import { isInside, semanticIssues, type FileRef } from './semantic.js';
import {
  MAX_MANIFEST_BYTES,
  LineIndex,
  parsePointer,
  positionOfPointer,
  readYaml,
  stripBom,
  type ParsedSource,
  type Position,
  type RawIssue,
} from './yaml-source.js';

/** The manifest as written (validated). Generated from schemas/manifest.schema.json. */
export type Manifest = CoproManifest;

export interface LoadedManifest {
  /** The manifest's path: absolute from loadManifest, as given to parseManifest. */
  file: string;
  /** Paths in the manifest must resolve inside this folder. */
  projectRoot: string;
  manifest: Manifest;
  /** Problems that do not stop the load (ignored settings, unusual spellings). */
  warnings: ManifestIssue[];
  /** Where a JSON pointer (`/stack/version`) is written, so later messages (planner refusals) can point at it. */
  locate(pointer: string): Position;
}

export interface ParseOptions {
  /** Default: the manifest's folder. */
  projectRoot?: string;
}

/** More than this many issues are summarised: the first ones are what needs fixing first. */
const MAX_ISSUES = 25;

interface Analysis {
  source: ParsedSource;
  errors: RawIssue[];
  warnings: RawIssue[];
  manifest?: Manifest;
  files: FileRef[];
  manifestDir: string;
  projectRoot: string;
}

function analyze(text: string, fileName: string, opts: ParseOptions): Analysis {
  const manifestDir = path.dirname(path.resolve(fileName));
  const projectRoot = path.resolve(opts.projectRoot ?? manifestDir);
  const source = readYaml(text);
  const base = { source, manifestDir, projectRoot, files: [] as FileRef[] };
  if (source.issues.length > 0 || source.value === undefined) return { ...base, errors: source.issues, warnings: [] };

  const data = source.value;
  const validate = validatorFor<Manifest>('manifest');
  const valid = validate(data);
  const fromSchema = valid ? [] : schemaIssues(validate.errors ?? [], data);
  const reported = new Set(fromSchema.map((i) => i.pointer.join('/')));
  const semantic = semanticIssues(data, { manifestDir, projectRoot });
  // One message per value: a device the pattern already rejected needs no second "unknown device".
  const fromMeaning = semantic.issues.filter((i) => !reported.has(i.pointer.join('/')));

  const place = (i: PointedIssue): RawIssue => {
    const pos = positionOfPointer(source, i.pointer, i.anchor);
    const related = i.related ? ` (first at line ${positionOfPointer(source, i.related, 'value').line})` : '';
    return { ...pos, code: i.code, message: i.message + related, ...(i.hint ? { hint: i.hint } : {}) };
  };
  const all = [...fromSchema, ...fromMeaning];
  const errors = all.filter((i) => i.severity !== 'warning').map(place);
  const warnings = all.filter((i) => i.severity === 'warning').map(place);
  return { ...base, errors, warnings, files: semantic.files, ...(errors.length === 0 ? { manifest: data as Manifest } : {}) };
}

function toIssues(file: string, raw: readonly RawIssue[]): ManifestIssue[] {
  const sorted = raw.map((r) => ({ file, ...r })).sort(byPosition);
  if (sorted.length <= MAX_ISSUES) return sorted;
  const shown = sorted.slice(0, MAX_ISSUES);
  const last = sorted[MAX_ISSUES]!;
  shown.push({ file, line: last.line, column: last.column, code: 'too-many-issues', message: `${sorted.length - MAX_ISSUES} more issues not shown; fix the ones above first` });
  return shown;
}

function finish(a: Analysis, file: string, extraErrors: readonly RawIssue[] = []): LoadedManifest {
  const errors = [...a.errors, ...extraErrors];
  if (errors.length > 0 || !a.manifest) throw new ManifestError(toIssues(file, errors));
  const source = a.source;
  return {
    file,
    projectRoot: a.projectRoot,
    manifest: a.manifest,
    warnings: toIssues(file, a.warnings),
    locate: (pointer: string) => positionOfPointer(source, parsePointer(pointer), 'value'),
  };
}

/**
 * Parses and checks manifest text without touching the file system (files it names are checked for
 * staying inside the project, not for existing). Throws ManifestError listing every problem.
 */
export function parseManifest(text: string, fileName: string, opts: ParseOptions = {}): LoadedManifest {
  return finish(analyze(text, fileName, opts), fileName);
}

/** How the file is named in messages: relative to the working folder when inside it, like a compiler. */
function displayName(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}

async function readText(absolute: string, shown: string): Promise<string> {
  const fail = (code: ManifestIssue['code'], message: string, hint?: string, pos: Position = { line: 1, column: 1 }): never => {
    throw new ManifestError([{ file: shown, ...pos, code, message, ...(hint ? { hint } : {}) }]);
  };
  let info;
  try {
    info = await stat(absolute);
  } catch (e) {
    return fail('file-unreadable', `cannot read the manifest: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!info.isFile()) return fail('file-unreadable', 'the manifest path is not a file');
  // Checked before reading: a multi-gigabyte file must not be read into memory.
  if (info.size > MAX_MANIFEST_BYTES) return fail('too-large', `the manifest is ${info.size} bytes; the limit is ${MAX_MANIFEST_BYTES} (1 MiB)`, 'a manifest is a short YAML file; is this the right file?');
  let bytes: Buffer;
  try {
    const handle = await open(absolute, 'r');
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    // Permissions, a file that vanished, an I/O error: input the user can fix, never an internal error.
    const code = (e as NodeJS.ErrnoException).code;
    return fail('file-unreadable', `cannot read the manifest (${code ?? (e as Error).message})`, code === 'EACCES' ? 'check the file\'s permissions' : undefined);
  }
  if (bytes.length > MAX_MANIFEST_BYTES) return fail('too-large', `the manifest is over ${MAX_MANIFEST_BYTES} bytes (1 MiB)`);
  const nul = bytes.indexOf(0);
  try {
    if (nul !== -1) throw new Error('NUL');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Point at the first bad byte: decode the valid prefix to count lines and columns.
    const lossy = stripBom(new TextDecoder('utf-8').decode(bytes));
    const bad = nul !== -1 ? lossy.indexOf('\0') : lossy.indexOf('\uFFFD');
    const pos = new LineIndex(lossy).position(Math.max(0, bad));
    return nul !== -1
      ? fail('binary', 'the file contains a NUL byte: this is binary data, not a YAML manifest', 'pass the manifest (.yaml), not an image (.bin)', pos)
      : fail('binary', 'the file is not UTF-8 text', 'save the manifest as UTF-8', pos);
  }
}

/** The checks that need the file system: named files exist, stay inside the project through symlinks, and fit. */
async function fileIssues(a: Analysis, manifest: unknown): Promise<RawIssue[]> {
  const issues: RawIssue[] = [];
  const rootReal = await realpath(a.projectRoot).catch(() => a.projectRoot);
  for (const ref of a.files) {
    const pos = positionOfPointer(a.source, ref.pointer, 'value');
    const shown = displayPath(ref.pointer);
    const info = await stat(ref.absolute).catch(() => undefined);
    // A missing images.dir is where `copro fetch` will put the images (it creates it): not an error.
    if (!info && ref.kind === 'dir') continue;
    if (!info) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} does not exist`, hint: 'paths are relative to the manifest' });
      continue;
    }
    if (ref.kind === 'file' && !info.isFile()) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} is not a file` });
      continue;
    }
    if (ref.kind === 'dir' && !info.isDirectory()) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} is not a folder` });
      continue;
    }
    const real = await realpath(ref.absolute).catch(() => ref.absolute);
    if (!isInside(rootReal, real)) {
      issues.push({ ...pos, code: 'path-outside-project', message: `${shown}: ${ref.absolute} is a link to ${real}, outside the project (${rootReal})`, hint: 'copy the file into the project' });
      continue;
    }
    if (ref.pointer.join('/') === 'application/file') issues.push(...applicationFits(a, manifest, info.size));
  }
  return issues;
}

function applicationFits(a: Analysis, manifest: unknown, size: number): RawIssue[] {
  const app = (manifest as { application?: { address?: unknown; end?: unknown } }).application;
  if (typeof app !== 'object' || app === null || typeof app.end !== 'string') return [];
  const start = parseHex(typeof app.address === 'string' ? app.address : '0x08000000');
  const end = parseHex(app.end);
  if (start === undefined || end === undefined || end <= start || size <= end - start) return [];
  const pos = positionOfPointer(a.source, ['application', 'file'], 'value');
  return [{ ...pos, code: 'bad-region', message: `application.file is ${size} bytes but the application region ${hex(start)}..${hex(end)} holds ${end - start}`, hint: 'raise application.end (the stack must still fit above it) or check the file' }];
}

/**
 * Reads, parses and checks a manifest file. Throws ManifestError (every problem, with positions) when it
 * cannot be used; never exits (the CLI maps the error to an exit code).
 */
export async function loadManifest(file: string, opts: ParseOptions = {}): Promise<LoadedManifest> {
  const absolute = path.resolve(file);
  const shown = displayName(absolute);
  const text = await readText(absolute, shown);
  const a = analyze(text, absolute, opts);
  const extra = a.source.value !== undefined ? await fileIssues(a, a.source.value) : [];
  const loaded = finish(a, shown, extra);
  return { ...loaded, file: absolute };
}
