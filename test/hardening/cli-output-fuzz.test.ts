/**
 * Issue 9: the CubeProgrammer output parser is fed what a hostile or broken tool could print: random text,
 * and every real transcript (test/cubeprogrammer/fixtures/) mutated line by line (lines dropped, duplicated,
 * swapped, truncated, bytes flipped, junk and control characters inserted). 10,000 runs: it never throws;
 * what it does not understand is reported, never dropped; the report built from it always carries a typed
 * DriverErrorCode when it is not a success; and a board state built from it is either schema-valid or
 * refused with an explained error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCliOutput, cleanLines, reportFrom, buildBoardState, classifyErrorText } from '../../src/drivers/cubeprogrammer/index.js';
import { validatorFor } from '../../src/schemas.js';
import type { DriverErrorCode } from '../../src/drivers/driver.js';
import { REPO } from './helpers.js';

const FIXTURES = path.join(REPO, 'test', 'cubeprogrammer', 'fixtures');
const transcripts = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(path.join(FIXTURES, f), 'utf8'));

const CODES: readonly DriverErrorCode[] = [
  'NO_TARGET', 'TIMEOUT', 'DISCONNECTED', 'FUS_NOT_RUNNING', 'FUS_ERROR', 'NOT_AUTHENTIC', 'IMG_NOT_FOUND', 'NOT_ENOUGH_SPACE',
  'UNSUPPORTED', 'OPTION_BYTES', 'REFUSED', 'TOOL_ERROR', 'WRONG_BOARD', 'TOOL_CRASHED', 'TOOL_NOT_FOUND', 'ABORTED',
];
const RUNS = 10_000;
/** 10,000 parses take seconds on an idle machine and minutes on a loaded one (2 cores, many test runs): no flaky timeout. */
const FUZZ_TIMEOUT_MS = 300_000;

/** Lines a CLI prints, plus the pieces that make the parser change section or state. */
const vocabulary = fc.constantFrom(
  'FUS state is FUS_IDLE', 'FUS status is FUS_NO_ERROR', 'FUS state is FUS_ERROR', 'FUS status is FUS_IMAGE_NOT_FOUND',
  'Error: Firmware not authentic!', 'Error: ', 'Warning: Option Byte: nSWboot0, value: 0x0, was not modified.', 'Device ID   : 0x495',
  'Flash size  : 1 MBytes', 'Flash size : 1 MBytes (default)', '0x20030030 : 01020000', '0x20030030 : 0102', 'OPTION BYTES BANK: 0',
  '  nSWboot0     : 0x1 (BOOT0 taken from PH3/BOOT0 pin)', '===== DFU Interface   =====', 'ST-LINK SN  : 066DFF485671754867171436',
  'Firmware Upgrade Success', 'Download verified successfully', 'fwupgrade command execution finished', 'Memory Programming ...',
  '  ██████████████████ 100%', '[==================================================] 100%', '12:34:56 : ', '\r', '\t', '\u0000', '\u001b[31m',
  '      -------------------------------------------------------------------', 'STM32CubeProgrammer v2.17.0', 'Device name : STM32WB5x',
);

