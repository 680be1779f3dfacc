/**
 * runStep against a scripted Driver: the runner's own rules (verify by read-back; P38; in-flight abort),
 * independent of any simulator. The end-to-end runs on the simulator and the fake CLI are in test/cli/.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Driver, OperationReport } from '../../src/drivers/driver.js';
import { DriverError } from '../../src/drivers/driver.js';
import type { BoardState } from '../../src/generated/board-state.js';
import type { Step } from '../../src/planner/types.js';
import { runStep } from '../../src/runner/execute.js';
import { privateVerifiedCopy } from '../../src/runner/preflight.js';
import { boardState } from './fixtures.js';

function scriptedDriver(opts: { upgrade: () => Promise<OperationReport>; after: BoardState }): Driver & { calls: string[] } {
  const calls: string[] = [];
  const ok: OperationReport = { ok: true, messages: [] };
  return {
    calls,
    info: () => ({ kind: 'simulator', transport: 'usb', serial: 'S', toolVersion: 'test' }),
    readState: async () => (calls.push('readState'), opts.after),
    startFus: async () => (calls.push('startFus'), ok),
    deleteStack: async () => (calls.push('deleteStack'), ok),
    upgrade: async (img, addr, o) => (calls.push(`upgrade ${img.name} 0x${addr.toString(16)} first=${o.firstInstall} start=${o.startStack}`), opts.upgrade()),
    startStack: async () => (calls.push('startStack'), ok),
    writeOptionBytes: async () => ok,
    flash: async () => ok,
    activateAntiRollback: async () => ok,
    close: async () => undefined,
  };
}

async function fusStep(): Promise<Step> {
  const dir = await mkdtemp(path.join(tmpdir(), 'copro-exec-'));
  const file = path.join(dir, 'fus.bin');
  const bytes = Buffer.from('pretend image bytes');
  await writeFile(file, bytes);
  return {
    n: 1,
    kind: 'fus-upgrade',
    title: 'Update FUS 0.5.3 -> 1.2.0',
    image: { name: 'stm32wb5x_FUS_fw_for_fus_0_5_3.bin', path: file, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, kind: 'fus', version: '1.2.0', origin: 'file' },
    address: '0x080EC000',
    reason: 'test',
    rule: 'test',
    requires: { fusVersion: '0.5.3' },
    expect: { fusVersion: '1.2.0', cpu2: 'fus' },
    irreversible: true,
    warnings: [],
  };
}

describe('runStep', () => {
  it('accepts a step whose tool said "not authentic" when the board shows the upgrade (field report P38)', async () => {
    const d = scriptedDriver({ upgrade: async () => ({ ok: false, error: 'NOT_AUTHENTIC', messages: ['FUS status is FUS_IMAGE_NOT_AUTHENTIC', 'Error: Firmware not authentic!'] }), after: boardState({ fusVersion: '1.2.0' }) });
    const r = await runStep(await fusStep(), { driver: d, verifiedImage: privateVerifiedCopy });
    expect(r.ok).toBe(true);
    expect(r.notes.join(' ')).toMatch(/tool reported a failure .* board shows the expected state/);
    expect(d.calls).toEqual(['upgrade stm32wb5x_FUS_fw_for_fus_0_5_3.bin 0x80ec000 first=true start=false', 'readState']);
  });

  it('fails a step whose tool said success when the board does not show it (exit code 0 after a failure)', async () => {
    const d = scriptedDriver({ upgrade: async () => ({ ok: true, messages: ['Firmware Upgrade Success'] }), after: boardState({ fusVersion: '0.5.3' }) });
    const r = await runStep(await fusStep(), { driver: d, verifiedImage: privateVerifiedCopy });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('VERIFY_FAILED');
    expect(r.error?.message).toContain('fus.version: expected "1.2.0", board shows "0.5.3"');
    expect(r.error?.message).toContain('the tool reported success');
  });

  it('refuses to write an image whose bytes changed after planning, before calling the driver', async () => {
    const step = await fusStep();
    await writeFile(step.image!.path!, 'tampered');
    const d = scriptedDriver({ upgrade: async () => ({ ok: true, messages: [] }), after: boardState({ fusVersion: '1.2.0' }) });
    const r = await runStep(step, { driver: d, verifiedImage: privateVerifiedCopy });
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}/);
    expect(d.calls.filter((c) => c.startsWith('upgrade'))).toEqual([]);
  });

  it('reports a step interrupted in flight as ABORTED without claiming success', async () => {
    const ac = new AbortController();
    const d = scriptedDriver({
      upgrade: async () => {
        ac.abort();
        throw new DriverError('ABORTED', 'killed STM32_Programmer_CLI');
      },
      after: boardState({ fusVersion: '0.5.3' }),
    });
    const r = await runStep(await fusStep(), { driver: d, signal: ac.signal, verifiedImage: privateVerifiedCopy });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('ABORTED');
  });
});
