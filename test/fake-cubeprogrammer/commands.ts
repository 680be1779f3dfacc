/** One command of an invocation (`-r32`, `-fusgetstate`, `-startfus`, `-startwirelessstack`, ...); installs in install.ts, option bytes in option-bytes.ts. */
import { modelledDuration } from '../../src/drivers/simulator/index.js';
import type { Command } from './args.js';
import { deleteStep, eraseSectors, fwUpgrade, writeFile } from './install.js';
import { obDisplay, obProgram } from './option-bytes.js';
import { fusErrorText, type Session } from './session.js';
import { crashNow, r32Rows } from './quirks.js';
import * as S from './style.js';

export async function runCommand(x: Session, c: Command): Promise<void> {
  const out = x.out;
  const s = x.style;
  if (c.kind !== 'fwupgrade') crashNow(out.quirks, c.kind);
  switch (c.kind) {
    case 'r32': {
      const bytes = Math.max(4, Math.ceil(c.size / 4) * 4);
      const { outcome } = await x.exec({ op: 'readMemory', address: c.address, words: bytes / 4 });
      out.line('', 'Reading 32-bit memory content', `  Size          : ${bytes} Bytes`, `  Address:      : 0x${S.hex8(c.address)}`, '');
      if (!outcome.ok) x.fail('Error: Data read failed'); // reconstructed: no public log shows this text
      const words = outcome.words!;
      for (const row of r32Rows(out.quirks, c.address, words)) out.line(`0x${S.hex8(row.address)} : ${row.words.map(S.hex8).join(' ')}`);
      return;
    }
    case 'w32': {
      const { outcome } = await x.exec({ op: 'writeMemory', address: c.address, words: c.data });
      out.line('', 'Downloading 32-bit data...', '');
      out.bar();
      if (!outcome.ok) x.fail('Error: Downloading 32-bit data failed'); // reconstructed: no public log shows this text
      out.line('Downloading 32-bit data done successfully');
      return;
    }
    case 'fusgetstate': {
      if (x.transport === 'swd') await x.loadOperator();
      const { outcome, events } = await x.exec({ op: 'getState' });
      if (!outcome.ok) x.failOutcome(outcome);
      if (!(await x.usbBack(events))) x.lost();
      out.pair(outcome.status!);
      if (s.at('2.7.0')) out.line('Read FUS state command execution finished'); // GUI wording in cli-transcripts/13; CLI unknown
      return;
    }
    case 'startfus': {
      await x.ensureFus(x.verbose);
      out.line('StartFus activated successfully'); // community 89405 (v2.9)
      return;
    }
    case 'fwdelete':
      await deleteStep(x, false);
      if (x.verbose) out.line('fwdelete command execution finished');
      return;
    case 'fwupgrade':
      await fwUpgrade(x, c);
      return;
    case 'startws': {
      await x.ensureFus(x.verbose);
      const { outcome, events } = await x.exec({ op: 'startStack' });
      if (!outcome.ok) {
        out.line(`Error: ${fusErrorText(outcome.error ?? 'ERR_UNKNOWN', s)}`);
        x.fail('Error: Start Wireless Stack Operation Failure!'); // P7
      }
      if (!(await x.usbBack(events))) x.lost();
      if (x.transport === 'swd') out.line('Reconnecting...', 'Reconnected !', `Success with Time elapsed during Reconnect: ${Math.round(modelledDuration(events.filter((e) => e.type === 'reconnect')))} ms`);
      out.line('FusStartWS activated successfully', 'startwirelessStack command execution finished'); // cli-transcripts/18 a
      return;
    }
    case 'antirollback': {
      await x.ensureFus(x.verbose);
      const { outcome } = await x.exec({ op: 'activateAntiRollback' });
      if (!outcome.ok) x.failOutcome(outcome);
      out.line('Antirollback activated successfully'); // reconstructed: no public log shows this text
      return;
    }
    case 'wusrkey':
    case 'authkeyupdate':
    case 'authkeylock': {
      await x.ensureFus(x.verbose);
      const op = c.kind === 'wusrkey' ? 'storeUserKey' : c.kind === 'authkeyupdate' ? 'updateAuthKey' : 'lockAuthKey';
      const { outcome } = await x.exec({ op });
      if (!outcome.ok) x.failOutcome(outcome);
      out.line(c.kind === 'wusrkey' ? 'Write user key command execution finished' : c.kind === 'authkeyupdate' ? 'Authentication key update command execution finished' : 'Authentication key lock command execution finished'); // reconstructed: no public log shows these texts
      return;
    }
    case 'getuid64':
      out.line('', `UID64 : ${x.board.device.uid64}`); // reconstructed: no public log shows this text
      return;
    case 'fusopgetversion':
      if (x.transport !== 'swd') x.fail('Error: This command is available only with SWD connection'); // reconstructed: no public log shows this text
      out.line('', 'FUS Operator version : v2.0.0'); // reconstructed: no public log shows this text
      return;
    case 'ob-displ':
      await obDisplay(x);
      return;
    case 'ob':
      await obProgram(x, c.values);
      return;
    case 'write':
      await writeFile(x, c.file, c.address, c.verify);
      return;
    case 'erase':
      return eraseSectors(x, c.what);
    case 'start':
      out.line('', 'Start operation achieved successfully'); // cli-transcripts/20 B
      return;
    case 'rst':
    case 'hardrst': {
      const { events } = await x.exec({ op: 'reset', kind: c.kind === 'rst' ? 'software' : 'hardware' });
      out.line('', c.kind === 'rst' ? 'Software reset is performed' : 'Hard reset is performed'); // cli-transcripts/18 b
      if (!(await x.usbBack(events))) x.lost();
      return;
    }
  }
}
