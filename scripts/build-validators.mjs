#!/usr/bin/env node
// Precompiles every schemas/*.schema.json into dist/validators/<name>.cjs with ajv's standalone code, so the
// CLI does not compile schemas at start-up (bench/README.md F6). Each module records the sha256 of the schema
// it was built from; src/schemas.ts uses it only while that still matches.
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'dist', 'validators');
await mkdir(out, { recursive: true });
// Must equal AJV_OPTIONS in src/schemas.ts.
const options = { allErrors: true, strict: true, allowUnionTypes: true, code: { source: true } };
let n = 0;
for (const file of (await readdir(path.join(root, 'schemas'))).filter((f) => f.endsWith('.schema.json')).sort()) {
  const text = await readFile(path.join(root, 'schemas', file));
  const ajv = new Ajv2020(options);
  // Schemas that `$ref` another schema file (cli-output, plan-file) compile with it; its bytes join the hash.
  const refs = [...new Set([...text.toString('utf8').matchAll(/"\$ref":\s*"([a-z-]+)\.schema\.json"/g)].map((m) => m[1]))].sort();
  const refTexts = await Promise.all(refs.map((r) => readFile(path.join(root, 'schemas', `${r}.schema.json`))));
  for (const t of refTexts) ajv.addSchema(JSON.parse(t.toString('utf8')));
  const validate = ajv.compile(JSON.parse(text.toString('utf8')));
  const code = standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate);
  const hash = createHash('sha256').update(text);
  for (const t of refTexts) hash.update(t);
  const sha = hash.digest('hex');
  await writeFile(path.join(out, file.replace('.schema.json', '.cjs')), `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(sha)};\n`);
  n++;
}
console.log(`precompiled ${n} validators into dist/validators/`);
