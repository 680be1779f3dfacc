/**
 * Property tests (fast-check):
 * - the virtual DfuSe device never accepts a malformed request silently: every request that breaks USB DFU 1.1 /
 *   AN3156 for the state the device is in is stalled, and the device then reports dfuERROR;
 * - the bootloader driver never sends FW_UPGRADE unless the bytes it read back from the staging address are
 *   exactly the image it wrote there, with no flash change in between, whatever the link corrupts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryBoardAccess } from '../../src/drivers/bootloader/virtual/board-access.js';
import { VirtualChip } from '../../src/drivers/bootloader/virtual/chip.js';
import { VirtualUsb } from '../../src/drivers/bootloader/virtual/dfu-device.js';
import { DFU_STATE } from '../../src/drivers/bootloader/dfu/protocol.js';
import { DfuLink } from '../../src/drivers/bootloader/dfu/link.js';
import { BootloaderDriver } from '../../src/drivers/bootloader/driver.js';
import type { BootloaderLink, FusCommandName } from '../../src/drivers/bootloader/link.js';
import { scaledClock, type UsbControlSetup, type UsbDeviceLike } from '../../src/drivers/bootloader/dfu/usb.js';
import { sim } from './helpers.js';
import { viewImage } from '../../src/drivers/simulator/index.js';
import { rescueTarget, tempDir } from './helpers.js';
import { readFile } from 'node:fs/promises';

const SPEED = 5000;

async function freshDevice(): Promise<{ dev: UsbDeviceLike; usb: VirtualUsb }> {
  const chip = new VirtualChip(new MemoryBoardAccess(sim.defaultBoard(), SPEED), (b) => viewImage(b), 'usb');
  const usb = new VirtualUsb(chip);
  const [dev] = await usb.getDevices();
  await dev!.open();
  await dev!.selectConfiguration(1);
  await dev!.claimInterface(0);
  return { dev: dev!, usb };
}

interface Req {
  dir: 'in' | 'out';
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface';
  request: number;
  value: number;
  index: number;
  data: number[];
  length: number;
}

const FUS_BYTES = [0x52, 0x53, 0x5a];

/** An oracle written from the DFU 1.1 state table and AN3156, independent of the device code. */
function wellFormed(r: Req, state: number, alt: number): boolean {
  if (r.requestType === 'standard' && r.recipient === 'device' && r.dir === 'in' && r.request === 6 && r.value === 0x0200) return true;
  if (r.requestType !== 'class' || r.recipient !== 'interface' || r.index !== 0) return false;
  const S = DFU_STATE;
  if (r.dir === 'out') {
    if (r.request === 1) {
      if (state !== S.dfuIDLE && state !== S.dfuDNLOAD_IDLE) return false;
      if (r.data.length > 2048) return false;
      if (r.data.length === 0) return state === S.dfuDNLOAD_IDLE;
      if (r.value === 1) return false;
      if (r.value === 0) {
        const c = r.data[0];
        if ((c === 0x21 || (c === 0x41 && alt === 0)) && r.data.length === 5) return true;
        return r.data.length === 1 && alt === 0 && FUS_BYTES.includes(c!);
      }
      return true;
    }
    if (r.request === 4) return state === S.dfuERROR && r.data.length === 0;
    if (r.request === 6) return r.data.length === 0 && [S.dfuIDLE, S.dfuDNLOAD_SYNC, S.dfuDNLOAD_IDLE, S.dfuUPLOAD_IDLE].includes(state as 2);
    return false;
  }
  if (r.request === 3) return r.length >= 6;
  if (r.request === 5) return r.length >= 1;
  if (r.request === 2) return (state === S.dfuIDLE || state === S.dfuUPLOAD_IDLE) && r.length >= 1 && r.length <= 2048 && r.value !== 1;
  return false;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  dir: fc.constantFrom('in' as const, 'out' as const),
  requestType: fc.constantFrom('class' as const, 'class' as const, 'class' as const, 'standard' as const, 'vendor' as const),
  recipient: fc.constantFrom('interface' as const, 'interface' as const, 'device' as const),
  request: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })),
  value: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 0, max: 0xffff })),
  index: fc.constantFrom(0, 0, 0, 1),
  data: fc.oneof(
    fc.constant([] as number[]),
    fc.constantFrom<number[][]>([0x21, 0x00, 0x00, 0x0e, 0x08], [0x21, 0x54, 0x00, 0xff, 0xff], [0x41, 0x00, 0xf0, 0x0e, 0x08], [0x41], [0x92], [0x52], [0x53], [0x5a], [0x21, 0, 0]),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    fc.integer({ min: 2049, max: 2100 }).map((n) => new Array<number>(n).fill(0xff)),
  ),
  length: fc.oneof(fc.constantFrom(0, 1, 2, 6, 52, 2048, 4096), fc.integer({ min: 0, max: 5000 })),
});

async function stateOf(dev: UsbDeviceLike): Promise<number> {
  const r = await dev.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 5, value: 0, index: 0 }, 1);
  return r.data!.getUint8(0);
}

