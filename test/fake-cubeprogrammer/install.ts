/** `-fwdelete`, `-fwupgrade` and `-w`/`-d`: the download block, FUS install and delete (cli-transcripts/01, 03, 05, 06, 14, 28). */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { apply, modelledDuration, sleepModelled, viewImage, consumeFault, hasFault, type SimEvent } from '../../src/drivers/simulator/index.js';
import { deviceByKey } from '../../src/domain/devices.js';
import type { Command } from './args.js';
import { Stop, VANISH_EXIT_MS, fusErrorText, type Session } from './session.js';
import { crashNow } from './quirks.js';
import * as S from './style.js';

/** The FW_DELETE step: as `-fwdelete`, or CubeProgrammer's `firstinstall=0` pre-step of `-fwupgrade`. */
export async function deleteStep(x: Session, partOfUpgrade: boolean): Promise<void> {
  const out = x.out;
  if (x.verbose) {
    await x.ensureFus(true);
    if (partOfUpgrade) out.line('', S.oldDeleteLine(x.style), '');
    out.line('Deleting firmware ...');
    const { outcome, events } = await x.exec({ op: 'fwDelete' });
    if (outcome.error === 'LOCKED_UP') await vanish(x);
    if (!outcome.ok) x.failOutcome(outcome);
    if (!(await x.usbBack(events))) x.lost();
    out.line('Firmware delete finished');
    await x.pollAfter(true);
    return;
  }
  if (partOfUpgrade) out.line(S.oldDeleteLine(x.style));
  if (x.transport === 'swd') {
    // Release notes v1.22.1 Warning 1: refused before anything is loaded.
    const refuse = apply(x.board, { op: 'fwDelete' }, x.ctx).outcome;
    if (refuse.error === 'UNSUPPORTED') x.failOutcome(refuse);
  }
  await x.ensureFus(false);
  const { outcome, events } = await x.exec({ op: 'fwDelete' });
  if (outcome.error === 'LOCKED_UP') await vanish(x);
  if (!outcome.ok) x.failOutcome(outcome);
  if (!(await x.usbBack(events))) x.lost();
  if (outcome.warning === 'IMG_NOT_FOUND') out.line('Warning: FUS_STATE_IMG_NOT_FOUND, Flash already empty !');
  out.line('Firmware delete Success');
  await x.pollAfter(false);
}

/** cli-transcripts/01: the chip locks up, USB drops, and the tool ends some 12 s later without a word (exit 0). */
async function vanish(x: Session): Promise<never> {
  await sleepModelled(VANISH_EXIT_MS, x.speed);
  throw new Stop(0);
}

async function readBytes(x: Session, file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch {
    x.fail(`Error: File does not exist: ${file}`); // reconstructed: no public log shows this text
  }
}

