/**
 * `device: detect` over SWD on a WB15: before the first connection the real driver cannot know the family, reads the
 * WB5x operator words (0x20010010), which a WB1x does not have; it then reads again where the connected family's
 * operator leaves them (0x20002F10) and converges, never taking a failed read for a version.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { FAKE_CLI, makeProject, removeProjects } from '../cli/helpers.js';
import * as sim from '../../src/drivers/simulator/index.js';

afterAll(removeProjects);

const FAKE_ENV = { COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' };

describe('WB15 with device: detect over SWD (real driver, fake CLI)', () => {
  it('reads the versions again at the WB1x operator words once the header says 0x494, and converges', async ({ expect }) => {
    const p = await makeProject();
    const manifest = await p.useManifest('wb15-ble.yaml', (t) =>
      t.replace('device: STM32WB15CC', 'device: detect').replace('port: /dev/ttyACM0', 'port: swd').replace(/\n *baudrate: \d+/, '').replace('  end: 0x08020000', '  file: app.bin\n  end: 0x08020000'),
    );
    await writeFile(path.join(p.dir, 'app.bin'), randomBytes(32 * 1024));
    const serial = await sim.resetBoard(p.simDir, undefined, undefined, 'STM32WB1xxC_320K');
    const r = await p.copro(['apply', manifest, '--cubeprogrammer', FAKE_CLI, '--yes'], { env: FAKE_ENV, timeoutMs: 90_000 });
    expect(r.exitCode, r.all).toBe(0);
    const b = await p.board(serial);
    expect(b.fus.version).toBe('2.2.0');
    expect(b.stack).toMatchObject({ type: 'BLE_Stack_full', version: '1.24.0', address: 0x08022800 });
    expect(b.application).toMatchObject({ present: true, clobberedByFusOperator: false });
    const logs = (await readdir(path.join(p.dir, '.copro', 'logs'))).filter((f) => f.endsWith('.log'));
    const log = (await Promise.all(logs.map((f) => readFile(path.join(p.dir, '.copro', 'logs', f), 'utf8')))).join('\n');
    const reads = log.split('\n').filter((l) => l.includes('STM32_Programmer_CLI -c') && l.includes('-fusgetstate'));
    expect(reads[0]).toContain('-r32 0x20010010 8'); // before any connection: the WB5x words
    expect(reads[1]).toContain('-r32 0x20002F10 8'); // the header said 0x494: read where the WB1x operator writes
    expect(reads.slice(1).every((l) => l.includes('0x20002F10'))).toBe(true); // once known, never the WB5x address again
    expect(log).toMatch(/^0x20002F10 : 01020000 00000000$/m);
  }, 120_000);
});
