#!/usr/bin/env node
// Renders docs/manifest.md from schemas/manifest.schema.json, so the manifest reference cannot drift from
// the schema copro validates with. `--check` fails when the committed page is stale (a test runs it).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schemaFile = path.join(root, 'schemas', 'manifest.schema.json');
const outFile = path.join(root, 'docs', 'manifest.md');

export function renderManifestDocs(schema) {
  const rows = [];
  const walk = (node, prefix, required = []) => {
    for (const [key, prop] of Object.entries(node.properties ?? {})) {
      const name = `${prefix}${key}`;
      rows.push({ name, type: typeOf(prop), required: required.includes(key), description: prop.description ?? '', examples: prop.examples ?? [] });
      const objects = [prop, ...(prop.oneOf ?? []), ...(prop.anyOf ?? [])].filter((p) => p.properties);
      for (const o of objects) walk(o, `${name}.`, o.required ?? []);
      if (prop.items?.properties) walk(prop.items, `${name}[].`, prop.items.required ?? []);
    }
  };
  walk(schema, '', schema.required ?? []);
  const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '# Manifest reference',
    '',
    '<!-- Generated from schemas/manifest.schema.json by scripts/gen-manifest-docs.mjs (npm run gen:types). Do not edit by hand. -->',
    '',
    esc(schema.description ?? ''),
    '',
    'A manifest is YAML 1.2 (one document). Editors with the YAML language server complete and check it when',
    'the first line is `# yaml-language-server: $schema=<path to copro>/schemas/manifest.schema.json`.',
    'Errors are reported as `file:line:column: message` and nothing on a board is touched (exit 4).',
    '',
    '| key | type | required | description | examples |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.name}\` | ${esc(r.type)} | ${r.required ? 'yes' : ''} | ${esc(r.description)} | ${r.examples.map((e) => `\`${esc(typeof e === 'string' ? e : JSON.stringify(e))}\``).join(', ')} |`),
    '',
  ];
  return lines.join('\n');
}

function typeOf(p) {
  if ('const' in p) return `\`${JSON.stringify(p.const)}\``;
  if (p.enum) return p.enum.map((e) => `\`${e}\``).join(' / ');
  if (p.oneOf || p.anyOf) return (p.oneOf ?? p.anyOf).map(typeOf).join(' or ');
  if (p.type === 'array') return `list of ${p.items ? typeOf(p.items) : 'values'}`;
  if (p.type === 'string' && p.pattern) return 'string (pattern)';
  return p.type ?? 'value';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const schema = JSON.parse(await readFile(schemaFile, 'utf8'));
  const text = renderManifestDocs(schema);
  const old = await readFile(outFile, 'utf8').catch(() => '');
  if (process.argv.includes('--check')) {
    if (old !== text) {
      console.error('stale: docs/manifest.md (run npm run gen:types)');
      process.exit(1);
    }
    console.log('manifest docs up to date');
  } else if (old !== text) {
    await writeFile(outFile, text);
    console.log('generated docs/manifest.md');
  }
}
