/**
 * The read-only rule (issue 12): `copro plan`, `copro status` and `copro doctor` without `--full` do nothing
 * to a board that changes it or costs it: no chip reset, no CPU2 switch into FUS, no SWD FUS operator, no flash
 * or option-byte write. Each command runs in process against boards in ten different states, over USB DFU,
 * SWD and UART, through the real CubeProgrammer driver and the fake STM32_Programmer_CLI (and through the
 * simulator driver), and the board's counters and content must be exactly what they were. On today's main
 * `plan` and `doctor` over SWD load the FUS operator, and over USB reset the chip twice when the stack runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { apply, makeBoard, probeSerialFor, readSimulatedBoard, viewImage, writeSimulatedBoard, type BoardSpec } from '../../src/drivers/simulator/index.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { loadCatalog, makeStandIn } from '../../src/images/index.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { essence, FAKE_CLI, manifestText } from '../hardening/helpers.js';
import { useInProcessCli } from '../support/in-process-cli.js';

/** What reading may never move: every counter except connections and CLI processes. */
function costCounters(b: SimBoard): Record<string, unknown> {
  const { connections: _c, cliProcesses: _p, ...rest } = b.counters as unknown as Record<string, unknown>;
  return rest;
}

const uart = (i: number) => ({ transport: 'uart' as const, port: `/dev/ttyFREE${i}`, description: 'STM32 STLink', manufacturer: 'STMicroelectronics' });

interface State {
  name: string;
  spec: BoardSpec;
  edit?: (b: SimBoard) => SimBoard;
}

/** A stack image written below SFSA, FW_UPGRADE not yet sent, FUS reporting an install in progress. */
function midInstall(b: SimBoard): SimBoard {
  const record = loadCatalog().images.find((i) => i.kind === 'stack' && i.stackType === 'BLE_Stack_full' && i.version === '1.24.0' && i.families.includes('STM32WB5x'))!;
  const viewed = viewImage(makeStandIn(record), record.names.at(-1));
  const staged = apply(b, { op: 'stageImage', write: { address: 0x080d0000, size: viewed.size, sha256: viewed.sha256, name: 'stack.bin', image: viewed.image } }, { transport: 'simulated' });
  if (!staged.outcome.ok) throw new Error(`cannot stage: ${staged.outcome.message}`);
  return { ...staged.board, fus: { ...staged.board.fus, state: 'WIRELESS_STACK_UPGRADE_ONGOING' }, counters: b.counters };
}

const STATES: State[] = [
  { name: 'factory (FUS 0.5.3, no stack)', spec: {} },
  { name: 'stack running (FUS 2.2.0, BLE 1.24.0, application)', spec: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, application: { sizeBytes: 64 * 1024 } } },
  { name: 'FUS running over an installed stack', spec: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus' } },
  { name: 'mid-install (image staged, FUS busy)', spec: { fusVersion: '2.2.0' }, edit: midInstall },
  { name: 'safeboot (SFSA=0, SBRV=0x3FC00)', spec: { fusVersion: '1.2.0' }, edit: (b) => ({ ...b, cpu2: 'safeboot', optionBytes: { ...b.optionBytes, sfsa: 0, sbrv: 0x3fc00 } }) },
  { name: 'RDP level 1 with a stack running', spec: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, rdp: 0xbb } },
  { name: 'WB15 (FUS 1.2.0, stack running)', spec: { device: 'STM32WB1xxC_320K', fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } } },
  { name: 'after an SWD FUS read (operator in flash, nSWboot0=0)', spec: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus', application: { sizeBytes: 64 * 1024 } }, edit: (b) => ({ ...b, fusOperator: { inFlash: true, sram1: null }, optionBytes: { ...b.optionBytes, nSWboot0: 0 }, application: { ...b.application, clobberedByFusOperator: true } }) },
  { name: 'anti-rollback active (FUS 1.2.0, stack running)', spec: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, antiRollback: true } },
  { name: 'WB55xE on FUS 0.5.3 (any FUS command locks it up)', spec: { device: 'STM32WB5xxE_512K' } },
  { name: 'FUS with an error left by a failed install', spec: { fusVersion: '1.2.0' }, edit: (b) => ({ ...b, fus: { ...b.fus, state: 'FUS_ERROR', error: 'IMG_NOT_AUTHENTIC' } }) },
];

const TRANSPORTS = [
  { name: 'USB DFU', port: 'usb1', sn: (s: string) => s },
  { name: 'SWD', port: 'swd', sn: (s: string) => probeSerialFor(s) },
  { name: 'UART', port: (i: number) => `/dev/ttyFREE${i}`, sn: (s: string) => s },
] as const;

const COMMANDS = ['plan', 'status', 'doctor'] as const;

const cli = useInProcessCli('copro-free-reads-', (p) => ({ COPRO_SIM_DIR: p.simDir, COPRO_SIM_SPEED: '1000', COPRO_ALLOW_STANDIN_IMAGES: '1', COPRO_FAKE_CLI_VERSION: '2.20.0' }));
const output = cli.output;
let manifest: string;

beforeAll(async () => {
  manifest = await cli.project.write('copro.yaml', manifestText({ driver: 'cubeprogrammer' }));
});

async function board(i: number, s: State): Promise<SimBoard> {
  const serial = `FREE${String(i).padStart(2, '0')}`;
  let b = makeBoard({ serial, ...s.spec });
  b = { ...b, device: { ...b.device, attachments: [...b.device.attachments, uart(i)] } };
  if (s.edit) b = s.edit(b);
  await writeSimulatedBoard(cli.project.simDir, b);
  return b;
}

