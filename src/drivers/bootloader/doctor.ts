/**
 * `copro doctor` checks for the bootloader driver: on Linux, whether a udev rule covers the ROM bootloader's
 * DFU device (0483:DF11) and whether this user can open the attached ones; on Windows, the WinUSB driver the
 * DFU device needs (libusb cannot open it through ST's own DFU driver); macOS needs nothing.
 */
import { existsSync, readdirSync, readFileSync, accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface BootloaderFinding {
  check: string;
  status: 'ok' | 'info' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export const UDEV_RULE_FILE = '50-copro-stm32-dfu.rules';

/** The rule shipped in the package (udev/), for the fix text. */
export function shippedUdevRule(): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), '../../../../udev', UDEV_RULE_FILE);
}

function readable(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/** `/sys/bus/usb/devices/*` entries that are 0483:DF11, with their /dev/bus/usb node. */
function attachedDfuNodes(sys = '/sys/bus/usb/devices'): string[] {
  if (!existsSync(sys)) return [];
  const nodes: string[] = [];
  for (const d of readdirSync(sys)) {
    const base = path.join(sys, d);
    if (readable(path.join(base, 'idVendor')).trim() !== '0483' || readable(path.join(base, 'idProduct')).trim().toLowerCase() !== 'df11') continue;
    const bus = readable(path.join(base, 'busnum')).trim();
    const dev = readable(path.join(base, 'devnum')).trim();
    if (bus && dev) nodes.push(`/dev/bus/usb/${bus.padStart(3, '0')}/${dev.padStart(3, '0')}`);
  }
  return nodes;
}

export function bootloaderFindings(platform: NodeJS.Platform = process.platform, ruleDirs = ['/etc/udev/rules.d', '/lib/udev/rules.d', '/usr/lib/udev/rules.d']): BootloaderFinding[] {
  if (platform === 'win32') {
    return [
      {
        check: 'USB DFU driver (Windows)',
        status: 'info',
        detail: 'the bootloader driver opens the DFU device (0483:DF11) through WinUSB; with ST\'s "STM32 BOOTLOADER" DFU driver bound instead, opening it fails with an access error',
        fix: 'bind WinUSB to "STM32 BOOTLOADER" once: Zadig (Options > List all devices, pick it, WinUSB, Replace driver) or ST\'s STM32Bootloader.inf; STM32CubeProgrammer then still works',
      },
    ];
  }
  if (platform !== 'linux') return [{ check: 'USB DFU access', status: 'ok', detail: `${platform}: the DFU device needs no driver or rule` }];
  const findings: BootloaderFinding[] = [];
  const rules = ruleDirs.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.rules')).map((f) => path.join(d, f)));
  const covering = rules.filter((f) => {
    const t = readable(f).toLowerCase();
    return t.includes('0483') && t.includes('df11');
  });
  findings.push(
    covering.length
      ? { check: 'udev rule 0483:DF11', status: 'ok', detail: `DFU bootloader rule: ${covering.map((f) => path.basename(f)).join(', ')}` }
      : { check: 'udev rule 0483:DF11', status: 'warn', detail: 'no udev rule covers the ROM bootloader (0483:DF11): only root can open it', fix: `sudo cp ${shippedUdevRule()} /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger` },
  );
  for (const node of attachedDfuNodes()) {
    try {
      accessSync(node, constants.R_OK | constants.W_OK);
      findings.push({ check: 'USB DFU access', status: 'ok', detail: `${node} (0483:DF11) can be opened` });
    } catch {
      findings.push({ check: 'USB DFU access', status: 'fail', detail: `${node} (0483:DF11) is attached but this user cannot open it`, fix: `install the udev rule (above), then unplug and plug the board again; or add yourself to the plugdev group` });
    }
  }
  return findings;
}
