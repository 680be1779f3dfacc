/**
 * Meaning checks on a parsed output: what the parser understood but will not decode into a fact, because the
 * fact would be a guess (issue 13). Each check yields the line to quote; the driver stops the step on it.
 */
import { FUS_ERRORS, FUS_INFO_TABLE, FUS_INFO_VALID_KEY, FUS_VERSION_ADDRESS, FUS_VERSION_ADDRESS_SWD, STACK_VERSION_ADDRESS, STACK_VERSION_ADDRESS_SWD } from '../../domain/fus.js';
import type { CliResult, ConnectHeader, ParseOptions, ParseProblem } from './parse-types.js';

const KNOWN_STATUSES = new Set(FUS_ERRORS.map((e) => e.cliStatus));

/** A `FUS status is X` value copro can name (the CLI's names for the SHCI FUS error codes). */
export function fusStatusKnown(status: string): boolean {
  return KNOWN_STATUSES.has(status);
}

/**
 * Version words that must never read 0xFFFFFFFF: an erased word is no version (FUS 255.255.255 does not exist).
 * The FUS info table words count only when the table's key is not read as invalid (then they are not versions at all).
 */
const VERSION_WORDS: ReadonlyArray<{ address: number; what: string; table: boolean }> = [
  { address: FUS_VERSION_ADDRESS, what: 'FUS version', table: true },
  { address: STACK_VERSION_ADDRESS, what: 'stack version', table: true },
  { address: FUS_VERSION_ADDRESS_SWD, what: 'FUS version (SWD operator)', table: false },
  { address: STACK_VERSION_ADDRESS_SWD, what: 'stack version (SWD operator)', table: false },
];

export function checkMeaning(r: CliResult, options: ParseOptions, headerLine: ReadonlyMap<keyof ConnectHeader, string>): ParseProblem[] {
  const out: ParseProblem[] = [];
  const key = wordWithLine(r, FUS_INFO_TABLE);
  const tableInvalid = key !== undefined && key.word !== FUS_INFO_VALID_KEY;
  for (const v of VERSION_WORDS) {
    if (v.table && tableInvalid) continue;
    const w = wordWithLine(r, v.address);
    if (w?.word === 0xffffffff) {
      out.push({ kind: 'erased-version-word', line: w.line, message: `the ${v.what} word at 0x${v.address.toString(16).toUpperCase()} reads FFFFFFFF (erased memory, not a version): ${JSON.stringify(w.line)}` });
    }
  }
  const want = options.serial?.trim();
  const got = r.header?.serial;
  if (want && got !== undefined && got.toUpperCase() !== want.toUpperCase()) {
    const line = headerLine.get('serial') ?? `SN : ${got}`;
    out.push({ kind: 'foreign-serial', line, message: `the tool connected to serial ${got}, not ${want} as asked: ${JSON.stringify(line)}` });
  }
  return out;
}

/** The first printed value of the word at `address`, with the line it was printed on. */
function wordWithLine(r: CliResult, address: number): { word: number; line: string } | undefined {
  for (const b of r.r32) {
    const i = (address - b.address) / 4;
    if (Number.isInteger(i) && i >= 0 && i < b.words.length) {
      const word = b.words[i]!;
      return { word, line: `0x${b.address.toString(16).toUpperCase().padStart(8, '0')} : ${b.words.map((x) => x.toString(16).toUpperCase().padStart(8, '0')).join(' ')}` };
    }
  }
  return undefined;
}
