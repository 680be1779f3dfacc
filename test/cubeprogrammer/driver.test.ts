/** The driver's flows against a scripted CLI: argv, state read-back, refusals, reconnects, reports. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/driver.js';
import { CubeProgrammerDriver, type CubeProgrammerDriverOptions } from '../../src/drivers/cubeprogrammer/driver.js';
import type { AvailableImage } from '../../src/images/types.js';
import { BANNER, STUB, SWD_HEADER, USB_HEADER, fixture, obDispl, stubCli, type Rule } from './helpers/stub.js';

const FUS_RUNNING_TABLE = (fus: string, stack: string) =>
  `0x20030024 : A94656B9 00000001 01010000 ${fus}\n0x20030034 : 00000006 ${stack} 00000023 00000000\n0x20030044 : 00000000 00000000 00658473 0080E126\n0x20030054 : 00000495\n`;

const usb = (body: string, v = '2.20.0') => BANNER(v) + USB_HEADER + body;
const swd = (body: string, v = '2.20.0') => BANNER(v) + SWD_HEADER + body;

/** USB operations first connect alone when the header is not known yet (to refuse an IAP device before a FUS command). */
const PROBE = '-c port=usb1';

function driver(rules: Rule[], o: Partial<CubeProgrammerDriverOptions> = {}) {
  const stub = stubCli([...rules, { match: '^-c port=usb1$', stdout: usb('') }]);
  const sleeps: number[] = [];
  const d = new CubeProgrammerDriver({
    executable: STUB,
    port: 'usb1',
    env: stub.env,
    logFile: stub.logFile,
    toolVersion: '2.20.0',
    sleep: async (ms) => void sleeps.push(ms),
    now: () => new Date('2025-01-01T00:00:00Z'),
    ...o,
  });
  return { d, stub, sleeps, args: () => stub.calls().map((c) => c.join(' ')) };
}


function image(file: string, kind: 'fus' | 'stack', version: string, extra: Partial<AvailableImage> = {}): AvailableImage {
  return {
    name: path.basename(file),
    path: file,
    origin: 'file',
    identity: { sha256: '0'.repeat(64), size: 200, kind, version, versionSource: 'footer', fusV2Only: false, imageMagic: 0, versionWord: 0, memorySizeWord: 0, flashPages: 1, signature: 'st', families: ['STM32WB5x'], warnings: [], ...(kind === 'stack' ? { stackType: 'BLE_Stack_full' } : {}) },
    ...extra,
  };
}
function imageFile(standIn: boolean): string {
  const bytes = Buffer.alloc(200, 0xab);
  if (standIn) bytes.write('COPRO-SIMULATED', 200 - 20 - 64, 'ascii');
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'copro-img-')), 'stm32wb5x_BLE_Stack_full_fw.bin');
  writeFileSync(f, bytes);
  return f;
}

