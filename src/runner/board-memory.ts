/**
 * What copro remembers about a chip between runs, keyed by its UID64: today only a FUS found damaged (see
 * power-loss.ts), so the next `copro apply` refuses at once instead of repeating an irreversible FUS update
 * that can never succeed. One small JSON file per chip, written atomically.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FusDamage } from './power-loss.js';

export interface BoardMemory {
  uid64: string;
  fusDamaged?: FusDamage;
}

export function memoryFile(dir: string, uid64: string): string {
  return path.join(dir, `${uid64.replace(/[^0-9A-Za-z]/g, '_')}.json`);
}

export async function recallBoard(dir: string, uid64: string): Promise<BoardMemory | undefined> {
  try {
    const m = JSON.parse(await readFile(memoryFile(dir, uid64), 'utf8')) as BoardMemory;
    return m.uid64 === uid64 ? m : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberBoard(dir: string, m: BoardMemory): Promise<string> {
  const file = memoryFile(dir, m.uid64);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(m, null, 2) + '\n');
  await rename(tmp, file);
  return file;
}
