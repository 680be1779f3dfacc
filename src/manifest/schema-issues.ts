/**
 * ajv errors -> issues a person can act on: which key, where, what was expected, and the nearest valid
 * key or value. Positions come from the YAML source (see yaml-source.ts).
 */
import type { ErrorObject } from 'ajv';
import { didYouMean, nearest } from './suggest.js';
import { deviceNameSuggestion } from './names.js';
import type { ManifestIssueCode } from './issues.js';
import { parsePointer, type Anchor, type JsonPointer } from './yaml-source.js';

/** An issue located by JSON pointer; the loader turns the pointer into a line and column. */
export interface PointedIssue {
  pointer: JsonPointer;
  anchor: Anchor;
  code: ManifestIssueCode;
  message: string;
  hint?: string;
  /** Default error. Warnings are reported but do not stop the load. */
  severity?: 'error' | 'warning';
  /** Another place the message refers to (a duplicate's first occurrence): the loader adds its line. */
  related?: JsonPointer;
}

type SchemaNode = Record<string, unknown>;

function schemaAt(schema: object, schemaPath: string): SchemaNode | undefined {
  let node: unknown = schema;
  for (const seg of parsePointer(schemaPath.replace(/^#/, ''))) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node !== null && typeof node === 'object' ? (node as SchemaNode) : undefined;
}

/** `stack.version`, `boards[2].serial`; "the manifest" for the root. */
export function displayPath(pointer: JsonPointer): string {
  let out = '';
  for (const seg of pointer) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || 'the manifest';
}

export function valueAt(data: unknown, pointer: JsonPointer): unknown {
  let v = data;
  for (const seg of pointer) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

/** What a value is, in YAML terms: `a number (2.2)`, `a mapping`, `nothing (an empty value)`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v)}`;
    case 'number':
      return `the number ${String(v)}`;
    case 'boolean':
      return `${String(v)} (a boolean)`;
    case 'object':
      return 'a mapping';
    default:
      return typeof v;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'nothing',
};

/** Patterns of the schema, said in words (keyed by the pattern itself so a schema edit cannot go stale silently). */
const PATTERN_WORDS: Record<string, string> = {
  '^0x[0-9a-fA-F]{8}$': 'an address of exactly 8 hex digits like 0x08000000',
  '^v1\\.[0-9]+\\.[0-9]+$': 'an STM32CubeWB release tag like v1.24.0',
  '^[0-9a-fA-F]{64}$': 'a sha256 of 64 hex digits',
};

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** `a mapping with type and version` / `"none"`: how a oneOf branch reads in a message. */
function describeBranch(branch: SchemaNode): string {
  if ('const' in branch) return JSON.stringify(branch.const);
  if (branch.type === 'object' && Array.isArray(branch.required) && branch.required.length > 0) return `a mapping with ${branch.required.join(' and ')}`;
  return TYPE_WORDS[String(branch.type)] ?? 'a value';
}

function branchFits(branch: SchemaNode, value: unknown): boolean {
  if ('const' in branch) return false; // a const branch that failed says nothing useful alone
  const t = branch.type;
  const actual = jsonType(value);
  if (typeof t === 'string') return t === actual || (t === 'number' && actual === 'integer');
  return false;
}

/** Which schema keys exist elsewhere, for "antiRollback belongs under policy" hints. */
const homesBySchema = new WeakMap<object, Map<string, string[]>>();
function homesOf(schema: object, key: string): string[] {
  let keyHomes = homesBySchema.get(schema);
  if (!keyHomes) {
    keyHomes = new Map();
    homesBySchema.set(schema, keyHomes);
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as SchemaNode;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, child] of Object.entries(n.properties as SchemaNode)) {
          const list = keyHomes!.get(k) ?? [];
          list.push(where || 'the top level');
          keyHomes!.set(k, list);
          walk(child, where ? `${where}.${k}` : k);
        }
      }
      if (n.items) walk(n.items, `${where}[]`);
      if (Array.isArray(n.oneOf)) for (const b of n.oneOf) walk(b, where);
    };
    walk(schema, '');
  }
  return keyHomes.get(key) ?? [];
}

function allowedKeys(schema: object, schemaPath: string): string[] {
  const parent = schemaAt(schema, schemaPath.replace(/\/additionalProperties$/, ''));
  return parent && parent.properties && typeof parent.properties === 'object' ? Object.keys(parent.properties) : [];
}

