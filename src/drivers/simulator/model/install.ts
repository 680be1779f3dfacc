/** FW_UPGRADE: FUS finds an image below SFSA, authenticates it, checks the upgrade graph and space, installs. */
import { compareVersions, BLANK_VERSION_WORD } from '../../../domain/version.js';
import type { FusStateName } from '../../../domain/fus.js';
import { stackTypeByName } from '../../../domain/stack-types.js';
import type { FusError, StagedImage, ImageView } from '../../../generated/sim-board.js';
import { deviceOf, fusAreaStart, pageOf, secureStart, sbrvFor, footprintPages } from '../layout.js';
import { TIMING, stackInstallMs } from '../timing.js';
import { destroyRange } from './flash.js';
import { fusGate, setReport, pollSeen } from './fus.js';
import { writeOperatorVersions } from './operator.js';
import { resetChip, cutPower } from './power.js';
import { recordBusy } from './busy.js';
import { IDLE, NOT_RUNNING, Run, fail, resolveOutcome, type FusStatus, type SimOutcome } from './types.js';

// ---------------------------------------------------------------- FW_UPGRADE

/**
 // fidelity: FUS-SEARCH
 * FW_UPGRADE: FUS searches flash below SFSA for an image footer; the address argument is ignored
 * (MicroPython rfcore_firmware.py citing AN5185 Table 9 footnote; ST, public field reports: "it looks for some magic
 * word starting from the beginning of the Flash memory"). The lowest complete image wins.
 */
export function fwUpgrade(run: Run): SimOutcome {
  const b = run.b;
  const findImage = () => b.staged.find((s) => s.complete && s.image !== null && s.address + s.size <= secureStart(b));
  const gate = fusGate(run, 'FW_UPGRADE', findImage()?.image?.kind === 'fus');
  if (gate) return gate;
  // Over SWD the operator load above may have erased what sat at 0x08000000: search after it.
  const found = findImage();
  run.emit({ type: 'fus-command', command: 'FW_UPGRADE', ms: TIMING.fusCommandMs });
  if (!found || !found.image) {
    return fusRefuses(run, 'IMG_NOT_FOUND', 'FUS_ERROR', 'no image footer found in flash below SFSA (nothing staged, or only a partial write)');
  }
  const image = found.image;
  const ongoing: FusStateName = image.kind === 'fus' ? 'FUS_UPGRADE_ONGOING' : 'WIRELESS_STACK_UPGRADE_ONGOING';
  const refusal = checkImage(run, found, image);
  if (refusal) {
    // FUS erases an image it rejected (public field reports: "flash reset to ffffffff" after AUTH_TAG_ST_NOTFOUND).
    if (refusal.error !== 'IMG_NOT_FOUND') b.staged = b.staged.filter((s) => s !== found);
    return fusRefuses(run, refusal.error, refusal.state ?? (refusal.error === 'IMG_NOT_FOUND' ? 'FUS_ERROR' : ongoing), refusal.message);
  }
  pollSeen(run, { state: ongoing, error: 'NO_ERROR' });
  const loss = run.takePowerLoss('install');
  if (loss) {
    // fidelity: PL-INSTALL. ST (community td-p/272587) lists the outcomes of a power loss during FW_UPGRADE: FUS resumes
    // and completes; the image is found corrupt, erased, error reported; the option bytes are corrupted. During a FUS
    // update FUS itself may be damaged for good (community m-p/106679). The fault (or its seed) picks one.
    const outcome = resolveOutcome(run, loss, image.kind === 'fus' ? 'fus-install' : 'stack-install');
    b.staged = b.staged.filter((s) => s !== found);
    if (outcome === 'fus-damaged') {
      b.fusDamaged = `power lost while FUS ${b.fus.version} installed FUS ${image.version}`;
      b.pending = null;
      b.fusRequested = false; // SBRV unchanged: CPU2 boots the stack that was there ("the current stack still runs")
    } else {
      b.pending = { operation: 'install', staged: found, outcome };
    }
    setReport(b, outcome === 'fus-damaged' ? { state: 'FUS_ERROR', error: 'ERR_UNKNOWN' } : { state: ongoing, error: 'NO_ERROR' });
    run.emit({ type: 'wait', reason: 'install', ms: TIMING.stackInstallBaseMs / 2 });
    cutPower(run, loss);
    return fail('POWER_LOSS', `power was lost while FUS installed ${image.kind} ${image.version}`, { status: { state: ongoing, error: 'NO_ERROR' } });
  }
  b.staged = b.staged.filter((s) => s !== found);
  if (image.kind === 'fus') return finishFusUpgrade(run, found, image);
  return finishStackUpgrade(run, found, image);
}

