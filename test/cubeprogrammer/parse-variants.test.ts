/**
 * Issue 14, the parser: tolerant of the wording differences between CubeProgrammer versions (punctuation,
 * ellipses, trailing clauses, Warning vs Error), strict about meaning; a bootloader that stops answering is a
 * lost connection (DISCONNECTED), not a generic tool error. The variants are real output from public logs
 * (fixtures/variants/, each file names its source); the property tests vary the wording of every message the
 * parser knows and check the meaning never moves, and that meaning-changing edits never parse as a success.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCliOutput, type CliResult, type SuccessKind } from '../../src/drivers/cubeprogrammer/parse.js';
import { classifyErrorText, reportFrom } from '../../src/drivers/cubeprogrammer/report.js';
import { FIXTURES } from './helpers/stub.js';

const VARIANTS = path.join(FIXTURES, 'variants');

/** The CLI output of a variant fixture (after its `# source:` header and the `----` line). */
function variant(name: string): string {
  const text = readFileSync(path.join(VARIANTS, name), 'utf8');
  const i = text.indexOf('\n----\n');
  return text.slice(i + 6);
}

const codes = (r: CliResult) => r.errors.map(classifyErrorText);

describe('variant fixtures from public logs', () => {
  it('every variant names its public source', () => {
    for (const f of readdirSync(VARIANTS)) {
      expect(readFileSync(path.join(VARIANTS, f), 'utf8'), f).toMatch(/^# source: https:\/\/\S+/);
    }
  });
  it.each(readdirSync(VARIANTS))('%s leaves no line unparsed and no problem', (f) => {
    const r = parseCliOutput(variant(f));
    expect(r.unknownLines).toEqual([]);
    expect(r.problems).toEqual([]);
  });

  it('v2.10 USB: "Warning: Connection to device 0x495 is lost" is a lost connection, not a warning', () => {
    const r = parseCliOutput(variant('usb-v2.10-connection-lost-warning.txt'));
    expect(r.warnings).toEqual([]);
    expect(r.errors).toContain('Connection to device 0x495 is lost');
    expect(codes(r)).toContain('DISCONNECTED');
    expect(r.successes).toEqual([]);
  });

  it('UART: the bootloader stops acknowledging mid-download: the first error is DISCONNECTED', () => {
    const r = parseCliOutput(variant('uart-timeout-mid-download.txt'));
    expect(r.errors[0]).toBe('Timeout error occured while waiting for acknowledgement.');
    expect(reportFrom(r, 1, false).error).toBe('DISCONNECTED');
  });

  it('UART: no answer at all before "Activating device: KO" (retries are noise, "No response" an error)', () => {
    const r = parseCliOutput(variant('uart-activating-ko-after-timeouts.txt'));
    expect(r.errors.at(-1)).toMatch(/^Activating device: KO/);
    expect(codes(r)).toContain('DISCONNECTED');
    expect(codes(r)).toContain('NO_TARGET');
  });

  it('v2.19: "Warning: Firmware upgrade Error!" is a failed install', () => {
    const r = parseCliOutput(variant('usb-v2.19-warning-firmware-upgrade-error.txt'));
    expect(r.errors).toEqual(['Firmware upgrade Error!']);
    expect(classifyErrorText(r.errors[0]!)).toBe('FUS_ERROR');
    expect(reportFrom(r, 0, r.successes.includes('fw-upgrade')).ok).toBe(false);
  });

  it('newer SWD GUI log: "Flash already empty !" stays a benign warning; delete succeeded', () => {
    const r = parseCliOutput(variant('swd-gui-fus-delete-flash-empty.txt'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toContain('FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
    expect(r.successes).toEqual(['download-complete', 'fw-delete']);
  });

  it('v2.4 USB: WB55xx device name, one progress line per step', () => {
    const r = parseCliOutput(variant('usb-v2.4-wb55xx-progress-steps.txt'));
    expect(r.header).toMatchObject({ transport: 'usb', deviceId: 0x495, deviceName: 'STM32WB55xx' });
    expect(r.successes).toEqual(['fw-delete']);
    expect(r.fusStates).toHaveLength(4);
  });

  it('v2.3 UART: bare read failures are errors', () => {
    const r = parseCliOutput(variant('uart-v2.3-read-nack.txt'));
    expect(r.errors).toHaveLength(3);
  });
});

// ------------------------------------------------------------------------------------------ property tests

/** Every success message the parser knows, as printed, with its meaning. */
const SUCCESSES: Array<[string, SuccessKind]> = [
  ['Firmware Upgrade Success', 'fw-upgrade'],
  ['Firmware delete finished', 'fw-delete'],
  ['Firmware delete Success', 'fw-delete'],
  ['FusStartWS activated successfully', 'start-ws'],
  ['StartFus activated successfully', 'start-fus'],
  ['Option Bytes successfully programmed', 'option-bytes'],
  ['File download complete', 'download-complete'],
  ['Download verified successfully', 'download-verified'],
  ['fwdelete command execution finished', 'command-finished'],
  ['startwirelessStack command execution finished', 'command-finished'],
];

/** Known failure lines and the code they mean. */
const FAILURES: Array<[string, string]> = [
  ['Error: Firmware not authentic!', 'NOT_AUTHENTIC'],
  ['Error: FUS_STATE_IMG_NOT_FOUND', 'IMG_NOT_FOUND'],
  ['Error: Could not start service since FUS is not in IDLE state', 'FUS_NOT_RUNNING'],
  ['Error: Option Byte Programming failed', 'OPTION_BYTES'],
  ['Error: fwupgrade command is not supported for such device', 'UNSUPPORTED'],
  ['Error: No STM32 target found!', 'NO_TARGET'],
  ['Warning: Connection to device 0x495 is lost', 'DISCONNECTED'],
  ['Timeout error occured while waiting for acknowledgement.', 'DISCONNECTED'],
  ['Error: Start Wireless Stack Operation Failure!', 'FUS_ERROR'],
];

/** Lines that carry no meaning. */
const NOISE_LINES = ['Memory Programming ...', 'Reconnecting...', 'Reconnected !', 'Deleting firmware ...', 'Application is running, Please Hold on...', 'Old wireless stack delete ...', 'Download in Progress:', 'Verifying ...'];

/** Clauses seen after known messages in some versions (v2.15+ "If your product embeds ...", v2.10+ ": Unknown error"). */
const HARMLESS_TAILS = [', please wait', ' (00:00:01.234)', ': done', ' - see the log file for details', ' (Debug Authentication discovery recommended)'];

/** Wording changes between versions that do not change meaning. */
const harmless = fc.record({
  end: fc.constantFrom('', '!', ' !', '.', ' ...', '...', '\u2026', ' ', '  '),
  spaces: fc.boolean(),
  upper: fc.boolean(),
  tail: fc.option(fc.constantFrom(...HARMLESS_TAILS), { nil: undefined }),
  timestamp: fc.option(fc.constantFrom('16:59:29 : ', '10:47:19:298 : ', '16:07:44:341 '), { nil: undefined }),
  crlf: fc.boolean(),
});
type Harmless = typeof harmless extends fc.Arbitrary<infer T> ? T : never;

function vary(line: string, h: Harmless, opts: { tail: boolean }): string {
  let l = line.replace(/[!.\u2026\s]+$/, '') + h.end;
  if (opts.tail && h.tail) l = l.replace(/[!.\u2026\s]+$/, '') + h.tail;
  if (h.spaces) l = l.replace(/ /g, '  ');
  if (h.upper) l = l.replace(/^(Error|Warning)/, (p) => p.toUpperCase());
  if (h.timestamp) l = h.timestamp + l;
  return l + (h.crlf ? '\r\n' : '\n');
}

/** Edits that change what a success line means. */
const meaningChanging = fc.constantFrom<(l: string) => string>(
  (l) => `Error: ${l}`,
  (l) => l.replace(/^(\S+)/, '$1 not'),
  (l) => `${l}: not verified`,
  (l) => `${l}, but an error occurred`,
  (l) => `${l} failed`,
  (l) => l.replace(/successfully|Success|finished|complete/i, 'failed'),
  (l) => `${l} - aborted`,
  (l) => `${l}: KO`,
  (l) => `Not ${l.charAt(0).toLowerCase()}${l.slice(1)}`,
  (l) => `${l} partially`,
  (l) => `${l}: Operation timed out`,
);

describe('wording variation never changes meaning; meaning changes never parse as success (fast-check)', () => {
  it('a success line with harmless variation is the same success, alone and among noise', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUCCESSES), harmless, fc.subarray(NOISE_LINES), fc.array(harmless, { maxLength: 8 }), ([line, kind], h, noise, hs) => {
        const text = noise.map((n, i) => vary(n, hs[i] ?? h, { tail: false })).join('') + vary(line, h, { tail: true });
        const r = parseCliOutput(text);
        expect(r.successes).toEqual([kind]);
        expect(r.errors).toEqual([]);
        expect(r.unknownLines).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('a failure line with harmless variation keeps its code (and is never a success)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAILURES), harmless, ([line, code], h) => {
        const r = parseCliOutput(vary(line, h, { tail: false }));
        expect(r.successes).toEqual([]);
        expect(r.errors.map(classifyErrorText)).toEqual([code]);
        expect(reportFrom(r, 0, true).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('Warning vs Error: a failure printed as a warning is the same failure', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAILURES.filter(([l]) => l.startsWith('Error: '))), harmless, ([line, code], h) => {
        const r = parseCliOutput(vary(line.replace(/^Error:/, 'Warning:'), h, { tail: false }));
        // A warning without failure words stays a warning only when its words say nothing failed (none of these).
        if (r.errors.length > 0) expect(r.errors.map(classifyErrorText)).toEqual([code]);
        expect(reportFrom(r, 0, false).ok).toBe(false);
        expect(r.successes).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('a meaning-changing edit of a success line never parses as that success', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUCCESSES), meaningChanging, harmless, ([line, kind], edit, h) => {
        const r = parseCliOutput(vary(edit(line), h, { tail: false }));
        expect(r.successes).not.toContain(kind);
        expect(reportFrom(r, 0, r.successes.includes(kind)).ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
