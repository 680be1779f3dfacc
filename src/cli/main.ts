/**
 * The `copro` command line: commander wiring, option parsing, exit codes and output only. Every
 * decision is made by the library (manifest, images, planner, runner); this file just connects them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './cli-error.js';
import { internalErrorText } from './errors.js';
import { parseSerialList } from './serials.js';
import { errorKind, jsonRequested, oneLineSummary, writeJsonError } from './json-output.js';
import type { CliErrorInfo } from '../generated/cli-output.js';
import { setVerbosity } from './verbosity.js';

function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `--concurrency`, `--count`: a whole number from 1 (commander reports the error; exit 4). */
export function positiveInt(max: number) {
  return (v: string): number => {
    const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, got ${JSON.stringify(v)}.`);
    return n;
  };
}

/** `--wait-lock`: seconds, 0 (do not wait) up to a day. */
export function seconds(v: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new InvalidArgumentError(`expected seconds (0 to 86400), got ${JSON.stringify(v)}.`);
  return n;
}

/** `--serial a,b`: checked here (blank or malformed is invalid input); duplicates after case folding in boards.ts. */
function serialList(v: string): string {
  try {
    parseSerialList(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--serial /, ''));
  }
  return v;
}

function oneSerial(v: string): string {
  const one = serialList(v);
  if (one.split(',').length !== 1) throw new InvalidArgumentError(`one serial number, got ${JSON.stringify(v)}.`);
  return one.trim();
}

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('copro')
    .description('Provision the STM32WB wireless coprocessor (FUS + wireless stack) from a manifest.')
    .version(version(), '-V, --version')
    .showHelpAfterError('  remedy: run with --help for usage')
    // commander's own errors (unknown option, missing argument) carry copro's prefix like every other error.
    .configureOutput({ outputError: (str, write) => write(`copro: ${str}`) })
    // Options before the subcommand are the program's, after it the subcommand's; mergeGlobalOptions joins them.
    .enablePositionalOptions()
    .option('--json', 'JSON output (commands that have it)')
    .option('-q, --quiet', 'only the result on stdout and errors and warnings on stderr: no progress, no notes')
    .option('-v, --verbose', 'also show, on stderr, each driver operation, tool command line and HTTP request, with timings')
    .option('--debug', 'print stack traces of internal errors (also COPRO_DEBUG=1)')
    .option('--no-color', 'no colours or animations (also NO_COLOR=1)')
    .option('--simulate', 'use the simulated board(s)')
    .option('--serial <sn[,sn...]>', 'probe or DFU serial number(s) of the board(s)')
    .option('--port <port>', 'usb1, swd, or a serial device')
    .option('--cubeprogrammer <path>', 'path to STM32_Programmer_CLI')
    .addHelpText('after', `\nThe options above may come before the command (copro --json plan) or after it (copro plan --json), for the commands that have them.\nExit codes: 0 ok, 1 board failure, 2 changes planned (--detailed-exitcode), 3 refused, 4 invalid input, 5 environment, 6 not confirmed, 130 interrupted.\nDocs: README.md, docs/cli.md`);

  const boardOptions = (cmd: Command) =>
    cmd
      .option('--simulate', 'use the simulated board (.copro/sim/) instead of STM32CubeProgrammer')
      .option('--cubeprogrammer <path>', 'path to STM32_Programmer_CLI')
      .option('--port <port>', 'usb1, swd, or a serial device (overrides the manifest)')
      .option('--serial <sn[,sn...]>', 'probe or DFU serial number(s) of the board(s)', serialList)
      .option('--no-color', 'no colours or animations (also NO_COLOR=1)');

  boardOptions(
    program
      .command('plan')
      .argument('[manifest]', 'manifest file', 'copro.yaml')
      .description('Read the board and print the ordered steps to the manifest\'s target. Reads only what costs nothing (no reset, no FUS start, no SWD FUS operator); what that cannot tell is reported as unknown.')
      .option('--state <snapshot.json>', 'plan offline from a saved board state (copro status --save)')
      .option('--json', 'print the plan as JSON (schemas/plan.schema.json)')
      .option('--detailed-exitcode', 'exit 0 when nothing to do, 2 when changes are planned (like terraform plan)')
      .option('--out <plan.json>', 'also save the plan, for `copro apply plan.json` to carry out exactly (like terraform plan -out; -out works too)')
      .addHelpText('after', examples(['copro plan manifests/nucleo-wb55-ble.yaml --simulate', 'copro plan copro.yaml --state board.json --json', 'copro plan --detailed-exitcode || [ $? -eq 2 ]', 'copro plan copro.yaml --out plan.json && copro apply plan.json'])),
  ).action(async (manifest: string, opts) => setExit(await (await import('./commands/plan.js')).planCommand(manifest, opts)));

  boardOptions(
    program
      .command('apply')
      .argument('[manifest]', 'manifest file, or a plan file saved by `copro plan --out` (*.json)', 'copro.yaml')
      .description('The command that changes the board: read it fully (this may reset the chip; over SWD it runs CubeProgrammer\'s FUS operator), plan, check every image, then run the steps, verifying each by read-back.')
      .option('-y, --yes', 'do not ask before irreversible steps (FUS update, anti-rollback)')
      .option('--dry-run', 'plan and check images, change nothing')
      .option('--json', 'print newline-delimited JSON events (schemas/events.schema.json)')
      .option('--junit <file>', 'write a JUnit XML report (one test case per board and step)')
      .option('--all', 'provision every attached board')
      .addOption(new Option('--concurrency <n>', 'boards provisioned at once').default(4).argParser(positiveInt(64)))
      .option('--wait-lock <seconds>', 'wait this long for a board another copro is provisioning', seconds, 0)
      .option('--update-lock', 'accept images whose sha256 differs from copro.lock, and rewrite it')
      .addHelpText('after', examples(['copro apply manifests/nucleo-wb55-ble.yaml --simulate', 'copro apply copro.yaml --yes --junit report.xml', 'copro apply fleet.yaml --all --concurrency 8 --json > events.ndjson'])),
  ).action(async (manifest: string, opts) => setExit(await (await import('./commands/apply.js')).applyCommand(manifest, opts)));

  boardOptions(
    program
      .command('status')
      .argument('[manifest]', 'manifest file (optional: also shows what it would change)')
      .description('Print the board\'s state: FUS, stack, option bytes, and what the manifest would change. Without --full reads only what costs nothing and says what it could not know.')
      .option('--save <snapshot.json>', 'save the state as a snapshot (schemas/board-state.schema.json)')
      .option('--full', 'also read what costs: FUS and the stack; over USB DFU / UART this starts FUS and the stack again (two chip resets); over SWD it runs CubeProgrammer\'s FUS operator (overwrites the application\'s first sectors: 8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions; sets nSWboot0=0)')
      .option('--json', 'print the state as JSON')
      .addHelpText('after', examples(['copro status --simulate', 'copro status copro.yaml --save board.json'])),
  ).action(async (manifest: string | undefined, opts) => setExit(await (await import('./commands/status.js')).statusCommand(manifest, opts)));

  program
    .command('identify')
    .argument('<files...>', '.bin files')
    .description('Identify coprocessor images by content: kind, stack type, version, sha256, known ST release, install address per device, warnings.')
    .option('--json', 'JSON output')
    .option('--device <device>', 'only this device\'s install address')
    .addHelpText('after', examples(['copro identify binaries/*.bin', 'copro identify stm32wb5x_FUS_fw.bin --json']))
    .action(async (files: string[], opts) => {
      const { identifyCommand } = await import('./commands/identify.js');
      const r = await identifyCommand(files, opts);
      process.stdout.write(r.output);
      setExit(r.exitCode);
    });

  program
    .command('fetch')
    .argument('[manifest]', 'manifest file', 'copro.yaml')
    .description('Download the ST images a manifest needs (or a whole release) from their pinned URLs, verifying sha256.')
    .option('--release <tag>', 'fetch every image of this STM32CubeWB release (e.g. v1.24.0)')
    .option('--dest <dir>', 'destination folder (default: the manifest\'s images.dir, where plan and apply look)')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['copro fetch copro.yaml', 'copro fetch --release v1.24.0 --dest ~/.cache/copro']))
    .action(async (manifest: string, opts) => {
      const { fetchCommand } = await import('./commands/fetch.js');
      const r = await fetchCommand(manifest, opts);
      process.stdout.write(r.output);
      if (r.errors) process.stderr.write(r.errors);
      setExit(r.exitCode);
    });

  program
    .command('devices')
    .description('List attached ST-LINK probes and USB DFU devices (STM32_Programmer_CLI -l), to pick one by serial.')
    .option('--cubeprogrammer <path>', 'path to STM32_Programmer_CLI')
    .option('--simulate', 'list the simulated boards')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['copro devices', 'copro devices --simulate --json']))
    .action(async (opts) => setExit(await (await import('./commands/boards.js')).boardsCommand(opts)));

  program
    .command('doctor')
    .argument('[manifest]', 'manifest file (optional)')
    .description('Check the environment (CubeProgrammer, probes, udev rules) and the board (safeboot, RDP, nSWboot0, stack not running). Reads only what costs nothing unless --full.')
    .option('--simulate', 'check the simulated board')
    .option('--cubeprogrammer <path>', 'path to STM32_Programmer_CLI')
    .option('--port <port>', 'usb1, swd, or a serial device')
    .option('--serial <sn>', 'probe or DFU serial number', oneSerial)
    .option('--full', 'also read the board\'s FUS and stack; over USB DFU / UART this starts FUS and the stack again (two chip resets); over SWD it runs CubeProgrammer\'s FUS operator (overwrites the application\'s first sectors: 8 KB on CubeProgrammer 2.4 and later, up to 12 KB on older versions; sets nSWboot0=0)')
    .addHelpText('after', examples(['copro doctor', 'copro doctor copro.yaml', 'copro doctor --simulate', 'copro doctor --full   # resets the chip to read FUS']))
    .action(async (manifest: string | undefined, opts) => setExit(await (await import('./commands/doctor.js')).doctorCommand(manifest, opts)));

  program
    .command('version')
    .description('Print copro\'s version, the image catalog it trusts, and the STM32CubeProgrammer it would use (for bug reports).')
    .option('--json', 'JSON output')
    .option('--cubeprogrammer <path>', 'path to STM32_Programmer_CLI')
    .addHelpText('after', examples(['copro version', 'copro version --json']))
    .action(async (opts) => setExit(await (await import('./commands/version.js')).versionCommand(opts)));

  program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('Print a shell completion script for copro.')
    .addHelpText('after', examples(['eval "$(copro completion bash)"   # in ~/.bashrc', 'eval "$(copro completion zsh)"    # in ~/.zshrc', 'copro completion fish > ~/.config/fish/completions/copro.fish']))
    .action(async (shell: string) => setExit((await import('./commands/completion.js')).completionCommand(shell, program)));

  const sim = program
    .command('sim')
    .description('The simulated board(s) in .copro/sim/ (or $COPRO_SIM_DIR).')
    .addHelpText('after', examples(['copro sim reset', 'copro sim fault power-loss@install', 'copro sim show']));
  sim
    .command('reset')
    .description('Put the simulated board back to the default (FUS 0.5.3, no stack), a new part of --device, or a saved state.')
    .option('--state <snapshot.json>', 'a board state snapshot (schemas/board-state.schema.json)')
    .option('--device <part>', 'a new part as it leaves the factory (STM32WB15CC: FUS 1.2.0, no USB; default STM32WB55RG with FUS 0.5.3)')
    .option('--serial <sn>', 'which board (default: the default board)', oneSerial)
    .option('--count <n>', 'create this many boards (a fleet)', positiveInt(1024))
    .addHelpText('after', examples(['copro sim reset', 'copro sim reset --device STM32WB15CC', 'copro sim reset --state test/fixtures/fus-1.2.0-ble-1.13.json', 'copro sim reset --count 8']))
    .action(async (opts) => setExit(await (await import('./commands/sim.js')).simResetCommand(opts)));
  sim
    .command('fault')
    .argument('[spec]', 'power-loss@download:<0-100> | power-loss@install | power-loss@delete | power-loss@reset | unplug@... | hung-cli | usb-late:<s> | usb-gone | corrupt-option-bytes | exit-0-after-error | fus-053-not-authentic-quirk (suffix ! = every time)', '')
    .description('Arm a fault on the simulated board, to rehearse what copro does when it happens.')
    .option('--serial <sn>', 'which board', oneSerial)
    .option('--clear', 'remove every armed fault')
    .addHelpText('after', examples(['copro sim fault power-loss@install', 'copro sim fault usb-late:8', 'copro sim fault --clear']))
    .action(async (spec: string, opts) => setExit(await (await import('./commands/sim.js')).simFaultCommand(spec, opts)));
  sim
    .command('show')
    .description('Print the simulated board\'s full model (flash regions, option bytes, FUS) as JSON.')
    .option('--serial <sn>', 'which board', oneSerial)
    .addHelpText('after', examples(['copro sim show', 'copro sim show --serial 207F38933036']))
    .action(async (opts) => setExit(await (await import('./commands/sim.js')).simShowCommand(opts)));

  // Every command says as much or as little as asked, and takes --debug, in either position.
  const everyCommand = (c: Command): void => {
    for (const sub of c.commands) {
      if (sub.commands.length === 0) {
        sub.option('-q, --quiet', 'only the result and errors/warnings (docs/cli.md)').option('-v, --verbose', 'also the driver operations, tool command lines and HTTP requests, with timings, on stderr').option('--debug', 'print stack traces of internal errors');
        if (!sub.options.some((o) => o.long === '--no-color')) sub.option('--no-color', 'no colours (also NO_COLOR=1)');
      }
      everyCommand(sub);
    }
  };
  everyCommand(program);
  program.hook('preAction', (_program, action) => {
    mergeGlobalOptions(program, action);
    const o = action.opts<{ quiet?: boolean; verbose?: boolean }>();
    if (o.quiet && o.verbose) throw new CliError('--quiet and --verbose do not go together', EXIT.INVALID_INPUT, 'give one of them');
    setVerbosity(o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal');
  });
  return program;
}

/** The command's name as typed: `plan`, `sim reset`. */
function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x?.parent; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/**
 * Global options given before the subcommand (`copro --json --serial X plan m.yaml`) become the subcommand's,
 * checked by its own parser (`--serial` is one serial for doctor and sim). One that the subcommand does not have
 * is an error, and so is the same option given on both sides with different values (exit 4): copro never picks one.
 */
export function mergeGlobalOptions(program: Command, action: Command): void {
  for (const opt of program.options) {
    const key = opt.attributeName();
    if (program.getOptionValueSource(key) !== 'cli') continue;
    const given = program.getOptionValue(key) as unknown;
    const name = opt.negate ? opt.long! : (opt.long ?? opt.short!);
    const where = commandPath(action);
    const local = action.options.find((o) => o.attributeName() === key && o.negate === opt.negate);
    if (!local) throw new CliError(`${name} does not apply to \`copro ${where}\``, EXIT.INVALID_INPUT, `drop it; \`copro ${where} --help\` lists the options of this command`);
    let value = given;
    if (typeof given === 'string' && local.parseArg) {
      try {
        value = local.parseArg(given, undefined);
      } catch (e) {
        if (e instanceof InvalidArgumentError) throw new CliError(`option '${local.flags}' argument '${given}' is invalid. ${e.message}`, EXIT.INVALID_INPUT, `run \`copro ${where} --help\` for usage`);
        throw e;
      }
    }
    if (action.getOptionValueSource(key) === 'cli' && action.getOptionValue(key) !== value) {
      throw new CliError(`${name} is given twice with different values: ${JSON.stringify(given)} before \`${where}\` and ${JSON.stringify(action.getOptionValue(key))} after it`, EXIT.INVALID_INPUT, 'give it once');
    }
    action.setOptionValueWithSource(key, value, 'cli');
  }
}

