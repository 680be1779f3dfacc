/**
 * Finds STM32_Programmer_CLI. Pure over an injected `{ env, platform, homedir, exists }` so every branch is
 * unit-tested; defaults come from the running process.
 *
 * Order (first hit wins): explicit path (`--cubeprogrammer` / manifest `connection.cubeprogrammer`),
 * `COPRO_CUBEPROGRAMMER`, `STM32_PRG_PATH` (a bin folder; a widespread convention in ST-ecosystem scripts
 * and CMake files, not something we could confirm ST's installer sets), `STM32CLT_PATH` (STM32CubeCLT),
 * PATH, then ST's default install folders (STM32CubeProgrammer CLI, UM2237).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverError } from '../driver.js';

export type FoundVia = 'explicit' | 'COPRO_CUBEPROGRAMMER' | 'STM32_PRG_PATH' | 'STM32CLT_PATH' | 'PATH' | 'default-folder';

export interface LocateInput {
  /** `--cubeprogrammer` or the manifest's `connection.cubeprogrammer`: a file or its bin folder. */
  explicit?: string;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  homedir?: string;
  exists?: (p: string) => boolean;
}

export interface LocatedCli {
  executable: string;
  foundVia: FoundVia;
  /** Environment additions to run it with (Linux: LD_LIBRARY_PATH=<bin>/../lib). */
  env: Record<string, string>;
  /** Every place looked at, in order, up to the hit. */
  tried: string[];
}

const REMEDY =
  'install STM32CubeProgrammer (https://www.st.com/en/development-tools/stm32cubeprog.html), then pass --cubeprogrammer <path>, ' +
  'set COPRO_CUBEPROGRAMMER=<path to STM32_Programmer_CLI>, or put its bin folder on PATH';

export function locateCubeProgrammer(input: LocateInput = {}): LocatedCli {
  const env = input.env ?? process.env;
  const platform = input.platform ?? process.platform;
  const homedir = input.homedir ?? os.homedir();
  const exists = input.exists ?? existsSync;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exe = platform === 'win32' ? 'STM32_Programmer_CLI.exe' : 'STM32_Programmer_CLI';
  const tried: string[] = [];

  /** A candidate that may be the executable itself or the folder holding it. */
  const probe = (candidate: string): string | undefined => {
    const asFile = candidate;
    const inFolder = p.join(candidate, exe);
    for (const c of p.basename(candidate).toLowerCase().startsWith('stm32_programmer_cli') ? [asFile] : [inFolder, asFile]) {
      tried.push(c);
      if (exists(c)) return c;
    }
    return undefined;
  };
  const hit = (executable: string, foundVia: FoundVia): LocatedCli => ({ executable, foundVia, env: runEnv(executable, platform, env, exists), tried });

  // An explicit choice is never silently replaced by another install.
  for (const [value, via] of [
    [input.explicit, 'explicit'],
    [env.COPRO_CUBEPROGRAMMER, 'COPRO_CUBEPROGRAMMER'],
  ] as const) {
    if (!value) continue;
    const found = probe(value);
    if (found) return hit(found, via);
    throw new DriverError('TOOL_NOT_FOUND', `STM32_Programmer_CLI not found at ${value} (from ${via === 'explicit' ? '--cubeprogrammer / connection.cubeprogrammer' : 'COPRO_CUBEPROGRAMMER'}); looked at: ${tried.join(', ')}`, {
      remedy: 'point it at the STM32_Programmer_CLI executable or its bin folder',
    });
  }

  if (env.STM32_PRG_PATH) {
    const found = probe(env.STM32_PRG_PATH);
    if (found) return hit(found, 'STM32_PRG_PATH');
  }
  if (env.STM32CLT_PATH) {
    const found = probe(p.join(env.STM32CLT_PATH, 'STM32CubeProgrammer', 'bin'));
    if (found) return hit(found, 'STM32CLT_PATH');
  }

  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(platform === 'win32' ? ';' : ':').filter(Boolean)) {
    const c = p.join(dir, exe);
    tried.push(c);
    if (exists(c)) return hit(c, 'PATH');
  }

  for (const dir of defaultFolders(platform, homedir, env)) {
    const c = p.join(dir, exe);
    tried.push(c);
    if (exists(c)) return hit(c, 'default-folder');
  }

  throw new DriverError('TOOL_NOT_FOUND', `STM32_Programmer_CLI not found; looked at: ${tried.join(', ')}`, { remedy: REMEDY });
}

/** ST's default install folders per platform (STM32CubeProgrammer CLI, UM2237). */
export function defaultFolders(platform: NodeJS.Platform, homedir: string, env: Record<string, string | undefined>): string[] {
  if (platform === 'win32') {
    const roots = [env.ProgramFiles ?? 'C:\\Program Files', env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)'];
    return [...new Set(roots)].map((r) => path.win32.join(r, 'STMicroelectronics', 'STM32Cube', 'STM32CubeProgrammer', 'bin'));
  }
  if (platform === 'darwin') {
    const app = '/Applications/STMicroelectronics/STM32Cube/STM32CubeProgrammer/STM32CubeProgrammer.app/Contents';
    // Intel builds ship MacOs/bin; arm64 builds moved it to Resources/bin.
    return [`${app}/MacOs/bin`, `${app}/Resources/bin`];
  }
  return [path.posix.join(homedir, 'STMicroelectronics', 'STM32Cube', 'STM32CubeProgrammer', 'bin'), '/opt/stm32cubeprog/bin', '/usr/local/STMicroelectronics/STM32Cube/STM32CubeProgrammer/bin'];
}

/** On Linux the CLI loads its shared libraries from <bin>/../lib. */
function runEnv(executable: string, platform: NodeJS.Platform, env: Record<string, string | undefined>, exists: (p: string) => boolean): Record<string, string> {
  if (platform !== 'linux') return {};
  const lib = path.posix.join(path.posix.dirname(executable), '..', 'lib');
  if (!exists(lib)) return {};
  const current = env.LD_LIBRARY_PATH;
  return { LD_LIBRARY_PATH: current ? `${lib}:${current}` : lib };
}