const line = fc.oneof({ weight: 3, arbitrary: vocabulary }, { weight: 2, arbitrary: fc.string({ maxLength: 60, unit: 'binary' }) }, { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme-ascii' }) });

type Mutation = { op: 'drop' | 'dup' | 'swap' | 'truncate' | 'flip' | 'insert'; at: number; n: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('drop', 'dup', 'swap', 'truncate', 'flip', 'insert'),
  at: fc.nat(),
  n: fc.nat(),
  text: line,
});

function mutate(text: string, ms: Mutation[]): string {
  const ls = text.split('\n');
  for (const m of ms) {
    if (ls.length === 0) ls.push('');
    const i = m.at % ls.length;
    const l = ls[i]!;
    switch (m.op) {
      case 'drop':
        ls.splice(i, 1);
        break;
      case 'dup':
        ls.splice(i, 0, l);
        break;
      case 'swap':
        ls[i] = ls[(i + 1) % ls.length]!;
        ls[(i + 1) % ls.length] = l;
        break;
      case 'truncate':
        ls[i] = l.slice(0, l.length ? m.n % l.length : 0);
        break;
      case 'flip': {
        const j = l.length ? m.n % l.length : 0;
        ls[i] = l.slice(0, j) + String.fromCharCode((l.charCodeAt(j) || 0x20) ^ (1 << (m.n % 7))) + l.slice(j + 1);
        break;
      }
      case 'insert':
        ls.splice(i, 0, m.text);
        break;
    }
  }
  return ls.join(m0(ms) ? '\r\n' : '\n');
}
const m0 = (ms: Mutation[]) => ms.length % 3 === 0;

const output = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat(transcripts.length - 1), fc.array(mutation, { maxLength: 12 })).map(([i, ms]) => mutate(transcripts[i]!, ms)) },
  { weight: 2, arbitrary: fc.array(line, { maxLength: 40 }).map((ls) => ls.join('\n')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 400, unit: 'binary' }) },
);

const boardStateValid = validatorFor('board-state');

describe(`CubeProgrammer output fuzz (${RUNS} runs each)`, () => {
  it('has transcripts to mutate', () => expect(transcripts.length).toBeGreaterThanOrEqual(40));

  it('parseCliOutput never throws; unknown lines are input lines as printed; the parse is deterministic', () => {
    fc.assert(
      fc.property(output, (text) => {
        const r = parseCliOutput(text);
        const cleaned = new Set(cleanLines(text));
        for (const u of r.unknownLines) expect(cleaned.has(u)).toBe(true);
        for (const b of r.r32) for (const w of b.words) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
        expect(r.errors).toEqual(r.events.filter((e) => e.kind === 'error').map((e) => (e as { text: string }).text));
        expect(parseCliOutput(text)).toEqual(r);
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT_MS);

  it('the report is ok only with a success line, no Error line and nothing unparsed; otherwise it carries a typed code', () => {
    fc.assert(
      fc.property(output, fc.boolean(), fc.option(fc.integer({ min: -1, max: 255 }), { nil: undefined }), (text, succeeded, exitCode) => {
        const parsed = parseCliOutput(text);
        const r = reportFrom(parsed, exitCode, succeeded);
        expect(r.ok).toBe(succeeded && parsed.errors.length === 0 && parsed.unknownLines.length === 0 && parsed.problems.length === 0);
        if (!r.ok) expect(CODES).toContain(r.error);
        // Nothing the tool said is lost from the report a person (and the log) sees.
        expect(r.messages.length).toBeGreaterThanOrEqual(parsed.events.length + parsed.unknownLines.length);
        for (const e of parsed.errors) expect(CODES).toContain(classifyErrorText(e));
      }),
      { numRuns: RUNS },
    );
  }, FUZZ_TIMEOUT_MS);

  it('a board state read from any output is schema-valid, or refused with an explained error', () => {
    let built = 0;
    fc.assert(
      fc.property(output, fc.option(output, { nil: undefined }), fc.constantFrom('usb', 'swd', 'uart') as fc.Arbitrary<'usb' | 'swd' | 'uart'>, (first, after, transport) => {
        let state: unknown;
        try {
          state = buildBoardState({ transport, toolVersion: '2.17.0', first: parseCliOutput(first), afterStartFus: after === undefined ? undefined : parseCliOutput(after), probeSerial: null, readAt: '2025-01-01T00:00:00.000Z' });
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message.length).toBeGreaterThan(10);
          expect((e as Error).message).not.toMatch(/undefined|NaN|\[object/);
          return;
        }
        if (!boardStateValid(state)) throw new Error(`invalid board state: ${JSON.stringify(boardStateValid.errors)}\nfrom:\n${first}`);
        built++;
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: many mutated transcripts still carry a device header and do produce a state.
    expect(built).toBeGreaterThan(RUNS / 20);
  }, FUZZ_TIMEOUT_MS);
});
