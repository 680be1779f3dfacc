/**
 * Every transcript of /work/shared/reference/cli-transcripts is parsed into the right facts. The fixtures
 * are the verbatim CLI output of each file (fixtures/README.md); the numbers asserted here are read off the
 * transcripts by hand, not off the parser.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCliOutput, wordAt, optionByte } from '../../src/drivers/cubeprogrammer/parse.js';
import { connectArgs, fwUpgradeArgs, flashArgs, optionBytesArgs } from '../../src/drivers/cubeprogrammer/args.js';
import { reportFrom } from '../../src/drivers/cubeprogrammer/report.js';
import { FIXTURES, fixture } from './helpers/stub.js';

const parse = (name: string) => parseCliOutput(fixture(name));

describe('fixtures', () => {
  it('every transcript with CLI output has at least one fixture (25 is FAQ text only)', () => {
    const have = new Set(readdirSync(FIXTURES).map((f) => f.slice(0, 2)));
    for (const nn of ['00', '01', '02', '03', '05', '06', '07', '08', '09', '10', '11', '13', '14', '16', '17', '18', '19', '20', '23', '24', '26', '28']) expect(have, nn).toContain(nn);
  });

  it('no fixture leaves a line unparsed (except the truncated excerpt end of 09, which is a cut description)', () => {
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.txt') && !/^(00|08)/.test(x))) {
      expect(parseCliOutput(fixture(f)).unknownLines, f).toEqual([]);
    }
  });
});

describe('00 help text: every option copro sends is one the CLI documents', () => {
  const help = fixture('00-help-text.txt');
  const used = [
    ...connectArgs({ port: 'usb1', serial: 'X' }),
    ...connectArgs({ port: 'swd', serial: 'X' }),
    ...connectArgs({ port: '/dev/ttyACM0' }),
    ...fwUpgradeArgs('f.bin', 0x080ce000, { firstInstall: true, startStack: false }),
    ...flashArgs('app.bin', 0x08000000),
    ...optionBytesArgs({ nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 }),
    '-fusgetstate', '-startfus', '-fwdelete', '-startwirelessstack', '-antirollback', '-r32', '-l',
  ];
  it.each(used.filter((a) => a.startsWith('-')))('%s', (opt) => {
    expect(help).toMatch(new RegExp(`(^|[\\s,])${opt.replace(/[-]/g, '\\-')}\\b`, 'm'));
  });
  it.each(['sn=', 'mode=', 'br=', 'firstinstall=0|1', 'startstack=0|1', '[displ]'])('%s', (kw) => expect(help).toContain(kw));
});

describe('01 USB v2.5 -fwdelete on FUS 0.5.3 (256K part, USB drops after "Deleting firmware")', () => {
  const r = parse('01-usb-v2.5-fwdelete-fus053.txt');
  it('header', () => {
    expect(r.toolVersion).toBe('2.5.0');
    expect(r.header).toMatchObject({ transport: 'usb', serial: '206A3261554D', deviceId: 0x495, flashSizeBytes: 256 * 1024, iap: false });
  });
  it('two FUS pairs and no success line: the tool did not confirm the delete', () => {
    expect(r.fusStates).toEqual([
      { state: 'FUS_SERVICE_ONGOING', status: 'FUS_IMAGE_NOT_FOUND' },
      { state: 'FUS_IDLE', status: 'FUS_NO_ERROR' },
    ]);
    expect(r.successes).toEqual([]);
    expect(reportFrom(r, 0, r.successes.includes('fw-delete')).ok).toBe(false);
  });
});

describe('02 SWD v2.4 -ob then -fwupgrade (truncated)', () => {
  const r = parse('02-swd-v2.4-ob-then-fwupgrade.txt');
  it('ST-LINK header', () => {
    expect(r.header).toMatchObject({ transport: 'swd', serial: '066AFF3837334D4E43125539', probeFirmware: 'V2J34M25', voltage: 3.26, connectMode: 'Under Reset', deviceId: 0x495, deviceName: 'STM32WB55xx', flashSizeBytes: 1024 * 1024 });
  });
  it('option-byte warnings are warnings, not errors', () => {
    expect(r.errors).toEqual([]);
    expect(r.warnings).toContain('Option Byte: nswboot0, value: 0x0, was not modified.');
    expect(r.warnings).toContain("Option Bytes are unchanged, Data won't be downloaded");
  });
});

describe('03 USB Linux: erase failures, FUS gone', () => {
  it('a: every "erasing sector ... failed" is an error even though the download "completes"', () => {
    const r = parse('03a-usb-download-erase-failed.txt');
    expect(r.errors).toHaveLength(5);
    expect(r.errors[0]).toBe('erasing sector 0000 @: 0x08000000 failed');
    expect(r.successes).toContain('download-complete');
    expect(reportFrom(r, 0, true).ok).toBe(false);
  });
  it('b: r32 of the FUS version reads 0', () => {
    expect(wordAt(parse('03b-usb-r32-fus-gone.txt'), 0x20030030)).toBe(0);
  });
  it('c: -fwdelete with FUS not running', () => {
    const r = parse('03c-usb-fwdelete-fus-not-idle.txt');
    expect(r.fusStates).toEqual([{ state: 'FUS_ERROR', status: 'FUS_NOT_RUNNING' }]);
    expect(r.errors).toEqual(['Could not start service since FUS is not in IDLE state']);
    expect(reportFrom(r, 0, false).error).toBe('FUS_NOT_RUNNING');
  });
});

describe('05 GUI log with timestamps: FUS download outside flash', () => {
  const r = parse('05-gui-fus-download-failed.txt');
  it('timestamps stripped; bare GUI failure lines are errors', () => {
    expect(r.errors).toEqual(['Operation exceeds memory limits', 'failed to erase memory', 'Failed to download image!']);
    expect(r.unknownLines).toEqual([]);
  });
});

describe('06 SWD v2.7 on a 512K WB55CE', () => {
  it('a: FUS version through the operator at 0x20010010 = 1.1.1', () => {
    expect(wordAt(parse('06a-swd-v2.7-r32-operator.txt'), 0x20010010)).toBe(0x01010100);
  });
  it('b: a wrapped two-line error is one error', () => {
    const r = parse('06b-swd-v2.7-fus101-refused.txt');
    expect(r.errors).toEqual(['Could not execute fwupgrade command, Impossible to install FUS V1.0.1 on 256/512KB Flash Parts']);
    expect(reportFrom(r, 1, false).error).toBe('UNSUPPORTED');
  });
  it('c: stack update: operator loaded, "Flash already empty" is a warning, delete succeeded', () => {
    const r = parse('06c-swd-v2.7-stack-update-operator.txt');
    expect(r.toolVersion).toBe('2.7.0');
    expect(r.header).toMatchObject({ flashSizeBytes: 512 * 1024, deviceName: 'STM32WB5x', revisionId: 'Rev Y' });
    expect(r.events.filter((e) => e.kind === 'fus-operator').map((e) => (e as { text: string }).text)).toEqual([
      'Succeeded to set nSWboot0=0 nboot1=1 nboot0=1',
      'Opening and parsing file: 0x495_FUS_Operator.bin',
      'File : 0x495_FUS_Operator.bin',
    ]);
    expect(r.warnings).toContain('FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
    expect(r.errors).toEqual([]);
    expect(r.successes).toEqual(['download-complete', 'fw-delete']);
  });
});

describe('07 SWD v2.4', () => {
  it('a: 0x20030030 reads 0 over SWD (field report P25)', () => {
    const r = parse('07a-swd-v2.4-r32-zero.txt');
    expect(r.header?.serial).toBe('55FF6D067880565343501667');
    expect(wordAt(r, 0x20030030)).toBe(0);
  });
  it('b: banner and header of a truncated -ob/-fwupgrade run', () => {
    const r = parse('07b-swd-v2.4-ob-fwupgrade.txt');
    expect(r.header).toMatchObject({ serial: '54FF70067880565344321167', voltage: 3.21 });
    expect(r.errors).toEqual([]);
  });
});

describe('08 a USB production script: copro builds the same command forms', () => {
  const script = fixture('08-usb-scripted-sequence.txt');
  it('connect, -fwupgrade, -ob', () => {
    expect(script).toContain(`${connectArgs({ port: 'usb', serial: 'serialNumber' }).slice(1).join(' ')} -fwdelete`);
    expect(script).toContain(`-fwupgrade PathToFile ${fwUpgradeArgs('PathToFile', 0x080ce000, { firstInstall: false, startStack: true }).slice(2, 4).join(' ')}`);
  });
});

describe('09 SWD v2.4 Linux -ob displ (F1 layout, for indentation and the 3,23V decimal comma)', () => {
  const r = parse('09-swd-v2.4-linux-ob-displ-f1.txt');
  it('header with (default) flash size and a decimal comma', () => {
    expect(r.header).toMatchObject({ voltage: 3.23, deviceId: 0x410, flashSizeBytes: 128 * 1024, flashSizeIsDefault: true });
  });
  it('option bytes: enum, numeric and truncated fields', () => {
    expect(optionByte(r.optionBytes, 'rdp')?.value).toBeUndefined();
    expect(optionByte(r.optionBytes, 'RDP')?.text).toContain('Enabled');
    expect(optionByte(r.optionBytes, 'WDG_SW')?.value).toBe(1);
    expect(optionByte(r.optionBytes, 'Data0')?.value).toBe(0xff);
    expect(optionByte(r.optionBytes, 'WRP1')?.value).toBe(1);
  });
});

describe('10 option byte verification failures', () => {
  it('a: GUI without "Error:" prefixes', () => {
    const r = parse('10a-gui-ob-verification-failed.txt');
    expect(r.errors).toEqual(['Expected value for Option Byte "nSWboot0": 0x0, found: 0x1', 'Option Byte Programming failed', 'Failed to set nSWboot0=0 nboot1=1 nboot0=1']);
    expect(reportFrom(r, 0, false).error).toBe('OPTION_BYTES');
  });
  it('b: WB15 CLI with "Error:" prefixes', () => {
    const r = parse('10b-swd-ob-wb15-verification-errors.txt');
    expect(r.errors).toHaveLength(4);
    expect(r.errors[3]).toBe('Option Byte Programming failed Or modified by application after OB_LAUNCH');
  });
});

describe('11 v2.8 FUS_STATE_ERR_UNKNOWN via SWD', () => {
  it('a: the operator ran, then the FUS error', () => {
    const r = parse('11a-gui-v2.8-err-unknown.txt');
    expect(r.errors).toEqual(['FUS_STATE_ERR_UNKNOWN']);
    expect(r.events.some((e) => e.kind === 'fus-operator')).toBe(true);
    expect(reportFrom(r, 0, false).error).toBe('FUS_ERROR');
  });
  it('b: header with board and BL version', () => {
    expect(parse('11b-swd-v2.8-ob-displ-header.txt').header).toMatchObject({ board: 'P-NUCLEO-WB55', bootloaderVersion: '0xd5', serial: '066FFF3736324D5043233624' });
  });
});

describe('13 GUI "Read FUS infos" with FUS 2.2.0', () => {
  const r = parse('13-gui-read-fus-infos-fus220.txt');
  it('a bare FUS_STATE_IDLE is a FUS state; the read finishes', () => {
    expect(r.fusStates).toEqual([{ state: 'FUS_IDLE' }]);
    expect(r.successes).toContain('command-finished');
  });
});

describe('14 USB v2.3: the full mbed sequence', () => {
  it('a: -fwdelete: NOT_RUNNING then IDLE, delete finished', () => {
    const r = parse('14a-usb-v2.3-fwdelete.txt');
    expect(r.fusStates).toEqual([
      { state: 'FUS_ERROR', status: 'FUS_NOT_RUNNING' },
      { state: 'FUS_IDLE', status: 'FUS_NO_ERROR' },
    ]);
    expect(r.successes).toEqual(['fw-delete', 'command-finished']);
    expect(reportFrom(r, 0, true)).toMatchObject({ ok: true, exitCode: 0 });
  });
  it('b and d: FUS 0.5.3 then 1.0.2 at 0x20030030', () => {
    expect(wordAt(parse('14b-usb-v2.3-r32-fus053.txt'), 0x20030030)).toBe(0x00050300);
    expect(wordAt(parse('14d-usb-v2.3-r32-fus102.txt'), 0x20030030)).toBe(0x01000200);
  });
  it('c: FUS upgrade prints "not authentic" although FUS moved (P38): the report says NOT_AUTHENTIC, read-back decides', () => {
    const r = parse('14c-usb-v2.3-fus-upgrade-not-authentic.txt');
    expect(r.fusStates).toHaveLength(6);
    expect(r.fusStates[5]).toEqual({ state: 'FUS_UPGRADE_ONGOING', status: 'FUS_IMAGE_NOT_AUTHENTIC' });
    expect(r.errors).toEqual(['Firmware not authentic!']);
    expect(reportFrom(r, 0, r.successes.includes('fw-upgrade'))).toMatchObject({ ok: false, error: 'NOT_AUTHENTIC' });
  });
  it('e: stack install success ends with FUS_ERROR / FUS_NOT_RUNNING (the stack runs) and is ok', () => {
    const r = parse('14e-usb-v2.3-stack-upgrade-success.txt');
    expect(r.fusStates[r.fusStates.length - 1]).toEqual({ state: 'FUS_ERROR', status: 'FUS_NOT_RUNNING' });
    expect(r.successes).toContain('fw-upgrade');
    expect(reportFrom(r, 0, r.successes.includes('fw-upgrade')).ok).toBe(true);
  });
});

describe('16 v2.17 -l and connect', () => {
  it('a: probes (one broken), J-Link and ST-LINK interface errors, no DFU, no UART', () => {
    const r = parse('16a-v2.17-list.txt');
    expect(r.deviceList?.stlink).toEqual([
      { index: 0, serial: '5&1E237D3C&0&3', firmware: '', accessPort: 0 },
      { index: 1, serial: '56FF6F066682495259282187', firmware: 'V2J45S7', accessPort: 1 },
    ]);
    expect(r.deviceList?.dfu).toEqual([]);
    expect(r.deviceList?.uart).toEqual([]);
    expect(r.deviceList?.errors).toEqual(['No J-link probe detected.', 'ST-LINK error (DEV_CONNECT_ERR)']);
  });
  it('b: connected to an F1 (not a WB)', () => {
    expect(parse('16b-swd-v2.17-connect-ok.txt').header).toMatchObject({ deviceId: 0x410, flashSizeBytes: 64 * 1024 });
  });
  it('c: probe found, no target: NO_TARGET', () => {
    const r = parse('16c-swd-v2.17-no-target.txt');
    expect(r.header?.deviceId).toBeUndefined();
    expect(r.header?.serial).toBe('56FF6F066682495259282187');
    expect(reportFrom(r, 1, false).error).toBe('NO_TARGET');
  });
});

describe('17 -l in other versions', () => {
  it('a: v2.2 Linux, every line indented 6 more spaces', () => {
    const r = parse('17a-linux-v2.2-list-indented.txt');
    expect(r.toolVersion).toBe('2.2.0');
    expect(r.deviceList?.stlink).toEqual([{ index: 0, serial: '066CFF383333554157243011', firmware: 'V2J34M25' }]);
    expect(r.deviceList?.uart.map((u) => u.location)).toEqual(['/dev/ttyUSB0', '/dev/ttyACM0', '/dev/ttyS0']);
    expect(r.deviceList?.uart[1]).toMatchObject({ description: 'STM32 STLink', manufacturer: 'STMicroelectronics' });
  });
  it('b: newer probe entry with access port and board name', () => {
    expect(parse('17b-list-stlink-newer-format.txt').deviceList?.stlink).toEqual([{ index: 0, serial: '003F00493133510F37363734', firmware: 'V3J15M7', accessPort: 2, board: 'NUCLEO-H7S3L8' }]);
  });
  it('c: Windows UART section, board and probe serial before Port', () => {
    expect(parse('17c-windows-list-uart-stlinkv3.txt').deviceList?.uart).toEqual([
      { port: 'COM129', board: 'STLINK-V3SET', stlinkSerial: '002B00213037510B35333131', location: '\\\\.\\COM129', description: 'STMicroelectronics STLink Virtual COM Port', manufacturer: 'STMicroelectronics' },
    ]);
  });
});

describe('18 string literals other tools match on', () => {
  const r = parse('18-string-literals-from-parsers.txt');
  it('errors, successes, warnings, the RSS-era state name and an r32 word', () => {
    expect(r.errors).toEqual(['No STM32 target found!', 'FUS_STATE_ERR_UNKNOWN: Unknown error', 'Fus is not yet running, try again', 'FUS_STATE_ERR_UNKNOWN']);
    expect(r.successes).toEqual(['fw-upgrade', 'start-ws', 'command-finished', 'download-complete', 'option-bytes']);
    expect(r.warnings).toHaveLength(2);
    expect(r.fusStates).toEqual([{ state: 'FUS_IDLE' }]);
    expect(wordAt(r, 0x20030030)).toBe(0x00050300);
  });
});

describe('19 UART and assorted errors', () => {
  it('a: UART header: port, Chip ID, bootloader protocol', () => {
    const r = parse('19a-uart-v2.4-header-download.txt');
    expect(r.header).toMatchObject({ transport: 'uart', serialPort: 'COM3', deviceId: 0x413, bootloaderVersion: '3.1' });
  });
  it('b: activating KO is NO_TARGET', () => expect(reportFrom(parse('19b-uart-v2.10-activating-ko.txt'), 1, false).error).toBe('NO_TARGET'));
  it('c: an Error line then "done successfully": the error wins', () => {
    const r = parse('19c-swd-v2.13-contradictory-download.txt');
    expect(r.errors).toEqual(["Failed to download data! If it's a Flash memory, it may be not erased or protected"]);
    expect(reportFrom(r, 0, r.successes.includes('download-verified')).ok).toBe(false);
  });
  it('d: v2.20 errors in order', () => expect(parse('19d-v2.20-errors.txt').errors).toHaveLength(4));
  it('e: a -log file line with an HH:MM:SS:mmm prefix', () => expect(parse('19e-uart-v2.3-log-file-prefix.txt').errors).toEqual(['Number of bytes to be be read at address: 0x1FFFF7CC not acknowledged!']));
});

describe('20 the not-authentic quirk and other tails', () => {
  it('a: a status with no state before it is kept', () => {
    const r = parse('20a-usb-fus-upgrade-not-authentic-tail.txt');
    expect(r.fusStates).toEqual([{ state: 'unknown', status: 'FUS_IMAGE_NOT_AUTHENTIC' }]);
    expect(reportFrom(r, 0, false).error).toBe('NOT_AUTHENTIC');
  });
  it('b: Firmware Upgrade Success', () => expect(parse('20b-usb-stack-upgrade-success-tail.txt').successes).toEqual(['fw-upgrade']));
  it('c: "start operation achieved successfully" is known noise', () => expect(parse('20c-usb-v2.9-start.txt')).toMatchObject({ unknownLines: [], errors: [] }));
});

describe('23 v2.18 Linux, option bytes', () => {
  it('a: trailing spaces after the banner title; "unchanged" is a warning', () => {
    const r = parse('23a-swd-v2.18-linux-ob-unchanged.txt');
    expect(r.toolVersion).toBe('2.18.0');
    expect(r.header).toMatchObject({ board: 'STM32L562E-DK', flashSizeIsDefault: true, deviceId: 0x472 });
    expect(r.warnings).toContain("Option Bytes are unchanged, Data won't be downloaded");
  });
  it('b: -ob displ body: values and the (0xADDR) form', () => {
    const ob = parse('23b-ob-displ-body-l5.txt').optionBytes;
    expect(optionByte(ob, 'RDP')?.value).toBe(0xaa);
    expect(optionByte(ob, 'nSWboot0')?.value).toBe(1);
    expect(optionByte(ob, 'SECWM1_PEND')).toMatchObject({ value: 0x39, address: 0x8039000 });
  });
});

describe('24 SFSA cannot be written from CPU1', () => {
  it('a: v2.4 padded: OPTION_BYTES error', () => {
    const r = parse('24a-swd-v2.4-ob-sfsa-refused.txt');
    expect(r.errors).toEqual(['Expected value for Option Byte "sfsa": 0xCB, found: 0x0', 'Option Byte Programming failed']);
    expect(reportFrom(r, 0, false).error).toBe('OPTION_BYTES');
  });
  it('b: v2.2 collapsed whitespace: options programmed, then the old operator file name', () => {
    const r = parse('24b-swd-v2.2-collapsed-ob-fwupgrade.txt');
    expect(r.toolVersion).toBe('2.2.0');
    expect(r.header).toMatchObject({ serial: '066EFF393738425043094308', voltage: 2.38, deviceName: 'STM32WBxx' });
    expect(r.successes).toEqual(['option-bytes']);
    expect(r.events.some((e) => e.kind === 'fus-operator')).toBe(true);
  });
});

describe('26 r32 multi-word, IAP, security extension', () => {
  it('a: two -r32 in one call: the FUS 1.1.1 info table word by word', () => {
    const r = parse('26a-swd-v2.5-r32-multiword.txt');
    expect(r.r32.map((b) => b.words.length)).toEqual([1, 4, 4, 4, 1]);
    expect(wordAt(r, 0x20030024)).toBe(0xa94656b9);
    expect(wordAt(r, 0x20030030)).toBe(0x01010100);
    expect(wordAt(r, 0x2003004c)).toBe(0x00658473);
    expect(wordAt(r, 0x20030054)).toBe(0x00000496);
    expect(r.header?.connectMode).toBe('Hot Plug');
  });
  it('b: IAP instead of Device ID', () => {
    const r = parse('26b-usb-v2.5-iap-r32.txt');
    expect(r.header).toMatchObject({ transport: 'usb', iap: true, serial: '205330923036' });
    expect(r.header?.deviceId).toBeUndefined();
    expect(wordAt(r, 0x20030030)).toBe(0xae1c889c);
  });
  it('c: FUS command refused on IAP: UNSUPPORTED', () => expect(reportFrom(parse('26c-usb-v2.5-iap-fwupgrade-refused.txt'), 1, false).error).toBe('UNSUPPORTED'));
  it('d: security extension not instantiated: UNSUPPORTED', () => expect(reportFrom(parse('26d-swd-v2.1-security-extension.txt'), 1, false).error).toBe('UNSUPPORTED'));
});

describe('28 output differences between versions', () => {
  it('a: v2.15: ± progress bar at 0% and "695.21 KB" are noise', () => expect(parse('28a-usb-v2.15-download-plusminus-bar.txt')).toMatchObject({ unknownLines: [], errors: [] }));
  it('b: v2.16: (default) flash size and "sector does not exist"', () => {
    const r = parse('28b-usb-v2.16-collapsed-default-flash.txt');
    expect(r.header).toMatchObject({ flashSizeBytes: 1024 * 1024, flashSizeIsDefault: true });
    expect(r.errors).toEqual(['sector 0000 does not exist', 'sector 0009 does not exist']);
  });
  it('c: v2.21: "Error:" glued to the progress bar, text on the next lines', () => {
    const r = parse('28c-swd-v2.21-glued-error.txt');
    expect(r.toolVersion).toBe('2.21.0');
    expect(r.errors).toEqual(["Downloading 8-bit data failed... If it's a Flash memory, it may be not erased or protected"]);
  });
  it('d: three download errors', () => expect(parse('28d-usb-v2.4-download-errors.txt').errors).toEqual(['failed to download Segment[0]', 'failed to download the File', 'Failed to download image!']));
});