describe('readState over USB DFU', () => {
  it('FUS running: one non-invasive call, versions from the info table, option bytes, device key, UID64', async () => {
    const { d, args } = driver([{ match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n' + FUS_RUNNING_TABLE('01020000', '01180003') + obDispl({ sfsa: '0xCE', sbrv: '0x33800' })) }]);
    const s = await d.readState();
    expect(args()).toEqual(['-c port=usb1 -fusgetstate -r32 0x20030024 52 -ob displ']);
    expect(s.cpu2).toBe('fus');
    expect(s.fus).toEqual({ version: '1.2.0', state: 'FUS_IDLE', error: 'NO_ERROR' });
    expect(s.stack).toMatchObject({ status: 'installed', version: '1.24.0', build: 3, type: 'unknown', running: false, installAddress: '0x080CE000' });
    expect(s.optionBytes).toEqual({ rdp: '0xAA', sfsa: '0xCE', sbrv: '0x33800', nSWboot0: 1, nBOOT0: 1, nBOOT1: 1, ese: 1 });
    expect(s.device).toEqual({ deviceId: '0x495', flashSizeKB: 1024, key: 'STM32WB5xxG_1M', uid64: '0x0080E12600658473', probeSerial: '207F38933036' });
    expect(s.source).toEqual({ driver: 'cubeprogrammer', transport: 'usb', readAt: '2025-01-01T00:00:00.000Z', toolVersion: '2.20.0' });
    expect(s.antiRollback).toBe('unknown');
  });

  it('stack running: FUS_NOT_RUNNING, so start FUS to read the versions, then start the stack again (and say so)', async () => {
    const { d, args } = driver([
      { match: '-fusgetstate', stdout: usb('FUS state is FUS_ERROR\n\nFUS status is FUS_NOT_RUNNING\n0x20030024 : 130E0019 00000000 00000000 00000000\n' + obDispl({ sfsa: '0xCE', sbrv: '0x33800' })) },
      { match: '-startfus', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\nStartFus activated successfully\n' + FUS_RUNNING_TABLE('02020000', '01180003')) },
      { match: '-startwirelessstack', stdout: usb('FusStartWS activated successfully\nstartwirelessStack command execution finished\n') },
    ]);
    const s = await d.readState();
    expect(args()).toEqual(['-c port=usb1 -fusgetstate -r32 0x20030024 52 -ob displ', '-c port=usb1 -startfus -r32 0x20030024 52', '-c port=usb1 -startwirelessstack']);
    expect(s.cpu2).toBe('stack');
    expect(s.fus).toMatchObject({ version: '2.2.0', state: 'FUS_ERROR', error: 'STATE_NOT_RUNNING' });
    expect(s.stack).toMatchObject({ status: 'installed', version: '1.24.0', running: true });
    expect(s.notes.join('\n')).toMatch(/started FUS to read the versions .* started the stack again/);
  });

  it('no stack installed: status none', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n' + FUS_RUNNING_TABLE('01020000', '00000000') + obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }]);
    expect((await d.readState()).stack).toEqual({ status: 'none', version: null, type: null, running: false });
  });

  it('an invalid info table gives unknown versions, never a guess (P11: AE1C889C)', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n0x20030024 : AE1C889C 00000000 00000000 00000000\n' + obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }]);
    const s = await d.readState();
    expect(s.fus.version).toBe('unknown');
    expect(s.stack.status).toBe('unknown');
    expect(s.notes.join('\n')).toContain('0xAE1C889C');
  });

  it('safeboot: SFSA 0 and SBRV 0x3FC00', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n' + FUS_RUNNING_TABLE('01020000', '00000000') + obDispl({ sfsa: '0x00', sbrv: '0x3FC00' })) }]);
    expect((await d.readState()).cpu2).toBe('safeboot');
  });

  it('a DFU device that says IAP is refused with a remedy (no FUS commands possible)', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: BANNER('2.5.0') + fixture('26b-usb-v2.5-iap-r32.txt').split('\n').slice(3).join('\n') }]);
    const e = (await d.readState().catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.details.remedy).toMatch(/BOOT0/);
  });

  it('output the parser does not know is an error that quotes the line', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\nFUS says hello in a new way\n') }]);
    const e = (await d.readState().catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('TOOL_ERROR');
    expect(e.message).toContain('"FUS says hello in a new way"');
  });

  it('an ambiguous 512K part is reported as unknown, with a note', async () => {
    const header = USB_HEADER.replace('1 MBytes', '512 KBytes');
    const { d } = driver([{ match: '-fusgetstate', stdout: BANNER('2.20.0') + header + 'FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n' + FUS_RUNNING_TABLE('01020000', '00000000') + obDispl({ sfsa: '0x80', sbrv: '0x20000' }) }]);
    const s = await d.readState();
    expect(s.device.key).toBe('unknown');
    expect(s.notes.join('\n')).toMatch(/STM32WB5xxE_512K and STM32WB3xxE_512K/);
  });
});