describe('plan, status and doctor without --full change nothing and cost nothing', () => {
  for (const driver of ['cubeprogrammer', 'simulator'] as const) {
    it(`through the ${driver === 'cubeprogrammer' ? 'real driver and the fake STM32_Programmer_CLI' : 'simulator driver'}: ten states x USB, SWD, UART x plan, status, doctor`, async () => {
      let runs = 0;
      // States in parallel (one board each), commands on one board in order.
      const one = async (i: number, s: State) => {
        const start = await board(i, s);
        for (const t of TRANSPORTS) {
          const port = typeof t.port === 'function' ? t.port(i) : t.port;
          const via = driver === 'cubeprogrammer' ? ['--cubeprogrammer', FAKE_CLI, '--serial', t.sn(start.serial)] : ['--simulate', '--serial', start.serial];
          for (const cmd of COMMANDS) {
            const args = cmd === 'doctor' ? ['doctor', ...via, '--port', port] : [cmd, manifest, ...via, '--port', port];
            const before = await readSimulatedBoard(cli.project.simDir, start.serial);
            const from = output.length;
            const code = await main(['node', 'copro', ...args]);
            runs++;
            const after = await readSimulatedBoard(cli.project.simDir, start.serial);
            const where = `${s.name} / ${t.name} / copro ${cmd} (exit ${code}):\n${output.slice(from).join('').slice(-1500)}`;
            expect(code, where).not.toBe(EXIT.INTERNAL);
            expect(costCounters(after), where).toEqual(costCounters(before));
            expect(essence(after), where).toEqual(essence(before));
          }
        }
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < STATES.length) {
            const i = next++;
            await one(i, STATES[i]!);
          }
        }),
      );
      expect(runs).toBe(STATES.length * TRANSPORTS.length * COMMANDS.length);
      cli.say(`free reads (${driver}): ${runs} runs over ${STATES.length} board states, every counter and the board content unchanged\n`);
    }, 600_000);
  }

  it('what a free read cannot know is said, with its cost and --full', async () => {
    const i = 20;
    const start = await board(i, STATES[1]!);
    const from = output.length;
    const code = await main(['node', 'copro', 'status', manifest, '--cubeprogrammer', FAKE_CLI, '--serial', start.serial, '--port', 'usb1']);
    const said = output.slice(from).join('');
    expect(code).toBe(EXIT.OK);
    expect(said).toMatch(/FUS\s+unknown/);
    expect(said).toContain('unknown: what CPU2 runs (FUS is not running: most likely the wireless stack), the FUS version and the stack: reading it would reset the chip');
    expect(said).toContain('(--full)');
    const swd = output.length;
    await main(['node', 'copro', 'plan', manifest, '--cubeprogrammer', FAKE_CLI, '--serial', probeSerialFor(start.serial), '--port', 'swd']);
    expect(output.slice(swd).join('')).toContain("unknown: what CPU2 runs, the FUS version and the stack: reading it would run CubeProgrammer's FUS operator");
  }, 120_000);

  it('a free read over USB while FUS runs knows FUS and the stack without a FUS command', async () => {
    const start = await board(21, STATES[2]!);
    const from = output.length;
    const code = await main(['node', 'copro', 'status', manifest, '--cubeprogrammer', FAKE_CLI, '--serial', start.serial, '--port', 'usb1', '--json']);
    expect(code).toBe(EXIT.OK);
    const state = (JSON.parse(output.slice(from).join('')) as { boards: { state: { cpu2: string; fus: { version: string }; stack: { version: string } } }[] }).boards[0]!.state;
    expect(state.cpu2).toBe('fus');
    expect(state.fus.version).toBe('2.2.0');
    expect(state.stack.version).toBe('1.24.0');
  }, 60_000);

  it('--full is the way to read what costs: status --full over USB starts FUS (and says so)', async () => {
    const start = await board(22, STATES[1]!);
    const code = await main(['node', 'copro', 'status', manifest, '--cubeprogrammer', FAKE_CLI, '--serial', start.serial, '--port', 'usb1', '--full']);
    expect(code).toBe(EXIT.OK);
    const after = await readSimulatedBoard(cli.project.simDir, start.serial);
    expect(after.counters.resets).toBeGreaterThan(start.counters.resets);
  }, 60_000);
});

describe('drivers opened for free reads refuse every operation that changes the board', () => {
  it('simulator and CubeProgrammer drivers: REFUSED before anything is sent', async () => {
    const { createSimulatorDriver } = await import('../../src/drivers/simulator/index.js');
    const { CubeProgrammerDriver } = await import('../../src/drivers/cubeprogrammer/index.js');
    const start = await board(23, STATES[1]!);
    const drivers = [
      await createSimulatorDriver({ dir: cli.project.simDir, serial: start.serial, transport: 'usb', access: 'free' }),
      new CubeProgrammerDriver({ executable: FAKE_CLI, port: 'usb1', serial: start.serial, access: 'free' }),
    ];
    for (const d of drivers) {
      for (const op of [() => d.startFus(), () => d.deleteStack(), () => d.startStack(), () => d.writeOptionBytes({ nSWboot0: 1 }), () => d.flash(path.join(cli.project.root, 'copro.yaml'), 0x08000000), () => d.activateAntiRollback()]) {
        await expect(op()).rejects.toMatchObject({ code: 'REFUSED' });
      }
      // A full read asked of a free driver is narrowed to a free one.
      expect((await d.readState({ scope: 'full' })).fus.version).toBe('unknown');
    }
    const after = await readSimulatedBoard(cli.project.simDir, start.serial);
    expect(costCounters(after)).toEqual(costCounters(start));
    expect(essence(after)).toEqual(essence(start));
  }, 60_000);
});
