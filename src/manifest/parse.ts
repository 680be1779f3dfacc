/**
 * Parsing a manifest: text -> YAML -> schema -> meaning, every problem reported at once with its
 * file:line:column. Pure and without Node imports (a browser page parses with it): the schema and its
 * validator are given (load.ts gives the ones of schemas/manifest.schema.json in Node). Paths are resolved
 * with pathe (POSIX separators everywhere).
 */
import * as path from 'pathe';
import type { ValidateFunction } from 'ajv';
import type { CoproManifest } from '../generated/manifest.js';
import { byPosition, ManifestError, type ManifestIssue } from './issues.js';
import { schemaIssues, type PointedIssue } from './schema-issues.js';
import { semanticIssues, type FileRef } from './semantic.js';
import { parsePointer, positionOfPointer, readYaml, type ParsedSource, type Position, type RawIssue } from './yaml-source.js';

/** The manifest schema (schemas/manifest.schema.json) and a validator compiled from it. */
export interface ManifestSchema {
  schema: object;
  validate: ValidateFunction;
}

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

export interface Analysis {
  source: ParsedSource;
  errors: RawIssue[];
  warnings: RawIssue[];
  manifest?: Manifest;
  files: FileRef[];
  manifestDir: string;
  projectRoot: string;
}

export function analyze(text: string, fileName: string, opts: ParseOptions, ms: ManifestSchema): Analysis {
  const manifestDir = path.dirname(path.resolve(fileName));
  const projectRoot = path.resolve(opts.projectRoot ?? manifestDir);
  const source = readYaml(text);
  const base = { source, manifestDir, projectRoot, files: [] as FileRef[] };
  if (source.issues.length > 0 || source.value === undefined) return { ...base, errors: source.issues, warnings: [] };

  const data = source.value;
  const valid = ms.validate(data);
  const fromSchema = valid ? [] : schemaIssues(ms.validate.errors ?? [], data, ms.schema);
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

export function finish(a: Analysis, file: string, extraErrors: readonly RawIssue[] = []): LoadedManifest {
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
export function parseManifestWith(ms: ManifestSchema, text: string, fileName: string, opts: ParseOptions = {}): LoadedManifest {
  return finish(analyze(text, fileName, opts, ms), fileName);
}

