/**
 * `copro version`: what a bug report needs in one place: copro, Node, the image catalog it trusts, and the
 * STM32CubeProgrammer it would run (found the same way as `apply` finds it; its version from its banner).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.js';
import { EXIT } from '../exit-codes.js';

export interface VersionInfo {
  copro: string;
  node: string;
  platform: string;
  catalog: { latestRelease: string; releases: number; images: number } | { error: string };
  cubeprogrammer: { executable: string; version: string } | { notFound: string } | { error: string; executable: string };
}

export async function versionInfo(opts: { cubeprogrammer?: string }): Promise<VersionInfo> {
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  let catalog: VersionInfo['catalog'];
  try {
    const { loadCatalog } = await import('../../images/catalog.js');
    const c = loadCatalog();
    catalog = { latestRelease: c.latestRelease, releases: Object.keys(c.releases).length, images: c.images.length };
  } catch (e) {
    catalog = { error: (e as Error).message };
  }
  let cubeprogrammer: VersionInfo['cubeprogrammer'];
  const { locateCubeProgrammer, cliVersion } = await import('../../drivers/cubeprogrammer/index.js');
  try {
    const found = locateCubeProgrammer({ explicit: opts.cubeprogrammer });
    try {
      cubeprogrammer = { executable: found.executable, version: await cliVersion(found.executable, found.env) };
    } catch (e) {
      cubeprogrammer = { executable: found.executable, error: (e as Error).message };
    }
  } catch {
    cubeprogrammer = { notFound: 'STM32_Programmer_CLI not found (not needed for --simulate or the bootloader driver)' };
  }
  return { copro: pkg.version, node: process.version, platform: `${process.platform}-${process.arch}`, catalog, cubeprogrammer };
}

export function formatVersion(v: VersionInfo): string {
  const cat = 'error' in v.catalog ? `unreadable (${v.catalog.error})` : `${v.catalog.images} images, STM32CubeWB releases up to ${v.catalog.latestRelease} (${v.catalog.releases} releases)`;
  const cp = v.cubeprogrammer;
  const cube = 'notFound' in cp ? cp.notFound : 'error' in cp ? `${cp.executable} (version unreadable: ${cp.error})` : `${cp.version} (${cp.executable})`;
  return [`copro ${v.copro}`, `node ${v.node} (${v.platform})`, `image catalog: ${cat}`, `STM32CubeProgrammer: ${cube}`].join('\n') + '\n';
}

export async function versionCommand(opts: { json?: boolean; cubeprogrammer?: string }): Promise<number> {
  const v = await versionInfo(opts);
  process.stdout.write(opts.json ? JSON.stringify(v, null, 2) + '\n' : formatVersion(v));
  return EXIT.OK;
}
