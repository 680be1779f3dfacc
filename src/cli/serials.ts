/** Serial numbers as the user types them (`--serial`), checked before anything else runs. Light: main.ts imports it. */
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** What a serial number may look like: DFU serials are 12 hex digits, ST-LINK serials 24; letters and digits only. */
const SERIAL_RE = /^[A-Za-z0-9]{1,64}$/;

/** The identity spelling of a serial: the tool compares serials without regard to case. */
export const canonicalSerial = (s: string) => s.toUpperCase();

/**
 * `--serial a,b`: every entry a serial number. Blank input, empty entries (`""`, `","`, `" "`) and other
 * characters are errors (an unset CI variable must not provision the default board or do nothing with exit 0).
 */
export function parseSerialList(raw: string): string[] {
  const parts = raw.split(',').map((x) => x.trim());
  if (parts.every((x) => x === '')) throw new CliError(`--serial ${JSON.stringify(raw)} names no board (is a variable unset?)`, EXIT.INVALID_INPUT, "pass the board's serial number (`copro devices` lists them)");
  const blank = parts.findIndex((x) => x === '');
  if (blank >= 0) throw new CliError(`--serial ${JSON.stringify(raw)}: entry ${blank + 1} is empty`, EXIT.INVALID_INPUT, 'list serial numbers separated by commas, without empty entries');
  const bad = parts.find((x) => !SERIAL_RE.test(x));
  if (bad !== undefined) throw new CliError(`--serial: ${JSON.stringify(bad)} is not a serial number (letters and digits only)`, EXIT.INVALID_INPUT, 'copy it as `copro devices` shows it');
  return parts;
}

