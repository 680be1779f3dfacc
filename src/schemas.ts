/**
 * Access to the JSON Schemas in `schemas/` (the one source of truth for copro's file formats) and
 * ajv validators compiled from them. Works from `src/` (tests) and `dist/src/` (the built CLI).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction, ErrorObject } from 'ajv/dist/2020.js';
import { PACKAGE_ROOT } from './package-root.js';

export { PACKAGE_ROOT };

export type SchemaName = 'manifest' | 'board-state' | 'plan' | 'catalog' | 'events' | 'lock' | 'sim-board' | 'cli-output' | 'plan-file';

/** The other schema files a schema `$ref`s (`"$ref": "plan.schema.json"`): added to ajv with it, and part of its staleness hash. */
export function referencedSchemas(text: string): SchemaName[] {
  return [...new Set([...text.matchAll(/"\$ref":\s*"([a-z-]+)\.schema\.json"/g)].map((m) => m[1] as SchemaName))].sort();
}

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
const require = createRequire(import.meta.url);

/** Options shared by the runtime compiler and scripts/build-validators.mjs (the precompiled ones must agree). */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;

/**
 * `npm run build` precompiles every schema with ajv's standalone code into dist/validators/ (compiling them at
 * start-up cost ~100 ms, bench/README.md F6). A precompiled validator is used only if it was built from the
 * schema file as it is now (sha256 recorded in it); otherwise, and in tests run from src/, ajv compiles it here.
 */
function precompiled(name: SchemaName): ValidateFunction | undefined {
  const file = path.join(PACKAGE_ROOT, 'dist', 'validators', `${name}.cjs`);
  if (!existsSync(file)) return undefined;
  const mod = require(file) as { default?: ValidateFunction; schemaSha256?: string };
  const text = readFileSync(schemaPath(name));
  // Must equal scripts/build-validators.mjs: the schema, then each schema it refers to.
  const hash = createHash('sha256').update(text);
  for (const r of referencedSchemas(text.toString('utf8'))) hash.update(readFileSync(schemaPath(r)));
  const now = hash.digest('hex');
  return mod.schemaSha256 === now ? mod.default : undefined;
}

/** A compiled validator; ajv is strict so a schema typo fails loudly here, not silently in the field. */
export function validatorFor<T = unknown>(name: SchemaName): ValidateFunction<T> {
  let v = validators.get(name);
  if (!v) {
    v = precompiled(name);
    if (!v) {
      // Loaded only when needed: the CLI's start-up does not pay for ajv's compiler otherwise.
      const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
      ajv ??= new Ajv(AJV_OPTIONS);
      for (const r of referencedSchemas(readFileSync(schemaPath(name), 'utf8'))) if (!ajv.getSchema(`https://copro.dev/schemas/${r}.schema.json`)) ajv.addSchema(loadSchema(r));
      v = ajv.getSchema(`https://copro.dev/schemas/${name}.schema.json`) ?? ajv.compile(loadSchema(name));
    }
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
