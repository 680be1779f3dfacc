/**
 * A fake `STM32_Programmer_CLI` over the simulated boards (src/drivers/simulator): same command line, same
 * output as the real tool as far as cli-transcripts/ show it, timing from the model (scaled by COPRO_SIM_SPEED).
 *
 * Environment:
 *   COPRO_SIM_DIR            folder of simulated boards (default <cwd>/.copro/sim); `sn=` picks one, else the first
 *   COPRO_FAKE_CLI_VERSION   output style of that CubeProgrammer version (default 2.17.0; 2.2 .. 2.20 styles known)
 *   COPRO_FAKE_CLI_PLATFORM  windows | linux | macos (banner indent, progress bar); default: this platform
 *   COPRO_SIM_SPEED          1 = realistic durations, 1000 = tests
 *
 * Split by what it prints: session.ts (output, FUS polling, the SWD operator), connect.ts (board and header),
 * list.ts (-l), commands.ts, install.ts (-fwdelete, -fwupgrade, -w), option-bytes.ts (-ob).
 *
 * fidelity: FAKECLI-RECONSTRUCTED. Where no public log shows the real output, the text (or the version threshold of a
 * wording change) is marked "reconstructed" in a comment and kept plausible; test/simulator/fidelity-ledger.test.ts
 * fails on an output marked "unknown" or "guess" without that word.
 * Exit codes are undocumented (STM32WB.md §7): 0 on success, 1 after an `Error:`, and 0 where the real tool was seen
 * to exit 0 after a failure (the device vanishing in cli-transcripts/01, armed fault `exit-0-after-error`).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerInvocation } from './overlap.js';
import { simSpeed, defaultSimDir, listSimulatedBoards, readSimulatedBoard, lockBoard, advanceClock, consumeFault, hasFault, resetBoard, type SimContext } from '../../src/drivers/simulator/index.js';
import { parseArgs, ArgsError, type Parsed } from './args.js';
import { runCommand } from './commands.js';
import { boards, connectModeText, header, pickBoard, swdProbeLines } from './connect.js';
import { printList } from './list.js';
import { quirksFromEnv } from './quirks.js';
import { Output, Session, Stop, type T3 } from './session.js';
import * as S from './style.js';

export interface FakeIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}


function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

/** Runs one invocation; resolves with the exit code (never, for the `hung-cli` fault). */
export async function main(argv: readonly string[], io: FakeIo): Promise<number> {
  const style = S.makeStyle(io.env.COPRO_FAKE_CLI_VERSION ?? '2.17.0', S.platformFromEnv(io.env));
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    for (const l of S.banner(style)) io.stdout(l + '\n');
    io.stdout(`Error: ${e.message}\n`);
    return 1;
  }
  const out = new Output(io.stdout, style, parsed.quiet, quirksFromEnv(io.env));
  let code = 0;
  try {
    code = await run(parsed, out, style, io);
  } finally {
    if (parsed.log !== undefined) {
      const file = parsed.log || path.join(homedir(), '.STM32Programmer', 'trace.log');
      await mkdir(path.dirname(file), { recursive: true });
      const now = timestamp(new Date());
      await appendFile(file, out.lines.map((l) => `${now} ${l}`).join('\n') + '\n');
    }
  }
  return code;
}

async function run(parsed: Parsed, out: Output, style: S.Style, io: FakeIo): Promise<number> {
  out.line(...S.banner(style));
  if (parsed.version) {
    out.line(`STM32CubeProgrammer version: ${style.version} `); // reconstructed: no public log shows the exact text
    return 0;
  }
  if (parsed.help) {
    out.line('Usage :', 'STM32_Programmer_CLI.exe [command_1] [Arguments_1][[command_2] [Arguments_2]...]', '(fake STM32_Programmer_CLI over copro simulated boards)');
    return 0;
  }
  const dir = io.env.COPRO_SIM_DIR ? path.resolve(io.cwd, io.env.COPRO_SIM_DIR) : defaultSimDir(io.cwd);
  const speed = simSpeed(io.env);
  if (parsed.list) await printList(out, style, dir, parsed.list);
  const c = parsed.connect;
  if (!c) {
    if (parsed.commands.length > 0) {
      out.line('Error: No connection established: use -c port=...'); // reconstructed: no public log shows this text
      return 1;
    }
    return 0;
  }
  if (c.transport === 'jtag') {
    out.line('Error: No debug probe detected.'); // the simulator has no JTAG / J-Link boards
    return 1;
  }
  // "Default board when none exists" (the store's rule): an empty folder gets the classic rescue-case board.
  if ((await listSimulatedBoards(dir)).length === 0) await resetBoard(dir);
  const picked = pickBoard(await boards(dir), c);
  if (!picked) {
    if (c.transport === 'usb') out.line(...(style.at('2.3.0') ? ['', ''] : []), 'Error: No STM32 target found!'); // reconstructed: no public log shows the exact text over USB
    else if (c.transport === 'swd') out.line('Error: No ST-Link detected!');
    else out.line(`Error: Cannot open port ${c.port}`); // reconstructed: no public log shows this text
    return 1;
  }
  // Overlap is recorded, not hidden: see overlap.ts (the store lock below keeps the board file whole only).
  const unregister = await registerInvocation(dir, picked.serial, parsed.commands.map((cmd) => cmd.kind));
  const release = await lockBoard(dir, picked.serial).catch(async (e: unknown) => {
    await unregister();
    throw e;
  });
  try {
    let board = advanceClock(await readSimulatedBoard(dir, picked.serial), Date.now(), speed);
    board.counters = { ...board.counters, cliProcesses: board.counters.cliProcesses + 1 };
    const m = connectModeText(c);
    const ctx: SimContext & { transport: T3 } = { transport: c.transport, toolVersion: style.version, ...(c.transport === 'swd' ? { connectMode: m.ctx } : {}) };
    const x = new Session(board, ctx, dir, speed, out, style);
    // USB DFU enumeration prints two more blank lines after the banner (cli-transcripts/01, 14).
    if (c.transport === 'usb') out.line('', '');
    const probe = board.device.attachments.find((a) => a.transport === 'swd');
    if (c.transport === 'swd' && probe && probe.transport === 'swd' && probe.connectError) {
      await x.save();
      out.line('ST-LINK error (DEV_CONNECT_ERR)', 'Error: No ST-Link detected!'); // reconstructed: no public log shows this combination
      return 1;
    }
    const connected = await x.exec({ op: 'connect' });
    board = x.board;
    if (!connected.outcome.ok) {
      if (c.transport === 'swd') out.line(...swdProbeLines(board, style)); // cli-transcripts/16 (failed)
      out.line(c.transport === 'uart' ? 'Error: Activating device: KO. Please, verify the boot mode configuration and check the serial port configuration. Reset your device then try again...' : S.noTargetLine(style));
      return 1;
    }
    header(out, style, board, c);
    try {
      for (const cmd of parsed.commands) await runCommand(x, cmd);
      return 0;
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      if (e.exitCode !== 0 && hasFault(x.board, 'exit-0-after-error')) {
        // cli-transcripts/19 A: "The command finishes with exit code 0" after an error.
        x.board = consumeFault(x.board, 'exit-0-after-error').board;
        await x.save();
        return 0;
      }
      return e.exitCode;
    }
  } finally {
    await release();
    await unregister();
  }
}

/** Entry point of the executable shim. */
export async function runFromProcess(): Promise<void> {
  const code = await main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), env: process.env, cwd: process.cwd() });
  process.exitCode = code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runFromProcess();
