/**
 * What can be refused without a board: a target that no image at hand (within images.release, for the
 * manifest's family) can ever reach. Checked before the first board operation, so a manifest that can
 * never be applied costs no chip reset (USB), no FUS operator run (SWD). Pure.
 */
import semver from 'semver';
import type { Family } from '../domain/devices.js';
import { hasUsbDfu } from '../domain/families.js';
import { loadCatalog } from '../images/catalog-core.js';
import type { AvailableImage } from '../images/types.js';
import type { RefusalCode } from './refusals.js';
import { canonicalStackType, normaliseRange, sameStackType, usableImage } from './select.js';
import type { Target } from './types.js';

export interface OfflineRefusal {
  code: RefusalCode;
  /** JSON pointer of the manifest value the refusal is about (for file:line:column). */
  pointer: string;
  message: string;
  remedy: string;
}

export interface OfflineInput {
  target: Target;
  images: readonly AvailableImage[];
  /** The manifest's device family, when it names one (otherwise any family's images count). */
  family?: Family;
  /** images.release, when set. */
  release?: string;
  /** The board is simulated (stand-ins count as available). */
  simulated: boolean;
  /** The manifest's connection.driver (what the board will be driven with). */
  driver?: 'cubeprogrammer' | 'simulator' | 'bootloader';
}

/** FUS versions that exist at all: every FUS ST published, and the factory FUS 0.5.3 (never published as a file). */
function existingFusVersions(family: Family | undefined): string[] {
  const published = loadCatalog()
    .images.filter((r) => r.kind === 'fus' && (family === undefined || r.families.includes(family)))
    .map((r) => r.version);
  return [...new Set(['0.5.3', ...published])];
}

export function checkTargetOffline(input: OfflineInput): OfflineRefusal[] {
  const { target, family, release } = input;
  const out: OfflineRefusal[] = [];
  if (family !== undefined && target.transport === 'usb' && !hasUsbDfu(family)) {
    // AN2606: the STM32WB10xx/15xx system bootloader offers USART1, SPI1 and I2C1; the part has no USB peripheral, so
    // no DFU device ever appears (STM32CubeWB's WB1x procedures use ST-LINK). Refused before any tool or board is touched.
    out.push({
      code: 'NO_USB_DFU',
      pointer: '/connection/port',
      message: `an ${family} part has no USB: its ROM bootloader offers no DFU device (only USART, SPI and I2C), so it cannot be reached over USB DFU; the board was not touched`,
      remedy: 'Set connection.port to swd (ST-LINK, STM32CubeProgrammer) or to the serial port of the UART bootloader (/dev/ttyACM0, COM3).',
    });
    return out;
  }
  if (input.driver === 'bootloader' && target.policy.antiRollback) {
    // The public sources the bootloader driver is written from give the ROM bootloader's relay codes of FW_DELETE
    // (0x52), FW_UPGRADE (0x53), GET_STATE (0x54) and START_WS (0x5A) only (qFlipper, amp-hal-st; AN3155 special
    // commands), not the one of FUS_ACTIVATE_ANTIROLLBACK, which CubeProgrammer's -antirollback sends ("Only on
    // Bootloader interface", CLI help). Guessing a code for an irreversible command is not an option.
    out.push({
      code: 'ANTI_ROLLBACK_NOT_ON_DRIVER',
      pointer: '/policy/antiRollback',
      message: 'the bootloader driver cannot activate anti-rollback: the ROM bootloader command that relays FUS_ACTIVATE_ANTIROLLBACK is not publicly documented (the documented ones are FW_DELETE, FW_UPGRADE, GET_STATE and START_WS), and copro does not guess a code for an irreversible command; the board was not touched',
      remedy: 'Provision with the bootloader driver and policy.antiRollback: false, then activate anti-rollback in a second run with connection.driver: cubeprogrammer over USB DFU or UART (STM32_Programmer_CLI -antirollback), once the stack is verified.',
    });
  }
  const usable = input.images.filter((i) => usableImage(i, input.simulated) && (family === undefined || i.identity.families.includes(family)));
  const where = `${family ?? 'any STM32WB family'}${release ? ` in images.release ${release}` : ''}`;

  const want = target.stack;
  if (want !== undefined && want !== 'none') {
    const range = normaliseRange(want.range);
    const type = canonicalStackType(want.type);
    if (semver.validRange(range) !== null) {
      const ofType = usable.filter((i) => i.identity.kind === 'stack' && sameStackType(i.identity.stackType, type));
      if (!ofType.some((i) => semver.satisfies(i.identity.version, range))) {
        const versions = [...new Set(ofType.map((i) => i.identity.version))].sort(semver.rcompare);
        // Local files of that type the board cannot take, and why (so "put the file in binaries/" is never said about a file that is there).
        const aside = input.images.filter(
          (i) => i.path !== undefined && i.identity.kind === 'stack' && sameStackType(i.identity.stackType, type) && semver.satisfies(i.identity.version, range) && !usable.includes(i),
        );
        const why = (i: AvailableImage) =>
          i.origin === 'stand-in' || i.identity.signature === 'simulated'
            ? 'a simulated stand-in: only the simulated board takes it'
            : family !== undefined && !i.identity.families.includes(family)
              ? `an image for ${i.identity.families.join('/')}`
              : i.identity.signature === 'none'
                ? 'it has no signature trailer'
                : 'not usable here';
        const asideText = aside.length > 0 ? `; set aside: ${aside.map((i) => `${i.path} (${why(i)})`).join('; ')}` : '';
        out.push({
          code: 'IMAGE_MISSING',
          pointer: want.range === 'latest' ? '/stack/type' : '/stack/version',
          message: `no ${type} image ${want.range} exists for ${where}${versions.length > 0 ? ` (there: ${versions.slice(0, 6).join(', ')})` : ` (no ${type} image at all)`}${asideText}; the board was not read`,
          remedy: versions.length > 0 ? `Set stack.version to one of ${versions.slice(0, 3).join(', ')}${release ? ', or change images.release' : ''}.` : `Check stack.type and images.release${release ? ` (${release})` : ''}; name a local file in images.files for an image ST's catalog does not have.`,
        });
      }
    }
  }

  const fus = target.fus;
  if (fus !== 'keep' && fus !== 'latest' && semver.validRange(fus) !== null) {
    const exists = existingFusVersions(family);
    if (!exists.some((v) => semver.satisfies(v, fus))) {
      out.push({
        code: 'NO_FUS_PATH',
        pointer: '/fus',
        message: `no FUS ${fus} exists for ${family ?? 'any STM32WB family'} (FUS versions: ${exists.sort(semver.compare).join(', ')}); the board was not read`,
        remedy: 'Set fus to an existing version, a range, latest or keep.',
      });
    }
  }
  return out;
}
