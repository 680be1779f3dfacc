/** `copro apply --simulate` with `connection.driver: bootloader` runs the bootloader driver over the virtual DFU device. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, removeProjects } from '../cli/helpers.js';

afterAll(removeProjects);

describe('CLI with connection.driver: bootloader', () => {
  it('apply --simulate provisions through the bootloader driver, writes a transcript, and a second run plans nothing', async () => {
    const p = await makeProject();
    const m = await p.useManifest('nucleo-wb55-bootloader-usb.yaml');
    const first = await p.copro(['apply', m, '--simulate', '--yes'], { timeoutMs: 90_000 });
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toMatch(/provisioned and verified/);
    expect(first.all).toMatch(/unconfirmed by the sources/);
    const logs = path.join(p.dir, '.copro', 'logs');
    const transcript = await readFile(path.join(logs, (await readdir(logs))[0]!), 'utf8');
    // Every DFU request and its reply, e.g. the FUS_GET_STATE pointer (0xFFFF0054) and the info-table upload.
    expect(transcript).toMatch(/OUT class\/interface bRequest=1 wValue=0x0 wIndex=0 data\[5\]: 21 54 00 ff ff/);
    expect(transcript).toMatch(/<- ok data\[52\]: b9 56 46 a9/);
    const [serial] = await p.boards();
    const b = await p.board(serial!);
    expect(b.fus.version).toBe('2.2.0');
    expect(b.stack?.version).toBe('1.24.0');
    // No CubeProgrammer process ran: the board's own CLI counter did not move.
    expect(b.counters.cliProcesses).toBe(0);
    const status = await p.copro(['status', m, '--simulate']);
    expect(status.stdout).toMatch(/Read via\s+bootloader over usb/);
    expect(status.stdout).toMatch(/BLE_Stack_full 1\.24\.0, running/);
    const second = await p.copro(['plan', m, '--simulate', '--detailed-exitcode']);
    expect(second.exitCode, second.all).toBe(0);
  }, 120_000);

  it('refuses driver: bootloader over SWD as invalid input, touching nothing', async () => {
    const p = await makeProject();
    const m = await p.useManifest('nucleo-wb55-bootloader-usb.yaml', (t) => t.replace('port: usb ', 'port: swd '));
    const r = await p.copro(['plan', m, '--simulate']);
    expect(r.exitCode).toBe(4);
    expect(r.all).toMatch(/not over swd/);
  });
});
