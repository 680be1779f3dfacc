/**
 * Access to the JSON Schemas in `schemas/` (the one source of truth for copro's file formats) and
 * ajv validators compiled from them. Works from `src/` (tests) and `dist/src/` (the built CLI).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(path.join(dir, 'schemas'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('copro: cannot find the package root (schemas/ folder)');
    dir = parent;
  }
}

/** The copro package's root folder (where `schemas/` and `binaries/` are). */
export const PACKAGE_ROOT = findPackageRoot();

export type SchemaName = 'manifest' | 'board-state' | 'plan' | 'catalog' | 'events' | 'lock' | 'sim-board';

export function schemaPath(name: SchemaName): string {
  return path.join(PACKAGE_ROOT, 'schemas', `${name}.schema.json`);
}

const schemaCache = new Map<SchemaName, object>();
export function loadSchema(name: SchemaName): object {
  let s = schemaCache.get(name);
  if (!s) {
    s = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object;
    schemaCache.set(name, s);
  }
  return s;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<SchemaName, ValidateFunction>();

/** A compiled validator; ajv is strict so a schema typo fails loudly here, not silently in the field. */
export function validatorFor<T = unknown>(name: SchemaName): ValidateFunction<T> {
  let v = validators.get(name);
  if (!v) {
    ajv ??= new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    v = ajv.compile(loadSchema(name));
    validators.set(name, v);
  }
  return v as ValidateFunction<T>;
}

export class SchemaValidationError extends Error {
  constructor(
    readonly schema: SchemaName,
    readonly errors: ErrorObject[],
    what: string,
  ) {
    super(`${what} does not match schemas/${schema}.schema.json: ${errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);
    this.name = 'SchemaValidationError';
  }
}

/** Validates and returns the value typed, or throws a SchemaValidationError naming each problem. */
export function assertValid<T>(name: SchemaName, value: unknown, what: string): T {
  const v = validatorFor<T>(name);
  if (!v(value)) throw new SchemaValidationError(name, v.errors ?? [], what);
  return value;
}
