/**
 * Files copro writes for the user (plan files, JUnit reports) go through write-file-atomic: never half a file,
 * no temp file left behind, and a file the user made private stays private when copro rewrites it.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/cli/atomic.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(tmpdir(), 'copro-atomic-'));
  dirs.push(d);
  return d;
};

describe('writeFileAtomic', () => {
  it.skipIf(process.platform === 'win32')('keeps the mode of the file it replaces (a plan file made private stays 0600)', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'plan.json');
    await writeFile(file, 'old');
    await chmod(file, 0o600);
    await writeFileAtomic(file, '{"new":true}\n');
    expect(await readFile(file, 'utf8')).toBe('{"new":true}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['plan.json']);
  });

  it('leaves no temp file when the write fails (the target is a folder)', async () => {
    const dir = await tmp();
    const target = path.join(dir, 'report.xml');
    await import('node:fs/promises').then((fs) => fs.mkdir(target));
    await expect(writeFileAtomic(target, '<x/>')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['report.xml']);
  });
});
