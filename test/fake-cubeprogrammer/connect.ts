/** Which simulated board a `-c port=...` reaches, and the connection header the tool prints for it. */
import path from 'node:path';
import { listSimulatedBoards, readSimulatedBoard, type SimBoard, type SimContext } from '../../src/drivers/simulator/index.js';
import type { ConnectParams } from './args.js';
import type { Output } from './session.js';
import * as S from './style.js';

export interface Picked {
  serial: string;
  board: SimBoard;
}

export async function boards(dir: string): Promise<SimBoard[]> {
  const out: SimBoard[] = [];
  for (const s of await listSimulatedBoards(dir)) out.push(await readSimulatedBoard(dir, s));
  return out;
}

export function pickBoard(all: SimBoard[], c: ConnectParams): Picked | undefined {
  const sn = c.sn?.toUpperCase();
  if (c.transport === 'usb') {
    const usb = all.filter((b) => b.device.attachments.some((a) => a.transport === 'usb'));
    const hit = sn ? usb.find((b) => b.device.attachments.some((a) => a.transport === 'usb' && a.serial.toUpperCase() === sn)) : usb[(c.index ?? 1) - 1];
    return hit ? { serial: hit.serial, board: hit } : undefined;
  }
  if (c.transport === 'swd') {
    const swd = all.filter((b) => b.device.attachments.some((a) => a.transport === 'swd'));
    const hit = sn ? swd.find((b) => b.device.attachments.some((a) => a.transport === 'swd' && a.probeSerial.toUpperCase() === sn)) : swd[c.index ?? 0];
    return hit ? { serial: hit.serial, board: hit } : undefined;
  }
  const port = c.port;
  const hit = all.find((b) => b.device.attachments.some((a) => a.transport === 'uart' && (a.port === port || path.basename(a.port) === path.basename(port))));
  return hit ? { serial: hit.serial, board: hit } : undefined;
}

// ---------------------------------------------------------------------- listing (-l)


export function connectModeText(c: ConnectParams): { mode: string; reset: string; ctx: SimContext['connectMode'] } {
  const hw = c.reset?.toLowerCase() === 'hwrst';
  if (c.mode === 'UR') return { mode: 'Under Reset', reset: 'Hardware reset', ctx: 'under-reset' }; // help: "Reset mode with UR connection mode is HWrst"
  if (c.mode === 'HOTPLUG') return { mode: 'Hot Plug', reset: hw ? 'Hardware reset' : 'Software reset', ctx: 'hotplug' };
  return { mode: 'Normal', reset: hw ? 'Hardware reset' : 'Software reset', ctx: 'normal' };
}

export function swdProbeLines(b: SimBoard, s: S.Style, foreign?: string): string[] {
  const probe = b.device.attachments.find((a) => a.transport === 'swd');
  const lines = [`ST-LINK SN  : ${foreign ?? (probe && probe.transport === 'swd' ? probe.probeSerial : '')}`, `ST-LINK FW  : ${probe && probe.transport === 'swd' ? probe.probeFirmware : ''}`];
  if (s.at('2.5.0')) lines.push(`Board       : ${probe && probe.transport === 'swd' ? probe.boardName || '--' : '--'}`);
  lines.push(`Voltage     : ${b.device.voltage.toFixed(2)}V`);
  return lines;
}

export function header(out: Output, s: S.Style, b: SimBoard, c: ConnectParams): void {
  const name = S.deviceName(s, b.device.deviceId, c.transport === 'jtag' ? 'swd' : c.transport);
  const flash = S.flashSizeText(b.device.flashSizeKB);
  if (c.transport === 'usb') {
    const usb = b.device.attachments.find((a) => a.transport === 'usb');
    out.line('USB speed   : Full Speed (12MBit/s)', 'Manuf. ID   : STMicroelectronics', 'Product ID  : DFU in FS Mode', `SN          : ${out.quirks.foreignSerial ?? (usb && usb.transport === 'usb' ? usb.serial : '')}`, 'FW version  : 0x011a');
    // reconstructed: where exactly newer versions add these (cubeprogrammer-cli.md §3 "newer adds DFU protocol, Board, Revision ID").
    if (s.at('2.6.0')) out.line('DFU protocol: 1.1', 'Board       : --');
    out.line(`Device ID   : 0x0${b.device.deviceId.toString(16)}`);
    if (s.at('2.6.0')) out.line('Revision ID : --  ');
    out.line(`Device name : ${name}`, `Flash size  : ${flash}`, 'Device type : MCU', `Device CPU  : ${S.deviceCpu(s)}`);
  } else if (c.transport === 'swd') {
    const m = connectModeText(c);
    out.line(...swdProbeLines(b, s, out.quirks.foreignSerial), `SWD freq    : ${c.freq ?? 4000} KHz`, `Connect mode: ${m.mode}`, `Reset mode  : ${m.reset}`, `Device ID   : 0x${b.device.deviceId.toString(16)}`);
    if (s.at('2.5.0')) out.line(`Revision ID : ${b.device.revision}`);
    out.line(`Device name : ${name}`, `Flash size  : ${flash}`, 'Device type : MCU', `Device CPU  : ${S.deviceCpu(s)}`);
    if (s.at('2.8.0')) out.line(`BL Version  : ${s.at('2.15.0') ? '0xD5' : '0xd5'}`, 'Debug in Low Power mode enabled'); // cli-transcripts/11 (v2.8), cubeprogrammer-cli.md (v2.17)
  } else {
    // cli-transcripts/19 A (v2.4, UART); WB specifics unknown.
    const br = c.br ?? 115200;
    out.line(
      `Serial Port ${c.port} is successfully opened.`,
      `Port configuration: parity = ${(c.parity ?? 'even').toLowerCase()}, baudrate = ${br}, data-bit = 8,`,
      '                     stop-bit = 1.0, flow-control = off',
      'Activating device: OK',
      `Chip ID: 0x${b.device.deviceId.toString(16)}`,
      'BootLoader protocol version: 3.1',
      `Device name : ${name}`,
      `Flash size  : ${flash}`,
      'Device type : MCU',
      `Device CPU  : ${S.deviceCpu(s)}`,
    );
  }
  out.line('');
}

// ---------------------------------------------------------------------- commands
