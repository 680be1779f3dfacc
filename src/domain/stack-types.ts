/**
 * Wireless stack types: the names ST's file names and the catalog use (`BLE_Stack_full`), and the
 * InfoStack type code a running stack reports in its device info table (STM32CubeWB release notes and AN5185, reading versions).
 *
 * The footer carries no stack type (AN5185 image footer): a type comes from the catalog (by sha256), from the
 * file name, or from the running stack's info table. `code: null` means ST documents no code for that
 * image family that we could tie to it: copro then cannot confirm the type by read-back and says so.
 */
export interface StackType {
  name: string;
  code: number | null;
  /** The InfoStack name ST's headers give the code. */
  infoName: string | null;
  protocol: 'BLE' | 'Thread' | 'Zigbee' | 'BLE+Thread' | 'BLE+Zigbee' | 'MAC' | 'BLE+MAC' | 'test';
}

export const STACK_TYPES: readonly StackType[] = [
  { name: 'BLE_Stack_full', code: 0x01, infoName: 'BLE_FULL', protocol: 'BLE' },
  { name: 'BLE_HCILayer', code: 0x02, infoName: 'BLE_HCI', protocol: 'BLE' },
  { name: 'BLE_Stack_light', code: 0x03, infoName: 'BLE_LIGHT', protocol: 'BLE' },
  { name: 'BLE_Stack_basic', code: 0x05, infoName: 'BLE_BASIC', protocol: 'BLE' },
  { name: 'BLE_Stack_full_extended', code: 0x06, infoName: 'BLE_FULL_EXT_ADV', protocol: 'BLE' },
  { name: 'BLE_HCILayer_extended', code: 0x07, infoName: 'BLE_HCI_EXT_ADV', protocol: 'BLE' },
  { name: 'Thread_FTD', code: 0x10, infoName: 'THREAD_FTD', protocol: 'Thread' },
  { name: 'Thread_MTD', code: 0x11, infoName: 'THREAD_MTD', protocol: 'Thread' },
  { name: 'Zigbee_FFD', code: 0x30, infoName: 'ZIGBEE_FFD', protocol: 'Zigbee' },
  { name: 'Zigbee_RFD', code: 0x31, infoName: 'ZIGBEE_RFD', protocol: 'Zigbee' },
  { name: 'Mac_802_15_4', code: 0x40, infoName: 'MAC', protocol: 'MAC' },
  { name: 'BLE_Thread_static', code: 0x50, infoName: 'BLE_THREAD_FTD_STATIC', protocol: 'BLE+Thread' },
  { name: 'BLE_Thread_dynamic', code: 0x51, infoName: 'BLE_THREAD_FTD_DYNAMIC', protocol: 'BLE+Thread' },
  { name: 'Phy_802_15_4', code: 0x61, infoName: '802154_PHY_VALID', protocol: 'test' },
  { name: 'BLE_LLD', code: 0x63, infoName: 'BLE_LLD_TESTS', protocol: 'test' },
  { name: 'BLE_Zigbee_FFD_static', code: 0x70, infoName: 'BLE_ZIGBEE_FFD_STATIC', protocol: 'BLE+Zigbee' },
  { name: 'BLE_Zigbee_RFD_static', code: 0x71, infoName: 'BLE_ZIGBEE_RFD_STATIC', protocol: 'BLE+Zigbee' },
  { name: 'BLE_Zigbee_FFD_dynamic', code: 0x78, infoName: 'BLE_ZIGBEE_FFD_DYNAMIC', protocol: 'BLE+Zigbee' },
  { name: 'BLE_Zigbee_RFD_dynamic', code: 0x79, infoName: 'BLE_ZIGBEE_RFD_DYNAMIC', protocol: 'BLE+Zigbee' },
  { name: 'BLE_Mac_802_15_4', code: 0x90, infoName: 'BLE_MAC_STATIC', protocol: 'BLE+MAC' },
  // Catalog names with no InfoStack code we can tie to them with a source: type known from the catalog only.
  { name: 'BLE_HCI_AdvScan', code: null, infoName: null, protocol: 'BLE' },
  { name: 'Thread_RCP', code: null, infoName: null, protocol: 'Thread' },
  { name: 'BLE_Thread', code: null, infoName: null, protocol: 'BLE+Thread' },
  { name: 'BLE_Stack', code: null, infoName: null, protocol: 'BLE' },
  { name: 'Zigbee_FFD_Full', code: null, infoName: null, protocol: 'Zigbee' },
  { name: 'zigbee_full', code: null, infoName: null, protocol: 'Zigbee' },
  { name: 'BLE_Zigbee_static', code: null, infoName: null, protocol: 'BLE+Zigbee' },
  { name: 'rfmonitor_phy802_15_4', code: null, infoName: null, protocol: 'test' },
];

export const STACK_TYPE_NAMES: readonly string[] = STACK_TYPES.map((s) => s.name);

export function stackTypeByName(name: string): StackType | undefined {
  return STACK_TYPES.find((s) => s.name === name) ?? STACK_TYPES.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

export function stackTypeByCode(code: number): StackType | undefined {
  return STACK_TYPES.find((s) => s.code === code);
}

/** InfoStack [7:0] = type code (STM32CubeWB release notes and AN5185, reading versions). */
export function stackTypeCodeOfInfo(infoStack: number): number {
  return infoStack & 0xff;
}
