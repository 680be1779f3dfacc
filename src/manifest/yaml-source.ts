/**
 * Manifest text -> YAML document -> plain value, with every problem tied to a line and column, and a
 * way back from a JSON pointer (`/stack/version`) to where it is written in the file.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import type { ManifestIssueCode } from './issues.js';

/** A manifest is a few kilobytes; anything past 1 MiB is a mistake or an attack (and costs seconds to parse). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Enough for shared settings reused across a fleet; far below a "billion laughs" expansion. */
const MAX_ALIAS_COUNT = 64;

export interface Position {
  line: number;
  column: number;
}

/** An issue before it is given its file name. */
export interface RawIssue extends Position {
  code: ManifestIssueCode;
  message: string;
  hint?: string;
}

/** Offsets -> 1-based line/column. Lines end at `\n` only, as in the YAML parser (a lone `\r` is not a break). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(Number.isFinite(offset) ? offset : 0, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }
}

export type JsonPointer = readonly (string | number)[];

export interface ParsedSource {
  /** The text the positions refer to (without a leading BOM). */
  text: string;
  lines: LineIndex;
  doc?: Document.Parsed;
  /** The plain value, when the YAML was well-formed. */
  value?: unknown;
  issues: RawIssue[];
}

/** Strips a UTF-8 BOM: editors do not count it as a column, so positions stay as the user sees them. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const YAML_CODES: Partial<Record<string, ManifestIssueCode>> = {
  TAB_AS_INDENT: 'yaml-tab',
  DUPLICATE_KEY: 'yaml-duplicate-key',
  MULTIPLE_DOCS: 'yaml-multi-document',
  TAG_RESOLVE_FAILED: 'yaml-tag',
  BAD_ALIAS: 'yaml-alias',
};

const YAML_HINTS: Partial<Record<ManifestIssueCode, string>> = {
  'yaml-tab': 'YAML indents with spaces only; replace the tab with spaces',
  'yaml-multi-document': 'a manifest is one YAML document: remove the `---` separator and the documents after it (one manifest per file)',
  'yaml-tag': 'a manifest uses plain YAML values; remove the `!tag`',
};

/**
 * YAML 1.2 core schema, except that `0x08000000` and `0o17` stay strings: addresses are hex text in a
 * manifest (the schema says so), and a serial number must never turn into a number.
 */
function parseYaml(text: string): Document.Parsed {
  return parseDocument(text, {
    version: '1.2',
    strict: true,
    prettyErrors: false,
    // Duplicate keys are checked below in linear time: the parser's own check is quadratic (100k keys: ~100 s).
    uniqueKeys: false,
    keepSourceTokens: false,
    customTags: (tags) => tags.filter((t) => !(typeof t === 'object' && (t.format === 'HEX' || t.format === 'OCT'))),
  });
}

