/** `-l` output: the DFU, ST-LINK and UART sections (public CLI log: github pcb util readme v2.17 list connect error, 17). */
import type { DeviceList, UartListEntry } from './parse-types.js';
import { parseHex } from '../../domain/hex.js';
import { NOISE, canonical, type Section } from './parse-lines.js';

export interface ListState {
  list: () => DeviceList;
  /** `Board Name` / `ST-LINK SN` printed before `Port:` (Windows, STLINK-V3 virtual COM port). */
  pendingUart?: Partial<UartListEntry>;
}

export function parseListLine(line: string, section: Section, st: ListState): boolean {
  const canon = canonical(line);
  if (NOISE.some((re) => re.test(canon))) return true;
  const list = st.list();
  const kv = /^([A-Za-z][\w .-]*?)\s*:\s*(.*)$/.exec(line);
  const key = (kv?.[1] ?? '').toLowerCase().replace(/\s+/g, ' ');
  const value = (kv?.[2] ?? '').trim();
  if (section === 'list-stlink') {
    const probe = /^ST-Link Probe (\d+)\s*:?$/i.exec(line);
    if (probe) {
      list.stlink.push({ index: Number(probe[1]), serial: '', firmware: '' });
      return true;
    }
    const cur = list.stlink[list.stlink.length - 1];
    if (!kv || !cur) return false;
    if (key === 'st-link sn') cur.serial = value;
    else if (key === 'st-link fw') cur.firmware = value;
    else if (key === 'access port number') cur.accessPort = Number(value);
    else if (key === 'board name') {
      if (value) cur.board = value;
    } else return false;
    return true;
  }
  if (section === 'list-dfu') {
    // Entries start at `Device Index : USB1`; field names beyond that are matched loosely (not seen verbatim).
    if (!kv) return false;
    if (key === 'device index') {
      list.dfu.push({ index: value });
      return true;
    }
    let cur = list.dfu[list.dfu.length - 1];
    if (!cur) list.dfu.push((cur = {}));
    if (key === 'serial number' || key === 'sn') cur.serial = value;
    else if (key === 'product id') cur.productId = value;
    else if (key === 'firmware version' || key === 'fw version') cur.firmware = value;
    else if (key === 'device id') cur.deviceId = /^0x[0-9a-f]{3,4}$/i.test(value.trim()) ? parseHex(value) : undefined;
    else if (!/^(usb bus number|usb address number|usb speed|manuf\. id)$/.test(key)) return false;
    return true;
  }
  if (section === 'list-uart') {
    if (!kv) return false;
    if (key === 'port') {
      list.uart.push({ port: value, ...st.pendingUart });
      st.pendingUart = undefined;
      return true;
    }
    if (key === 'board name' || key === 'st-link sn') {
      const slot = (st.pendingUart ??= {});
      if (key === 'board name') slot.board = value;
      else slot.stlinkSerial = value;
      return true;
    }
    const cur = list.uart[list.uart.length - 1];
    if (!cur) return false;
    if (key === 'location') cur.location = value;
    else if (key === 'description') cur.description = value;
    else if (key === 'manufacturer') cur.manufacturer = value;
    else return false;
    return true;
  }
  return false;
}