/** `--debug` anywhere on the command line (commander may not have parsed it yet when an error happens), or COPRO_DEBUG=1. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || env.COPRO_DEBUG === '1';
}

/**
 * A reader that closes the pipe early (`copro --help | head`) is not an error: stop writing and exit with
 * the code so far, quietly, as other well-behaved CLIs do.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: () => void): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') exit();
    else throw e;
  });
}

const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The tool processes copro starts die with it, for every ending copro can observe. A command that stops
 * gracefully (apply: ends the tool, names the step in flight) installs its own listener; otherwise (reading,
 * listing, planning, before apply's listener exists) the tools are ended here and copro exits 130. SIGKILL
 * cannot be observed: the board lock then records the tool, and the next run waits for it (src/runner/lock.ts).
 */
function installProcessGuards(): () => void {
  // After SIGHUP the terminal is gone: writing to it fails (EIO/EPIPE), which must not turn a clean stop into a crash.
  const ignore = () => undefined;
  const fallback = (sig: NodeJS.Signals) => {
    if (process.listenerCount(sig) > 1) return; // the command's own handler stops gracefully
    void import('../drivers/cubeprogrammer/invoke.js').then(({ killAllTools }) => {
      killAllTools();
      try {
        process.stderr.write(`\ncopro: ${sig}: stopped${sig === 'SIGHUP' ? ' (terminal closed)' : ''}; the tool was ended\n`);
      } catch {
        /* no terminal */
      }
      process.exit(EXIT.INTERRUPTED);
    });
  };
  const onFatal = (e: unknown) => {
    void import('../drivers/cubeprogrammer/invoke.js').then(({ killAllTools }) => {
      killAllTools();
      try {
        // No stack trace unless asked for (--debug / COPRO_DEBUG=1); say how to report it.
        process.stderr.write(internalErrorText(e, debugRequested(process.argv)));
      } catch {
        /* no terminal */
      }
      process.exit(EXIT.INTERNAL);
    });
  };
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  for (const s of FATAL_SIGNALS) process.on(s, fallback);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  return () => {
    for (const s of FATAL_SIGNALS) process.off(s, fallback);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    process.stdout.off('error', ignore);
    process.stderr.off('error', ignore);
  };
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const removeGuards = installProcessGuards();
  try {
    return await runMain(argv);
  } finally {
    removeGuards();
  }
}