describe('the virtual DfuSe device', () => {
  it('stalls every request that is malformed for its state, and then reports dfuERROR', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reqArb, { minLength: 1, maxLength: 12 }), fc.constantFrom(0, 1, 2), async (reqs, alt) => {
        const { dev, usb } = await freshDevice();
        await dev.selectAlternateInterface(0, alt);
        for (const r of reqs) {
          if (usb.chip && (dev as unknown as { gone: boolean }).gone) return; // a FUS command reset the chip: the device is gone
          const before = await stateOf(dev);
          const setup: UsbControlSetup = { requestType: r.requestType, recipient: r.recipient, request: r.request, value: r.value, index: r.index };
          const ok = wellFormed(r, before, alt);
          let status: string | undefined;
          try {
            status = r.dir === 'out' ? (await dev.controlTransferOut(setup, new Uint8Array(r.data))).status : (await dev.controlTransferIn(setup, r.length)).status;
          } catch (e) {
            if ((dev as unknown as { gone: boolean }).gone) return;
            throw e;
          }
          if (!ok) {
            expect(status, `${JSON.stringify({ ...r, data: r.data.slice(0, 8) })} in state ${before} alt ${alt}`).toBe('stall');
            if (!(dev as unknown as { gone: boolean }).gone) expect(await stateOf(dev)).toBe(DFU_STATE.dfuERROR);
          }
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});

/** A link that records what the driver asked and corrupts chosen read-backs. */
class SpyLink implements BootloaderLink {
  readonly log: { op: string; address?: number; bytes?: Uint8Array }[] = [];
  constructor(
    private readonly inner: BootloaderLink,
    private readonly corruptRead: (i: number, address: number, length: number) => number | undefined,
  ) {}
  private reads = 0;
  get transport() {
    return this.inner.transport;
  }
  get name() {
    return this.inner.name;
  }
  deviceId() {
    return this.inner.deviceId();
  }
  async readMemory(address: number, length: number) {
    const b = await this.inner.readMemory(address, length);
    const flip = this.corruptRead(this.reads++, address, length);
    if (flip !== undefined && b.length > 0) b[flip % b.length] = b[flip % b.length]! ^ 0x01;
    this.log.push({ op: 'read', address, bytes: b.slice() });
    return b;
  }
  async writeMemory(address: number, data: Uint8Array) {
    this.log.push({ op: 'write', address, bytes: data.slice() });
    return this.inner.writeMemory(address, data);
  }
  async erasePages(pages: readonly number[]) {
    this.log.push({ op: 'erase' });
    return this.inner.erasePages(pages);
  }
  readOptionBytes() {
    return this.inner.readOptionBytes();
  }
  async writeOptionBytes(b: Uint8Array) {
    this.log.push({ op: 'ob' });
    return this.inner.writeOptionBytes(b);
  }
  fusGetState() {
    return this.inner.fusGetState();
  }
  async fusCommand(c: FusCommandName) {
    this.log.push({ op: `fus:${c}` });
    return this.inner.fusCommand(c);
  }
  reconnect(t: number) {
    return this.inner.reconnect(t);
  }
  close() {
    return this.inner.close();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('the bootloader driver', () => {
  it('never sends FW_UPGRADE without the staged bytes read back identical, whatever reads are corrupted', async () => {
    const dir = tempDir();
    const { images } = await rescueTarget(dir);
    const fus = images.find((i) => i.identity.kind === 'fus' && i.identity.version === '1.2.0' && /0_5_3/.test(i.name))!;
    const bytes = new Uint8Array(await readFile(fus.path!));
    await fc.assert(
      fc.asyncProperty(fc.option(fc.record({ at: fc.nat() }), { nil: undefined }), async (corrupt) => {
        const chip = new VirtualChip(new MemoryBoardAccess(sim.defaultBoard(), SPEED), (b) => viewImage(b), 'usb');
        await chip.plugIn();
        const usb = new VirtualUsb(chip);
        const clock = scaledClock(SPEED);
        let spy: SpyLink | undefined;
        const driver = new BootloaderDriver({
          openLink: async () => (spy = new SpyLink(await DfuLink.open(usb, { clock }), (_i, _a, len) => (corrupt && len > 100 ? corrupt.at : undefined))),
          clock,
          readFile: async () => bytes,
          reconnectTimeoutMs: 10_000 * SPEED,
          fusTimeoutMs: 10_000 * SPEED,
        });
        await driver.upgrade(fus, 0x080ec000, { firstInstall: true, startStack: true });
        await driver.close();
        const log = spy!.log;
        log.forEach((e, i) => {
          if (e.op !== 'fus:FW_UPGRADE') return;
          // The last flash change before it is the image write; a read of the same range after it returned the same bytes.
          const lastChange = log.slice(0, i).findLastIndex((x) => x.op === 'write' || x.op === 'erase');
          const w = log[lastChange]!;
          expect(w.op).toBe('write');
          expect(equal(w.bytes!, bytes)).toBe(true);
          const rb = log.slice(lastChange + 1, i).find((x) => x.op === 'read' && x.address === w.address && x.bytes!.length === bytes.length);
          expect(rb && equal(rb.bytes!, bytes)).toBe(true);
        });
        // A corrupted read-back of the image means no FW_UPGRADE at all.
        const readBackCorrupted = corrupt !== undefined && log.some((x) => x.op === 'read' && x.address === 0x080ec000 && x.bytes!.length === bytes.length && !equal(x.bytes!, bytes));
        expect(readBackCorrupted).toBe(corrupt !== undefined);
        // Not vacuous: a clean read-back does lead to FW_UPGRADE.
        expect(log.some((x) => x.op === 'fus:FW_UPGRADE')).toBe(!readBackCorrupted);
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
