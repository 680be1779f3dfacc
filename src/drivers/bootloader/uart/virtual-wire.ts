/**
 * The wire between the UART link and the virtual bootloader, on simulated time: bytes take their wire time
 * at the line's baud rate, the chip takes its modelled time, and a read that would time out advances the
 * clock by the timeout at once. Deterministic and fast in tests; `pace` turns simulated time into real
 * waits for a rehearsal (`--simulate` at COPRO_SIM_SPEED). Node-free.
 */
import { wireMs, type LineSettings } from './an3155.js';
import { StreamClosedError, StreamTimeoutError, type ByteStream, type StreamOpener } from './stream.js';
import type { VirtualAn3155 } from './virtual-device.js';

/** Simulated time shared by the host side and the device. */
export class SimClock {
  ms = 0;
  constructor(private readonly pace?: (ms: number) => Promise<void>) {}
  async advanceTo(t: number): Promise<void> {
    if (t <= this.ms) return;
    const d = t - this.ms;
    this.ms = t;
    if (this.pace) await this.pace(d);
  }
}

export class VirtualWire implements ByteStream {
  private rx: { at: number; b: number }[] = [];
  private closed = false;

  constructor(
    readonly device: VirtualAn3155,
    readonly line: LineSettings,
    readonly clock: SimClock,
  ) {}

  now(): number {
    return this.clock.ms;
  }

  private check(): void {
    if (this.closed) throw new StreamClosedError('the virtual port is closed');
    if (this.device.isUnplugged) {
      this.closed = true;
      throw new StreamClosedError('the USB-serial adapter was unplugged');
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.check();
    const arrive = this.clock.ms + wireMs(bytes.length, this.line);
    await this.clock.advanceTo(arrive);
    const out = await this.device.receive(bytes, arrive, this.line);
    for (const o of out) {
      // Each output's bytes spread over its wire time, the last one at `o.at`.
      const per = wireMs(1, this.line);
      o.bytes.forEach((b, i) => this.rx.push({ at: o.at - per * (o.bytes.length - 1 - i), b }));
    }
    if (this.device.isUnplugged) this.closed = true;
  }

  async read(count: number, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new StreamClosedError('the virtual port is closed');
    const deadline = this.clock.ms + timeoutMs;
    const ready = this.rx.filter((x) => x.at <= deadline);
    if (ready.length >= count) {
      const got = this.rx.splice(0, count);
      await this.clock.advanceTo(got[got.length - 1]!.at);
      return Uint8Array.from(got.map((x) => x.b));
    }
    const got = this.rx.splice(0, ready.length);
    await this.clock.advanceTo(deadline);
    if (this.device.isUnplugged) {
      this.closed = true;
      throw new StreamClosedError('the USB-serial adapter was unplugged');
    }
    throw new StreamTimeoutError(Uint8Array.from(got.map((x) => x.b)), count, timeoutMs);
  }

  discardInput(): void {
    this.rx = this.rx.filter((x) => x.at > this.clock.ms);
  }

  async sleep(ms: number): Promise<void> {
    await this.clock.advanceTo(this.clock.ms + ms);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * An opener for the link: each open is a new wire to the same device (after an unplug the adapter is
 * "plugged in again" on the next open, unless `replug` says it stays away).
 */
export function virtualPort(device: VirtualAn3155, line: LineSettings, clock: SimClock, opts: { replug?: () => boolean } = {}): StreamOpener {
  return async () => {
    if (device.isUnplugged) {
      if (opts.replug && !opts.replug()) throw new Error('no such port (the adapter is unplugged)');
      device.replug();
    }
    return new VirtualWire(device, line, clock);
  };
}