export function fusRefuses(run: Run, error: FusError, state: FusStateName, message: string): SimOutcome {
  const status: FusStatus = { state, error };
  setReport(run.b, status);
  pollSeen(run, status);
  writeOperatorVersions(run);
  return fail(error, message, { status });
}

/** The FUS upgrade graph (STM32CubeWB release notes, upgrade procedure, release notes §2). Returns why not, or undefined. */
export function fusUpgradeRefusal(running: string, image: Pick<ImageView, 'version' | 'fusVariant'>): string | undefined {
  const target = image.version;
  // fidelity: FUS-NO-DOWNGRADE
  // STM32CubeWB release notes, upgrade procedure: "FUS (can never be downgraded; no exception". ST (public CLI log: community fus not authentic quirk and start msg E): "FUS_IMAGE_NOT_AUTHENTIC
  // error message could happen when the FUS is already up to date".
  if (compareVersions(target, running) <= 0) return `FUS ${running} cannot take FUS ${target}: FUS never goes down (nor sideways)`;
  const from = (range: string) => satisfiesSimple(running, range);
  if (image.fusVariant === 'for-fus-0.5.3') {
    // Release notes v1.11.1: "to be installed exclusively on STM32WB5x containing FUS V0.5.3".
    return from('0.5.3') ? undefined : `the _for_fus_0_5_3 image installs only on FUS 0.5.3 (running ${running})`;
  }
  if (image.fusVariant === 'from-fus-1.x') {
    // STEP 6: "Download FUS v1.2.0 for FUSv1.x.y upgrade (when x < 2)".
    return from('1.0.x') || from('1.1.x') ? undefined : `the FUS 1.2.0 image (_1_2_0 / pre-v1.22.1 _FUS_fw) installs only on FUS 1.0.x/1.1.x (running ${running})`;
  }
  if (target.startsWith('1.0.')) {
    // v1.1.0 "0x080EC000 (On top of FUS v0.5.3)"; v1.5.0 STEP 5 "Download FUS 1.0.2" from 0.5.3; public field reports: 1.0.1 cannot go to 1.0.2.
    return from('0.5.3') ? undefined : `FUS ${target} installs only on FUS 0.5.3 (running ${running})`;
  }
  if (target.startsWith('1.1.')) {
    // v1.5.0-v1.11.0: "01000100 or 01000200 : FUSv1.0.x => Must be updated using STEP 6" (to 1.1.x). Assumption: 1.1.x -> newer 1.1.x too.
    return from('1.0.x') || from('1.1.x') ? undefined : `FUS ${target} installs only on FUS 1.0.x/1.1.x (running ${running})`;
  }
  if (target.startsWith('2.')) {
    // STEP 7: "Download latest FUS for FUSv1.2.0 upgrade". Assumption (not stated by ST): 2.x -> newer 2.x is allowed.
    // FUS 0.5.3 fed a 2.x fw.bin: the closest documented behaviour is IMG_NOT_AUTHENTIC (0.5.3 answered
    // "Firmware not authentic!" to images it would not take, public field reports; ST in public CLI log: community fus not authentic quirk and start msg E).
    return from('1.2.0') || from('2.x') ? undefined : `FUS ${target} installs only on FUS 1.2.0 or an older 2.x (running ${running}): update to FUS 1.2.0 first`;
  }
  return `no known upgrade path from FUS ${running} to ${target}`;
}

/** `1.0.x` / `2.x` / `0.5.3` without pulling semver ranges in for three patterns. */
export function satisfiesSimple(version: string, pattern: string): boolean {
  const v = version.split('.');
  const p = pattern.split('.');
  return p.every((part, i) => part === 'x' || part === v[i]);
}

export interface Refusal {
  error: FusError;
  message: string;
  /** The state FUS reports with the error (default: the upgrade-ongoing state of the image kind, FUS_ERROR for IMG_NOT_FOUND). */
  state?: FusStateName;
}

