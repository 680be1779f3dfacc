/** `copro identify <files...>`: what each image is, by content, and where it would go on each device. */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { hex } from '../../domain/hex.js';
import { DEVICES, deviceFromName, type Device } from '../../domain/devices.js';
import { identifyFile } from '../../images/identify.js';
import { installAddress } from '../../images/address.js';
import { FooterError } from '../../images/footer.js';
import { footerClaim } from '../../images/claims.js';
import { installsOn } from '../../planner/rules.js';
import type { ImageIdentity } from '../../images/types.js';
import { EXIT } from '../exit-codes.js';

export interface IdentifyOptions {
  json?: boolean;
  /** A device key or part number: show only its install address. */
  device?: string;
}

interface AddressLine {
  device: string;
  address: string;
  source: 'table' | 'formula';
  warnings: string[];
}

/** Which running FUS the image may be installed on (ST's release notes, as copro's planner applies them). */
interface InstallsOn {
  fusRange: string;
  text: string;
  rule: string;
}

type Entry = { file: string; identity: ImageIdentity; installsOn: InstallsOn; installAddress: AddressLine[] } | { file: string; error: { code: string; message: string } };

function devicesFor(identity: ImageIdentity, only: Device | undefined): Device[] {
  if (only) return [only];
  return DEVICES.filter((d) => identity.families.length === 0 || identity.families.includes(d.family));
}

function kindLine(id: ImageIdentity): string {
  if (id.kind !== 'stack') return id.kind === 'fus' ? 'FUS' : id.kind;
  if (!id.stackType) return 'wireless stack (type unknown: the footer carries none and the name gives none)';
  const from = id.stackTypeSource === 'file-name' ? ' (from the file name only)' : '';
  return `wireless stack ${id.stackType}${from}`;
}

function signatureLine(id: ImageIdentity): string {
  switch (id.signature) {
    case 'st':
      return 'ST';
    case 'customer':
      return 'customer';
    case 'simulated':
      return 'simulated (copro stand-in)';
    default:
      return 'none';
  }
}

function formatEntry(e: Entry): string {
  if ('error' in e) return `${e.file}\n  error: ${e.error.message}\n`;
  const id = e.identity;
  const lines = [
    e.file,
    `  Kind        ${kindLine(id)}`,
    `  Version     ${id.version}${id.build !== undefined ? ` (build ${id.build})` : ''}${id.versionSource === 'catalog' ? ' (from ST\'s release notes: the footer word is blank)' : ''}${id.fusV2Only ? ', FUSv2 only' : ''}`,
    `  Family      ${id.families.length ? id.families.join(', ') : 'unknown'}`,
    `  Size        ${id.size} bytes${id.flashPages ? `, ${id.flashPages} flash pages` : ''}`,
    `  sha256      ${id.sha256}`,
    `  Signature   ${signatureLine(id)}`,
  ];
  if (id.standInFor) lines.push(`  Stand-in    for ST image ${id.standInFor}`);
  lines.push(`  Installs on ${e.installsOn.text}`);
  if (id.catalog) {
    const r = id.catalog.releases;
    lines.push(`  Known ST    yes: STM32CubeWB ${r.length === 1 ? r[0] : `${r[0]} .. ${r[r.length - 1]} (${r.length} releases)`}`);
    lines.push(`  Names       ${id.catalog.names.join(', ')}`);
  } else if (id.signature !== 'simulated') {
    lines.push('  Known ST    no (not in the catalog)');
  }
  for (const a of e.installAddress) lines.push(`  Install     ${a.device.padEnd(17)} ${a.address} (${a.source === 'table' ? "ST's table" : 'formula'})`);
  const warnings = [...id.warnings, ...e.installAddress.flatMap((a) => a.warnings.map((w) => `${a.device}: ${w}`))];
  for (const w of warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n') + '\n';
}

export async function identifyCommand(files: string[], opts: IdentifyOptions = {}): Promise<{ output: string; exitCode: number }> {
  let only: Device | undefined;
  if (opts.device) {
    only = deviceFromName(opts.device);
    if (!only) {
      const known = DEVICES.map((d) => d.key).join(', ');
      return { output: `copro identify: unknown device "${opts.device}" (a part number like STM32WB55RG, or one of ${known})\n`, exitCode: EXIT.INVALID_INPUT };
    }
  }
  // Several files in flight: reading and hashing overlap (bench/README.md, F7); output keeps the given order.
  const entries: Entry[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      entries[i] = await identifyOne(files[i]!, only);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
  const failed = entries.some((e) => 'error' in e);
  const output = opts.json ? JSON.stringify(entries, null, 2) + '\n' : entries.map(formatEntry).join('\n');
  return { output, exitCode: failed ? EXIT.INVALID_INPUT : EXIT.OK };
}

async function identifyOne(file: string, only: Device | undefined): Promise<Entry> {
  try {
    const identity = await identifyFile(file);
    if (!identity.catalog && !identity.standInFor) {
      // A footer that is one of ST's images on content that is not: say which image it pretends to be.
      const claim = footerClaim(new Uint8Array(await readFile(file)));
      if (claim) {
        const names = claim.records.map((r) => `${r.kind === 'stack' ? r.stackType : r.kind === 'fus' ? 'FUS' : r.kind} ${r.version} (sha256 ${r.sha256})`).join(' or ');
        identity.warnings.unshift(`its footer claims to be ST's ${names}, but its sha256 is ${identity.sha256}: a modified copy (${claim.how === 'appended' ? `${claim.appended} byte(s) appended` : claim.how === 'footer-version' ? 'footer version edited' : 'content changed'}); copro refuses it`);
      }
    }
    const on = installsOn(identity);
    const installs = devicesFor(identity, only).map((d) => {
      const a = installAddress(identity, d);
      return { device: d.key, address: hex(a.address), source: a.source, warnings: a.warnings };
    });
    return { file, identity, installsOn: { fusRange: on.range, text: on.text, rule: on.source }, installAddress: installs };
  } catch (e) {
    if (e instanceof FooterError) return { file, error: { code: e.code, message: `not a coprocessor image: ${e.message}` } };
    const err = e as NodeJS.ErrnoException;
    const message = err.code === 'ENOENT' ? `no such file: ${path.resolve(file)}` : err.code === 'EISDIR' ? `${file} is a folder (pass the .bin files)` : err.message;
    return { file, error: { code: err.code ?? 'ERROR', message } };
  }
}
