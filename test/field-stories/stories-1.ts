/** Field stories P1..P32 (see harness.ts for what each outcome means). */
import { EXIT } from '../../src/cli/exit-codes.js';
import type { SimBoard } from '../../src/generated/sim-board.js';
import { atTarget, converges, refuses, reproduces, type Story } from './harness.js';

const APP = { sizeBytes: 96 * 1024 };
/** Over SWD: copro re-flashes the application after CubeProgrammer's FUS operator. */
const SWD_APP = { port: 'swd', extra: 'application:\n  file: app.bin\n  end: 0x08080000', policy: ['swdApplicationLoss: reflash'] };
const appFile = (ctx: { write: (rel: string, c: Uint8Array) => Promise<string> }) => ctx.write('app.bin', new Uint8Array(96 * 1024).fill(0x5a));

const ob = (values: Partial<SimBoard['optionBytes']>) => (b: SimBoard): SimBoard => ({ ...b, optionBytes: { ...b.optionBytes, ...values } });
const addresses = (text: string) => [...text.matchAll(/address:\s+(0x[0-9A-Fa-f]+)/g)].map((m) => m[1]!);

export const STORIES_1: Story[] = [
  {
    id: 'P1',
    title: 'FUS 2.0 board, stack install over ST-LINK with a CubeProgrammer older than 2.20: IMAGE_NOT_FOUND',
    expect: 'prevented',
    driver: 'cli',
    env: { COPRO_FAKE_CLI_VERSION: '2.19.0' },
    board: { fusVersion: '2.0.0', stack: { type: 'BLE_Stack_full', version: '1.22.0' }, application: null },
    manifest: { port: 'swd', fus: 'keep', policy: ['swdApplicationLoss: accept'] },
    // The SWD read itself runs CubeProgrammer's FUS operator (accepted by the policy): only its effects may remain.
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/TOOL_TOO_OLD/, /2\.20/, /USB/i], swdReadEffects: true }),
  },
  {
    id: 'P2',
    title: 'FUS 2.0 installed by mistake on a board without USB; the user wants FUS 1.2.0 back',
    expect: 'prevented',
    board: { fusVersion: '2.0.0', stack: { type: 'BLE_Stack_full', version: '1.22.0' } },
    manifest: { fus: '1.2.0', stack: 'BLE_Stack_full 1.20.0', release: 'v1.20.0' },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/FUS_DOWNGRADE/, /never|cannot/i] }),
  },
  {
    id: 'P3',
    title: 'FUS 0.5.3 board: 9-digit addresses typed by hand, "wrong address" again and again',
    expect: 'handled',
    board: { fusVersion: '0.5.3', stack: null, application: APP },
    run: (ctx) =>
      converges(ctx, {
        check: (_b, runs) => {
          const a = addresses(runs[0]!.stdout);
          if (a.length !== 3) return `expected 3 addresses in the plan, got ${a.join(', ')}`;
          return a.every((x) => /^0x080[0-9A-F]{5}$/.test(x)) ? undefined : `addresses not 8 digits: ${a.join(', ')}`;
        },
      }),
  },
  {
    id: 'P4',
    title: 'Read FUS infos says v0.0.0 while the chip has FUS 1.2.0 and stack 1.15.0',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.15.0' }, application: APP },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/FUS\s+1\.2\.0 ->/.test(runs[0]!.stdout) && /stack\s+.*1\.15\.0 ->/.test(runs[0]!.stdout) ? undefined : 'the plan did not read FUS 1.2.0 / stack 1.15.0') }),
  },
  {
    id: 'P5',
    title: 'FUS 1.2.0 images carry the version word 0xFFFFFFFF: the footer cannot tell the version',
    expect: 'handled',
    board: { fusVersion: '1.1.0', stack: null, application: APP },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/Update FUS 1\.1\.0 -> 1\.2\.0/.test(runs[0]!.stdout) ? undefined : 'no FUS 1.1.0 -> 1.2.0 step identified by content') }),
  },
  {
    id: 'P6',
    title: 'A 512 KB part with the 1 MB address: FUS_STATE_IMG_NOT_FOUND',
    expect: 'handled',
    board: { device: 'STM32WB5xxE_512K', fusVersion: '2.2.0', stack: null, application: { sizeBytes: 64 * 1024 } },
    manifest: { device: 'STM32WB55RE' },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (addresses(runs[0]!.stdout).join() === '0x0805C000' ? undefined : `512K address expected, got ${addresses(runs[0]!.stdout).join()}`) }),
  },
  {
    id: 'P7',
    title: 'Anti-rollback activated with no stack: no stack can ever be installed',
    expect: 'prevented',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { fus: 'keep', stack: 'none', policy: ['antiRollback: true'] },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.INVALID_INPUT, why: [/antiRollback/, /no stack/i, /nothing was done/] }),
  },
  {
    id: 'P8',
    title: 'Stack deleted by accident on FUS 1.2.0, then installed at the stale 0x080C7000: IMG_NOT_FOUND',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: null, application: APP },
    manifest: { stack: 'BLE_Stack_full latest' },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (addresses(runs[0]!.stdout).at(-1) === '0x080D0000' ? undefined : `stack address ${addresses(runs[0]!.stdout).at(-1)}`) }),
  },
  {
    id: 'P9',
    title: 'USB dongle on FUS 1.2.0: stack 1.22 full_extended at 0x080C7000 gives IMAGE_NOT_FOUND',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { device: 'STM32WB55CG', stack: 'BLE_Stack_full_extended 1.22.0', release: 'v1.22.0', fus: 'keep' },
    run: (ctx) => converges(ctx, { fus: '1.2.0', stack: 'BLE_Stack_full_extended 1.22.0' }),
  },
  {
    id: 'P10',
    title: 'Dongle disconnects: the stack address made the CPU erase FUS sectors from 0x080F4000',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { device: 'STM32WB55CG' },
    run: (ctx) =>
      converges(ctx, {
        check: (_b, runs) => {
          const bad = addresses(runs[0]!.stdout).filter((a) => Number.parseInt(a, 16) >= 0x080f4000);
          return bad.length ? `addresses at or above the FUS area: ${bad.join(', ')}` : undefined;
        },
      }),
  },
  {
    id: 'P11',
    title: 'The deprecated (empty) stm32wb5x_FUS_fw_1_0_2.bin written over USB DFU',
    expect: 'prevented',
    board: { fusVersion: '0.5.3', stack: null },
    manifest: { images: 'images:\n  release: v1.24.0\n  files:\n    - binaries/stm32wb5x_FUS_fw_1_0_2.bin' },
    run: async (ctx) => {
      await ctx.write('binaries/stm32wb5x_FUS_fw_1_0_2.bin', new Uint8Array(0));
      return refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.INVALID_INPUT, why: [/stm32wb5x_FUS_fw_1_0_2\.bin/, /nothing was touched|nothing was done/i] });
    },
  },
  {
    id: 'P12',
    title: 'Cloned dongle: the install says "success" but no stack is there',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: null },
    faults: ['exit-0-after-error', 'power-loss@download:50'],
    run: (ctx) => converges(ctx, { runs: 3, check: (_b, runs) => (runs.length > 1 && /not verified|stack/i.test(runs[0]!.stdout + runs[0]!.stderr) ? undefined : `the first run should fail its read-back; exits ${runs.map((r) => r.code).join(',')}`) }),
  },
  {
    id: 'P13',
    title: 'Flaky DFU: "erasing sector failed", the download breaks off',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: null },
    faults: ['erase-fail'],
    blockedBy: 'the erase-fail fault of the simulated board',
    run: (ctx) => converges(ctx, { runs: 3, check: (b, runs) => (runs.length > 1 && b.faults.length === 0 ? undefined : `the erase failure did not stop the first run (exits ${runs.map((r) => r.code).join(',')})`) }),
  },
  {
    id: 'P14',
    title: 'Stack 1.23.0 with an older CubeProgrammer: v0.0.0.0 afterwards, "unable to downgrade"',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.20.0' } },
    manifest: { fus: 'keep', stack: 'BLE_Stack_full 1.23.0', release: 'v1.23.0' },
    run: (ctx) => converges(ctx, { fus: '2.1.0', stack: 'BLE_Stack_full 1.23.0' }),
  },
  {
    id: 'P15',
    title: 'Stack 1.20.0 at 0x080D4000 from some document instead of 0x080CE000',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { fus: 'keep', stack: 'BLE_Stack_full 1.20.0', release: 'v1.20.0' },
    run: (ctx) => converges(ctx, { fus: '1.2.0', stack: 'BLE_Stack_full 1.20.0', check: (_b, runs) => (addresses(runs[0]!.stdout).join() === '0x080CE000' ? undefined : `address ${addresses(runs[0]!.stdout).join()}`) }),
  },
  {
    id: 'P16',
    title: 'Stack installed but not running: two FUS_GET_STATE left CPU2 in FUS',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus' },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/Start the wireless stack|start.*stack/i.test(runs[0]!.stdout) ? undefined : 'no start-stack step') }),
  },
  {
    id: 'P17',
    title: 'BLE_Stack_full_extended installed, the application was built for BLE_Stack_full: hard faults',
    expect: 'handled',
    // Over SWD: replacing a running stack starts FUS on purpose; the read-back must not start the stack again.
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full_extended', version: '1.24.0' }, application: APP },
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.stack?.type === 'BLE_Stack_full' ? undefined : `stack type ${b.stack?.type}`) });
    },
  },
  {
    id: 'P18',
    title: 'Zephyr user over SWD: nSWboot0=0 left behind ("Option Bytes are unchanged")',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } },
    mutate: ob({ nSWboot0: 0 }),
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.optionBytes.nSWboot0 === 1 && b.optionBytes.nBOOT0 === 1 ? undefined : `option bytes ${JSON.stringify(b.optionBytes)}`) });
    },
  },
  {
    id: 'P19',
    title: 'BLE_Thread dynamic reinstalled without deleting the previous stack first',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.23.0' } },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/Delete/i.test(runs[0]!.stdout) ? undefined : 'no delete step before the install') }),
  },
  {
    id: 'P20',
    title: 'BLE fails on cold boot on 8 of 30 boards, works after entering FUS',
    expect: 'not-testable',
    reason: 'a hardware / power-up timing fault of those boards after a correct install; the simulated board does not model RF start-up or the application\'s cold boot',
  },
  {
    id: 'P21',
    title: 'Production script over USB DFU "sometimes works and sometimes doesn\'t" (DFU re-enumerates late)',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } },
    faults: ['usb-late:30'],
    run: (ctx) => converges(ctx, { runs: 2 }),
  },
  {
    id: 'P22',
    title: 'STM32_Programmer_CLI sometimes never exits during -fwupgrade',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: null },
    faults: ['hung-cli'],
    run: (ctx) => converges(ctx, { runs: 3, check: (b, runs) => (b.faults.length === 0 ? undefined : `the hang did not happen; exits ${runs.map((r) => r.code).join(',')}`) }),
  },
  {
    id: 'P23',
    title: 'Stack version read at 0x20010014 without -startfus: garbage (130E0019)',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } },
    run: async (ctx) => {
      // A full read (status --full) is the one that may start FUS: it must read the versions right and start the stack again.
      const r = await ctx.copro(['status', ctx.manifest, '--full']);
      if (r.code !== EXIT.OK) return { outcome: 'missed', why: `status --full exits ${r.code}: ${r.stdout.slice(-400)}` };
      if (!/2\.2\.0/.test(r.stdout) || !/1\.24\.0/.test(r.stdout)) return { outcome: 'missed', why: `status --full did not read FUS 2.2.0 + stack 1.24.0: ${r.stdout.slice(-400)}` };
      const b = await ctx.board();
      return b.cpu2 === 'stack' ? { outcome: 'handled', why: 'read FUS 2.2.0 + stack 1.24.0 correctly, stack running after the read' } : { outcome: 'missed', why: `CPU2 left in ${b.cpu2}` };
    },
  },
  {
    id: 'P24',
    title: '-fwdelete while the stack runs: FUS_NOT_RUNNING',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.23.0' } },
    run: (ctx) => converges(ctx),
  },
  {
    id: 'P25',
    title: '0x20030030 reads 0 over SWD after -fwdelete',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.23.0' }, application: APP },
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx);
    },
  },
  {
    id: 'P26',
    title: 'Production emulation over SWD: no stack, CLI install fails whatever firstinstall is',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: null, application: APP },
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.application.present && !b.application.clobberedByFusOperator && !b.application.overwritten ? undefined : 'the application was not re-flashed') });
    },
  },
  {
    id: 'P27',
    title: 'SWD FUS operator overwrote the application and set nSWboot0=0',
    expect: 'prevented',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' }, application: APP },
    manifest: { port: 'swd' },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/SWD_APPLICATION_LOSS/, /application/i] }),
  },
  {
    id: 'P28',
    title: 'FUS update over SWD to an auto-computed 0x08C00000: FUS_STATE_ERR_UNKNOWN',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '1.2.0', stack: null, application: APP },
    manifest: { ...SWD_APP, stack: 'keep' },
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, {
        stack: 'none',
        check: (_b, runs) => (addresses(runs[0]!.stdout)[0] === '0x080EE000' ? undefined : `FUS 2.x address expected 0x080EE000, got ${addresses(runs[0]!.stdout).join()}`),
      });
    },
  },
  {
    id: 'P29',
    title: 'Production: 1-2 % of boards end with FUS v0.0.0 and SFSA=0x00 (option bytes corrupted)',
    expect: 'reproduced',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } },
    faults: ['corrupt-option-bytes'],
    run: (ctx) =>
      reproduces(ctx, {
        board: (b) => (b.cpu2 === 'safeboot' && b.optionBytes.sfsa === 0 ? undefined : `cpu2 ${b.cpu2}, SFSA ${b.optionBytes.sfsa}`),
        cause: /safeboot/i,
        remedy: /C2BOOT|0x5800040C/,
      }),
  },
  {
    id: 'P30',
    title: 'Bricked Nucleo with SFSA=0x00, SBRV=0x3FC00: flash write protected',
    expect: 'prevented',
    board: { fusVersion: '1.2.0', stack: null },
    mutate: (b) => ({ ...ob({ sfsa: 0, sbrv: 0x3fc00 })(b), cpu2: 'safeboot' }),
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/SAFEBOOT/, /C2BOOT|ESE|ST support/i] }),
  },
  {
    id: 'P31',
    title: 'Stack address computed by hand from SFSA (0x0809D000): CPU2 locked',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0', sizeBytes: 0x2d000 } },
    manifest: { device: 'STM32WB5MMG', stack: 'BLE_HCILayer_extended 1.24.0' },
    run: (ctx) => converges(ctx, { stack: 'BLE_HCILayer_extended 1.24.0' }),
  },
  {
    id: 'P32',
    title: '"First install" forgotten once: BLE stopped; reinstall and Start Wireless Stack',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.23.0' }, cpu2: 'fus' },
    run: (ctx) => converges(ctx, { check: (b) => atTarget(b) }),
  },
];
