/**
 * `copro doctor`: checks the environment and the board, and says how to fix each problem. The board
 * checks are pure (`diagnoseBoard`), taken from failures seen in the field.
 */
import path from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { BoardState } from '../../generated/board-state.js';
import { EXIT } from '../exit-codes.js';
import { isSafebootForDeviceId, swdOperatorCost } from '../../domain/families.js';
import { parseHex } from '../../domain/hex.js';
import { openDriver, stateDir, transportOf, simulatorDir, readManifest } from '../session.js';
import { recallBoard, memoryFile } from '../../runner/board-memory.js';
import { fusDamageDiagnosis, ST_SUPPORT } from '../../runner/power-loss.js';
import { isQuiet } from '../verbosity.js';

export interface Finding {
  check: string;
  status: 'ok' | 'info' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** Problems a board can be left in, each with its remedy. Pure. */
export function diagnoseBoard(s: BoardState): Finding[] {
  const f: Finding[] = [];
  const ob = s.optionBytes;
  const safebootOb = ob !== 'unknown' && isSafebootForDeviceId(parseHex(s.device.deviceId), parseHex(ob.sfsa) ?? -1, parseHex(ob.sbrv) ?? -1);
  if (s.cpu2 === 'safeboot' || safebootOb || (ob !== 'unknown' && ob.sbrv === '0x3FFFF')) {
    // ST wiki / community: "SFSA = 0x00 and SBRV = 0x3FC00 ... due to option byte corruption, or to supply voltage
    // or level stability ... hardware forces the boot to Safeboot"; SBRV 0x3FFFF "is pointing on the safeboot".
    const values = ob === 'unknown' ? '' : ` (SFSA ${ob.sfsa}, SBRV ${ob.sbrv}, ESE ${ob.ese ?? 'unknown'})`;
    f.push({
      check: 'safeboot',
      status: 'fail',
      detail: `the option bytes are corrupted and CPU2 boots safeboot${values}: FUS cannot start, so no FUS or stack operation can work. It follows an unstable supply or a power cut during an option-byte load or a FUS operation`,
      fix: `recovery path: if ESE is set, write 0x00008000 (C2BOOT) to 0x5800040C over SWD (STM32_Programmer_CLI -c port=swd -w32 0x5800040C 0x00008000) so safeboot restores the option bytes, then run copro apply (it installs the stack again). Without ESE, or if that does not help, only ST can help: ${ST_SUPPORT}. Do not try FUS or stack installs first.`,
    });
  } else f.push({ check: 'safeboot', status: 'ok', detail: 'CPU2 is not in safeboot' });
  if (ob !== 'unknown' && ob.rdp !== '0xAA') f.push({ check: 'RDP', status: 'fail', detail: `RDP is ${ob.rdp}, not level 0 (0xAA): FUS operations fail ("Firmware not authentic!")`, fix: 'set RDP back to 0xAA (this mass-erases the application): STM32_Programmer_CLI -c port=swd -ob rdp=0xAA' });
  else if (ob !== 'unknown') f.push({ check: 'RDP', status: 'ok', detail: 'RDP level 0 (0xAA)' });
  if (ob !== 'unknown' && ob.nSWboot0 === 0) f.push({ check: 'nSWboot0', status: 'warn', detail: 'nSWboot0 = 0 (left by CubeProgrammer\'s SWD FUS operator): the chip boots by the BOOT0 pin / into the bootloader, not your application', fix: 'copro apply restores it; by hand: STM32_Programmer_CLI -c port=swd mode=UR -ob nSWboot0=1 nboot1=1 nboot0=1' });
  if (s.stack.status === 'installed' && s.stack.running === false) f.push({ check: 'stack running', status: 'warn', detail: 'a wireless stack is installed but CPU2 runs FUS (two FUS_GET_STATE in a row, or startstack=0): the application will not see BLE (ST FAQ "Why is the wireless stack not running after...")', fix: 'copro apply starts it; by hand: STM32_Programmer_CLI -c port=usb1 -startwirelessstack' });
  if (s.stack.status === 'none') f.push({ check: 'stack', status: 'warn', detail: 'no wireless stack installed', fix: 'copro apply <manifest>' });
  if (s.application.clobberedByFusOperator) f.push({ check: 'application', status: 'fail', detail: `the SWD FUS operator overwrote ${swdOperatorCost(s.source.toolVersion, Number.parseInt(s.device.deviceId, 16) || undefined)}: the application is destroyed`, fix: 'set application.file in the manifest and run copro apply (it re-flashes), or flash it by hand' });
  if (s.antiRollback === 'active' && s.stack.status === 'none') f.push({ check: 'anti-rollback', status: 'fail', detail: 'anti-rollback is active with no stack installed: FUS registers 0xFFFFFFFF and refuses every stack (AN5185 §2.4)', fix: 'none known: this board cannot take a wireless stack any more' });
  if (s.fus.error === 'IMG_CORRUPT') f.push({ check: 'FUS', status: 'warn', detail: 'FUS reports FUS_STATE_IMG_CORRUPT: it found the image staged for an install corrupted (a power cut or unplug during the install) and erased it; nothing was installed', fix: 'run copro apply again on a stable supply: it re-reads the board and installs again' });
  if (s.fus.error === 'ERR_UNKNOWN') f.push({ check: 'FUS', status: 'warn', detail: 'FUS answers FUS_STATE_ERR_UNKNOWN. If power was lost or the board unplugged during a FUS update, FUS may be damaged for good: the stack keeps running, but every FUS or stack install then fails this way', fix: `run copro apply once on a stable supply: if the update fails with FUS_STATE_ERR_UNKNOWN again, copro reports FUS as damaged and stops; the only path then is ${ST_SUPPORT}` });
  for (const n of s.notes) f.push({ check: 'read-back', status: 'info', detail: n });
  return f;
}

function udevFindings(): Finding[] {
  if (process.platform !== 'linux') return [];
  const dirs = ['/etc/udev/rules.d', '/lib/udev/rules.d', '/usr/lib/udev/rules.d'];
  const rules = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((f) => path.join(d, f)) : []));
  const mentions0483 = rules.filter((f) => {
    try {
      return /0483/.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
  return mentions0483.length
    ? [{ check: 'udev rules', status: 'ok', detail: `ST USB rules found: ${mentions0483.map((f) => path.basename(f)).join(', ')}` }]
    : [{ check: 'udev rules', status: 'warn', detail: 'no udev rule mentions ST\'s USB vendor id 0483: ST-LINK and DFU devices may need root', fix: 'install STM32CubeProgrammer\'s Drivers/rules/*.rules into /etc/udev/rules.d and run udevadm control --reload' }];
}

export async function doctorCommand(manifestFile: string | undefined, opts: { simulate?: boolean; cubeprogrammer?: string; port?: string; serial?: string; full?: boolean }): Promise<number> {
  const findings: Finding[] = [];
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  findings.push(major > 20 || (major === 20 && minor >= 19) ? { check: 'node', status: 'ok', detail: `Node ${process.versions.node}` } : { check: 'node', status: 'fail', detail: `Node ${process.versions.node} < 20.19`, fix: 'install Node 20.19 or newer' });
  if (!opts.simulate) {
    try {
      const { locateCubeProgrammer, cubeProgrammerVersion } = await import('../../drivers/cubeprogrammer/index.js');
      const found = locateCubeProgrammer({ explicit: opts.cubeprogrammer });
      const v = await cubeProgrammerVersion(found);
      const [a = 0, b = 0] = v.split('.').map(Number);
      findings.push({ check: 'STM32CubeProgrammer', status: a > 2 || (a === 2 && b >= 20) ? 'ok' : 'warn', detail: `${found.executable} v${v}`, fix: a > 2 || (a === 2 && b >= 20) ? undefined : 'ST recommends >= 2.20 for FUS 2.x (release notes v1.23.0); older versions cannot delete a stack over ST-LINK with FUS 2.x' });
    } catch (e) {
      findings.push({ check: 'STM32CubeProgrammer', status: 'fail', detail: (e as Error).message, fix: 'install STM32CubeProgrammer, or pass --cubeprogrammer / set COPRO_CUBEPROGRAMMER' });
    }
    findings.push(...udevFindings());
    // The bootloader driver opens the DFU device itself: udev rule and permissions (Linux), WinUSB (Windows).
    const { bootloaderFindings } = await import('../../drivers/bootloader/doctor.js');
    findings.push(...bootloaderFindings());
  } else {
    findings.push({ check: 'driver', status: 'ok', detail: `simulated boards in ${simulatorDir()}` });
  }
  try {
    // The board as the manifest reaches it (port, serial), when one is given.
    const conn = manifestFile && existsSync(manifestFile) ? (await readManifest(manifestFile)).manifest.connection : undefined;
    const simulated = opts.simulate === true || conn?.driver === 'simulator';
    const port = opts.port ?? conn?.port;
    // Without --full only what costs nothing is read (no reset, no FUS start, no SWD FUS operator).
    const access = opts.full ? 'full' : 'free';
    const driver = await openDriver({ simulated, serial: opts.serial ?? conn?.serial, port: port ?? 'usb1', transport: transportOf(port, simulated), cubeprogrammer: opts.cubeprogrammer ?? conn?.cubeprogrammer, mode: conn?.mode, baudrate: conn?.baudrate, timeoutSeconds: conn?.timeoutSeconds, logDir: path.join(stateDir(), 'logs'), access });
    try {
      const state = await driver.readState({ scope: access });
      findings.push(...diagnoseBoard(state));
      const memory = await recallBoard(path.join(stateDir(), 'boards'), state.device.uid64);
      if (memory?.fusDamaged) findings.push({ check: 'FUS damaged', status: 'fail', detail: fusDamageDiagnosis(memory.fusDamaged, memoryFile(path.join(stateDir(), 'boards'), state.device.uid64)), fix: `no install can fix it: ${ST_SUPPORT}` });
    } finally {
      await driver.close();
    }
  } catch (e) {
    findings.push({ check: 'board', status: 'fail', detail: `cannot read the board: ${(e as Error).message}`, fix: 'check the cable, BOOT0 (USB DFU needs the ROM bootloader), or pass --port/--serial (copro devices)' });
  }
  const mark = { ok: 'ok  ', info: 'note', warn: 'WARN', fail: 'FAIL' } as const;
  // --quiet: only what needs attention.
  for (const f of findings.filter((x) => !isQuiet() || x.status === 'warn' || x.status === 'fail')) process.stdout.write(`${mark[f.status]} ${f.check}: ${f.detail}${f.fix ? `\n     remedy: ${f.fix}` : ''}\n`);
  return findings.some((f) => f.status === 'fail') ? EXIT.ENVIRONMENT : EXIT.OK;
}
