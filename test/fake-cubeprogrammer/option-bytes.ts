/** `-ob displ` and `-ob NAME=VALUE ...` (cli-transcripts/02, 10, 23, 24). */
import { modelledDuration } from '../../src/drivers/simulator/index.js';
import { deviceByKey } from '../../src/domain/devices.js';
import type { Session } from './session.js';
import * as S from './style.js';

/** `-ob displ` for WB: layout of cli-transcripts/23 (L5) with the WB fields of STM32WB.md §5; exact WB text unknown. */
export async function obDisplay(x: Session): Promise<void> {
  const out = x.out;
  await x.exec({ op: 'readMemory', address: 0x58004020, words: 26 });
  const ob = x.board.optionBytes;
  const d = deviceByKey(x.board.device.key);
  const addr = (page: number) => `0x${(d.flashBase + page * d.pageSize).toString(16).toUpperCase()}`;
  const rdpText = ob.rdp === 0xaa ? 'Level 0, no protection' : ob.rdp === 0xcc ? 'Level 2, chip protection' : 'Level 1, read protection';
  out.line('');
  x.uploadObBlock();
  out.line(
    '',
    'OPTION BYTES BANK: 0',
    '',
    '   Read Out Protection:',
    '',
    `     RDP          : 0x${ob.rdp.toString(16).toUpperCase()} (${rdpText}) `,
    '',
    '   User Configuration:',
    '',
    `     nBOOT0       : 0x${ob.nBOOT0} (nBOOT0=${ob.nBOOT0}) `,
    `     nBOOT1       : 0x${ob.nBOOT1} (${ob.nBOOT1 ? 'Boot from system memory when BOOT0 = 1' : 'Boot from embedded SRAM1 when BOOT0 = 1'}) `,
    `     nSWBOOT0     : 0x${ob.nSWboot0} (${ob.nSWboot0 ? 'BOOT0 taken from PH3/BOOT0 pin' : 'BOOT0 taken from the option bit nBOOT0'}) `,
    '',
    'OPTION BYTES BANK: 1',
    '',
    '   Security Configuration Option bytes - 1:',
    '',
    `     ESE          : 0x${ob.ese} (${ob.ese ? 'Security enabled' : 'Security disabled'}) `,
    '',
    '   Security Configuration Option bytes - 2:',
    '',
    `     SFSA         : 0x${ob.sfsa.toString(16).toUpperCase()}  (${addr(ob.sfsa)}) `,
    `     FSD          : 0x0 (System and Flash secure) `,
    `     DDS          : 0x1 (CPU2 debug access disabled) `,
    `     C2OPT        : 0x1 (SBRV will address Flash) `,
    `     SBRV         : 0x${ob.sbrv.toString(16).toUpperCase()}  (0x${(d.flashBase + ob.sbrv * 4).toString(16).toUpperCase()}) `,
  );
}

const OB_KEYS: Record<string, 'rdp' | 'sfsa' | 'sbrv' | 'nSWboot0' | 'nBOOT0' | 'nBOOT1' | 'ese'> = {
  rdp: 'rdp',
  sfsa: 'sfsa',
  sbrv: 'sbrv',
  nswboot0: 'nSWboot0',
  nboot0: 'nBOOT0',
  nboot1: 'nBOOT1',
  ese: 'ese',
};

/** `-ob NAME=VAL ...` (cli-transcripts/23 unchanged case, 24 A programmed/failed case, 10 verification errors). */
export async function obProgram(x: Session, values: [string, number][]): Promise<void> {
  const out = x.out;
  const request: Record<string, number> = {};
  for (const [name, v] of values) {
    const k = OB_KEYS[name.toLowerCase()];
    if (k) request[k] = v; // other option bytes (WRP, PCROP, BOR...) are not modelled: treated as unchanged
  }
  const before = x.board.optionBytes;
  out.line('');
  x.uploadObBlock();
  out.line('', 'PROGRAMMING OPTION BYTES AREA ...');
  const { outcome, events } = await x.exec({ op: 'writeOptionBytes', values: request });
  const changed = values.filter(([name, v]) => {
    const k = OB_KEYS[name.toLowerCase()];
    return k !== undefined && before[k] !== v;
  });
  if (changed.length === 0) {
    for (const [name, v] of values) out.line(`Warning: Option Byte: ${name.toLowerCase()}, value: 0x${v.toString(16).toUpperCase()}, was not modified.`);
    out.line('', "Warning: Option Bytes are unchanged, Data won't be downloaded");
    if (S.printsObTime(x.style)) out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(0)}`);
    return;
  }
  out.line('', '  Bank          : 0x00', '  Address       : 0x58004020', '  Size          : 104 Bytes', '');
  out.bar();
  out.line('', 'Reconnecting...', 'Reconnected !', '', '');
  if (!(await x.usbBack(events))) x.lost();
  x.uploadObBlock();
  out.line('OPTION BYTE PROGRAMMING VERIFICATION:', '');
  if (!outcome.ok) {
    for (const m of outcome.mismatches ?? []) out.line(`Error: Expected value for Option Byte "${m.name}": 0x${m.expected.toString(16).toUpperCase()}, found: 0x${m.found.toString(16).toUpperCase()}`);
    x.fail(x.style.at('2.10.0') ? 'Error: Option Byte Programming failed Or modified by application after OB_LAUNCH' : 'Error: Option Byte Programming failed');
  }
  out.line('Option Bytes successfully programmed');
  if (S.printsObTime(x.style)) out.line(`Time elapsed during option Bytes configuration: ${S.elapsed(modelledDuration(events))}`);
}

// ---------------------------------------------------------------------- main