/**
 * FUS installs only images ST signed (ST wiki Connectivity:STM32WB_FUS: "Only possible if encrypted and signed by
 * STMicroelectronics"). The simulator's stand-in for a signature check: the bytes' sha256 is an ST-published image
 * (the catalog) or an intact copro stand-in, as the (Node-side) view builder established, and the view is consistent
 * with the bytes staged. Whatever the footer claims does not count.
 * - no signature footer at all: AUTH_TAG_ST_NOTFOUND (0x08, AN5185 error table; public field reports);
 * - a signature that does not verify (modified, forged, unknown): IMG_NOT_AUTHENTIC (0x03).
 */
// fidelity: FUS-AUTH
export function authenticate(staged: StagedImage, image: ImageView): Refusal | undefined {
  if (image.signature === 'none') {
    return { error: 'AUTH_TAG_ST_NOTFOUND', message: 'the image has a footer but no ST authentication tag (signature footer)' };
  }
  const genuineSt = image.authenticity === 'st' && image.catalogSha256 === staged.sha256;
  const genuineStandIn = image.authenticity === 'simulated' && image.catalogSha256 !== undefined && image.catalogSha256 !== staged.sha256;
  if (!genuineSt && !genuineStandIn) {
    return { error: 'IMG_NOT_AUTHENTIC', message: `the signature does not verify: sha256 ${staged.sha256.slice(0, 16)}... is not an image ST published (nor an intact simulated stand-in), whatever its footer says (${image.kind} ${image.version})` };
  }
  return undefined;
}

export function checkImage(run: Run, staged: StagedImage, image: ImageView): Refusal | undefined {
  const b = run.b;
  const device = deviceOf(b);
  const fus = b.fus.version;
  // fidelity: FUS1-V2-NOTFOUND
  // Assumption: FUS 1.x does not know the FUSv2-only magics (0xB10C8B99, 0x927A6741), so it finds no image at
  // all: public field reports (stack 1.2x on FUS 1.2.0 -> FUS_IMAGE_NOT_FOUND) ("This version requires FUS v.2").
  if (image.fusV2Only && compareVersions(fus, '2.0.0') < 0) {
    return { error: 'IMG_NOT_FOUND', message: `FUS ${fus} does not recognise the FUSv2-only image footer (magic 0x${image.imageMagic.toString(16).toUpperCase()}): it needs FUS >= 2.0.0` };
  }
  const auth = authenticate(staged, image);
  if (auth) return auth;
  if (image.signature === 'customer' && b.customerAuthKey === 'none') {
    return { error: 'AUTH_TAG_CUST_NOTFOUND', message: 'customer-signed image but no customer authentication key is installed in FUS' };
  }
  if (image.families.length > 0 && !image.families.includes(device.family)) {
    // Assumption: an image for another family does not authenticate on this one.
    return { error: 'IMG_NOT_AUTHENTIC', message: `image for ${image.families.join('/')}, board is ${device.family}` };
  }
  if (image.kind === 'other') return { error: 'IMG_NOT_AUTHENTIC', message: 'footer magic 0x42769811 ("other"): not an image FUS installs' };
  if (image.kind === 'fus') {
    if (compareVersions(image.version, fus) === 0) {
      // fidelity: FUS-SAME-VERSION. MicroPython rfcore_firmware.py: installing the FUS already there answers
      // (0x1x, 0x11) FW_ROLLBACK_ERROR ("Confusingly this is a FW_UPGRD (0x10) not FUS_UPRD (0x20)").
      return { error: 'FW_ROLLBACK_ERROR', message: `FUS ${fus} is already installed`, state: 'WIRELESS_STACK_UPGRADE_ONGOING' };
    }
    const why = fusUpgradeRefusal(fus, image);
    if (why) return { error: 'IMG_NOT_AUTHENTIC', message: why };
    // Assumption (psdb deletes the stack before a FUS update): FUS 0.5.3 -> 1.x grows the FUS area 0xF6 -> 0xF4 on a
    // 1 MB part; a stack still ending at 0xF6 leaves it no room.
    const newStart = fusAreaStart(device, image.version);
    if (b.stack && newStart < b.stack.address + b.stack.pages * device.pageSize) {
      return { error: 'IMG_NOT_ENOUGH_SPACE', message: `FUS ${image.version} needs its area from 0x${newStart.toString(16).toUpperCase()}, where the installed stack is: delete the stack first` };
    }
    return undefined;
  }
  // Stacks and safeboot (STM32CubeWB release notes, upgrade procedure; release notes §4).
  if (compareVersions(fus, '1.0.1') < 0) {
    // Release notes v1.1.0: FUS 1.0.1 "MUST be installed to use Wireless Coprocessor Binaries v1.1.0". Assumption: 0.5.3 rejects them as not authentic.
    return { error: 'IMG_NOT_AUTHENTIC', message: `FUS ${fus} cannot install wireless stacks of v1.1.0 and later: update FUS first` };
  }
  if (image.kind === 'safeboot' && !image.fusV2Only && compareVersions(fus, '1.1.0') < 0) {
    // v1.13.0: "This binary is intended only for FUS versions V1.1.0 and higher."
    return { error: 'IMG_NOT_AUTHENTIC', message: `safeboot ${image.version} needs FUS >= 1.1.0 (running ${fus})` };
  }
  const ar = b.antiRollback;
  if (ar.state === 'active') {
    if (ar.floorWord === BLANK_VERSION_WORD) {
      // fidelity: AR-NO-STACK
      // AN5185 Rev11 §2.4 (community td-p/800310): activated without a stack, "FUS registers 0xFFFFFFFF as the new version
      // and it is not possible to install a wireless stack". The field log shows FUS_STATE_IMG_NOT_FOUND.
      return { error: 'IMG_NOT_FOUND', message: 'anti-rollback was activated with no stack installed: FUS registered 0xFFFFFFFF and refuses every stack for good' };
    }
    if (image.versionWord >>> 0 < ar.floorWord >>> 0) {
      // fidelity: AR-OLDER
      // v1.5.0: anti-rollback "prevents installation of any older version of firmware".
      return { error: 'FW_ROLLBACK_ERROR', message: `anti-rollback is active: ${image.version} is older than the installed ${versionOfWord(ar.floorWord)}` };
    }
  }
  return spaceRefusal(run, staged, image);
}

