/** `-l`: the DFU, ST-LINK, J-Link and UART sections (cli-transcripts/16, 17). */
import path from 'node:path';
import { bootsRomBootloader, type SimBoard } from '../../src/drivers/simulator/index.js';
import type { Parsed } from './args.js';
import { boards } from './connect.js';
import { readHost, type Host } from './host.js';
import type { Output } from './session.js';
import * as S from './style.js';

export async function printList(out: Output, s: S.Style, dir: string, what: NonNullable<Parsed['list']>): Promise<void> {
  const all = await boards(dir);
  const host = await readHost(dir);
  if (what === 'all' || what === 'usb') listDfu(out, all);
  if ((what === 'all' || what === 'jlink') && S.listsJLink(s)) out.line('===== J-Link Interface =====', 'Error: No J-link probe detected.');
  if (what === 'all' || what === 'st-link') listStLink(out, s, all, host);
  if (what === 'all' || what === 'uart') listUart(out, all, host);
}

function listDfu(out: Output, all: SimBoard[]): void {
  out.line('=====  DFU Interface   =====', '');
  const visible = all.filter((b) => b.powered !== false && b.device.attachments.some((a) => a.transport === 'usb') && bootsRomBootloader(b) && b.usbAvailableAtMs !== null && b.usbAvailableAtMs <= b.clock.ms);
  if (visible.length === 0) {
    out.line('No STM32 device in DFU mode connected', '');
    return;
  }
  // reconstructed beyond the first lines (cubeprogrammer-cli.md §3: "Total number of available STM32 device in DFU mode: 1" + "  Device Index           : USB1").
  out.line(`Total number of available STM32 device in DFU mode: ${visible.length}`, '');
  visible.forEach((b, i) => {
    const usb = b.device.attachments.find((a) => a.transport === 'usb');
    out.line(
      `  Device Index           : USB${i + 1}`,
      `  USB Bus Number         : 001`,
      `  USB Address Number     : ${String(i + 2).padStart(3, '0')}`,
      '  Product ID             : DFU in FS Mode',
      `  Serial number          : ${usb && usb.transport === 'usb' ? usb.serial : ''}`,
      '  Firmware version       : 0x011a',
      `  Device ID              : 0x0${b.device.deviceId.toString(16)}`,
      '',
    );
  });
}

function listStLink(out: Output, s: S.Style, all: SimBoard[], host: Host): void {
  out.line('===== STLink Interface =====');
  const probes = [
    ...host.probes,
    ...all.flatMap((b) => b.device.attachments.flatMap((a) => (a.transport === 'swd' ? [{ probeSerial: a.probeSerial, probeFirmware: a.probeFirmware, accessPort: a.accessPort, boardName: a.boardName, connectError: a.connectError ?? false }] : []))),
  ];
  if (probes.length === 0) {
    out.line('Error: No ST-Link detected!', '');
    return;
  }
  if (probes.some((p) => p.connectError)) out.line('ST-LINK error (DEV_CONNECT_ERR)');
  out.line('', '-------- Connected ST-LINK Probes List --------', '');
  probes.forEach((p, i) => {
    if (i > 0) out.line('');
    out.line(`ST-Link Probe ${i} :`, `   ST-LINK SN  : ${p.probeSerial}`, `   ST-LINK FW  :${p.connectError ? '' : ' ' + p.probeFirmware}`);
    if (S.listsProbeDetails(s)) out.line(`   Access Port Number  : ${p.accessPort}`, `   Board Name  :${p.boardName && p.boardName !== '--' ? ' ' + p.boardName : ''}`);
  });
  out.line('-----------------------------------------------', '');
}

function listUart(out: Output, all: SimBoard[], host: Host): void {
  const ports = [
    ...host.serialPorts,
    ...all.flatMap((b) => b.device.attachments.flatMap((a) => (a.transport === 'uart' ? [{ port: a.port, description: a.description, manufacturer: a.manufacturer }] : []))),
  ];
  out.line('=====  UART Interface  =====', '', `Total number of serial ports available: ${ports.length}`, '');
  for (const p of ports) {
    const name = p.port.startsWith('/dev/') ? path.basename(p.port) : p.port;
    const location = p.port.startsWith('/dev/') ? p.port : `\\\\.\\${p.port}`;
    out.line(`Port: ${name}`, `Location: ${location}`, `Description: ${p.description}`, `Manufacturer: ${p.manufacturer}`, '');
  }
}

// ---------------------------------------------------------------------- connection header