describe('readState over SWD', () => {
  it('operator addresses and the UID; notes that the application was clobbered', async () => {
    const { d, args } = driver(
      [
        { match: '-fusgetstate', stdout: swd('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n0x20010010 : 01020000 010E0003\n0x1FFF7580 : 00658473 0080E126\n' + obDispl({ sfsa: '0xCB', sbrv: '0x32C00' })) },
        // cli-transcripts/18 (a): the -startwirelessstack success lines.
        { match: '-startwirelessstack', stdout: swd('FusStartWS activated successfully\nstartwirelessStack command execution finished\n') },
      ],
      { port: 'swd' },
    );
    const s = await d.readState();
    // The operator's read leaves CPU2 in FUS (P36): the installed stack is started again.
    expect(args()).toEqual(['-c port=swd mode=UR -fusgetstate -r32 0x20010010 8 -r32 0x1FFF7580 8 -ob displ', '-c port=swd mode=UR -startwirelessstack']);
    expect(s).toMatchObject({ cpu2: 'stack', stack: { running: true } });
    expect(s.fus.version).toBe('1.2.0');
    expect(s.stack).toMatchObject({ version: '1.14.0', build: 3, installAddress: '0x080CB000' });
    expect(s.device.uid64).toBe('0x0080E12600658473');
    expect(s.application).toEqual({ present: 'unknown', clobberedByFusOperator: true });
    expect(s.notes.join('\n')).toMatch(/FUS operator: flash sectors 0-1/);
  });
  it('a 0.0.0.0 FUS version through the operator is unknown (P4, P27)', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: swd('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n0x20010010 : 00000000 00000000\n' + obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }], { port: 'swd' });
    expect((await d.readState()).fus.version).toBe('unknown');
  });
});

