/**
 * What the bootloader driver needs from a transport: the STM32WB ROM bootloader's commands, over USB DFU
 * (ST's DfuSe extension, AN3156) or USART (AN3155). The driver (FUS sequencing, read-back, identity) is
 * written once against this face; `dfu/` and `uart/` implement it. No Node imports here or in the
 * implementations' protocol code: the same modules run on `navigator.usb` / Web Serial in a browser.
 *
 * Every method either does what it says or throws a `LinkError`; none of them retries on its own beyond
 * what its protocol prescribes (DFU status polling, UART re-sync), so the driver decides what a retry costs.
 */

/** The bootloader's one-byte FUS command codes (not the SHCI opcodes of shci.h). */
export const FUS_COMMAND = {
  GET_STATE: 0x54,
  FW_UPGRADE: 0x53,
  FW_DELETE: 0x52,
  START_WS: 0x5a,
} as const;
export type FusCommandName = Exclude<keyof typeof FUS_COMMAND, 'GET_STATE'>;

/** FUS_GET_STATE's answer, raw (codes as in ST's shci.h; error 0xFE: FUS not running, the stack runs). */
export interface RawFusState {
  state: number;
  error: number;
}

export type LinkErrorCode =
  | 'NOT_FOUND' // no bootloader device on that port / with that serial
  | 'DISCONNECTED' // the device went away mid-request (unplug, a reset)
  | 'TIMEOUT' // no answer within the protocol's bound
  | 'NACK' // UART NACK / DFU stall or dfuERROR status: the bootloader refused the request
  | 'PROTOCOL' // a reply that breaks the protocol (bad length, bad checksum, unexpected state)
  | 'PERMISSION' // the OS would not let us open the device (udev rule, WinUSB driver)
  | 'UNSUPPORTED'; // this transport cannot do that

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export interface LinkProgress {
  done: number;
  total: number;
}

export interface BootloaderLink {
  readonly transport: 'usb' | 'uart';
  /** What the host calls this connection (DFU serial string, serial port path). Not an identity: see UID64. */
  readonly name: string;
  /** Device id (0x495 WB5x/WB3x, 0x494 WB1x): UART Get ID; over DFU from the interface/alternate descriptors. */
  deviceId(): Promise<number>;
  readMemory(address: number, length: number): Promise<Uint8Array>;
  /** Writes bytes (flash must be erased first). */
  writeMemory(address: number, data: Uint8Array, onProgress?: (p: LinkProgress) => void): Promise<void>;
  /** Erases whole flash pages, by page number. */
  erasePages(pages: readonly number[], onProgress?: (p: LinkProgress) => void): Promise<void>;
  readOptionBytes(): Promise<Uint8Array>;
  /** Writes the option bytes; the chip reloads them and resets: the link is gone afterwards (reconnect). */
  writeOptionBytes(bytes: Uint8Array): Promise<void>;
  fusGetState(): Promise<RawFusState>;
  /** Sends a FUS command. The chip may reset (the link goes away): the driver reconnects and polls the state. */
  fusCommand(command: FusCommandName): Promise<void>;
  /** After a reset: waits for the same device to come back (by its serial / port), bounded by `timeoutMs`. */
  reconnect(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