export function versionOfWord(word: number): string {
  return `${(word >>> 24) & 0xff}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}`;
}

/**
 * Where a stack goes, and whether it fits (public field reports):
 * - the stack ends at the FUS area; it occupies ceil(size/page) pages, plus 16 KiB for a FUSv2-only image
 *   (release notes v1.22.1 Warning 2), and SFSA moves to its start.
 * - FUS installs from the download area: the image must lie below its target region, plus the FUSv2-only extra
 *   (public field reports: a 127 KB BLE_Stack_full at 0x080D4000, i.e. TOP - size without the 0x4000, got IMG_NO_SPACE on FUS 2.0.0).
 * - over an installed stack (no delete first), "the new stack replaces always the old one" (ST, community m-p/252073);
 *   a bigger one needs one more free sector below the old one (ST: "OldStackAdd - NewStackSize - 1 Sector").
 * - it must not reach down into the application (the user's code is not FUS's to erase).
 */
// fidelity: FUS-SPACE
export function spaceRefusal(run: Run, staged: StagedImage, image: ImageView): Refusal | undefined {
  const b = run.b;
  const device = deviceOf(b);
  const fusStart = fusAreaStart(device, b.fus.version);
  const pages = footprintPages(device, staged.size, keepsNvmArea(b, image));
  const target = fusStart - pages * device.pageSize;
  const sfsaAddr = secureStart(b);
  const growing = b.stack !== null && pages > b.stack.pages;
  // With no stack and the NVM area already kept below FUS (FW_DELETE keeps it), SFSA already excludes those 16 KiB.
  const nvmAlreadyReserved = b.stack === null && b.fusV2OnlyInstalled && keepsNvmArea(b, image);
  const imagePages = nvmAlreadyReserved ? Math.ceil(staged.size / device.pageSize) : pages;
  const needEnd = staged.address + imagePages * device.pageSize + (growing ? device.pageSize : 0);
  if (needEnd > sfsaAddr) {
    return {
      error: 'IMG_NOT_ENOUGH_SPACE',
      message: `image at 0x${staged.address.toString(16).toUpperCase()} needs ${pages} pages${growing ? ' + 1 sector (bigger than the installed stack)' : ''} up to 0x${needEnd.toString(16).toUpperCase()}, but SFSA is 0x${sfsaAddr.toString(16).toUpperCase()}`,
    };
  }
  const app = b.application;
  if (app.present && !app.overwritten && !app.clobberedByFusOperator && app.start + app.size > target) {
    return { error: 'IMG_NOT_ENOUGH_SPACE', message: `the stack would start at 0x${target.toString(16).toUpperCase()}, inside the application (ends 0x${(app.start + app.size).toString(16).toUpperCase()})` };
  }
  if (target < device.flashBase) return { error: 'IMG_NOT_ENOUGH_SPACE', message: 'image larger than the flash' };
  return undefined;
}