describe('operations', () => {
  it('deleteStack: success lines of v2.3', async () => {
    const { d, args } = driver([{ match: '-fwdelete', stdout: BANNER('2.3.0') + fixture('14a-usb-v2.3-fwdelete.txt').split('\n').slice(3).join('\n') }]);
    const r = await d.deleteStack();
    expect(args().at(-1)).toBe('-c port=usb1 -fwdelete');
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.messages).toContain('FUS state is FUS_IDLE / FUS status is FUS_NO_ERROR');
  });
  it('deleteStack: nothing installed is not a failure', async () => {
    const { d } = driver([{ match: '-fwdelete', stdout: usb('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !\n') }]);
    const r = await d.deleteStack();
    expect(r.ok).toBe(true);
    expect(r.messages).toContain('no stack was installed: nothing to delete');
  });
  it('deleteStack with the stack running: FUS_NOT_RUNNING', async () => {
    const { d } = driver([{ match: '-fwdelete', stdout: usb(fixture('03c-usb-fwdelete-fus-not-idle.txt')), exitCode: 1 }]);
    expect(await d.deleteStack()).toMatchObject({ ok: false, error: 'FUS_NOT_RUNNING', exitCode: 1 });
  });
  it('upgrade: exact argv (staging area erased up to SFSA, firstinstall / startstack as asked, -v); the stack type is not recorded as if read', async () => {
    const file = imageFile(false);
    const { d, args } = driver([
      { match: '-ob displ$', stdout: usb(obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) },
      { match: '-fwupgrade', stdout: usb(fixture('14e-usb-v2.3-stack-upgrade-success.txt').split('\n').slice(15).join('\n')) },
      { match: '-fusgetstate', stdout: usb('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n' + FUS_RUNNING_TABLE('01020000', '01180003') + obDispl({ sfsa: '0xCE', sbrv: '0x33800' })) },
    ]);
    const r = await d.upgrade(image(file, 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: false });
    // SFSA read first (-ob displ), then the pages above the image up to SFSA erased in the same call (0xCF..0xF3).
    expect(args()).toEqual([PROBE, '-c port=usb1 -ob displ', `-c port=usb1 -e [207 243] -fwupgrade ${file} 0x080CE000 firstinstall=1 startstack=0 -v`]);
    expect(r.ok).toBe(true);
    // FUS mode does not report the type: what copro meant to install is not shown as read (FUS may have found a leftover).
    expect((await d.readState()).stack.type).toBe('unknown');
  });
  it('upgrade: with the application end given, the pages from there to the image are erased too', async () => {
    const file = imageFile(false);
    const { d, args } = driver([{ match: '-ob displ$', stdout: usb(obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }, { match: '-fwupgrade', stdout: usb('Firmware Upgrade Success\n') }]);
    await d.upgrade(image(file, 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true, stagingStart: 0x08040000 });
    expect(args().at(-1)).toBe(`-c port=usb1 -e [64 205] -e [207 243] -fwupgrade ${file} 0x080CE000 firstinstall=1 startstack=1 -v`);
  });
  it('upgrade: an Error line with exit code 0 is not ok (the runner re-reads)', async () => {
    const { d } = driver([{ match: '-ob displ$', stdout: usb(obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }, { match: '-fwupgrade', stdout: usb('Error: FUS_STATE_ERR_UNKNOWN\n'), exitCode: 0 }, { match: '', stdout: usb('') }]);
    expect(await d.upgrade(image(imageFile(false), 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true })).toMatchObject({ ok: false, exitCode: 0, error: 'FUS_ERROR' });
  });
  it('upgrade: a stand-in image is refused before the CLI runs, unless allowed', async () => {
    const file = imageFile(true);
    const { d, stub } = driver([{ match: '', stdout: usb('Firmware Upgrade Success\n') }]);
    const e = (await d.upgrade(image(file, 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true }).catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('REFUSED');
    expect(stub.calls()).toEqual([]);
    const declared = (await d.upgrade(image(imageFile(false), 'stack', '1.24.0', { origin: 'stand-in' }), 0x080ce000, { firstInstall: true, startStack: true }).catch((x: unknown) => x)) as DriverError;
    expect(declared.code).toBe('REFUSED');
    const allowed = driver([{ match: '-ob displ$', stdout: usb(obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }, { match: '', stdout: usb('Firmware Upgrade Success\n') }], { allowStandInImages: true });
    expect((await allowed.d.upgrade(image(file, 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true })).ok).toBe(true);
  });
  it('startStack and startFus', async () => {
    const { d, args } = driver([
      { match: '-startwirelessstack', stdout: usb('FusStartWS activated successfully\nstartwirelessStack command execution finished\n') },
      { match: '-startfus', stdout: usb('StartFus activated successfully\n') },
    ]);
    expect((await d.startStack()).ok).toBe(true);
    expect((await d.startFus()).ok).toBe(true);
    expect(args()).toEqual([PROBE, '-c port=usb1 -startwirelessstack', '-c port=usb1 -startfus']);
  });
  it('writeOptionBytes: argv; "unchanged" is fine; a verification error is OPTION_BYTES', async () => {
    const { d, args } = driver([
      { match: '-ob', stdout: swd("Warning: Option Byte: nswboot0, value: 0x1, was not modified.\n\nWarning: Option Bytes are unchanged, Data won't be downloaded\n"), times: 1 },
      { match: '-ob', stdout: swd(fixture('24a-swd-v2.4-ob-sfsa-refused.txt').split('\n').slice(18).join('\n')) },
    ], { port: 'swd' });
    expect((await d.writeOptionBytes({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 })).ok).toBe(true);
    expect(args()[0]).toBe('-c port=swd mode=UR -ob nSWboot0=1 nBOOT0=1 nBOOT1=1');
    expect(await d.writeOptionBytes({ nSWboot0: 1 })).toMatchObject({ ok: false, error: 'OPTION_BYTES' });
  });
  it('flash: -d file addr -v, needs both "download complete" and "verified"', async () => {
    const { d, args } = driver([{ match: '-d', stdout: swd('File download complete\nVerifying ...\nDownload verified successfully\n') }], { port: 'swd' });
    expect((await d.flash('/tmp/app.bin', 0x08000000)).ok).toBe(true);
    expect(args()).toEqual(['-c port=swd mode=UR -d /tmp/app.bin 0x08000000 -v']);
  });
  it('UART connect args', async () => {
    const { d, args } = driver([{ match: '-startfus', stdout: BANNER('2.20.0') + 'Serial Port /dev/ttyACM0 is successfully opened.\nActivating device: OK\nChip ID: 0x495\nBootLoader protocol version: 3.1\nStartFus activated successfully\n' }], { port: '/dev/ttyACM0', baudrate: 57600 });
    expect((await d.startFus()).ok).toBe(true);
    expect(args()).toEqual(['-c port=/dev/ttyACM0 br=57600 -startfus']);
  });
});

describe('SWD specifics', () => {
  const fus22 = swd('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\n0x20010010 : 02020000 00000000\n' + obDispl({ sfsa: '0xF4', sbrv: '0x3D000' }), '2.17.0');
  it('the version in the banner wins over the configured one', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: fus22 }], { port: 'swd', toolVersion: '2.20.0' });
    await d.readState();
    expect(d.info().toolVersion).toBe('2.17.0');
  });
  it('FUS 2.x with CubeProgrammer < 2.20 over SWD: delete and upgrade refused before running (P1, P46)', async () => {
    const { d, stub } = driver([{ match: '-fusgetstate', stdout: fus22 }], { port: 'swd', toolVersion: '2.17.0' });
    await d.readState();
    const del = (await d.deleteStack().catch((x: unknown) => x)) as DriverError;
    expect(del.code).toBe('UNSUPPORTED');
    expect(del.details.remedy).toMatch(/USB DFU .* >= 2\.20/);
    const up = (await d.upgrade(image(imageFile(false), 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true }).catch((x: unknown) => x)) as DriverError;
    expect(up.code).toBe('UNSUPPORTED');
    expect(stub.calls()).toHaveLength(1);
  });
  it('installing FUS 2.x over SWD with an old CubeProgrammer is refused too', async () => {
    const fus12 = fus22.replace('02020000', '01020000');
    const { d } = driver([{ match: '-fusgetstate', stdout: fus12 }], { port: 'swd', toolVersion: '2.17.0' });
    await d.readState();
    expect(((await d.upgrade(image(imageFile(false), 'fus', '2.2.0'), 0x080ee000, { firstInstall: true, startStack: false }).catch((x: unknown) => x)) as DriverError).code).toBe('UNSUPPORTED');
  });
  it('with CubeProgrammer 2.20 the delete runs, and the report says the operator overwrote sectors 0-1', async () => {
    const { d } = driver([{ match: '-fusgetstate', stdout: fus22.replace('v2.17.0', 'v2.20.0') }, { match: '-fwdelete', stdout: swd(fixture('06c-swd-v2.7-stack-update-operator.txt').split('\n').slice(17).join('\n')) }], { port: 'swd', toolVersion: '2.20.0' });
    await d.readState();
    const r = await d.deleteStack();
    expect(r.ok).toBe(true);
    expect(r.messages.join('\n')).toMatch(/operator overwrote flash sectors 0-1 .*re-flashed/);
  });
  it('anti-rollback over SWD is refused (bootloader interface only)', async () => {
    const { d } = driver([], { port: 'swd' });
    expect(((await d.activateAntiRollback().catch((x: unknown) => x)) as DriverError).code).toBe('UNSUPPORTED');
  });
});

