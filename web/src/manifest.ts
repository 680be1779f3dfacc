/**
 * Manifests in the page: the examples shipped in manifests/, and parsing with the CLI's own loader
 * (src/manifest/parse.ts) against schemas/manifest.schema.json, whose validator is compiled at build time
 * (vite.config.ts: ajv standalone code, the options of src/schemas.ts).
 */
import type { ValidateFunction } from 'ajv';
import validate from 'virtual:manifest-validator';
import schema from '../../schemas/manifest.schema.json';
import { parseManifestWith, type LoadedManifest, type ManifestSchema } from '../../src/manifest/parse.js';

/** manifests/*.yaml, by name (`nucleo-wb55-ble`), as text. */
const files = import.meta.glob('../../manifests/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
export const EXAMPLES: ReadonlyMap<string, string> = new Map(
  Object.entries(files)
    .map(([p, text]) => [p.replace(/^.*\//, '').replace(/\.yaml$/, ''), text] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);

let compiled: ManifestSchema | undefined;
function manifestSchema(): ManifestSchema {
  compiled ??= { schema, validate: validate as ValidateFunction };
  return compiled;
}

/** Parses manifest text named `fileName`; throws ManifestError with every issue at its line and column. */
export function parseManifestText(text: string, fileName: string): LoadedManifest {
  return parseManifestWith(manifestSchema(), text, '/' + fileName.replace(/^.*[\\/]/, ''), { projectRoot: '/' });
}
