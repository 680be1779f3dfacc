#!/usr/bin/env node
// Derives TypeScript types from schemas/*.schema.json into src/generated/ (the schemas are the one
// source of truth; the types are never written twice). `--check` fails when the committed types are stale.
import { compileFromFile } from 'json-schema-to-typescript';
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
  const ts = await compileFromFile(path.join(schemaDir, file), {
    cwd: schemaDir,
    bannerComment: `/* Generated from schemas/${file} by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true },
  });
  const out = path.join(outDir, file.replace('.schema.json', '.ts'));
  const old = await readFile(out, 'utf8').catch(() => '');
  if (old !== ts) {
    stale++;
    if (check) console.error(`stale: ${path.relative(root, out)} (run npm run gen:types)`);
    else await writeFile(out, ts);
  }
}
if (check && stale) process.exit(1);
console.log(check ? 'schema types up to date' : `generated types (${stale} changed)`);