describe('reconnects after a reset', () => {
  const ok = usb('StartFus activated successfully\n');
  const gone = BANNER('2.20.0') + 'Error: No STM32 target found!\n';
  it('retries with growing delays until the device is back', async () => {
    const { d, sleeps, args } = driver([{ match: '-startfus', stdout: ok, times: 1 }, { match: '-startfus', stdout: gone, exitCode: 1, times: 2 }, { match: '-startfus', stdout: ok }]);
    await d.startFus();
    expect((await d.startFus()).ok).toBe(true);
    expect(sleeps).toEqual([500, 1000]);
    expect(args()).toEqual([PROBE, ...Array(4).fill('-c port=usb1 -startfus')]);
  });
  it('gives up after the limit: DISCONNECTED', async () => {
    const { d } = driver([{ match: '-startfus', stdout: ok, times: 1 }, { match: '-startfus', stdout: gone, exitCode: 1 }], { reconnect: { limitMs: 3000 } });
    await d.startFus();
    const e = (await d.startFus().catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('DISCONNECTED');
    expect(e.message).toMatch(/did not come back .* No STM32 target found/);
  });
  it('never connected: NO_TARGET at once, with a remedy', async () => {
    const { d, args } = driver([{ match: '', stdout: gone, exitCode: 1 }]);
    const e = (await d.startFus().catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('NO_TARGET');
    expect(e.details.remedy).toMatch(/BOOT0/);
    expect(args()).toHaveLength(1);
  });
});

describe('timeouts', () => {
  it('a hung -fwupgrade is killed after its own limit: TIMEOUT naming the log file', async () => {
    const { d, stub } = driver([{ match: '-ob displ$', stdout: usb(obDispl({ sfsa: '0xF4', sbrv: '0x3D000' })) }, { match: '-fwupgrade', stdout: usb('Firmware Upgrade process started ...\n'), sleepMs: -1 }, { match: '', stdout: usb('') }], { timeoutMs: { upgrade: 500 } });
    const e = (await d.upgrade(image(imageFile(false), 'stack', '1.24.0'), 0x080ce000, { firstInstall: true, startStack: true }).catch((x: unknown) => x)) as DriverError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain(stub.logFile);
    expect(e.message).toContain('-fwupgrade');
  });
});
