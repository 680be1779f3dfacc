/**
 * STM32_Programmer_CLI's command line as the real tool accepts it (notes/cubeprogrammer-cli.md §1,
 * cli-transcripts/00 and 18): case-insensitive option names (`-startFUS`, `-HardRst`, `-V`), `key=value`
 * parameters with case-insensitive keys (`SN=`, `port=USB1`), several commands chained in one call, and one argv
 * element holding several space-separated tokens (`"-c port=swd sn=X"`, `"-ob displ"`, `"--verbosity 1"`).
 */

export interface ConnectParams {
  port: string;
  transport: 'usb' | 'swd' | 'uart' | 'jtag';
  /** usbN index (1-based) / probe index. */
  index?: number;
  sn?: string;
  mode?: 'UR' | 'HOTPLUG' | 'NORMAL' | 'POWERDOWN' | 'HWRSTPULSE';
  reset?: string;
  freq?: number;
  br?: number;
  parity?: string;
  raw: Record<string, string>;
}

export type Command =
  | { kind: 'startfus' }
  | { kind: 'fusgetstate' }
  | { kind: 'fwdelete' }
  | { kind: 'fwupgrade'; file: string; address: number; firstInstall: boolean; startStack: boolean; verify: boolean }
  | { kind: 'startws' }
  | { kind: 'antirollback' }
  | { kind: 'getuid64' }
  | { kind: 'fusopgetversion' }
  | { kind: 'r32'; address: number; size: number }
  | { kind: 'w32'; address: number; data: number[] }
  | { kind: 'ob-displ' }
  | { kind: 'ob'; values: [string, number][] }
  | { kind: 'write'; file: string; address?: number; verify: boolean }
  | { kind: 'erase'; what: string[] }
  | { kind: 'start'; address?: number }
  | { kind: 'rst' }
  | { kind: 'hardrst' }
  | { kind: 'wusrkey'; file: string; keyType: number }
  | { kind: 'authkeyupdate'; file: string }
  | { kind: 'authkeylock' };

export interface Parsed {
  connect?: ConnectParams;
  /** `-l` with its interface (`all` when none). */
  list?: 'all' | 'usb' | 'st-link' | 'uart' | 'jlink';
  commands: Command[];
  quiet: boolean;
  verbosity: number;
  /** `-log` file ('' = the default $HOME/.STM32Programmer/trace.log). */
  log?: string;
  version: boolean;
  help: boolean;
}

export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

const KEYWORDS = new Set(['displ', 'all', 'usb', 'uart', 'st-link', 'stlink', 'st-link-only', 'stlink-only', 'shared', 'stlink-shared', 'lpm', 'dlpm', 'console', 'fast', 'incremental', 'unlockchip']);

/** A token that the real tool would read as an option, a key=value, a number or a keyword. */
function optionLike(token: string): boolean {
  return /^--?[A-Za-z?]/.test(token) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(token) || /^(0x[0-9a-f]+|[0-9]+)$/i.test(token) || KEYWORDS.has(token.toLowerCase()) || /^\[?[0-9]+$|^[0-9]+\]$/.test(token);
}

/** Splits argv elements that hold several tokens, keeping file paths with spaces whole. */
export function tokenize(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a.trim() === '') continue; // Arduino passes "" (cubeprogrammer-cli.md §1)
    const parts = a.trim().split(/\s+/);
    if (parts.length > 1 && parts.every(optionLike)) out.push(...parts);
    else out.push(a.trim());
  }
  return out;
}

export function parseNumber(text: string | undefined, what: string): number {
  if (text === undefined) throw new ArgsError(`missing ${what}`);
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t.slice(2), 16) : /^[0-9]+$/.test(t) ? Number.parseInt(t, 10) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ArgsError(`wrong ${what}: ${text}`);
  return n;
}

function isOption(token: string | undefined): boolean {
  return token !== undefined && /^--?[A-Za-z?]/.test(token);
}

function keyValue(token: string): [string, string] | undefined {
  const i = token.indexOf('=');
  if (i <= 0) return undefined;
  return [token.slice(0, i).toLowerCase(), token.slice(i + 1)];
}