/** "Memory Programming ..." block of a download, from the model's erase/write events (cli-transcripts/03, 14). */
function programmingBlock(x: Session, name: string, size: number, address: number, events: SimEvent[]): number {
  const out = x.out;
  out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(x.style, size)}`, `  Address       : 0x${S.hex8(address)}`, '', '');
  const erase = events.find((e): e is Extract<SimEvent, { type: 'erase' }> => e.type === 'erase');
  const d = deviceByKey(x.board.device.key);
  out.line('Erasing memory corresponding to segment 0:');
  if (erase) {
    out.line(`Erasing internal memory sectors [${erase.firstPage} ${erase.lastPage}]`);
    // reconstructed (a guess): per-sector lines for short erases (6 sectors in 14 and 5 in 03 had them, 41 sectors in 14 did not).
    const count = erase.lastPage - erase.firstPage + 1;
    if (count <= 10 || erase.failedFromPage !== undefined) {
      const last = erase.failedFromPage ?? erase.lastPage;
      for (let p = erase.firstPage; p <= last; p++) {
        out.line(`erasing sector ${String(p).padStart(4, '0')} @: 0x${(d.flashBase + p * d.pageSize).toString(16).padStart(8, '0')} ${p === erase.failedFromPage ? 'failed' : 'done'}`);
      }
    }
  }
  return modelledDuration(events.filter((e) => e.type === 'erase' || e.type === 'write'));
}

/**
 * `-e [start end]` / `-e <codes>`: sector (page) erase, as the CLI help says (cli-transcripts/00); `-e all` and a
 * bare `-e` are refused on WB (cli-transcripts/08). The lines are those of a download's erase (cli-transcripts/03,
 * 14): the exact text a stand-alone sector erase prints is not in any public log (assumption).
 */
export async function eraseSectors(x: Session, what: string[]): Promise<void> {
  const joined = what.join(' ').trim();
  if (joined === '' || joined.toLowerCase() === 'all') x.fail('Error: Mass erase command is not available for WB devices...'); // cli-transcripts/08 (wording partly unknown)
  const range = /^\[\s*(\d+)\s+(\d+)\s*\]$/.exec(joined);
  const codes = range ? [Number(range[1]), Number(range[2])] : joined.split(/[\s,]+/).map(Number);
  if (codes.some((n) => !Number.isInteger(n) || n < 0)) x.fail(`Error: Wrong erase command: ${joined}`); // reconstructed: no public log shows this text
  const first = Math.min(...codes);
  const last = Math.max(...codes);
  if (!range && last - first + 1 !== new Set(codes).size) x.fail(`Error: Wrong erase command: ${joined} (copro's fake erases contiguous codes only)`);
  const d = deviceByKey(x.board.device.key);
  const { outcome, events } = await x.exec({ op: 'erasePages', firstPage: first, lastPage: last });
  const erase = events.find((e): e is Extract<SimEvent, { type: 'erase' }> => e.type === 'erase');
  x.out.line('', 'Erasing memory corresponding to segment 0:', `Erasing internal memory sectors [${first} ${last}]`);
  if (erase && (last - first + 1 <= 10 || erase.failedFromPage !== undefined)) {
    const stop = erase.failedFromPage ?? last;
    for (let p = first; p <= stop; p++) x.out.line(`erasing sector ${String(p).padStart(4, '0')} @: 0x${(d.flashBase + p * d.pageSize).toString(16).padStart(8, '0')} ${p === erase.failedFromPage ? 'failed' : 'done'}`);
  }
  if (!outcome.ok) x.fail('Error: failed to erase memory'); // cli-transcripts/05
}

