// The browser page (web/): `npm run web` serves it, `npm run build:web` writes the static folder dist/web/.
// Two checks of the design ride on the build: a module of the page that imports Node fails it, and it
// reports the page's JavaScript size (the catalog is a chunk of its own, loaded when first needed).
import { builtinModules, createRequire } from 'node:module';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeRequire = createRequire(import.meta.url);
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
      return inlineAjvRuntime((mod.default ?? mod)(ajv, validate));
    },
  };
}

/**
 * ajv's standalone ESM code still calls `require("ajv/dist/runtime/ucs2length").default` (for maxLength /
 * minLength): the production bundler converts that, but the dev server (`npm run web`) hands the module to the
 * browser as is, where `require` does not exist. Each such runtime function is self-contained: it is inlined.
 */
function inlineAjvRuntime(code: string): string {
  const names = new Map<string, string>();
  const out = code.replace(/require\("([^"]+)"\)\.default/g, (_m, mod: string) => {
    if (!names.has(mod)) names.set(mod, `ajvRuntime${names.size}`);
    return names.get(mod)!;
  });
  const defs = [...names].map(([mod, name]) => {
    const fn = (nodeRequire(mod) as { default?: unknown }).default;
    const src = String(fn);
    if (typeof fn !== 'function' || /\brequire\(/.test(src)) throw new Error(`the manifest validator needs ${mod}, which cannot be inlined for the page`);
    return `const ${name} = ${src};`;
  });
  if (/\brequire\(/.test(out)) throw new Error('the manifest validator still requires a module the page cannot load');
  return `${defs.join('\n')}\n${out}`;
}

function sizeReport(): Plugin {
  return {
    name: 'copro-size-report',
    apply: 'build',
    // Measured on the files as written: Vite still rewrites chunks after generateBundle (its preload helper).
    writeBundle(options, bundle) {
      const dir = options.dir!;
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const size = (c: (typeof chunks)[number]) => statSync(path.join(dir, c.fileName)).size;
      const initial = chunks.filter((c) => c.type === 'chunk' && c.isEntry).reduce((n, c) => n + size(c), 0);
      const lazy = chunks.filter((c) => c.type === 'chunk' && !c.isEntry);
      const total = chunks.reduce((n, c) => n + size(c), 0);
      const report = {
        totalBytes: total,
        initialBytes: initial,
        lazy: lazy.map((c) => ({ file: c.fileName, bytes: size(c), modules: c.type === 'chunk' ? Object.keys(c.modules).filter((m) => !m.includes('node_modules')).map((m) => path.relative(path.dirname(here), m)).slice(0, 3) : [] })),
      };
      this.info(`page JavaScript: ${kb(total)} in all; ${kb(initial)} loaded at start; lazy: ${report.lazy.map((c) => `${c.file} ${kb(c.bytes)}`).join(', ')}`);
      writeFileSync(path.join(dir, 'size.json'), JSON.stringify(report, null, 2) + '\n');
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