/**
 * fidelity: FUS2-NVM. FUS 2.x keeps a 16 KiB NVM area (pairing data) below a FUS_v2-only stack (release notes v1.22.1
 * Warning 2: start_address - 0x4000). STM32CubeWB v1.23.0 release notes: once a "FUS_v2 only" binary has been
 * installed, legacy binaries' addresses must be corrected by -0x4000 too; FW_DELETE keeps the NVM area. (Observed:
 * community td-p/866204, a legacy Zigbee stack at its table address fails "failed to erase memory" on such a part.)
 */
export function keepsNvmArea(b: { fusV2OnlyInstalled: boolean; fus: { version: string } }, image: Pick<ImageView, 'fusV2Only'>): boolean {
  return image.fusV2Only || (b.fusV2OnlyInstalled && compareVersions(b.fus.version, '2.0.0') >= 0);
}

export function finishFusUpgrade(run: Run, staged: StagedImage, image: ImageView): SimOutcome {
  const b = run.b;
  const was = b.fus.version;
  const startMs = run.now();
  // fidelity: FUS-UPGRADE-REBOOTS
  // psdb README: a FUS upgrade "target board will reboot at least 4 times".
  for (let i = 0; i < TIMING.fusUpgradeReboots; i++) {
    run.emit({ type: 'wait', reason: 'FUS upgrade', ms: TIMING.fusUpgradeMs / TIMING.fusUpgradeReboots });
    if (!resetChip(run, `FUS upgrade reboot ${i + 1}`, 'fus')) {
      b.pending = { operation: 'install', staged };
      return fail('POWER_LOSS', 'power was lost during a FUS upgrade reboot');
    }
  }
  installFus(run, staged, image);
  run.emit({ type: 'install', kind: 'fus', version: image.version, ms: 0 });
  recordBusy(run, 'install', 'FUS_UPGRADE_ONGOING', startMs);
  let status: FusStatus = { ...IDLE };
  if (was === '0.5.3' && run.takeFault('fus-053-not-authentic-quirk')) {
    // fidelity: FUS053-QUIRK
    // public field reports, public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence and 20: the 0.5.3 upgrade ends with "FUS_UPGRADE_ONGOING /
    // FUS_IMAGE_NOT_AUTHENTIC / Error: Firmware not authentic!" although 0x20030030 then reads the new FUS.
    // ("FUS update tries twice": plausibly the tool re-sends FW_UPGRADE and the new FUS refuses the same image.)
    status = { state: 'FUS_UPGRADE_ONGOING', error: 'IMG_NOT_AUTHENTIC' };
  }
  pollSeen(run, status);
  writeOperatorVersions(run);
  return { ok: true, status, installed: { kind: 'fus', version: image.version } };
}

export function installFus(run: Run, staged: StagedImage, image: ImageView): void {
  const b = run.b;
  const device = deviceOf(b);
  b.fus.version = image.version;
  const newStart = fusAreaStart(device, image.version);
  destroyRange(run, newStart, device.flashBase + device.flashSize, 'install');
  const fusPages = Math.ceil(staged.size / device.pageSize);
  run.countPages('erase', 'secure', fusPages);
  run.countPages('write', 'secure', fusPages);
  if (!b.stack) b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, newStart), sbrv: sbrvFor(device, newStart) };
  // fidelity: FUS-USERKEYS
  // Flipper scripts/flash.py: "NEVER FLASH FUS, IT WILL ERASE CRYPTO ENCLAVE" (user keys stored in FUS are lost).
  b.userKeys = 0;
  setReport(b, IDLE);
  b.cpu2 = 'fus';
  b.fusRequested = true;
}

