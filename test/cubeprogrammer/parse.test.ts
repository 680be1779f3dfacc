/** Output styles across CubeProgrammer versions; whitespace, CRLF and timestamps never change the meaning. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanLines, parseCliOutput, parseOptionByteLine, parseSizeBytes, wordAt } from '../../src/drivers/cubeprogrammer/parse.js';
import { versionFromText } from '../../src/drivers/cubeprogrammer/invoke.js';
import { fixture } from './helpers/stub.js';

/** The meaning of a result: what the driver acts on. */
const meaning = (text: string) => {
  const r = parseCliOutput(text);
  return { v: r.toolVersion, h: r.header, f: r.fusStates, e: r.errors, w: r.warnings, s: r.successes, r: r.r32, u: r.unknownLines, d: r.deviceList };
};

describe('sizes', () => {
  it.each([
    ['24492 Bytes', 24492],
    ['8 KBytes', 8192],
    ['8.00 KB', 8192],
    ['695,21 KB', Math.round(695.21 * 1024)],
    ['695.21 KB ', Math.round(695.21 * 1024)],
    ['1 MBytes', 1048576],
    ['512 KBytes (default)', 524288],
  ])('%s', (t, n) => expect(parseSizeBytes(t)).toBe(n));
  it('refuses what is not a size', () => expect(parseSizeBytes('--')).toBeUndefined());
});

describe('device id forms', () => {
  it.each(['Device ID   : 0x495', 'Device ID : 0x0495', 'Device ID:0x495'])('%s', (l) => expect(parseCliOutput(l).header?.deviceId).toBe(0x495));
});

describe('banner forms (2.2 ... 2.21)', () => {
  it.each([
    ['      -------------------------------------------------------------------\n                       STM32CubeProgrammer v2.3.0\n', '2.3.0'],
    ['                        STM32CubeProgrammer v2.18.0                  \n', '2.18.0'],
    ['-------------------------------------------------------------------\nSTM32CubeProgrammer v2.21.0\n', '2.21.0'],
    ['STM32CubeProgrammer version: 2.20.0 \n', '2.20.0'],
  ])('%#', (text, v) => {
    expect(parseCliOutput(text).toolVersion).toBe(v);
    expect(versionFromText(text)).toBe(v);
  });
});

describe('progress bars', () => {
  it.each(['[==================================================] 100% ', '██████████████████████████████████████████████████ 100%', '±±±±±±±±±± 0%', '[====>      ]  42%'])('%s is noise', (bar) => {
    expect(parseCliOutput(bar)).toMatchObject({ unknownLines: [], errors: [], events: [] });
  });
  it('keeps text glued after a bar (v2.21)', () => {
    expect(cleanLines('████████Error: boom')).toEqual(['Error: boom']);
  });
});

describe('r32 blocks', () => {
  it('4 words per line, addresses follow on', () => {
    const r = parseCliOutput('0x20030024 : A94656B9 00000001 01010000 01010100\n0x20030034 : 00000006 00000000 00000000 00000000\n');
    expect(wordAt(r, 0x20030034)).toBe(6);
    expect(wordAt(r, 0x20030030)).toBe(0x01010100);
    expect(wordAt(r, 0x20030044)).toBeUndefined();
    expect(wordAt(r, 0x20030026)).toBeUndefined();
  });
  it('lower-case hex too', () => expect(wordAt(parseCliOutput('0x20010010 : 0102ab00'), 0x20010010)).toBe(0x0102ab00));
});

describe('option byte lines', () => {
  it.each([
    ['     SFSA         : 0xF4  (0x80F4000) ', 'SFSA', 0xf4, 0x80f4000],
    ['SBRV : 0x32C00 (0x80CB000)', 'SBRV', 0x32c00, 0x80cb000],
    ['     RDP          : 0xAA (Level 0, no protection) ', 'RDP', 0xaa, undefined],
    ['nSWBOOT0 : 0x1 (BOOT0 taken from PH3/BOOT0 pin)', 'nSWBOOT0', 1, undefined],
  ])('%s', (line, name, value, address) => {
    const f = parseOptionByteLine(line.trim());
    expect(f?.name).toBe(name);
    expect(f?.field.value).toBe(value);
    expect(f?.field.address).toBe(address);
  });
});

