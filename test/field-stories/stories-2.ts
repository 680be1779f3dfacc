/** Field stories P33..P64 (see harness.ts for what each outcome means). */
import { EXIT } from '../../src/cli/exit-codes.js';
import { viewImage } from '../../src/drivers/simulator/index.js';
import type { SimBoard, Attachment } from '../../src/generated/sim-board.js';
import { loadCatalog, makeStandIn, type CatalogImage } from '../../src/images/index.js';
import { atTarget, converges, refuses, reproduces, type ManifestOptions, type Story } from './harness.js';

const APP = { sizeBytes: 96 * 1024 };
const SWD_APP: ManifestOptions = { port: 'swd', extra: 'application:\n  file: app.bin\n  end: 0x08080000', policy: ['swdApplicationLoss: reflash'] };
const appFile = (ctx: { write: (rel: string, c: Uint8Array) => Promise<string> }, size = 96 * 1024) => ctx.write('app.bin', new Uint8Array(size).fill(0x5a));
const ob = (values: Partial<SimBoard['optionBytes']>) => (b: SimBoard): SimBoard => ({ ...b, optionBytes: { ...b.optionBytes, ...values } });
const addresses = (text: string) => [...text.matchAll(/address:\s+(0x[0-9A-Fa-f]+)/g)].map((m) => m[1]!);

/** A WB15CC on its UART bootloader (ST-LINK virtual COM port) and SWD; no USB on the WB1x. */
const WB15_ATTACHMENTS: Attachment[] = [
  { transport: 'uart', port: '/dev/ttyACM0', description: 'STLink Virtual COM Port', manufacturer: 'STMicroelectronics' },
  { transport: 'swd', probeSerial: '0668FF383333505043164817', probeFirmware: 'V2J45M31', accessPort: 0, boardName: 'NUCLEO-WB15CC' },
];
const WB15: ManifestOptions = { device: 'STM32WB15CC', fus: 'latest', port: '/dev/ttyACM0', extra: 'application:\n  end: 0x08020000' };
const WB15_BOARD = { device: 'STM32WB1xxC_320K' as const, fusVersion: '1.2.0', attachments: WB15_ATTACHMENTS };

function record(pred: (r: CatalogImage) => boolean, what: string): CatalogImage {
  const r = loadCatalog().images.find(pred);
  if (!r) throw new Error(`no catalog image: ${what}`);
  return r;
}
const wb5xStack = (type: string, version: string) => record((r) => r.kind === 'stack' && r.stackType === type && r.version === version && r.families.includes('STM32WB5x'), `WB5x ${type} ${version}`);