export function finishStackUpgrade(run: Run, staged: StagedImage, image: ImageView): SimOutcome {
  const b = run.b;
  const device = deviceOf(b);
  const startMs = run.now();
  // BUSY-NVM: FUS 2.x saves and restores the stack's NVM around the install when it keeps that area.
  const nvm = compareVersions(b.fus.version, '2.0.0') >= 0 && keepsNvmArea(b, image);
  run.emit({ type: 'wait', reason: 'stack install', ms: stackInstallMs(Math.ceil(staged.size / device.pageSize)) });
  if (!resetChip(run, 'stack installed', 'fus')) {
    b.pending = { operation: 'install', staged };
    return fail('POWER_LOSS', 'power was lost during the reset after the stack install');
  }
  installStack(run, staged, image);
  run.emit({ type: 'install', kind: image.kind === 'safeboot' ? 'safeboot' : 'stack', version: image.version, ms: 0 });
  recordBusy(run, 'install', 'WIRELESS_STACK_UPGRADE_ONGOING', startMs, nvm);
  // FAQ ta-p/722270: "after the installation of a wireless stack, it by default starts running".
  if (!resetChip(run, 'wireless stack started')) return fail('POWER_LOSS', 'power was lost while the new stack started');
  // public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence: the last poll after a stack install says FUS_ERROR / FUS_NOT_RUNNING (the stack runs now).
  const status = b.cpu2 === 'stack' ? { ...NOT_RUNNING } : { ...IDLE };
  pollSeen(run, status);
  writeOperatorVersions(run);
  return { ok: true, status, installed: { kind: image.kind === 'safeboot' ? 'safeboot' : 'stack', version: image.version } };
}

export function installStack(run: Run, staged: StagedImage, image: ImageView): void {
  const b = run.b;
  const device = deviceOf(b);
  const fusStart = fusAreaStart(device, b.fus.version);
  const pages = footprintPages(device, staged.size, keepsNvmArea(b, image));
  const address = fusStart - pages * device.pageSize;
  if (image.fusV2Only) b.fusV2OnlyInstalled = true;
  // FAQ ta-p/722270: "after the installation of a wireless stack, it by default starts running".
  b.fusRequested = false;
  destroyRange(run, address, fusStart, 'install');
  // "the new stack replaces always the old one": the old stack's pages are erased too.
  run.countPages('erase', 'secure', Math.max(pages, b.stack?.pages ?? 0));
  run.countPages('write', 'secure', Math.ceil(staged.size / device.pageSize));
  const type = image.stackType;
  b.stack = {
    kind: image.kind === 'safeboot' ? 'safeboot' : 'stack',
    version: image.version,
    build: image.build ?? (image.versionWord & 0x0f),
    versionWord: image.versionWord,
    memorySizeWord: image.memorySizeWord,
    type,
    typeCode: type ? (stackTypeByName(type)?.code ?? null) : null,
    fusV2Only: image.fusV2Only,
    address,
    pages,
    sha256: staged.sha256,
    name: staged.name,
  };
  // SFSA/SBRV move to the new image start (STM32CubeWB release notes and AN5185, reading versions: SBRV = SFSA*page/4 when CPU2 boots the stack).
  b.optionBytes = { ...b.optionBytes, sfsa: pageOf(device, address), sbrv: sbrvFor(device, address) };
  setReport(b, IDLE);
  if (image.kind === 'safeboot') safebootFactoryReset(run, address);
}

/**
 * fidelity: SAFEBOOT-FACTORY-RESET. Installing a safeboot image is a factory reset: CPU1's code below the secure area
 * is erased with it (the application, anything staged). ST staff call the safeboot path a factory reset ("Perform a
 * factory reset to restore the device to its default state", community m-p/716528); that it erases CPU1's flash is
 * an assumption copro must not be kinder than (a log of a safeboot install on a board with an application settles it).
 */
function safebootFactoryReset(run: Run, secureFrom: number): void {
  const b = run.b;
  const device = deviceOf(b);
  const app = b.application;
  const appPages = app.present ? Math.ceil(app.size / device.pageSize) : 0;
  destroyRange(run, device.flashBase, secureFrom, 'install');
  b.application = { present: false, start: device.flashBase, size: 0, sha256: null, clobberedByFusOperator: false, overwritten: false };
  run.countPages('erase', 'application', appPages);
  run.note('safeboot installed: factory reset, CPU1\'s flash below the secure area was erased (the application is gone)');
}