function quoteHint(pointer: JsonPointer, value: unknown): string | undefined {
  const key = pointer[pointer.length - 1];
  if (pointer[0] === 'application' && (key === 'address' || key === 'end') && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return `addresses are written in hex: ${String(key)}: 0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `YAML read ${String(value)} as a ${typeof value}; quote it: ${String(key)}: "${String(value)}"`;
  return undefined;
}

function fromError(e: ErrorObject, data: unknown, schema: object): PointedIssue | undefined {
  const pointer = parsePointer(e.instancePath);
  const where = displayPath(pointer);
  const value = valueAt(data, pointer);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = allowedKeys(schema, e.schemaPath);
      const suggestion = didYouMean(key, allowed);
      const elsewhere = homesOf(schema, key).filter((h) => h !== (pointer.length ? displayPath(pointer).replace(/\[\d+\]/g, '[]') : 'the top level'));
      const hint = elsewhere.length > 0 ? `"${key}" belongs in ${elsewhere.join(' or ')}` : suggestion ? undefined : `expected one of: ${allowed.join(', ')}`;
      return { pointer: [...pointer, key], anchor: 'key', code: 'unknown-key', message: `unknown key "${key}" in ${where}${suggestion}`, ...(hint ? { hint } : {}) };
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const hint = pointer.length === 0 && key === 'version' ? 'start the manifest with `version: 1`' : undefined;
      return { pointer, anchor: 'key', code: 'missing-key', message: `missing required key "${key}" in ${where}`, ...(hint ? { hint } : {}) };
    }
    case 'type': {
      const expected = String((e.params as { type: string }).type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ');
      const hint = expected === 'a string' ? quoteHint(pointer, value) : undefined;
      return { pointer, anchor: 'value', code: 'wrong-type', message: `${where}: expected ${expected}, found ${describeValue(value)}`, ...(hint ? { hint } : {}) };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((a) => String(a));
      return { pointer, anchor: 'value', code: 'bad-enum', message: `${where}: expected one of ${allowed.join(', ')}; found ${describeValue(value)}${didYouMean(String(value), allowed)}` };
    }
    case 'const': {
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      if (pointer.length === 1 && pointer[0] === 'version') {
        return { pointer, anchor: 'value', code: 'bad-format-version', message: `manifest format version must be ${JSON.stringify(allowed)}; found ${describeValue(value)}`, hint: 'this copro reads `version: 1` manifests' };
      }
      return { pointer, anchor: 'value', code: 'bad-value', message: `${where}: expected ${JSON.stringify(allowed)}; found ${describeValue(value)}` };
    }
    case 'pattern': {
      if (pointer.length === 1 && pointer[0] === 'device') {
        return { pointer, anchor: 'value', code: 'unknown-device', message: `unknown device ${JSON.stringify(value)}${deviceNameSuggestion(String(value))}`, hint: 'expected an STM32WB part number (STM32WB55RG, STM32WB5MMG, STM32WB15CC...), a device key (STM32WB5xxG_1M) or detect' };
      }
      const pattern = String((e.params as { pattern: string }).pattern);
      const words = PATTERN_WORDS[pattern] ?? `text matching ${pattern}`;
      let hint: string | undefined;
      if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/i.test(value) && pattern === '^0x[0-9a-fA-F]{8}$') {
        // docs/field-failures.md public field reports: 9-digit addresses typed from a release-note table.
        hint = `it has ${value.length - 2} hex digits; STM32WB flash addresses look like 0x080xx000`;
      }
      return { pointer, anchor: 'value', code: 'bad-pattern', message: `${where}: expected ${words}; found ${describeValue(value)}`, ...(hint ? { hint } : {}) };
    }
    case 'minLength':
      return { pointer, anchor: 'value', code: 'bad-value', message: `${where} must not be empty` };
    case 'minItems':
      return { pointer, anchor: 'value', code: 'bad-value', message: `${where} must list at least ${String((e.params as { limit: number }).limit)} item(s); found none` };
    case 'minimum':
    case 'maximum': {
      const s = schemaAt(schema, e.schemaPath.replace(/\/(minimum|maximum)$/, '')) ?? {};
      return { pointer, anchor: 'value', code: 'bad-value', message: `${where} must be between ${String(s.minimum)} and ${String(s.maximum)}; found ${describeValue(value)}` };
    }
    default:
      return { pointer, anchor: 'value', code: 'bad-value', message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

/**
 * ajv reports every branch of a oneOf; keep only what helps: the errors of the branch whose type fits the
 * value, or one "expected X or Y" issue when none does. Then drop the follow-up errors of a value whose
 * type is already wrong (a string baudrate also fails the enum: one message is enough).
 */
/** `schema`: the manifest schema the errors come from (schemas/manifest.schema.json). */
export function schemaIssues(errors: readonly ErrorObject[], data: unknown, schema: object): PointedIssue[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const dropped = new Set<ErrorObject>();
  const replacements: PointedIssue[] = [];
  for (const o of oneOfs) {
    dropped.add(o);
    const branches = (schemaAt(schema, o.schemaPath) as unknown as SchemaNode[] | undefined) ?? [];
    const pointer = parsePointer(o.instancePath);
    const value = valueAt(data, pointer);
    const fitting = branches.findIndex((b) => branchFits(b, value));
    for (const e of errors) {
      if (!e.schemaPath.startsWith(`${o.schemaPath}/`)) continue;
      const branchIndex = Number(e.schemaPath.slice(o.schemaPath.length + 1).split('/')[0]);
      if (fitting === -1 || branchIndex !== fitting) dropped.add(e);
    }
    if (fitting === -1) {
      replacements.push({
        pointer,
        anchor: 'value',
        code: 'wrong-type',
        message: `${displayPath(pointer)}: expected ${branches.map(describeBranch).join(' or ')}; found ${describeValue(value)}`,
        ...(pointer[0] === 'stack' ? { hint: 'for example:\n    stack:\n      type: BLE_Stack_full\n      version: 1.24.0' } : {}),
      });
    }
  }
  // `serail:` is both an unknown key and a missing `serial`: the "did you mean" on the unknown key says it all.
  const typos = new Set(
    errors
      .filter((e) => e.keyword === 'additionalProperties' && !dropped.has(e))
      .map((e) => `${e.instancePath}|${nearest(String((e.params as { additionalProperty: string }).additionalProperty), allowedKeys(schema, e.schemaPath)) ?? ''}`),
  );
  for (const e of errors) {
    if (e.keyword === 'required' && typos.has(`${e.instancePath}|${String((e.params as { missingProperty: string }).missingProperty)}`)) dropped.add(e);
  }
  const kept = errors.filter((e) => !dropped.has(e));
  const typeFailed = new Set(kept.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const issues = kept.filter((e) => e.keyword === 'type' || e.keyword === 'additionalProperties' || !typeFailed.has(e.instancePath)).map((e) => fromError(e, data, schema));
  return [...replacements, ...issues.filter((i): i is PointedIssue => i !== undefined)];
}
