/**
 * The shipped documentation stands on its own: the manifest reference matches the schema, every relative
 * link resolves, and no user-facing page points at material only copro's developers have.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, no types
import { renderManifestDocs } from '../../scripts/gen-manifest-docs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', 'SECURITY.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every file a user reads or is shown text from: sources (messages, --help), schemas (editor hints), example manifests. */
function shippedTextFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (/\.(ts|json|ya?ml|md)$/.test(e.name)) out.push(r);
    }
  };
  for (const d of ['src', 'schemas', 'manifests']) walk(d);
  return out;
}

describe('documentation', () => {
  it('docs/manifest.md is generated from the current manifest schema (npm run gen:types)', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'manifest.schema.json'), 'utf8')) as unknown;
    const rendered = (renderManifestDocs as (s: unknown) => string)(schema);
    expect(readFileSync(path.join(ROOT, 'docs', 'manifest.md'), 'utf8')).toBe(rendered);
  });

  it.each(pages)('%s: every relative link resolves', (page) => {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    const broken = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((href) => !/^[a-z]+:/i.test(href))
      .filter((href) => !existsSync(path.resolve(path.dirname(path.join(ROOT, page)), href)));
    expect(broken).toEqual([]);
  });

  it.each(pages)('%s: points at nothing only the developers have', (page) => {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    expect(text).not.toMatch(/shared\/|STM32WB\.md|field-reports|cli-transcripts/);
    // Field-report numbers ("P27") mean nothing to a user.
    expect(text).not.toMatch(/\bP\d{1,2}\b/);
  });
});

describe('sources, schemas and example manifests', () => {
  it('point at nothing only the developers have (no reference notes, no field-report numbers)', () => {
    const offenders = shippedTextFiles().flatMap((f) =>
      readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .map((line, i) => ({ f, i, line }))
        .filter(({ line }) => /shared\/|STM32WB\.md|field-reports|cli-transcripts|\bP\d{1,2}\b/.test(line))
        .map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});
