#!/usr/bin/env node
// Derives TypeScript types from schemas/*.schema.json into src/generated/ (the schemas are the one
// source of truth; the types are never written twice). `--check` fails when the committed types are stale.
import { compile } from 'json-schema-to-typescript';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schemaDir = path.join(root, 'schemas');
const outDir = path.join(root, 'src', 'generated');
const check = process.argv.includes('--check');
await mkdir(outDir, { recursive: true });
let stale = 0;
for (const file of (await readdir(schemaDir)).filter((f) => f.endsWith('.schema.json')).sort()) {
  // A $ref to another schema file becomes an import of that file's generated type (by its title), not a second
  // inline copy of it (two copies drift apart and make two unrelated TypeScript types of one format).
  const imports = new Map();
  const schema = await externalRefsToImports(JSON.parse(await readFile(path.join(schemaDir, file), 'utf8')), imports);
  const body = await compile(schema, schema.title ?? file, {
    cwd: schemaDir,
    bannerComment: '',
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true },
  });
  const importLines = [...imports].sort(([a], [b]) => a.localeCompare(b)).map(([type, from]) => `import type { ${type} } from './${from}';\n`).join('');
  const ts = `/* Generated from schemas/${file} by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */\n\n${importLines}${importLines ? '\n' : ''}${body}`;
  const out = path.join(outDir, file.replace('.schema.json', '.ts'));
  const old = await readFile(out, 'utf8').catch(() => '');
  if (old !== ts) {
    stale++;
    if (check) console.error(`stale: ${path.relative(root, out)} (run npm run gen:types)`);
    else await writeFile(out, ts);
  }
}
if (check && stale) process.exit(1);

/** Replaces every `{ $ref: 'other.schema.json' }` by `{ tsType: <other's title> }`, collecting the imports. */
async function externalRefsToImports(node, imports) {
  if (Array.isArray(node)) return Promise.all(node.map((n) => externalRefsToImports(n, imports)));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string' && !node.$ref.startsWith('#')) {
    const target = node.$ref.split('#')[0];
    if (node.$ref !== target) throw new Error(`${node.$ref}: only whole-file references are turned into imports`);
    const { title } = JSON.parse(await readFile(path.join(schemaDir, target), 'utf8'));
    if (!title) throw new Error(`${target} has no title to name its type by`);
    imports.set(title, target.replace('.schema.json', '.js'));
    const { $ref: _ref, ...rest } = node;
    return { ...rest, tsType: title };
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = await externalRefsToImports(v, imports);
  return out;
}
console.log(check ? 'schema types up to date' : `generated types (${stale} changed)`);