async function runMain(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  for (const s of [process.stdout, process.stderr]) endQuietlyOnClosedPipe(s, () => process.exit(process.exitCode ?? code));
  const program = buildProgram((c) => {
    code = c;
  });
  // commander hands exitOverride only to commands created after it: set it on every command.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    // terraform spells it `-out`: accept that spelling too.
    await program.parseAsync(argv.map((a, i) => (i >= 2 && a === '-out' ? '--out' : a.startsWith('-out=') ? `--out=${a.slice(5)}` : a)));
    return code;
  } catch (e) {
    return await failure(e, argv);
  } finally {
    ignoreStateFolder(process.cwd());
  }
}

/**
 * copro keeps its state (simulated boards, logs, stand-in images) under `.copro/` in the working folder.
 * Whoever wrote there, the folder ignores itself in git, so running copro never dirties a user's tree.
 */
export function ignoreStateFolder(cwd: string): void {
  const dir = path.join(cwd, '.copro');
  const file = path.join(dir, '.gitignore');
  try {
    if (existsSync(dir) && !existsSync(file)) writeFileSync(file, '# copro state: simulated boards, logs, stand-in images. Not for version control.\n*\n');
  } catch {
    // A read-only folder is not worth failing a command over.
  }
}

async function failure(e: unknown, argv: string[]): Promise<number> {
  const err = e as Error & { code?: string; exitCode?: number };
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
  const json = jsonRequested(argv);
  let text: string;
  let info: CliErrorInfo;
  if (err.code?.startsWith('commander.')) {
    // commander has already said it on stderr.
    if (json) writeJsonError(argv, { kind: 'invalid-input', exitCode: EXIT.INVALID_INPUT, message: err.message.replace(/^error: /, '') });
    return EXIT.INVALID_INPUT;
  }
  if (e instanceof CliError) {
    text = `copro: error: ${err.message}\n${e.remedy ? `  remedy: ${e.remedy}\n` : ''}`;
    info = { kind: errorKind(e.exitCode), exitCode: e.exitCode, message: err.message, ...(e.remedy ? { remedy: e.remedy } : {}) };
  } else {
    const { describeError } = await import('./errors.js');
    const d = describeError(e, { debug: debugRequested(argv) });
    text = d.text;
    info = { kind: errorKind(d.exitCode), exitCode: d.exitCode, message: d.message, ...(d.remedy ? { remedy: d.remedy } : {}), ...(d.issues?.length ? { issues: d.issues } : {}) };
  }
  if (json) {
    writeJsonError(argv, info);
    process.stderr.write(oneLineSummary(info));
  } else process.stderr.write(text);
  return info.exitCode;
}