/** Pre-checks, YAML parse and conversion to a plain value. Pure. */
export function readYaml(rawText: string): ParsedSource {
  const text = stripBom(rawText);
  const lines = new LineIndex(text);
  const at = (offset: number, code: ManifestIssueCode, message: string, hint?: string): RawIssue => ({ ...lines.position(offset), code, message, ...(hint ? { hint } : {}) });

  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_MANIFEST_BYTES) {
    return { text, lines, issues: [at(0, 'too-large', `the manifest is ${bytes} bytes; the limit is ${MAX_MANIFEST_BYTES} (1 MiB)`, 'a manifest is a short YAML file; is this the right file?')] };
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    return { text, lines, issues: [at(nul, 'binary', 'the file contains a NUL byte: this is binary data, not a YAML manifest', 'pass the manifest (.yaml), not an image (.bin)')] };
  }
  if (text.trim() === '') return { text, lines, issues: [at(0, 'empty', 'the manifest is empty', 'start from one of manifests/*.yaml; the smallest manifest is `version: 1`')] };

  let doc: Document.Parsed;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { text, lines, issues: [at(0, 'yaml-syntax', `cannot parse the YAML: ${(e as Error).message}`)] };
  }

  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    const issues = yamlProblems.map((e) => {
      const code = YAML_CODES[e.code] ?? 'yaml-syntax';
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return at(e.pos[0], code, code === 'yaml-syntax' ? `YAML syntax: ${message}` : message, YAML_HINTS[code]);
    });
    return { text, lines, doc, issues };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { text, lines, doc, issues: [at(0, 'empty', 'the manifest has no content (only comments)', 'the smallest manifest is `version: 1`')] };
  }

  // YAML 1.1 reads yes/no/on/off as booleans: `antiRollback: yes` would switch on an irreversible setting.
  // A manifest is YAML 1.2 only (the spec's core schema: only true/false are booleans).
  const directive = doc.directives?.yaml;
  if (directive?.explicit && directive.version !== '1.2') {
    const offset = Math.max(0, text.indexOf('%YAML'));
    return { text, lines, doc, issues: [at(offset, 'yaml-version', `%YAML ${directive.version}: a manifest is read as YAML 1.2 only (YAML ${directive.version} reads yes/no/on/off as booleans)`, 'remove the %YAML line (and write booleans as true/false)')] };
  }
  const booleans = spelledBooleans(doc, text, at);
  if (booleans.length > 0) return { text, lines, doc, issues: booleans };

  const duplicates = duplicateKeys(doc, lines, at);
  if (duplicates.length > 0) return { text, lines, doc, issues: duplicates };

  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { text, lines, doc, value, issues: [] };
  } catch (e) {
    const message = (e as Error).message;
    if (/Excessive alias count/.test(message)) {
      return { text, lines, doc, issues: [at(firstAliasOffset(doc), 'yaml-alias', `YAML aliases expand to too much data (more than ${MAX_ALIAS_COUNT} expansions)`, 'write the values out, or share fewer/smaller anchors')] };
    }
    const dangling = danglingAlias(doc);
    if (dangling) {
      return { text, lines, doc, issues: [at(dangling.offset, 'yaml-alias', `alias *${dangling.name} refers to no anchor &${dangling.name} above it`, `to write the text "*${dangling.name}", quote it`)] };
    }
    return { text, lines, doc, issues: [at(0, 'yaml-syntax', `cannot read the YAML: ${message}`)] };
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return '';
  return String(key);
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function duplicateKeys(doc: Document.Parsed, lines: LineIndex, at: (offset: number, code: ManifestIssueCode, message: string, hint?: string) => RawIssue): RawIssue[] {
  const issues: RawIssue[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const name = keyText(pair.key);
        const offset = offsetOf(pair.key) ?? offsetOf(pair.value) ?? offsetOf(map) ?? 0;
        const first = seen.get(name);
        if (first === undefined) seen.set(name, offset);
        else issues.push(at(offset, 'yaml-duplicate-key', `duplicate key "${name}" (first set at line ${lines.position(first).line}); YAML keys must be unique`, 'keep one of them: which one wins is not obvious to a reader'));
      }
    },
  });
  return issues;
}

/**
 * YAML 1.2's core schema also reads True/TRUE/False/FALSE as booleans. Settings like policy.antiRollback are
 * irreversible: copro accepts only the plain words `true` and `false`, so what a reader sees is what runs.
 */
function spelledBooleans(doc: Document.Parsed, text: string, at: (offset: number, code: ManifestIssueCode, message: string, hint?: string) => RawIssue): RawIssue[] {
  const issues: RawIssue[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'boolean' || !node.range) return;
      const written = text.slice(node.range[0], node.range[1]);
      if (written === 'true' || written === 'false') return;
      issues.push(at(node.range[0], 'yaml-boolean', `"${written}" is read as ${String(node.value)}; copro accepts only the words true and false for a boolean`, `write ${String(node.value)}`));
    },
  });
  return issues;
}

function danglingAlias(doc: Document.Parsed): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      found = { name: node.source, offset: offsetOf(node) ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = offsetOf(node) ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/** Where to point for a JSON pointer: at the key (`stak:`), or at the value (`stack: BLE`). */
export type Anchor = 'key' | 'value';

function deref(doc: Document.Parsed, node: unknown): unknown {
  let n = node;
  for (let hops = 0; hops < 8 && isAlias(n); hops++) n = n.resolve(doc);
  return n;
}

function isEmptyValue(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/**
 * The source offset of a JSON pointer. Walks as far as the document goes and falls back to the deepest
 * node found, so every issue gets a position. `key` anchors to the last key (or the item, in a list).
 */
export function offsetOfPointer(doc: Document.Parsed, pointer: JsonPointer, anchor: Anchor): number {
  let node: unknown = doc.contents;
  let best = offsetOf(node) ?? 0;
  for (let i = 0; i < pointer.length; i++) {
    const segment = String(pointer[i]);
    const last = i === pointer.length - 1;
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === segment);
      if (!pair) return best;
      const keyOffset = offsetOf(pair.key) ?? best;
      if (last && anchor === 'key') return keyOffset;
      node = pair.value;
      // An empty value (`stack:`) has no text of its own: point at its key.
      best = isEmptyValue(node) ? keyOffset : (offsetOf(deref(doc, node)) ?? keyOffset);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return best;
      node = item;
      best = offsetOf(deref(doc, item)) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

export function positionOfPointer(source: ParsedSource, pointer: JsonPointer, anchor: Anchor): Position {
  return source.lines.position(source.doc ? offsetOfPointer(source.doc, pointer, anchor) : 0);
}

/** `/stack/version` -> ['stack', 'version'] (RFC 6901 unescaping). */
export function parsePointer(p: string): string[] {
  if (p === '' || p === '/') return [];
  return p
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
