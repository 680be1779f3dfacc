/**
 * Loading a manifest in Node: reads the file and checks the files it names exist (parse.ts does the rest,
 * purely). `parseManifest` is pure; `loadManifest` adds the reads.
 */
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadSchema, validatorFor } from '../schemas.js';
import '../images/catalog.js';
import { hex, parseHex } from '../domain/hex.js';
import { ManifestError, type ManifestIssue } from './issues.js';
import { displayPath } from './schema-issues.js';
import { isInside } from './semantic.js';
import { analyze, finish, parseManifestWith, type Analysis, type LoadedManifest, type ManifestSchema, type ParseOptions } from './parse.js';
import { MAX_MANIFEST_BYTES, LineIndex, positionOfPointer, stripBom, type Position, type RawIssue } from './yaml-source.js';

export type { Manifest, LoadedManifest, ParseOptions, ManifestSchema } from './parse.js';

function nodeSchema(): ManifestSchema {
  return { schema: loadSchema('manifest'), validate: validatorFor('manifest') };
}

/**
 * Parses and checks manifest text without touching the file system (files it names are checked for
 * staying inside the project, not for existing). Throws ManifestError listing every problem.
 */
export function parseManifest(text: string, fileName: string, opts: ParseOptions = {}): LoadedManifest {
  return parseManifestWith(nodeSchema(), text, fileName, opts);
}

/** How the file is named in messages: relative to the working folder when inside it, like a compiler. */
function displayName(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}

async function readText(absolute: string, shown: string): Promise<string> {
  const fail = (code: ManifestIssue['code'], message: string, hint?: string, pos: Position = { line: 1, column: 1 }): never => {
    throw new ManifestError([{ file: shown, ...pos, code, message, ...(hint ? { hint } : {}) }]);
  };
  let info;
  try {
    info = await stat(absolute);
  } catch (e) {
    return fail('file-unreadable', `cannot read the manifest: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!info.isFile()) return fail('file-unreadable', 'the manifest path is not a file');
  // Checked before reading: a multi-gigabyte file must not be read into memory.
  if (info.size > MAX_MANIFEST_BYTES) return fail('too-large', `the manifest is ${info.size} bytes; the limit is ${MAX_MANIFEST_BYTES} (1 MiB)`, 'a manifest is a short YAML file; is this the right file?');
  let bytes: Buffer;
  try {
    const handle = await open(absolute, 'r');
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    // Permissions, a file that vanished, an I/O error: input the user can fix, never an internal error.
    const code = (e as NodeJS.ErrnoException).code;
    return fail('file-unreadable', `cannot read the manifest (${code ?? (e as Error).message})`, code === 'EACCES' ? 'check the file\'s permissions' : undefined);
  }
  if (bytes.length > MAX_MANIFEST_BYTES) return fail('too-large', `the manifest is over ${MAX_MANIFEST_BYTES} bytes (1 MiB)`);
  const nul = bytes.indexOf(0);
  try {
    if (nul !== -1) throw new Error('NUL');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Point at the first bad byte: decode the valid prefix to count lines and columns.
    const lossy = stripBom(new TextDecoder('utf-8').decode(bytes));
    const bad = nul !== -1 ? lossy.indexOf('\0') : lossy.indexOf('\uFFFD');
    const pos = new LineIndex(lossy).position(Math.max(0, bad));
    return nul !== -1
      ? fail('binary', 'the file contains a NUL byte: this is binary data, not a YAML manifest', 'pass the manifest (.yaml), not an image (.bin)', pos)
      : fail('binary', 'the file is not UTF-8 text', 'save the manifest as UTF-8', pos);
  }
}

/** The checks that need the file system: named files exist, stay inside the project through symlinks, and fit. */
async function fileIssues(a: Analysis, manifest: unknown): Promise<RawIssue[]> {
  const issues: RawIssue[] = [];
  const rootReal = await realpath(a.projectRoot).catch(() => a.projectRoot);
  for (const ref of a.files) {
    const pos = positionOfPointer(a.source, ref.pointer, 'value');
    const shown = displayPath(ref.pointer);
    const info = await stat(ref.absolute).catch(() => undefined);
    // A missing images.dir is where `copro fetch` will put the images (it creates it): not an error.
    if (!info && ref.kind === 'dir') continue;
    if (!info) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} does not exist`, hint: 'paths are relative to the manifest' });
      continue;
    }
    if (ref.kind === 'file' && !info.isFile()) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} is not a file` });
      continue;
    }
    if (ref.kind === 'dir' && !info.isDirectory()) {
      issues.push({ ...pos, code: 'file-missing', message: `${shown}: ${ref.absolute} is not a folder` });
      continue;
    }
    const real = await realpath(ref.absolute).catch(() => ref.absolute);
    if (!isInside(rootReal, real)) {
      issues.push({ ...pos, code: 'path-outside-project', message: `${shown}: ${ref.absolute} is a link to ${real}, outside the project (${rootReal})`, hint: 'copy the file into the project' });
      continue;
    }
    if (ref.pointer.join('/') === 'application/file') issues.push(...applicationFits(a, manifest, info.size), ...(await notAnElf(a, ref.absolute)));
  }
  return issues;
}

/**
 * An ELF as application.file: STM32_Programmer_CLI writes an ELF's segments where the ELF says (RAM segments too:
 * "Not flash Memory : No erase done"), not the file's bytes at application.address. A public report (ST community,
 * "STM32WBxx FUS seems to be deleted", a `-w Production.elf` over USB DFU) could no longer reach FUS afterwards.
 */
async function notAnElf(a: Analysis, file: string): Promise<RawIssue[]> {
  const head = new Uint8Array(4);
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return [];
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return [];
  const pos = positionOfPointer(a.source, ['application', 'file'], 'value');
  return [{ ...pos, code: 'bad-value', message: 'application.file is an ELF file: STM32CubeProgrammer would write its segments where the ELF places them (RAM segments included), not its bytes at application.address', hint: 'give the raw binary (arm-none-eabi-objcopy -O binary app.elf app.bin)' }];
}

function applicationFits(a: Analysis, manifest: unknown, size: number): RawIssue[] {
  const app = (manifest as { application?: { address?: unknown; end?: unknown } }).application;
  if (typeof app !== 'object' || app === null || typeof app.end !== 'string') return [];
  const start = parseHex(typeof app.address === 'string' ? app.address : '0x08000000');
  const end = parseHex(app.end);
  if (start === undefined || end === undefined || end <= start || size <= end - start) return [];
  const pos = positionOfPointer(a.source, ['application', 'file'], 'value');
  return [{ ...pos, code: 'bad-region', message: `application.file is ${size} bytes but the application region ${hex(start)}..${hex(end)} holds ${end - start}`, hint: 'raise application.end (the stack must still fit above it) or check the file' }];
}

/**
 * Reads, parses and checks a manifest file. Throws ManifestError (every problem, with positions) when it
 * cannot be used; never exits (the CLI maps the error to an exit code).
 */
export async function loadManifest(file: string, opts: ParseOptions = {}): Promise<LoadedManifest> {
  const absolute = path.resolve(file);
  const shown = displayName(absolute);
  const text = await readText(absolute, shown);
  const a = analyze(text, absolute, opts, nodeSchema());
  const extra = a.source.value !== undefined ? await fileIssues(a, a.source.value) : [];
  const loaded = finish(a, shown, extra);
  return { ...loaded, file: absolute };
}