export const STORIES_2: Story[] = [
  {
    id: 'P33',
    title: 'WB15 boards come back from the field with corrupted option bytes; -ob cannot rewrite them',
    expect: 'reproduced',
    board: { ...WB15_BOARD, stack: { type: 'BLE_Stack_full', version: '1.24.0' } },
    faults: ['corrupt-option-bytes'],
    manifest: WB15,
    run: (ctx) =>
      reproduces(ctx, {
        board: (b) => (b.cpu2 === 'safeboot' ? undefined : `CPU2 runs ${b.cpu2}`),
        cause: /safeboot|option bytes are corrupted/i,
        remedy: /C2BOOT|0x5800040C|ST support/,
      }),
  },
  {
    id: 'P34',
    title: 'SWD FUS flow: "Failed to set nSWboot0=0 nboot1=1 nboot0=1" (option bytes in the way of the operator)',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '1.2.0', stack: null, application: APP },
    manifest: { ...SWD_APP, stack: 'keep' },
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { stack: 'none', check: (b) => (b.optionBytes.nSWboot0 === 1 && b.optionBytes.nBOOT0 === 1 && b.optionBytes.nBOOT1 === 1 ? undefined : `option bytes left ${JSON.stringify(b.optionBytes)}`) });
    },
  },
  {
    id: 'P35',
    title: 'SBRV 0x3FFFF, FUS v0.0.0.0, FUS cannot be started ("something went badly wrong during the update")',
    expect: 'reproduced',
    board: { fusVersion: '1.2.0', stack: null },
    mutate: (b) => ({ ...ob({ sfsa: 0, sbrv: 0x3ffff })(b), cpu2: 'safeboot' }),
    run: (ctx) =>
      reproduces(ctx, {
        board: (b) => (b.cpu2 === 'safeboot' ? undefined : `CPU2 runs ${b.cpu2}`),
        cause: /safeboot/i,
        remedy: /0x00008000.*0x5800040C|C2BOOT/,
      }),
  },
  {
    id: 'P36',
    title: 'After "Read FUS infos" over SWD: FUS still running, the application overwritten (SHCI_FUS_CMD_NOT_SUPPORTED)',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus', application: APP },
    mutate: (b) => ({ ...ob({ nSWboot0: 0 })(b), fusOperator: { inFlash: true, sram1: null }, application: { ...b.application, clobberedByFusOperator: true } }),
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.application.present && !b.application.clobberedByFusOperator && b.optionBytes.nSWboot0 === 1 ? undefined : `application ${JSON.stringify(b.application)}, nSWboot0 ${b.optionBytes.nSWboot0}`) });
    },
  },
  {
    id: 'P37',
    title: 'WB15: FUS refuses to start, v0.0.0.0 for both; ST asks for the option bytes and the history',
    expect: 'reproduced',
    board: { ...WB15_BOARD, stack: null },
    mutate: (b) => ({ ...ob({ sfsa: 0, sbrv: 0x3fc00 })(b), cpu2: 'safeboot' }),
    manifest: WB15,
    run: async (ctx) => {
      const v = await reproduces(ctx, { board: (b) => (b.cpu2 === 'safeboot' ? undefined : `CPU2 runs ${b.cpu2}`), cause: /safeboot/i, remedy: /C2BOOT|ST support/ });
      if (v.outcome !== 'reproduced') return v;
      // What ST asks for: every option byte, saved.
      const saved = await ctx.copro(['status', ctx.manifest, '--save', 'board.json']);
      if (saved.code !== EXIT.OK && saved.code !== EXIT.BOARD_FAILED) return { outcome: 'missed', why: `status --save exits ${saved.code}` };
      return v;
    },
  },
  {
    id: 'P38',
    title: 'FUS 0.5.3 upgrade prints "Error: Firmware not authentic!" although it worked',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '0.5.3', stack: null },
    faults: ['fus-053-not-authentic-quirk'],
    run: (ctx) => converges(ctx, { check: (b) => (b.faults.length === 0 ? undefined : 'the quirk did not fire') }),
  },
  {
    id: 'P39',
    title: 'RDP 0xBB on FUS 0.5.3: "Firmware not authentic!", SFSA=0, nothing left to do',
    expect: 'prevented',
    board: { fusVersion: '0.5.3', stack: null, rdp: 0xbb },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/RDP_NOT_LEVEL0/, /0xAA/] }),
  },
  {
    id: 'P40',
    title: 'BLE 1.23.0 needs FUS 2.x; the user on FUS 1.2.0 with BLE 1.8.0',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.8.0' } },
    manifest: { fus: 'keep', stack: 'BLE_Stack_full 1.23.0', release: 'v1.23.0' },
    run: (ctx) => converges(ctx, { fus: '2.1.0', stack: 'BLE_Stack_full 1.23.0', check: (_b, runs) => (/Update FUS 1\.2\.0 -> 2\./.test(runs[0]!.stdout) ? undefined : 'no FUS 2.x step before the stack') }),
  },
  {
    id: 'P41',
    title: 'Stale image left below SFSA (area not erased before the download): IMG_NOT_AUTHENTIC / AUTH_TAG_ST_NOTFOUND',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: null, application: APP },
    mutate: (b) => {
      const old = viewImage(makeStandIn(wb5xStack('BLE_Stack_full', '1.13.0')), 'stm32wb5x_BLE_Stack_full_fw.bin');
      return { ...b, staged: [{ address: 0x080a0000, size: old.size, sha256: old.sha256, name: 'stm32wb5x_BLE_Stack_full_fw.bin', complete: true, image: old.image }] };
    },
    run: (ctx) => converges(ctx, { runs: 2 }),
  },
  {
    id: 'P42',
    title: 'HCILayer installed through the mailbox at 0x080E1000: FUS_IMAGE_ERSERROR',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: null },
    manifest: { stack: 'BLE_HCILayer 1.24.0' },
    run: (ctx) => {
      const want = wb5xStack('BLE_HCILayer', '1.24.0').installAddress.STM32WB5xxG_1M;
      // ST's table address, or 0x4000 below it where the plan says FUS 2.x may keep its NVM area (STM32CubeWB
      // v1.23.0 release notes: legacy binaries' addresses corrected by -0x4000 once a "FUS_v2 only" one was installed).
      const nvmCorrected = `0x${(Number.parseInt(want!.slice(2), 16) - 0x4000).toString(16).toUpperCase().padStart(8, '0')}`;
      const ok = (stdout: string) => addresses(stdout).join() === want || (addresses(stdout).join() === nvmCorrected && /0x4000 below ST's address/.test(stdout));
      return converges(ctx, { stack: 'BLE_HCILayer 1.24.0', check: (_b, runs) => (ok(runs[0]!.stdout) ? undefined : `address ${addresses(runs[0]!.stdout).join()}, ST's table ${want}`) });
    },
  },
  {
    id: 'P43',
    title: 'FUS 2.0.0 dongle: 127 KB FUSv2-only stack at 0x080D4000 -> FUS_STATE_IMG_NO_SPACE',
    expect: 'handled',
    board: { fusVersion: '2.0.0', stack: null },
    manifest: { device: 'STM32WB55CG', fus: 'keep', stack: 'BLE_Stack_full 1.22.1', release: 'v1.22.1' },
    run: (ctx) => converges(ctx, { fus: '2.0.0', stack: 'BLE_Stack_full 1.22.1', check: (_b, runs) => (addresses(runs[0]!.stdout).join() === '0x080D0000' ? undefined : `address ${addresses(runs[0]!.stdout).join()}`) }),
  },
  {
    id: 'P44',
    title: 'AN5185 address formula misread: FUS error 0x04 NOT_ENOUGH_SPACE replacing a larger stack',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.10.0', sizeBytes: 0x40000 } },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (addresses(runs[0]!.stdout).at(-1) === '0x080D0000' ? undefined : `address ${addresses(runs[0]!.stdout).join()}`) }),
  },
  {
    id: 'P45',
    title: 'An ELF written over USB DFU (-w Production.elf) erased sectors and killed FUS',
    expect: 'prevented',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { images: 'images:\n  release: v1.24.0\n  files:\n    - binaries/Production.elf' },
    run: async (ctx) => {
      const elf = new Uint8Array(200 * 1024);
      elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
      await ctx.write('binaries/Production.elf', elf);
      return refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.INVALID_INPUT, why: [/Production\.elf/, /nothing was touched|nothing was done/i] });
    },
  },
  {
    id: 'P46',
    title: 'CubeProgrammer 2.17 with FUS 2.x over ST-LINK: "Firmware delete Operation Failure!"',
    expect: 'prevented',
    driver: 'cli',
    env: { COPRO_FAKE_CLI_VERSION: '2.17.0' },
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_HCILayer', version: '1.23.0' }, application: null },
    manifest: { port: 'swd', stack: 'BLE_HCILayer 1.24.0', policy: ['swdApplicationLoss: accept'] },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/TOOL_TOO_OLD/, /2\.20/], swdReadEffects: true }),
  },
  {
    id: 'P47',
    title: '"Read FUS infos" over SWD overwrote 0x08000000..0x08002000 of a WB55CE: MicroPython gone',
    expect: 'prevented',
    board: { device: 'STM32WB5xxE_512K', fusVersion: '1.2.0', stack: { type: 'BLE_HCILayer', version: '1.13.0' }, application: APP },
    manifest: { device: 'STM32WB55CE', port: 'swd', stack: 'BLE_HCILayer 1.24.0' },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/SWD_APPLICATION_LOSS/, /application\.file|swdApplicationLoss/] }),
  },
  {
    id: 'P48',
    title: 'WeAct board over SWD: the stack had to be started before the application was programmed',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, cpu2: 'fus', application: APP },
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.application.present && !b.application.clobberedByFusOperator ? undefined : 'application not re-flashed') });
    },
  },
  {
    id: 'P49',
    title: 'FUS 1.0.1 cannot go to 1.0.2: a dead end for a "latest" upgrade',
    expect: 'handled',
    board: { fusVersion: '1.0.1', stack: null },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/1\.0\.1 -> 1\.2\.0/.test(runs[0]!.stdout) && !/1\.0\.2/.test(runs[0]!.stdout) ? undefined : 'not straight to 1.2.0') }),
  },
  {
    id: 'P50',
    title: 'SHCI_C2_BLE_Init returns 0xFE after a flash that went fine',
    expect: 'not-testable',
    reason: 'the failure is in the user\'s application calling SHCI after a correct install (stack type and version as asked, running); the simulated board does not execute application code',
  },
  {
    id: 'P51',
    title: 'CubeProgrammer 2.7 on a 512 KB part: FUS 1.2.0 shown as V-1.-1.-1 and refused',
    expect: 'handled',
    board: { device: 'STM32WB5xxE_512K', fusVersion: '0.5.3', stack: null, application: { sizeBytes: 64 * 1024 } },
    manifest: { device: 'STM32WB55RE' },
    run: (ctx) => converges(ctx, { check: (_b, runs) => (/1\. Update FUS 0\.5\.3 -> 1\.2\.0/.test(runs[0]!.stdout) ? undefined : 'the FUS update is not the first step') }),
  },
  {
    id: 'P52',
    title: 'A 122,134-byte file without ST footer named stm32wb5x_FUS_fw.bin: "Operation exceeds memory limits"',
    expect: 'prevented',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { images: 'images:\n  release: v1.24.0\n  files:\n    - binaries/stm32wb5x_FUS_fw.bin' },
    run: async (ctx) => {
      await ctx.write('binaries/stm32wb5x_FUS_fw.bin', new Uint8Array(122_134).fill(0x33));
      return refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.INVALID_INPUT, why: [/stm32wb5x_FUS_fw\.bin/, /nothing was touched|nothing was done/i] });
    },
  },
  {
    id: 'P53',
    title: 'A 276 KB file named *_for_fus_0_5_3.bin on a dongle at FUS 0.5.3: "Operation exceeds memory limits"',
    expect: 'prevented',
    board: { fusVersion: '0.5.3', stack: null },
    manifest: { images: 'images:\n  release: v1.24.0\n  dir: binaries' },
    run: async (ctx) => {
      // A stack image under the FUS file's name: identified by content, never written as FUS.
      await ctx.write('binaries/stm32wb5x_FUS_fw_for_fus_0_5_3.bin', makeStandIn(wb5xStack('BLE_Stack_full', '1.24.0')));
      return refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.INVALID_INPUT, why: [/stm32wb5x_FUS_fw_for_fus_0_5_3\.bin/, /holds .*BLE_Stack_full 1\.24\.0/, /Nothing was written/i] });
    },
  },
  {
    id: 'P54',
    title: 'Power lost during FUS_FW_UPGRADE of a stack: FUS resumes the install at the next boot',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: null },
    faults: ['power-loss@install'],
    run: (ctx) => converges(ctx, { runs: 3, check: (b, runs) => (b.faults.length === 0 && b.counters.resets > 0 ? undefined : `the power loss did not happen (exits ${runs.map((r) => r.code).join(',')})`) }),
  },
  {
    id: 'P55',
    title: 'FUS 2.0.0 + stack 1.22.1: FUS_FW_RUNNING again after reconnecting CubeProgrammer',
    expect: 'handled',
    driver: 'cli',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' } },
    run: async (ctx) => {
      for (const cmd of ['status', 'status --full']) {
        const r = await ctx.copro([...cmd.split(' '), ctx.manifest]);
        if (r.code !== EXIT.OK) return { outcome: 'missed', why: `${cmd} exits ${r.code}` };
        const b = await ctx.board();
        if (b.cpu2 !== 'stack') return { outcome: 'missed', why: `after copro ${cmd} CPU2 runs ${b.cpu2}` };
      }
      return converges(ctx);
    },
  },
  {
    id: 'P56',
    title: 'WB15 over ST-LINK: its own FUS operator (0x494, sectors 0-3) and version addresses',
    expect: 'handled',
    driver: 'cli',
    board: { ...WB15_BOARD, stack: null, application: { sizeBytes: 64 * 1024 } },
    manifest: { ...WB15, port: 'swd', extra: 'application:\n  file: app.bin\n  end: 0x08020000', policy: ['swdApplicationLoss: reflash'] },
    run: async (ctx) => {
      await appFile(ctx, 64 * 1024);
      return converges(ctx, { check: (b) => (b.application.present && !b.application.clobberedByFusOperator ? undefined : 'application not re-flashed') });
    },
  },
  {
    id: 'P57',
    title: 'NUCLEO-WB15CC: stack 1.17.0 at 0x08021000 -> FUS_STATE_ERR_UNKNOWN (WB5x constants on a WB1x)',
    expect: 'handled',
    board: { ...WB15_BOARD, stack: null },
    manifest: WB15,
    run: (ctx) => converges(ctx, { check: (_b, runs) => (addresses(runs[0]!.stdout).at(-1) === '0x08022800' ? undefined : `WB1x address expected, got ${addresses(runs[0]!.stdout).join()}`) }),
  },
  {
    id: 'P58',
    title: 'A WB55CG whose flash size reads 512 KB: writes above 0x08080000 fail',
    expect: 'prevented',
    board: { device: 'STM32WB5xxE_512K', fusVersion: '2.2.0', stack: null },
    manifest: { device: 'STM32WB55CG' },
    run: (ctx) => refuses(ctx, ['apply', ctx.manifest, '--yes'], { code: EXIT.REFUSED, why: [/DEVICE_MISMATCH/, /512/] }),
  },
  {
    id: 'P59',
    title: 'WB5MMG: "fw was not properly updated; a second time it works; press start wireless stack"',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: null },
    manifest: { device: 'STM32WB5MMG' },
    faults: ['power-loss@reset'],
    run: (ctx) => converges(ctx, { runs: 3, check: (b) => atTarget(b) }),
  },
  {
    id: 'P60',
    title: 'A vendor guide gives 0x080CB000 where the release in hand needs 0x080CA000',
    expect: 'handled',
    board: { fusVersion: '1.2.0', stack: null },
    manifest: { fus: 'keep', stack: 'BLE_Stack_full 1.13.0', release: 'v1.13.0' },
    run: (ctx) => {
      const want = wb5xStack('BLE_Stack_full', '1.13.0').installAddress.STM32WB5xxG_1M;
      return converges(ctx, { fus: '1.2.0', stack: 'BLE_Stack_full 1.13.0', check: (_b, runs) => (want && addresses(runs[0]!.stdout).join() === want ? undefined : `address ${addresses(runs[0]!.stdout).join()}, the image's table says ${want}`) });
    },
  },
  {
    id: 'P61',
    title: 'WB35CC: no published addresses at the time; USB DFU "a lot of errors and freezes"',
    expect: 'handled',
    board: { device: 'STM32WB3xxC_256K', fusVersion: '1.2.0', stack: null },
    manifest: { device: 'STM32WB35CC', stack: 'BLE_HCILayer 1.24.0' },
    faults: ['usb-late:30'],
    run: (ctx) => converges(ctx, { runs: 2, stack: 'BLE_HCILayer 1.24.0' }),
  },
  {
    id: 'P62',
    title: 'Option bytes drift in the field (Flipper added OB verification and self-healing)',
    expect: 'handled',
    board: { fusVersion: '2.2.0', stack: { type: 'BLE_Stack_full', version: '1.24.0' }, application: APP },
    mutate: ob({ nSWboot0: 0 }),
    manifest: SWD_APP,
    run: async (ctx) => {
      await appFile(ctx);
      return converges(ctx, { check: (b) => (b.optionBytes.nSWboot0 === 1 ? undefined : 'nSWboot0 still 0') });
    },
  },
  {
    id: 'P63',
    title: 'ST FAQ: always start the wireless stack and re-flash the application after FUS operations',
    expect: 'handled',
    board: { fusVersion: '0.5.3', stack: null, application: APP },
    run: (ctx) => converges(ctx, { check: (b) => (b.cpu2 === 'stack' && b.application.present && !b.application.overwritten && !b.application.clobberedByFusOperator ? undefined : `CPU2 ${b.cpu2}, application ${JSON.stringify(b.application)}`) }),
  },
  {
    id: 'P64',
    title: 'Power removed during a FUS update of a WB5MMG: SBRV stuck, every later install fails (FUS damaged)',
    expect: 'reproduced',
    board: { fusVersion: '1.2.0', stack: { type: 'BLE_Stack_full', version: '1.13.0' } },
    manifest: { device: 'STM32WB5MMG', stack: 'keep' },
    faults: ['power-loss@install:outcome=fus-damaged'],
    blockedBy: 'the power-loss outcome "FUS damaged for good" of the simulated board',
    run: async (ctx) => {
      // Run 1: the power cut; run 2: the update fails as on the chip and copro says FUS is damaged; run 3 must
      // refuse at once (bounded: the irreversible update is not tried again and again).
      const v = await reproduces(ctx, {
        runs: 3,
        board: (b) => (b.cpu2 === 'stack' && b.stack !== null && b.fus.version === '1.2.0' ? undefined : `the old FUS and the stack should still run (FUS ${b.fus.version}, CPU2 ${b.cpu2})`),
        cause: /FUS is damaged/,
        remedy: /ST's online support/,
        via: 'apply',
      });
      if (v.outcome !== 'reproduced') return v;
      const again = await ctx.copro(['apply', ctx.manifest, '--yes']);
      return again.code === EXIT.REFUSED && /FUS_DAMAGED/.test(again.stdout) ? v : { outcome: 'missed', why: `after the diagnosis apply exits ${again.code}, not a FUS_DAMAGED refusal` };
    },
  },
];
