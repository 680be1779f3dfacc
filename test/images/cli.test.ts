import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { identifyCommand } from '../../src/cli/commands/identify.js';
import { fetchCommand, recordsForManifest } from '../../src/cli/commands/fetch.js';
import { makeStandIn } from '../../src/images/standin.js';
import { loadCatalog } from '../../src/images/catalog.js';
import { findBy, syntheticFile } from './helpers.js';

const images = loadCatalog().images;
const ble = findBy(images, (r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x'), 'BLE 1.24.0');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'copro-cli-images-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('identifyCommand', () => {
  it('prints kind, type, version, family, size, sha256, releases, install addresses and warnings', async () => {
    const file = path.join(dir, 'stm32wb5x_BLE_Stack_full_fw_1_23_0.bin');
    await writeFile(file, makeStandIn(ble));
    const r = await identifyCommand([file]);
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/Kind +wireless stack BLE_Stack_full/);
    expect(r.output).toMatch(/Version +1\.24\.0 \(build \d+\), FUSv2 only/);
    expect(r.output).toMatch(/Family +STM32WB5x, STM32WB3x/);
    expect(r.output).toContain(`Stand-in    for ST image ${ble.sha256}`);
    expect(r.output).toMatch(new RegExp(`Install +STM32WB5xxG_1M +${ble.installAddress.STM32WB5xxG_1M} \\(ST's table\\)`));
    expect(r.output).toMatch(/warning: file name .* says version 1\.23\.0/);
    expect(r.output).not.toMatch(/STM32WB1xxC_320K/);
  });

  it('--json and --device', async () => {
    const file = path.join(dir, 'a.bin');
    await writeFile(file, makeStandIn(ble));
    const r = await identifyCommand([file], { json: true, device: 'STM32WB5xxG_1M' });
    const parsed = JSON.parse(r.output) as { identity: { standInFor: string }; installAddress: { device: string; address: string }[] }[];
    expect(parsed[0]!.identity.standInFor).toBe(ble.sha256);
    expect(parsed[0]!.installAddress).toEqual([expect.objectContaining({ device: 'STM32WB5xxG_1M', address: ble.installAddress.STM32WB5xxG_1M })]);
  });

  it('exit 4 for a missing file, a non-image, or an unknown device', async () => {
    const junk = path.join(dir, 'junk.bin');
    await writeFile(junk, new Uint8Array(100));
    const r = await identifyCommand([junk, path.join(dir, 'nope.bin')]);
    expect(r.exitCode).toBe(4);
    expect(r.output).toMatch(/not a coprocessor image: no signature footer/);
    expect(r.output).toMatch(/no such file/);
    expect((await identifyCommand([junk], { device: 'STM32F4' })).exitCode).toBe(4);
  });
});

describe('fetch command', () => {
  it('recordsForManifest: the release\'s FUS chain for the family and the newest matching stack', () => {
    const recs = recordsForManifest({ version: 1, device: 'STM32WB5xxG_1M', fus: 'latest', stack: { type: 'BLE_Stack_full', version: 'latest' } });
    const summary = recs.map((r) => `${r.kind} ${r.stackType ?? ''} ${r.version}`.replace('  ', ' ')).sort();
    expect(summary).toEqual(['fus 1.2.0', 'fus 1.2.0', 'fus 2.2.0', 'stack BLE_Stack_full 1.24.0']);
    const pinned = recordsForManifest({ version: 1, device: 'STM32WB5xxG_1M', fus: '2.1.0', stack: { type: 'BLE_Stack_full', version: '~1.17.0' } });
    expect(pinned.some((r) => r.kind === 'fus' && r.version === '2.1.0')).toBe(true);
    expect(pinned.find((r) => r.kind === 'stack')?.version).toMatch(/^1\.17\./);
  });

  it('a download whose sha256 is not the catalog\'s fails with exit 4 and both sha256 values', async () => {
    const manifest = path.join(dir, 'copro.yaml');
    await writeFile(manifest, 'version: 1\ndevice: STM32WB15CC\nfus: latest\nstack: none\n');
    const served = new Uint8Array(64).fill(1);
    const fetchImpl: typeof fetch = async () => new Response(served, { status: 200 });
    const r = await fetchCommand(manifest, { dest: path.join(dir, 'bin'), fetchImpl });
    expect(r.exitCode).toBe(4);
    expect(r.errors).toMatch(/expected [0-9a-f]{64}/);
    expect(r.output).toMatch(/0 of 1 image/);
  });

  it('an unknown release or a missing manifest is invalid input', async () => {
    expect((await fetchCommand(undefined, { release: 'v9.9.9' })).exitCode).toBe(4);
    expect((await fetchCommand(path.join(dir, 'none.yaml'), {})).exitCode).toBe(4);
  });
});

describe('identify states which FUS an image may be installed on (issue 12)', () => {
  const pick = (pred: (r: (typeof images)[number]) => boolean) => images.find(pred)!;
  const cases: [string, (typeof images)[number], RegExp, string][] = [
    ['the FUS 1.2.0 image made for FUS 0.5.3', pick((r) => r.kind === 'fus' && r.names.some((n) => /for_fus_0_5_3/.test(n))), /installs only on FUS 0\.5\.3/, '0.5.3'],
    ['the FUS 1.2.0 image for FUS 1.x', pick((r) => r.kind === 'fus' && r.version === '1.2.0' && r.names.some((n) => /_1_2_0\.bin$/.test(n))), /installs on FUS 1\.0\.x and 1\.1\.x .*not on FUS 0\.5\.3/, '>=1.0.0 <1.2.0'],
    ['FUS 2.2.0', pick((r) => r.kind === 'fus' && r.version === '2.2.0' && r.families.includes('STM32WB5x')), /installs on FUS 1\.2\.0 \(and, assumed, on an older FUS 2\.x\)/, '1.2.0 || >=2.0.0 <3.0.0'],
    ['a "FUS_v2 only" stack', pick((r) => r.stackType === 'BLE_Stack_full' && r.version === '1.24.0' && r.families.includes('STM32WB5x')), /FUS 2\.x only \(FUS >= 2\.1\.0/, '>=2.1.0'],
    ['a legacy stack', pick((r) => r.stackType === 'BLE_HCILayer' && r.version === '1.24.0' && r.families.includes('STM32WB5x')), /installs on FUS >= 1\.0\.1/, '>=1.0.1'],
  ];
  for (const [what, record, text, range] of cases) {
    it(`${what}: in text and JSON`, async () => {
      const file = path.join(dir, `${record.sha256.slice(0, 8)}.bin`);
      await writeFile(file, makeStandIn(record));
      const t = await identifyCommand([file]);
      expect(t.output).toMatch(new RegExp(`Installs on ${text.source}`));
      const j = JSON.parse((await identifyCommand([file], { json: true })).output) as { installsOn: { fusRange: string; text: string } }[];
      expect(j[0]!.installsOn.text).toMatch(text);
      expect(j[0]!.installsOn.fusRange).toBe(range);
    });
  }

  it('a file whose footer is ST\'s FUS 2.2.0 but whose content is not: identify says so', async () => {
    const r = pick((x) => x.kind === 'fus' && x.version === '2.2.0' && x.families.includes('STM32WB5x'));
    const file = path.join(dir, 'stm32wb5x_FUS_fw.bin');
    await writeFile(file, syntheticFile(r, 0x44));
    const t = await identifyCommand([file]);
    expect(t.output).toContain(`its footer claims to be ST's FUS 2.2.0 (sha256 ${r.sha256})`);
  });
});
