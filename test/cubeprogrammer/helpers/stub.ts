/** Test helper: a scripted STM32_Programmer_CLI (stub-cli.mjs) in a temp folder. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STUB = fileURLToPath(new URL('./stub-cli.mjs', import.meta.url));
export const SLEEPER = fileURLToPath(new URL('./sleep-forever.mjs', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface Rule {
  match: string;
  stdout?: string;
  exitCode?: number;
  sleepMs?: number;
  times?: number;
}

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

export function stubCli(rules: Rule[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copro-stub-'));
  const script = path.join(dir, 'script.json');
  const calls = path.join(dir, 'calls.jsonl');
  writeFileSync(script, JSON.stringify(rules));
  return {
    dir,
    env: { STUB_SCRIPT: script, STUB_CALLS: calls },
    logFile: path.join(dir, 'run.log'),
    calls: (): string[][] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
  };
}

export const BANNER = (v: string) => `      -------------------------------------------------------------------\n                       STM32CubeProgrammer v${v}\n      -------------------------------------------------------------------\n\n`;

export const USB_HEADER = `USB speed   : Full Speed (12MBit/s)
Manuf. ID   : STMicroelectronics
Product ID  : DFU in FS Mode
SN          : 207F38933036
FW version  : 0x011a
Device ID   : 0x0495
Device name : STM32WBxx
Flash size  : 1 MBytes
Device type : MCU
Device CPU  : Cortex-M0+/M4

`;

export const SWD_HEADER = `ST-LINK SN  : 066FFF3736324D5043233624
ST-LINK FW  : V2J38M27
Board       : P-NUCLEO-WB55
Voltage     : 3.26V
SWD freq    : 4000 KHz
Connect mode: Under Reset
Reset mode  : Hardware reset
Device ID   : 0x495
Revision ID : Rev Y
Device name : STM32WB5x
Flash size  : 1 MBytes
Device type : MCU
Device CPU  : Cortex-M4
BL Version  : 0xD5

`;

/** A WB `-ob displ` body in the layout CubeProgrammer uses for other families (23b), with WB's names. */
export function obDispl(o: { rdp?: string; sfsa: string; sbrv: string; nswboot0?: number; nboot0?: number; nboot1?: number }): string {
  return `
UPLOADING OPTION BYTES DATA ...

  Bank          : 0x00
  Address       : 0x58004020
  Size          : 104 Bytes

[==================================================] 100%

OPTION BYTES BANK: 0

   Read Out Protection:

     RDP          : ${o.rdp ?? '0xAA'} (Level 0, no protection) 

   User Configuration:

     nBOOT0       : 0x${o.nboot0 ?? 1} (nBOOT0=1) 
     nBOOT1       : 0x${o.nboot1 ?? 1} (Boot from code area if BOOT0=0 otherwise system Flash) 
     nSWBOOT0     : 0x${o.nswboot0 ?? 1} (BOOT0 taken from PH3/BOOT0 pin) 

   Security Configuration Option bytes:

     SFSA         : ${o.sfsa}  (0x80${o.sfsa.slice(2)}000) 
     SBRV         : ${o.sbrv}  (0x80${o.sfsa.slice(2)}000) 
     ESE          : 0x1 (Security enabled) 
`;
}
