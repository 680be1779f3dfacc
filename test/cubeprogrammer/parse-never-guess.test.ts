/**
 * Issue 13, "the parser never guesses": output the parser understands but cannot turn into one fact without
 * choosing (two values for one address, an unknown FUS state or status, an erased version word, a header for
 * another board) is reported as a problem quoting the line, and the report built from it is not a success.
 * On the main branch before this change the first value won, unknown states and statuses passed, FFFFFFFF
 * decoded as 255.255.255 and a foreign serial was ignored.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCliOutput, type CliResult } from '../../src/drivers/cubeprogrammer/parse.js';
import { reportFrom } from '../../src/drivers/cubeprogrammer/report.js';
import { BANNER, FIXTURES, SWD_HEADER, USB_HEADER, fixture, obDispl } from './helpers/stub.js';

const kinds = (r: CliResult) => r.problems.map((p) => p.kind);
const TABLE = (fus: string) => `
Reading 32-bit memory content
  Size          : 52 Bytes
  Address:      : 0x20030024

0x20030024 : A94656B9 00000001 01010000 ${fus}
0x20030034 : 00000006 01180003 00000000 00000000
`;

describe('two different values for one address', () => {
  it('an r32 word printed twice with different values is a conflict quoting both lines', () => {
    const text = BANNER('2.17.0') + USB_HEADER + TABLE('01020000') + TABLE('02020000');
    const r = parseCliOutput(text);
    expect(kinds(r)).toEqual(['conflicting-value']);
    expect(r.problems[0]!.message).toContain('0x20030030');
    expect(r.problems[0]!.message).toContain('01020000');
    expect(r.problems[0]!.message).toContain('02020000');
    expect(r.problems[0]!.line).toContain('02020000');
    expect(reportFrom(r, 0, true)).toMatchObject({ ok: false, error: 'TOOL_ERROR' });
  });
  it('the same value read twice is no conflict (cli-transcripts/26 A reads 0x20030030 twice)', () => {
    expect(parseCliOutput(fixture('26a-swd-v2.5-r32-multiword.txt')).problems).toEqual([]);
  });
  it('overlapping blocks at different starting addresses are compared word by word', () => {
    const r = parseCliOutput('0x20030024 : A94656B9 00000001 01010000 01020000\n0x20030030 : 01020000\n0x2003002C : 01010000 01030000\n');
    expect(kinds(r)).toEqual(['conflicting-value']);
    expect(r.problems[0]!.line).toBe('0x2003002C : 01010000 01030000');
  });
  it('an option byte printed twice with different values', () => {
    const r = parseCliOutput(BANNER('2.17.0') + SWD_HEADER + obDispl({ sfsa: '0xF4', sbrv: '0x3D000' }) + obDispl({ sfsa: '0xCB', sbrv: '0x3D000' }));
    expect(kinds(r)).toEqual(['conflicting-value']);
    expect(r.problems[0]!.line).toMatch(/^SFSA\s+: 0xCB/);
  });
  it('a header field printed twice with different values (device id)', () => {
    const r = parseCliOutput(BANNER('2.17.0') + USB_HEADER + 'Device ID   : 0x0494\n');
    expect(kinds(r)).toEqual(['conflicting-value']);
    expect(r.problems[0]!.line).toBe('Device ID   : 0x0494'.replace(/\s+$/, ''));
  });
});

describe('unknown FUS states and statuses', () => {
  it('an unknown state is a problem (not a reason to start FUS)', () => {
    const r = parseCliOutput(BANNER('2.17.0') + USB_HEADER + '\nFUS state is FUS_NVM_BACKUP_ONGOING\n\nFUS status is FUS_NO_ERROR\n');
    expect(kinds(r)).toEqual(['unknown-fus-state']);
    expect(r.problems[0]!.line).toBe('FUS state is FUS_NVM_BACKUP_ONGOING');
    expect(reportFrom(r, 0, true).ok).toBe(false);
  });
  it('an unknown status is a problem (not ignored)', () => {
    const r = parseCliOutput(BANNER('2.17.0') + USB_HEADER + '\nFUS state is FUS_IDLE\n\nFUS status is FUS_IMAGE_SOMETHING_NEW\n');
    expect(kinds(r)).toEqual(['unknown-fus-status']);
    expect(r.problems[0]!.message).toContain('FUS_IMAGE_SOMETHING_NEW');
  });
  it('every state and status of the transcripts is known; RSS_ names of early versions too', () => {
    expect(parseCliOutput('RSS state is RSS_IDLE\nRSS status is FUS_NO_ERROR\n').problems).toEqual([]);
  });
});

describe('erased version words', () => {
  it('FFFFFFFF as the FUS version in a valid info table is erased memory, not FUS 255.255.255', () => {
    const r = parseCliOutput(BANNER('2.17.0') + USB_HEADER + TABLE('FFFFFFFF'));
    expect(kinds(r)).toEqual(['erased-version-word']);
    expect(r.problems[0]!.line).toBe('0x20030024 : A94656B9 00000001 01010000 FFFFFFFF');
  });
  it('FFFFFFFF at the SWD operator version words too', () => {
    const r = parseCliOutput(BANNER('2.17.0') + SWD_HEADER + '0x20010010 : 01020000 FFFFFFFF\n');
    expect(kinds(r)).toEqual(['erased-version-word']);
    expect(r.problems[0]!.message).toMatch(/stack version/);
  });
  it('not when the info table key says the table is not FUS\'s (the words are no versions then, cli-transcripts/26 B)', () => {
    expect(parseCliOutput('0x20030024 : AE1C889C 00000001 01010000 FFFFFFFF\n').problems).toEqual([]);
  });
});

describe('a connection header for another board', () => {
  it('USB: SN other than the one asked for (case-insensitive, as the tool matches sn=)', () => {
    const text = BANNER('2.17.0') + USB_HEADER;
    expect(parseCliOutput(text, { serial: '207f38933036' }).problems).toEqual([]);
    const r = parseCliOutput(text, { serial: '2079386B3036' });
    expect(kinds(r)).toEqual(['foreign-serial']);
    expect(r.problems[0]!.line).toBe('SN          : 207F38933036');
    expect(r.problems[0]!.message).toContain('2079386B3036');
  });
  it('SWD: the ST-LINK SN', () => {
    const r = parseCliOutput(BANNER('2.17.0') + SWD_HEADER, { serial: '0670FF3736324D5043233624' });
    expect(kinds(r)).toEqual(['foreign-serial']);
    expect(r.problems[0]!.line).toMatch(/^ST-LINK SN\s+: 066FFF/);
  });
  it('no expectation, no problem (the first connection names the board)', () => {
    expect(parseCliOutput(BANNER('2.17.0') + USB_HEADER).problems).toEqual([]);
  });
});

describe('the real transcripts hold no problem', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.txt')))('%s', (f) => {
    expect(parseCliOutput(fixture(f)).problems).toEqual([]);
  });
});
