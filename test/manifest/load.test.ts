import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatManifestIssues, loadManifest, ManifestError, parseManifest, resolveTarget, type ManifestIssue } from '../../src/manifest/index.js';
import { KNOWN_PART_NUMBERS, lookupDevice } from '../../src/manifest/names.js';

function issuesOf(run: () => unknown): ManifestIssue[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ManifestError) return e.issues;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

async function asyncIssuesOf(run: () => Promise<unknown>): Promise<ManifestIssue[]> {
  try {
    await run();
  } catch (e) {
    if (e instanceof ManifestError) return e.issues;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

async function withProject<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'copro-manifest-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('parseManifest', () => {
  it('accepts the smallest manifest', () => {
    const m = parseManifest('version: 1\n', 'copro.yaml');
    expect(m.manifest).toEqual({ version: 1 });
    expect(m.warnings).toEqual([]);
  });

  it('keeps hex addresses and all-hex serials as text (YAML 1.2 would read 0x... as a number)', () => {
    const m = parseManifest('version: 1\napplication:\n  end: 0x08040000\nboards:\n  - serial: 0x1234\n', 'copro.yaml');
    expect(m.manifest.application?.end).toBe('0x08040000');
    expect(m.manifest.boards?.[0].serial).toBe('0x1234');
  });

  it('reports every problem of the file in one pass, in file order', () => {
    const text = ['version: 1', 'device: STM32WB55XX', 'stack:', '  type: BLE_Stack_full', '  version: 1.24.0', 'policy:', '  antiRolback: true', 'connection:', '  driver: sim'].join('\n');
    const issues = issuesOf(() => parseManifest(text, 'copro.yaml'));
    expect(issues.map((i) => [i.code, i.line, i.column])).toEqual([
      ['unknown-device', 2, 9],
      ['unknown-key', 7, 3],
      ['bad-enum', 9, 11],
    ]);
  });

  it('gives the same positions with LF, CRLF and BOM+CRLF line endings', async () => {
    const bad = path.join(import.meta.dirname, 'bad');
    const files = (await readdir(bad)).filter((f) => f.endsWith('.yaml') && !/crlf|bom|binary|utf8/.test(f));
    let compared = 0;
    for (const f of files) {
      const lf = await readFile(path.join(bad, f), 'utf8');
      if (lf.includes('\r')) continue;
      const positions = (text: string) => {
        try {
          parseManifest(text, 'm.yaml', { projectRoot: bad });
          return 'loaded';
        } catch (e) {
          return (e as ManifestError).issues.map((i) => `${i.code}@${i.line}:${i.column}`).join(' ');
        }
      };
      const expected = positions(lf);
      expect(positions(lf.replace(/\n/g, '\r\n')), f).toBe(expected);
      expect(positions('\uFEFF' + lf.replace(/\n/g, '\r\n')), f).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('rejects NUL bytes with the position of the first one', () => {
    const issues = issuesOf(() => parseManifest('version: 1\nname: a\0b\n', 'copro.yaml'));
    expect(issues).toMatchObject([{ code: 'binary', line: 2, column: 8 }]);
  });

  it('accepts anchors and aliases within the limit', () => {
    const m = parseManifest('version: 1\nboards:\n  - { serial: "A1", port: &hub usb2 }\n  - { serial: "A2", port: *hub }\n', 'copro.yaml');
    expect(m.manifest.boards?.map((b) => b.port)).toEqual(['usb2', 'usb2']);
  });

  it('caps a flood of issues with a summary line', () => {
    const text = 'version: 1\n' + Array.from({ length: 40 }, (_, i) => `unknownKey${i}: 1`).join('\n');
    const issues = issuesOf(() => parseManifest(text, 'copro.yaml'));
    expect(issues).toHaveLength(26);
    expect(issues[25]).toMatchObject({ code: 'too-many-issues', message: expect.stringContaining('15 more issues') });
  });

  it('suggests the right level for a key written in the wrong place', () => {
    const [issue] = issuesOf(() => parseManifest('version: 1\nstack:\n  type: BLE_Stack_full\n  version: 1.24.0\n  antiRollback: true\n', 'copro.yaml'));
    expect(issue).toMatchObject({ code: 'unknown-key', line: 5, column: 3, hint: '"antiRollback" belongs in policy' });
  });

  it('lists the valid keys when nothing is close', () => {
    const [issue] = issuesOf(() => parseManifest('version: 1\npolicy:\n  yolo: true\n', 'copro.yaml'));
    expect(issue!.hint).toBe('expected one of: fusUpgrade, antiRollback, swdApplicationLoss, restoreOptionBytes');
  });

  it('checks paths lexically against the project root (the manifest folder by default)', () => {
    const issues = issuesOf(() => parseManifest('version: 1\napplication:\n  file: ../app.bin\n  end: 0x08040000\n', '/proj/copro.yaml'));
    expect(issues).toMatchObject([{ code: 'path-outside-project', line: 3, column: 9 }]);
    // Inside a wider root the same path is fine, and parseManifest does not look at the disk.
    const ok = parseManifest('version: 1\napplication:\n  file: ../app.bin\n  end: 0x08040000\n', '/proj/manifests/copro.yaml', { projectRoot: '/proj' });
    expect(ok.projectRoot).toBe('/proj');
  });

  it('warns, without failing, about settings that are ignored', () => {
    const m = parseManifest('version: 1\nconnection:\n  driver: simulator\n  cubeprogrammer: /opt/st/bin/STM32_Programmer_CLI\n  mode: UR\n', 'copro.yaml');
    expect(m.warnings.map((w) => [w.code, w.line, w.column])).toEqual([
      ['ignored-setting', 4, 3],
      ['ignored-setting', 5, 3],
    ]);
    expect(m.warnings[0]!.message).toContain('ignored with driver: simulator');
  });

  it('accepts a stack type in another case, warns, and resolves to ST\'s spelling', () => {
    const m = parseManifest('version: 1\nstack:\n  type: ble_stack_full\n  version: 1.24.0\n', 'copro.yaml');
    expect(m.warnings).toMatchObject([{ code: 'stack-type-case', line: 3, column: 9 }]);
    expect(resolveTarget(m.manifest, { manifestDir: '.', transport: 'usb' }).stack).toEqual({ type: 'BLE_Stack_full', range: '1.24.0' });
  });

  it('locates a JSON pointer in the source for later messages', () => {
    const m = parseManifest('version: 1\nstack:\n  type: Thread_FTD\n  version: ^1.23.0\n', 'copro.yaml');
    expect(m.locate('/stack/version')).toEqual({ line: 4, column: 12 });
    expect(m.locate('/stack')).toEqual({ line: 3, column: 3 });
  });

  it('throws an error the CLI recognises by name, with the first issue in its message', () => {
    try {
      parseManifest('version: 1\nstak: none\n', 'copro.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).name).toBe('ManifestError');
      expect((e as Error).message).toBe('copro.yaml:2:1: unknown key "stak" in the manifest; did you mean "stack"?');
    }
  });
});

describe('loadManifest', () => {
  it('names the file relative to the working folder, like a compiler', async () => {
    const file = path.join(import.meta.dirname, 'bad', 'unknown-key-root.yaml');
    const issues = await asyncIssuesOf(() => loadManifest(file));
    expect(issues[0]!.file).toBe(path.relative(process.cwd(), file));
  });

  it('returns the absolute path and the project root', async () => {
    await withProject({ 'copro.yaml': 'version: 1\n' }, async (dir) => {
      const m = await loadManifest(path.join(dir, 'copro.yaml'));
      expect(m.file).toBe(path.join(dir, 'copro.yaml'));
      expect(m.projectRoot).toBe(dir);
    });
  });

  it('reports a missing manifest and a folder as unreadable', async () => {
    await withProject({ 'sub/x': '' }, async (dir) => {
      expect(await asyncIssuesOf(() => loadManifest(path.join(dir, 'nope.yaml')))).toMatchObject([{ code: 'file-unreadable', line: 1, column: 1, message: expect.stringContaining('no such file') }]);
      expect(await asyncIssuesOf(() => loadManifest(path.join(dir, 'sub')))).toMatchObject([{ code: 'file-unreadable' }]);
    });
  });

  it('checks that named files exist (parseManifest does not)', async () => {
    const text = 'version: 1\nimages:\n  files:\n    - path: bin/stack.bin\n';
    await withProject({ 'copro.yaml': text }, async (dir) => {
      expect(parseManifest(text, path.join(dir, 'copro.yaml')).manifest.images?.files?.[0].path).toBe('bin/stack.bin');
      expect(await asyncIssuesOf(() => loadManifest(path.join(dir, 'copro.yaml')))).toMatchObject([{ code: 'file-missing', line: 4, column: 13 }]);
    });
    await withProject({ 'copro.yaml': text, 'bin/stack.bin': 'x' }, async (dir) => {
      expect((await loadManifest(path.join(dir, 'copro.yaml'))).manifest.images?.files).toHaveLength(1);
    });
  });

  it('refuses a symlink that leads out of the project', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'copro-outside-'));
    try {
      await writeFile(path.join(outside, 'secret.bin'), 'x');
      await withProject({ 'copro.yaml': 'version: 1\napplication:\n  file: app.bin\n  end: 0x08040000\n' }, async (dir) => {
        await symlink(path.join(outside, 'secret.bin'), path.join(dir, 'app.bin'));
        const issues = await asyncIssuesOf(() => loadManifest(path.join(dir, 'copro.yaml')));
        expect(issues).toMatchObject([{ code: 'path-outside-project', line: 3, column: 9, message: expect.stringContaining('is a link to') }]);
      });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reads BOM + CRLF files with the positions an editor shows', async () => {
    await withProject({ 'copro.yaml': '\uFEFFversion: 1\r\nfus: 2.2\r\n' }, async (dir) => {
      expect(await asyncIssuesOf(() => loadManifest(path.join(dir, 'copro.yaml')))).toMatchObject([{ code: 'wrong-type', line: 2, column: 6 }]);
    });
  });
});

describe('formatManifestIssues', () => {
  it('prints file:line:col: message and hint lines; warnings say so', () => {
    const issues: ManifestIssue[] = [
      { file: 'copro.yaml', line: 4, column: 3, code: 'unknown-key', message: 'unknown key "stak" in the manifest; did you mean "stack"?' },
      { file: 'copro.yaml', line: 5, column: 6, code: 'wrong-type', message: 'fus: expected a string', hint: 'quote it' },
    ];
    expect(formatManifestIssues(issues)).toBe('copro.yaml:4:3: unknown key "stak" in the manifest; did you mean "stack"?\ncopro.yaml:5:6: fus: expected a string\n  remedy: quote it');
    expect(formatManifestIssues(issues.slice(0, 1), 'warning')).toBe('copro.yaml:4:3: warning: unknown key "stak" in the manifest; did you mean "stack"?');
  });
});

describe('device names', () => {
  it('resolves every part number it suggests', () => {
    for (const part of KNOWN_PART_NUMBERS) expect(lookupDevice(part), part).toBeDefined();
  });

  it('maps the 1 MB WB55 parts (with package suffixes) to STM32WB5xxG_1M', () => {
    for (const part of ['STM32WB55RG', 'STM32WB55CGU6', 'STM32WB55VGY6', 'STM32WB5MMG']) expect(lookupDevice(part)?.key).toBe('STM32WB5xxG_1M');
    expect(lookupDevice('STM32WB15CC')?.key).toBe('STM32WB1xxC_320K');
    expect(lookupDevice('STM32F405RG')).toBeUndefined();
  });
});
