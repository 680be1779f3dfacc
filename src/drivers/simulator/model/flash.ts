/** CPU1-side flash erase/write below SFSA: staged images, the application, the operator pages. */
import type { SimBoard, StagedImage, Fault } from '../../../generated/sim-board.js';
import { deviceOf, pageOf, pageAddress, secureStart, FUS_OPERATOR_SIZE, overlaps } from '../layout.js';
import { downloadMs, eraseMs } from '../timing.js';
import { cutPower } from './power.js';
import { SimModelError, Run, fail, type FlashWrite, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- flash writes (images, application)

/** Erases everything non-secure in [start, end): staged images, the application, the operator. Returns true when the application was hit. */
export function destroyRange(run: Run, start: number, end: number, by: 'fus-operator' | 'write' | 'install'): boolean {
  const b = run.b;
  b.staged = b.staged.filter((s) => !overlaps(s.address, s.address + s.size, start, end));
  const device = deviceOf(b);
  if (overlaps(device.flashBase, device.flashBase + FUS_OPERATOR_SIZE, start, end) && by !== 'fus-operator') b.fusOperator = { ...b.fusOperator, inFlash: false };
  const app = b.application;
  if (app.present && overlaps(app.start, app.start + app.size, start, end)) {
    if (by === 'fus-operator') b.application = { ...app, clobberedByFusOperator: true };
    else b.application = { ...app, overwritten: true };
    return true;
  }
  return false;
}

// fidelity: DFU-ELF-FUS-LOST. Not modelled: after `-w Production.elf` over USB DFU (sector erases failed, a second
// segment "Not flash Memory"), FUS no longer answered (0x20030030 = 0, FUS_ERROR / FUS_NOT_RUNNING). The mechanism is
// unknown, so the model neither parses ELF files nor kills FUS here; copro refuses an ELF before any tool sees it.
export function writeFlash(run: Run, w: FlashWrite, asApplication: boolean): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  const end = w.address + w.size;
  if (w.size <= 0) throw new SimModelError('a flash write needs at least one byte');
  if (w.address < device.flashBase || end > device.flashBase + device.flashSize) {
    // public CLI log: github STM32CubeWB issue41 gui log: "Operation exceeds memory limits" / "failed to erase memory".
    return fail('OUT_OF_FLASH', `0x${w.address.toString(16).toUpperCase()}..0x${end.toString(16).toUpperCase()} is outside the flash (0x${device.flashBase.toString(16).toUpperCase()}..0x${(device.flashBase + device.flashSize).toString(16).toUpperCase()})`);
  }
  if (b.optionBytes.rdp !== 0xaa) return fail('RDP_PROTECTED', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()})`);
  if (b.cpu2 === 'safeboot') return fail('WRITE_PROTECTED', 'flash is write protected (safeboot: SFSA=0x00)');
  const area = asApplication ? 'application' : 'staging';
  const firstPage = pageOf(device, w.address);
  const lastPage = pageOf(device, end - 1);
  const sfsa = b.optionBytes.sfsa;
  if (lastPage >= sfsa) {
    // fidelity: FLASH-SECURE-ERASE
    // public field reports: "the CPU tried to erase protected sectors, starting from 0x080F4000, where the FUS is located";
    // the pages below SFSA in the range are erased before the first protected one fails.
    if (firstPage < sfsa) destroyRange(run, pageAddress(device, firstPage), pageAddress(device, sfsa), 'write');
    run.countPages('erase', area, Math.max(0, sfsa - firstPage));
    run.emit({ type: 'erase', firstPage, lastPage, failedFromPage: Math.max(firstPage, sfsa), ms: eraseMs(Math.max(0, sfsa - firstPage) + 1) });
    return fail('WRITE_PROTECTED', `pages ${firstPage}..${lastPage} reach the secure area (SFSA 0x${sfsa.toString(16).toUpperCase()} = 0x${secureStart(b).toString(16).toUpperCase()}): erase of page ${Math.max(firstPage, sfsa)} failed`);
  }
  const pages = lastPage - firstPage + 1;
  if (run.takeFault('erase-fail')) {
    // fidelity: ERASE-FAIL. Field report (community td-p/311243, CLI 2.4.0 over DFU): "erasing sector ... failed", at
    // random. The pages before the failing one are erased (their old content is gone), nothing is written.
    const failedFromPage = Math.min(lastPage, firstPage + 1);
    destroyRange(run, pageAddress(device, firstPage), pageAddress(device, failedFromPage), 'write');
    run.countPages('erase', area, failedFromPage - firstPage);
    run.emit({ type: 'erase', firstPage, lastPage, failedFromPage, ms: eraseMs(failedFromPage - firstPage + 1) });
    return fail('ERASE_FAILED', `erasing sector ${failedFromPage} failed (pages ${firstPage}..${failedFromPage - 1} were erased, nothing was written)`);
  }
  const hitApp = destroyRange(run, pageAddress(device, firstPage), pageAddress(device, lastPage + 1), 'write');
  run.emit({ type: 'erase', firstPage, lastPage, ms: eraseMs(pages) });
  run.countPages('erase', area, pages);
  // fidelity: PL-DOWNLOAD
  // Power loss mid-download: a prefix of the file is in flash. The trailer (footer) is at the end of the file,
  // so FUS finds no image in it (IMG_NOT_FOUND), never a silently installed one.
  const downloadLoss = b.faults.find((f): f is Extract<Fault, { at: string }> => 'at' in f && f.at.startsWith('download:'));
  if (downloadLoss) {
    const percent = Number(downloadLoss.at.slice('download:'.length));
    const loss = run.takePowerLoss(downloadLoss.at)!;
    const written = Math.floor((w.size * percent) / 100);
    run.emit({ type: 'write', address: w.address, size: written, ms: downloadMs(run.ctx.transport, written) });
    run.countPages('write', area, Math.ceil(written / device.pageSize));
    if (written > 0) {
      if (asApplication) b.application = { present: true, start: w.address, size: written, sha256: null, clobberedByFusOperator: false, overwritten: true };
      else addStaged(b, { address: w.address, size: written, sha256: w.sha256, name: w.name, complete: written === w.size, image: written === w.size ? w.image : null });
    }
    cutPower(run, loss);
    return fail('POWER_LOSS', `power was lost at ${percent}% of the download (${written} of ${w.size} bytes written)`);
  }
  run.emit({ type: 'write', address: w.address, size: w.size, ms: downloadMs(run.ctx.transport, w.size) });
  run.countPages('write', area, pages);
  if (asApplication) {
    b.application = { present: true, start: w.address, size: w.size, sha256: w.sha256, clobberedByFusOperator: false, overwritten: false };
  } else {
    addStaged(b, { address: w.address, size: w.size, sha256: w.sha256, name: w.name, complete: true, image: w.image });
    if (hitApp) run.note(`the image written at 0x${w.address.toString(16).toUpperCase()} overwrote part of the application`);
  }
  return { ok: true };
}

/**
 * fidelity: STAGING-ERASE
 * Erases pages [firstPage, lastPage] from CPU1's side (CubeProgrammer `-e [first last]`, DfuSe erase, AN3155
 * Extended Erase): whatever was staged or written there is gone. ST asks for exactly this before a download,
 * because FUS installs the first image footer it finds below SFSA (community td-p/70166: "check if the flash
 * sectors between the end of your app and SFSA option byte is erased before download"). Pages from SFSA up are
 * CPU2's: the pages below are erased and the first protected one fails (as for a write reaching them).
 */
export function erasePages(run: Run, firstPage: number, lastPage: number): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  if (!Number.isInteger(firstPage) || !Number.isInteger(lastPage) || firstPage < 0 || lastPage < firstPage || pageAddress(device, lastPage + 1) > device.flashBase + device.flashSize) {
    return fail('OUT_OF_FLASH', `no such pages ${firstPage}..${lastPage} (the flash has ${device.flashSize / device.pageSize} pages)`);
  }
  if (b.optionBytes.rdp !== 0xaa) return fail('RDP_PROTECTED', `flash is read-protected (RDP 0x${b.optionBytes.rdp.toString(16).toUpperCase()})`);
  if (b.cpu2 === 'safeboot') return fail('WRITE_PROTECTED', 'flash is write protected (safeboot: SFSA=0x00)');
  const sfsa = b.optionBytes.sfsa;
  if (run.takeFault('erase-fail')) {
    // fidelity: ERASE-FAIL (the next erase, whichever command asks for it)
    const failedFromPage = Math.min(lastPage, firstPage + 1);
    destroyRange(run, pageAddress(device, firstPage), pageAddress(device, failedFromPage), 'write');
    run.countPages('erase', 'staging', failedFromPage - firstPage);
    run.emit({ type: 'erase', firstPage, lastPage, failedFromPage, ms: eraseMs(failedFromPage - firstPage + 1) });
    return fail('ERASE_FAILED', `erasing sector ${failedFromPage} failed (pages ${firstPage}..${failedFromPage - 1} were erased)`);
  }
  const upTo = Math.min(lastPage, sfsa - 1);
  if (upTo >= firstPage) destroyRange(run, pageAddress(device, firstPage), pageAddress(device, upTo + 1), 'write');
  run.countPages('erase', 'staging', Math.max(0, upTo - firstPage + 1));
  if (lastPage >= sfsa) {
    // fidelity: FLASH-SECURE-ERASE
    const failedFromPage = Math.max(firstPage, sfsa);
    run.emit({ type: 'erase', firstPage, lastPage, failedFromPage, ms: eraseMs(Math.max(0, upTo - firstPage + 1) + 1) });
    return fail('WRITE_PROTECTED', `pages ${firstPage}..${lastPage} reach the secure area (SFSA 0x${sfsa.toString(16).toUpperCase()} = 0x${secureStart(b).toString(16).toUpperCase()}): erase of page ${failedFromPage} failed`);
  }
  run.emit({ type: 'erase', firstPage, lastPage, ms: eraseMs(lastPage - firstPage + 1) });
  return { ok: true };
}

export function addStaged(b: SimBoard, s: StagedImage): void {
  b.staged = [...b.staged, s].sort((x, y) => x.address - y.address);
}
