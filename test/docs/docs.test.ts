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
