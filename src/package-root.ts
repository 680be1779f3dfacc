/** The copro package's root folder (where `schemas/` and `binaries/` are), from src/ (tests) or dist/src/ (built). No dependencies: the CLI's start-up imports it. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'schemas'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('copro: cannot find the package root (schemas/ folder)');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
