/** Board state snapshots (`copro status --save`, `copro plan --state`): schemas/board-state.schema.json. */
import { readFile, writeFile, rename } from 'node:fs/promises';
import type { BoardState } from '../generated/board-state.js';
import { assertValid } from '../schemas.js';

export async function readSnapshot(file: string): Promise<BoardState> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const err = new Error(`cannot read board state ${file}: ${(e as Error).message}`);
    err.name = 'SchemaValidationError';
    throw err;
  }
  return assertValid<BoardState>('board-state', json, `board state ${file}`);
}

/** Written atomically (temp file + rename): a crash never leaves half a snapshot. */
export async function writeSnapshot(file: string, state: BoardState): Promise<void> {
  const withSchema = { $schema: 'https://copro.dev/schemas/board-state.schema.json', ...state };
  assertValid<BoardState>('board-state', withSchema, 'board state');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(withSchema, null, 2) + '\n');
  await rename(tmp, file);
}
