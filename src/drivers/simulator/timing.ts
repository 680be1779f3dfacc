/**
 * How long things take on a real STM32WB (modelled device time, in milliseconds), and how the simulator
 * turns that into wall time: `COPRO_SIM_SPEED` divides every wait (1 = realistic, tests use 1000).
 *
 * Sources (AN5185 and shci.h: FUS states, observed timings unless said): FW_DELETE 1-7 s; a 165 KB stack download 3.5 s over USB DFU
 * (public CLI log: mbed os stm32wb readme v2.3.0 usb full sequence: 165772 B in 00:00:03.537); then several seconds of install (MicroPython: the first
 * GET_STATE answers after 3600 ms); a FUS update reboots at least 4 times (psdb README); USB re-enumerates
 * in about 4 s after every reset; over SWD CubeProgrammer's FUS operator reconnect took ~7 s
 * (community td-p/689083: 16:59:29 -> 16:59:36; public CLI log: community fus state err unknown nucleo: 14:15:17 -> 14:15:24).
 */
import type { Transport } from '../driver.js';

export const TIMING = {
  /** A USB DFU device re-enumerating after a chip reset. */
  usbReenumerationMs: 4000,
  /** ST-LINK reconnect after a reset (no operator involved). */
  swdReconnectMs: 1200,
  /** "Application is running, Please Hold on..." -> "Reconnected !" with the FUS operator. */
  swdOperatorReconnectMs: 7000,
  /** UART bootloader re-init (0x7F) after a reset. */
  uartReconnectMs: 800,
  /** Opening a connection (DFU enumeration / probe attach / UART activation). */
  connectMs: { usb: 400, swd: 500, uart: 900, simulated: 0 } satisfies Record<Transport, number>,
  /** Host -> flash throughput, bytes per ms: USB from transcript 14; SWD from the 8 KB operator in 0.267 s (transcript 11); UART ~115200 baud with protocol overhead. */
  downloadBytesPerMs: { usb: 165772 / 3537, swd: 8192 / 267, uart: 8, simulated: 200 } satisfies Record<Transport, number>,
  /** One flash page erase (RM0434: ~22 ms typical). */
  pageEraseMs: 22,
  /** One SHCI command round trip (GET_STATE...). */
  fusCommandMs: 30,
  /** FW_DELETE: observed 1-7 s; the middle of that. */
  deleteMs: 3500,
  /** Wireless stack install: first answer after 3.6 s (MicroPython), plus a little per page. */
  stackInstallBaseMs: 3600,
  stackInstallPerPageMs: 60,
  /** FUS update work between its (at least 4) reboots. */
  fusUpgradeMs: 6000,
  fusUpgradeReboots: 4,
  /** CPU2 boot after a reset (FUS or stack ready event). */
  cpu2BootMs: 150,
  /** Option byte programming + OBL_LAUNCH. */
  optionBytesMs: 300,
  /** A 32-bit memory read/write. */
  wordAccessMs: 2,
} as const;

/** Reconnect time after a chip reset, by transport (what a host waits before it can talk again). */
export function reconnectMs(transport: Transport, withFusOperator = false): number {
  switch (transport) {
    case 'usb':
      return TIMING.usbReenumerationMs;
    case 'swd':
      return withFusOperator ? TIMING.swdOperatorReconnectMs : TIMING.swdReconnectMs;
    case 'uart':
      return TIMING.uartReconnectMs;
    case 'simulated':
      return 0;
  }
}

export function downloadMs(transport: Transport, bytes: number): number {
  return Math.round(bytes / TIMING.downloadBytesPerMs[transport]);
}

export function eraseMs(pages: number): number {
  return pages * TIMING.pageEraseMs;
}

export function stackInstallMs(pages: number): number {
  return TIMING.stackInstallBaseMs + pages * TIMING.stackInstallPerPageMs;
}

/** Anything that took modelled device time. */
export interface Timed {
  ms: number;
}

/** The modelled device time of a list of events: what a benchmark compares its wall time with. */
export function modelledDuration(events: readonly Timed[]): number {
  return events.reduce((sum, e) => sum + e.ms, 0);
}

/** The process environment where there is one (Node); none in a browser page, which passes its own speed. */
const processEnv = (globalThis as { process?: { env: Readonly<Record<string, string | undefined>> } }).process?.env ?? {};

/** `COPRO_SIM_SPEED` (default 1, realistic). Values that are not positive numbers are refused. */
export function simSpeed(env: Readonly<Record<string, string | undefined>> = processEnv): number {
  const raw = env.COPRO_SIM_SPEED;
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`COPRO_SIM_SPEED must be a positive number (1 = realistic, 1000 = tests); found ${JSON.stringify(raw)}`);
  return n;
}

/** Wall-clock milliseconds for modelled device time at a speed. */
export function wallMs(modelledMs: number, speed: number): number {
  return modelledMs / speed;
}

/** Sleeps the wall time that `modelledMs` of device time takes at `speed`; rejects with an AbortError on abort. */
export function sleepModelled(modelledMs: number, speed: number, signal?: AbortSignal): Promise<void> {
  const ms = wallMs(modelledMs, speed);
  if (signal?.aborted) return Promise.reject(abortError());
  if (ms < 1) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
