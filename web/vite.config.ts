// The browser page (web/): `npm run web` serves it, `npm run build:web` writes the static folder dist/web/.
// Two checks of the design ride on the build: a module of the page that imports Node fails it, and it
// reports the page's JavaScript size (the catalog is a chunk of its own, loaded when first needed).
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const NODE = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** Packages that exist only for Node (terminal, processes, serial ports, native USB). */
const NODE_ONLY = ['execa', 'listr2', 'serialport', 'usb', 'undici', 'commander'];

export function noNode(): Plugin {
  return {
    name: 'copro-no-node',
    enforce: 'pre',
    resolveId(id, importer) {
      const bare = id.split('/')[0]!;
      if (NODE.has(id) || NODE_ONLY.includes(bare)) {
        this.error(`the page's modules must not import Node: ${importer ? path.relative(path.dirname(here), importer) : '?'} imports "${id}"`);
      }
      return null;
    },
  };
}

/**
 * `virtual:manifest-validator`: schemas/manifest.schema.json compiled at build time by ajv's standalone code
 * (ES module), with the options of src/schemas.ts. The page then needs neither ajv's compiler (size) nor
 * `eval` (its Content-Security-Policy has no 'unsafe-eval').
 */
function manifestValidator(): Plugin {
  const ID = 'virtual:manifest-validator';
  return {
    name: 'copro-manifest-validator',
    resolveId: (id) => (id === ID ? '\0' + ID : null),
    load(id) {
      if (id !== '\0' + ID) return null;
      const file = path.join(here, '..', 'schemas', 'manifest.schema.json');
      this.addWatchFile(file);
      const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true } });
      const validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')));
      type Gen = (a: typeof ajv, v: typeof validate) => string;
      const mod = standaloneCode as unknown as Gen & { default?: Gen };
      return (mod.default ?? mod)(ajv, validate);
    },
  };
}

function sizeReport(): Plugin {
  return {
    name: 'copro-size-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const size = (c: (typeof chunks)[number]) => (c.type === 'chunk' ? Buffer.byteLength(c.code) : 0);
      const initial = chunks.filter((c) => c.type === 'chunk' && c.isEntry).reduce((n, c) => n + size(c), 0);
      const lazy = chunks.filter((c) => c.type === 'chunk' && !c.isEntry);
      const total = chunks.reduce((n, c) => n + size(c), 0);
      const report = {
        totalBytes: total,
        initialBytes: initial,
        lazy: lazy.map((c) => ({ file: c.fileName, bytes: size(c), modules: c.type === 'chunk' ? Object.keys(c.modules).filter((m) => !m.includes('node_modules')).map((m) => path.relative(path.dirname(here), m)).slice(0, 3) : [] })),
      };
      this.info(`page JavaScript: ${kb(total)} in all; ${kb(initial)} loaded at start; lazy: ${report.lazy.map((c) => `${c.file} ${kb(c.bytes)}`).join(', ')}`);
      this.emitFile({ type: 'asset', fileName: 'size.json', source: JSON.stringify(report, null, 2) + '\n' });
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'info',
  plugins: [noNode(), manifestValidator(), sizeReport()],
  build: {
    outDir: path.join(here, '..', 'dist', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The catalog chunk is data (~0.8 MB of JSON), loaded on demand.
    chunkSizeWarningLimit: 1200,
  },
  server: { fs: { allow: [path.join(here, '..')] }, port: 5173 },
  preview: { port: 4173 },
});