export async function fwUpgrade(x: Session, c: Extract<Command, { kind: 'fwupgrade' }>): Promise<void> {
  const out = x.out;
  const s = x.style;
  const bytes = await readBytes(x, c.file);
  const name = path.basename(c.file.replace(/\\/g, '/'));
  const viewed = viewImage(bytes, name);
  const d = deviceByKey(x.board.device.key);
  // cli-transcripts/06, STM32CubeWB issue #29: v2.7.0 read the blank version word of the FUS 1.2.0 images as
  // "V-1.-1.-1" and refused them on 256/512 KB parts before touching the board.
  if (s.at('2.7.0') && !s.at('2.8.0') && viewed.image?.kind === 'fus' && viewed.image.versionWord === 0xffffffff && d.flashSize <= 512 * 1024) {
    x.fail('Error: Could not execute fwupgrade command, Impossible to install FUS V1.0.1 on', '256/512KB Flash Parts');
  }
  if (!c.firstInstall) await deleteStep(x, true);
  else if (x.transport === 'swd') await x.loadOperator();
  out.line(S.downloadLine(s, c.address));
  out.line('');
  if (c.firstInstall && x.verbose) out.line('');
  const { outcome, events } = await x.exec({ op: 'stageImage', write: { address: c.address, size: viewed.size, sha256: viewed.sha256, name, image: viewed.image } });
  if (outcome.error === 'OUT_OF_FLASH') {
    out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(s, viewed.size)}`, `  Address       : 0x${S.hex8(c.address)}`, '', '', 'Erasing memory corresponding to segment 0:');
    x.fail('Operation exceeds memory limits', 'Error: failed to erase memory', 'Error: Failed to download image!'); // cli-transcripts/05
  }
  const ms = programmingBlock(x, name, viewed.size, c.address, events);
  if (!outcome.ok) {
    if (outcome.error === 'POWER_LOSS') x.fail('Error: failed to download Segment[0]', 'Error: failed to download the File', 'Error: Failed to download image!'); // cli-transcripts/28 C
    x.fail('Error: failed to erase memory', 'Error: Failed to download image!');
  }
  out.line('Download in Progress:');
  out.bar();
  out.line('File download complete', `Time elapsed during download operation: ${S.elapsed(ms)}`);
  if (c.verify) {
    out.line('', 'Verifying ...', '', 'Read progress:');
    out.bar();
    out.line('', 'Download verified successfully');
  }
  if (x.transport !== 'swd') await x.ensureFus(x.verbose);
  out.line('', 'Firmware Upgrade process started ...', '', 'Updating firmware ...', 'Waiting for firmware upgrade end');
  const up = await x.exec({ op: 'fwUpgrade' });
  // COPRO_FAKE_CLI_QUIRKS crash@fwupgrade: the tool dies while FUS works on; the chip finishes on its own.
  crashNow(out.quirks, 'fwupgrade');
  const polls = up.events.filter((e): e is Extract<SimEvent, { type: 'fus-state' }> => e.type === 'fus-state');
  if (hasFault(x.board, 'hung-cli')) {
    // Field report P22 (cli-transcripts/08): "sometimes CLI hangs forever during -fwupgrade". The board went on.
    x.board = consumeFault(x.board, 'hung-cli').board;
    await x.save();
    if (x.verbose && polls[0]) out.pair(polls[0]);
    await new Promise<never>(() => setInterval(() => undefined, 60_000));
  }
  const status = up.outcome.status;
  const claimedError = status && status.error !== 'NO_ERROR' && status.error !== 'STATE_NOT_RUNNING' ? status.error : undefined;
  if (x.verbose) for (const p of polls) out.pair(p);
  else if ((claimedError || !up.outcome.ok) && polls.length) out.pair(polls.at(-1)!);
  if (!up.outcome.ok) x.failOutcome(up.outcome);
  if (claimedError) x.fail(`Error: ${fusErrorText(claimedError, s)}`);
  if (!(await x.usbBack(up.events))) x.lost();
  out.line('Firmware Upgrade Success');
  if (!c.startStack && x.board.cpu2 === 'stack') {
    // startstack=0: leave CPU2 in FUS (two FUS_GET_STATE).
    for (let i = 0; i < 2 && x.board.cpu2 === 'stack'; i++) {
      const r = await x.exec({ op: 'getState' });
      if (!(await x.usbBack(r.events))) x.lost();
    }
  }
}

export async function writeFile(x: Session, file: string, address: number | undefined, verify: boolean): Promise<void> {
  const out = x.out;
  const bytes = await readBytes(x, file);
  const name = path.basename(file.replace(/\\/g, '/'));
  const at = address ?? 0x08000000;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // Bytes with a coprocessor image trailer are an image FUS can find (STM32WB.md §1); anything else is application code.
  const viewed = viewImage(bytes, name);
  const write = { address: at, size: bytes.length, sha256, name, image: viewed.image };
  out.line('');
  const { outcome, events } = await x.exec(viewed.image ? { op: 'stageImage', write } : { op: 'flashApplication', write });
  if (outcome.error === 'OUT_OF_FLASH') {
    out.line('Memory Programming ...', `Opening and parsing file: ${name}`, `  File          : ${name}`, `  Size          : ${S.fileSizeText(x.style, bytes.length)}`, `  Address       : 0x${S.hex8(at)}`, '', '', 'Erasing memory corresponding to segment 0:');
    x.fail('Operation exceeds memory limits', 'Error: failed to erase memory', 'Error: failed to download Segment[0]', 'Error: failed to download the File');
  }
  const ms = programmingBlock(x, name, bytes.length, at, events);
  if (!outcome.ok) {
    if (outcome.error === 'POWER_LOSS') x.lost();
    x.fail('Error: failed to erase memory', 'Error: failed to download Segment[0]', 'Error: failed to download the File'); // cli-transcripts/19 D, 28 C
  }
  out.line('Download in Progress:');
  out.bar();
  out.line('File download complete', `Time elapsed during download operation: ${S.elapsed(ms)}`);
  if (verify) {
    out.line('', 'Verifying ...', '', 'Read progress:');
    out.bar();
    out.line('', 'Download verified successfully');
  }
}
