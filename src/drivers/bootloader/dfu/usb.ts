/**
 * The part of the WebUSB API (https://wicg.github.io/webusb/) the DfuSe code uses, declared structurally so
 * that `navigator.usb` in a browser, the `usb` package's `WebUSB` in Node and the virtual device all fit
 * without importing any of them. No Node imports here.
 */
/** WebUSB's BufferSource, without the DOM library. */
export type BufferSourceLike = ArrayBuffer | ArrayBufferView;

export interface UsbControlSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}

export type UsbTransferStatus = 'ok' | 'stall' | 'babble';

export interface UsbInResult {
  data?: DataView | undefined;
  status?: UsbTransferStatus | undefined;
}

export interface UsbOutResult {
  bytesWritten: number;
  status?: UsbTransferStatus | undefined;
}

export interface UsbAlternateLike {
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly interfaceName?: string | null | undefined;
}

export interface UsbInterfaceLike {
  readonly interfaceNumber: number;
  readonly alternates: readonly UsbAlternateLike[];
}

export interface UsbConfigurationLike {
  readonly configurationValue: number;
  readonly interfaces: readonly UsbInterfaceLike[];
}

export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null | undefined;
  readonly productName?: string | null | undefined;
  readonly opened: boolean;
  readonly configuration?: UsbConfigurationLike | null | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  selectAlternateInterface(n: number, alt: number): Promise<void>;
  controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInResult>;
  controlTransferOut(setup: UsbControlSetup, data?: BufferSourceLike): Promise<UsbOutResult>;
}

/** `navigator.usb` / `new WebUSB(...)`: only the devices the page (or the Node host) was granted. */
export interface UsbLike {
  getDevices(): Promise<UsbDeviceLike[]>;
}

/** ST's ROM bootloader in DFU mode (AN2606): VID 0x0483, PID 0xDF11. */
export const ST_DFU = { vendorId: 0x0483, productId: 0xdf11 } as const;

export function isStDfu(d: Pick<UsbDeviceLike, 'vendorId' | 'productId'>): boolean {
  return d.vendorId === ST_DFU.vendorId && d.productId === ST_DFU.productId;
}

/** Time, in device milliseconds: real time on hardware, scaled time against a virtual device. */
export interface LinkClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: LinkClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms))),
};

/** A clock `speed` times faster than real time (the simulated board runs at COPRO_SIM_SPEED). */
export function scaledClock(speed: number): LinkClock {
  return {
    now: () => Date.now() * speed,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms / speed))),
  };
}

export function hex(n: number, digits = 8): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}