describe('strict about meaning', () => {
  it('an unknown line after the header is reported, never dropped', () => {
    const r = parseCliOutput(fixture('14e-usb-v2.3-stack-upgrade-success.txt') + 'Stack magically upgraded twice\n');
    expect(r.unknownLines).toEqual(['Stack magically upgraded twice']);
  });
  it('a warning about an empty flash is a warning', () => {
    const r = parseCliOutput('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !\nFirmware delete Success\n');
    expect(r.errors).toEqual([]);
    expect(r.successes).toEqual(['fw-delete']);
  });
  it('events keep their order', () => {
    const r = parseCliOutput('FUS state is FUS_IDLE\n\nFUS status is FUS_NO_ERROR\nError: x\nWarning: y\nFirmware Upgrade Success\n0x20030030 : 01020000\n');
    expect(r.events.map((e) => e.kind)).toEqual(['fus', 'error', 'warning', 'success', 'r32']);
  });
  it('each success line', () => {
    const text = ['Firmware Upgrade Success', 'Firmware delete finished', 'Firmware delete Success', 'fwdelete command execution finished', 'FusStartWS activated successfully', 'startwirelessStack command execution finished', 'StartFus activated successfully', 'Option Bytes successfully programmed'].join('\n');
    expect(parseCliOutput(text).successes).toEqual(['fw-upgrade', 'fw-delete', 'fw-delete', 'command-finished', 'start-ws', 'command-finished', 'start-fus', 'option-bytes']);
  });
});

// Every fixture that is a whole CLI run, in the styles the brief names (2.2, 2.3, 2.4, 2.5, 2.7, 2.8, 2.17, 2.21).
const RUNS = [
  '24b-swd-v2.2-collapsed-ob-fwupgrade.txt',
  '14c-usb-v2.3-fus-upgrade-not-authentic.txt',
  '24a-swd-v2.4-ob-sfsa-refused.txt',
  '26a-swd-v2.5-r32-multiword.txt',
  '06c-swd-v2.7-stack-update-operator.txt',
  '11b-swd-v2.8-ob-displ-header.txt',
  '16a-v2.17-list.txt',
  '28c-swd-v2.21-glued-error.txt',
  '05-gui-fus-download-failed.txt',
];

describe('form never changes meaning (property)', () => {
  it.each(RUNS)('%s: CRLF, padding, collapsed runs of spaces, GUI timestamps', (name) => {
    const text = fixture(name);
    const base = meaning(text);
    fc.assert(
      fc.property(
        fc.record({ crlf: fc.boolean(), indent: fc.nat(8), trail: fc.nat(4), collapse: fc.boolean(), stamp: fc.boolean() }),
        ({ crlf, indent, trail, collapse, stamp }) => {
          const lines = text.split('\n').map((l) => {
            let x = collapse ? l.replace(/ {2,}/g, ' ') : l;
            if (x.trim() !== '') x = ' '.repeat(indent) + x + ' '.repeat(trail);
            // A GUI log line already has its stamp (05); a run gets one added.
            return stamp && !/^\d\d:\d\d:\d\d/.test(x.trimStart()) ? `12:34:56 : ${x}` : x;
          });
          const variant = meaning(lines.join(crlf ? '\r\n' : '\n'));
          expect(variant).toEqual(base);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never throws on arbitrary text; an unknown line is always one of the input lines, as printed', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('FUS state is FUS_IDLE', 'Error: x', 'Warning: y', '0x20030030 : 01020000', 'Device ID : 0x495')), { maxLength: 30 }), (ls) => {
        const r = parseCliOutput(ls.join('\n'));
        const cleaned = new Set(cleanLines(ls.join('\n')));
        for (const u of r.unknownLines) expect(cleaned.has(u)).toBe(true);
        expect(r.unknownLines.length).toBeLessThanOrEqual([...cleaned].filter(Boolean).length + ls.length);
      }),
      { numRuns: 200 },
    );
  });
});