function transportOfPort(port: string): ConnectParams['transport'] {
  const p = port.toLowerCase();
  if (/^usb[0-9]*$/.test(p)) return 'usb';
  if (p === 'swd') return 'swd';
  if (p === 'jtag' || p === 'jlink') return 'jtag';
  return 'uart';
}

export function parseArgs(argv: readonly string[]): Parsed {
  const t = tokenize(argv);
  const parsed: Parsed = { commands: [], quiet: false, verbosity: 1, version: false, help: false };
  let i = 0;
  const next = () => t[i++];
  const peek = () => t[i];
  while (i < t.length) {
    const raw = next()!;
    const opt = raw.toLowerCase();
    switch (opt) {
      case '-c':
      case '--connect': {
        const kv: Record<string, string> = {};
        while (peek() !== undefined && !isOption(peek())) {
          const tok = next()!;
          const p = keyValue(tok);
          if (p) kv[p[0]] = p[1];
          else kv[tok.toLowerCase()] = '';
        }
        const port = kv.port;
        if (!port) throw new ArgsError('missing port in -c (port=usb1 | port=swd | port=/dev/ttyACM0)');
        const transport = transportOfPort(port);
        const c: ConnectParams = { port, transport, raw: kv };
        const usbIndex = /^usb([0-9]+)$/i.exec(port);
        if (usbIndex) c.index = Number(usbIndex[1]);
        if (kv.index !== undefined) c.index = parseNumber(kv.index, 'index');
        if (kv.sn) c.sn = kv.sn;
        if (kv.mode) c.mode = kv.mode.toUpperCase() as ConnectParams['mode'];
        if (kv.reset) c.reset = kv.reset;
        if (kv.freq) c.freq = parseNumber(kv.freq, 'frequency');
        if (kv.br) c.br = parseNumber(kv.br, 'baudrate');
        if (kv.p) c.parity = kv.p;
        parsed.connect = c;
        break;
      }
      case '-l':
      case '--list': {
        const what = peek()?.toLowerCase();
        if (what && !isOption(what)) {
          next();
          parsed.list = what === 'usb' ? 'usb' : what === 'uart' ? 'uart' : what.startsWith('st') ? 'st-link' : what === 'jlink' ? 'jlink' : 'all';
        } else parsed.list = 'all';
        break;
      }
      case '-q':
      case '--quietmode':
        parsed.quiet = true;
        break;
      case '-vb':
      case '--verbosity':
        parsed.verbosity = parseNumber(next(), 'verbosity level');
        break;
      case '-log':
      case '--log':
        parsed.log = peek() !== undefined && !isOption(peek()) ? next()! : '';
        break;
      case '-y':
      case '--yes':
      case '--skiperase':
      case '-noreconnect':
      case '--noreconnect':
        break;
      case '-version':
      case '--version':
        parsed.version = true;
        break;
      case '-?':
      case '-h':
      case '--help':
        parsed.help = true;
        break;
      case '-startfus':
        parsed.commands.push({ kind: 'startfus' });
        break;
      case '-fusgetstate':
        parsed.commands.push({ kind: 'fusgetstate' });
        break;
      case '-fwdelete':
        parsed.commands.push({ kind: 'fwdelete' });
        break;
      case '-startwirelessstack':
        parsed.commands.push({ kind: 'startws' });
        break;
      case '-antirollback':
        parsed.commands.push({ kind: 'antirollback' });
        break;
      case '-getuid64':
        parsed.commands.push({ kind: 'getuid64' });
        break;
      case '-fusopgetversion':
        parsed.commands.push({ kind: 'fusopgetversion' });
        break;
      case '-authkeylock':
        parsed.commands.push({ kind: 'authkeylock' });
        break;
      case '-authkeyupdate': {
        const file = next();
        if (!file) throw new ArgsError('missing file path after -authkeyupdate');
        parsed.commands.push({ kind: 'authkeyupdate', file });
        break;
      }
      case '-wusrkey': {
        const file = next();
        if (!file) throw new ArgsError('missing file path after -wusrkey');
        let keyType = 1;
        const kv = peek() ? keyValue(peek()!) : undefined;
        if (kv && kv[0] === 'keytype') {
          next();
          keyType = parseNumber(kv[1], 'keytype');
        }
        parsed.commands.push({ kind: 'wusrkey', file, keyType });
        break;
      }
      case '-fwupgrade': {
        const file = next();
        if (!file || isOption(file)) throw new ArgsError('missing file path after -fwupgrade');
        const address = parseNumber(next(), 'address');
        const c: Extract<Command, { kind: 'fwupgrade' }> = { kind: 'fwupgrade', file, address, firstInstall: false, startStack: true, verify: false };
        for (;;) {
          const p = peek() ? keyValue(peek()!) : undefined;
          if (p && p[0] === 'firstinstall') c.firstInstall = p[1] === '1';
          else if (p && p[0] === 'startstack') c.startStack = p[1] !== '0';
          else if (peek()?.toLowerCase() === '-v' || peek()?.toLowerCase() === '--verify') c.verify = true;
          else break;
          next();
        }
        parsed.commands.push(c);
        break;
      }
      case '-r32': {
        const address = parseNumber(next(), 'address');
        const size = parseNumber(next(), 'size');
        parsed.commands.push({ kind: 'r32', address, size });
        break;
      }
      case '-w32': {
        const address = parseNumber(next(), 'address');
        const data: number[] = [];
        while (peek() !== undefined && /^(0x[0-9a-f]+|[0-9]+)$/i.test(peek()!)) data.push(parseNumber(next(), 'data'));
        if (data.length === 0) throw new ArgsError('missing 32-bit data after -w32');
        parsed.commands.push({ kind: 'w32', address, data });
        break;
      }
      case '-ob':
      case '--optionbytes': {
        if (peek()?.toLowerCase() === 'displ') {
          next();
          parsed.commands.push({ kind: 'ob-displ' });
          break;
        }
        const values: [string, number][] = [];
        while (peek() !== undefined && keyValue(peek()!)) {
          const tok = next()!;
          const eq = tok.indexOf('=');
          values.push([tok.slice(0, eq), parseNumber(tok.slice(eq + 1), `value of ${tok.slice(0, eq)}`)]);
        }
        if (values.length === 0) throw new ArgsError('-ob needs displ or NAME=VALUE');
        parsed.commands.push({ kind: 'ob', values });
        break;
      }
      case '-d':
      case '-w':
      case '--download':
      case '--write': {
        const file = next();
        if (!file || isOption(file)) throw new ArgsError(`missing file path after ${raw}`);
        const c: Extract<Command, { kind: 'write' }> = { kind: 'write', file, verify: false };
        if (peek() !== undefined && /^(0x[0-9a-f]+|[0-9]+)$/i.test(peek()!)) c.address = parseNumber(next(), 'address');
        parsed.commands.push(c);
        break;
      }
      case '-v':
      case '--verify': {
        const last = parsed.commands.at(-1);
        if (last && (last.kind === 'write' || last.kind === 'fwupgrade')) last.verify = true;
        if (peek()?.toLowerCase() === 'fast') next();
        break;
      }
      case '-e':
      case '--erase': {
        const what: string[] = [];
        while (peek() !== undefined && !isOption(peek())) what.push(next()!);
        parsed.commands.push({ kind: 'erase', what });
        break;
      }
      case '-s':
      case '--start':
      case '-g':
      case '--go': {
        const c: Extract<Command, { kind: 'start' }> = { kind: 'start' };
        if (peek() !== undefined && /^(0x[0-9a-f]+|[0-9]+)$/i.test(peek()!)) c.address = parseNumber(next(), 'address');
        parsed.commands.push(c);
        break;
      }
      case '-rst':
        parsed.commands.push({ kind: 'rst' });
        break;
      case '-hardrst':
        parsed.commands.push({ kind: 'hardrst' });
        break;
      default:
        // The real tool refuses what it does not know (e.g. the en-dash "–fwdelete" copied from a forum, cli-transcripts/20 D).
        throw new ArgsError(`wrong command or argument: ${raw}`);
    }
  }
  return parsed;
}
