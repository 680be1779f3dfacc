/**
 * Property: over UART, FW_UPGRADE goes out only after the staged bytes were read back over the link and
 * their sha256 equals the image's. The check itself lives in the shared bootloader driver (`verifiedStage`);
 * this drives the real driver over the UART link and the virtual bootloader, with faults of the serial
 * line placed anywhere in the exchange (a corrupted or lost Read Memory reply, a lost Write Memory ACK,
 * a lost erase ACK), and watches every call the driver makes on the link.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { rig } from './uart-helpers.js';
import { tempDir } from './helpers.js';
import { uartTarget } from './uart-e2e-helpers.js';
import { BootloaderDriver } from '../../src/drivers/bootloader/driver.js';
import { UartLink } from '../../src/drivers/bootloader/uart/link.js';
import type { BootloaderLink } from '../../src/drivers/bootloader/link.js';
import type { VirtualUartFault } from '../../src/drivers/bootloader/uart/virtual-device.js';
import type { AvailableImage } from '../../src/images/types.js';
import { CMD } from '../../src/drivers/bootloader/uart/an3155.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let image: AvailableImage;
let bytes: Uint8Array;

beforeAll(async () => {
  const { images } = await uartTarget(tempDir());
  // FUS 1.2.0 for FUS 0.5.3 (the rescue's first step): small enough for many runs.
  image = images.find((i) => i.identity.kind === 'fus' && i.identity.version === '1.2.0' && /0_5_3/.test(i.name))!;
  expect(image?.path).toBeTruthy();
  bytes = new Uint8Array(await readFile(image.path!));
});

interface Watch {
  sent: { verified: boolean }[];
}

/** A link that notes, for every FW_UPGRADE, whether the image's bytes were read back intact since the last write or erase. */
function watched(inner: BootloaderLink, w: Watch, want: { address: number; sha256: string }): BootloaderLink {
  let written: { address: number; length: number } | undefined;
  let verified = false;
  return {
    transport: inner.transport,
    name: inner.name,
    deviceId: () => inner.deviceId(),
    async readMemory(address, length) {
      const got = await inner.readMemory(address, length);
      if (written && address === written.address && length === written.length && address === want.address && sha(got) === want.sha256) verified = true;
      return got;
    },
    async writeMemory(address, data, onProgress) {
      verified = false;
      written = { address, length: data.length };
      return inner.writeMemory(address, data, onProgress);
    },
    async erasePages(pages, onProgress) {
      verified = false;
      return inner.erasePages(pages, onProgress);
    },
    readOptionBytes: () => inner.readOptionBytes(),
    async writeOptionBytes(b) {
      verified = false;
      return inner.writeOptionBytes(b);
    },
    fusGetState: () => inner.fusGetState(),
    async fusCommand(c) {
      if (c === 'FW_UPGRADE') w.sent.push({ verified });
      return inner.fusCommand(c);
    },
    reconnect: (t) => inner.reconnect(t),
    close: () => inner.close(),
  };
}

const faultArb: fc.Arbitrary<VirtualUartFault> = fc.oneof(
  fc.record({ kind: fc.constant('corrupt-reply' as const), command: fc.constant(CMD.READ_MEMORY), skip: fc.integer({ min: 0, max: 140 }) }),
  fc.record({ kind: fc.constant('drop-reply' as const), command: fc.constantFrom(CMD.READ_MEMORY, CMD.WRITE_MEMORY, CMD.EXTENDED_ERASE), skip: fc.integer({ min: 0, max: 140 }) }),
);

describe('UART: no FW_UPGRADE without the staged bytes read back and verified', () => {
  it('whatever the serial line does to the exchange', async () => {
    let sentTotal = 0;
    let refusedRuns = 0;
    const address = 0x080ec000;
    await fc.assert(
      fc.asyncProperty(fc.array(faultArb, { minLength: 0, maxLength: 3 }), async (faults) => {
        const r = rig({ faults });
        const w: Watch = { sent: [] };
        const driver = new BootloaderDriver({
          openLink: async () => watched(await UartLink.open({ name: '/dev/ttyVIRTUAL0', open: r.open }), w, { address, sha256: sha(bytes) }),
          clock: { now: () => r.clock.ms, sleep: (ms) => r.clock.advanceTo(r.clock.ms + ms) },
          readFile: async () => bytes,
          sha256: async (b) => sha(b),
          reconnectTimeoutMs: 20_000,
          fusTimeoutMs: 60_000,
        });
        const report = await driver.upgrade(image, address, { firstInstall: true, startStack: true }).catch((e: Error) => ({ ok: false, messages: [e.message] }));
        await driver.close();
        // The property: every FW_UPGRADE that went out had the image's bytes read back intact first.
        expect(w.sent.every((s) => s.verified)).toBe(true);
        sentTotal += w.sent.length;
        if (w.sent.length === 0) refusedRuns++;
        // And the board never installs what was not verified: FUS 1.2.0 only if FW_UPGRADE was sent.
        if (w.sent.length === 0) expect(r.board().fus.version).toBe('0.5.3');
        void report;
      }),
      { numRuns: 40 },
    );
    // Not vacuous: some runs sent FW_UPGRADE, some were stopped before it.
    expect(sentTotal).toBeGreaterThan(0);
    expect(refusedRuns).toBeGreaterThan(0);
  }, 600_000);
});
