/**
 * Property: the virtual UART bootloader never acts on a malformed frame. For Write Memory, Read Memory,
 * Extended Erase, Special (FUS_GET_STATE) and Extended Special (FUS commands), a valid frame is built and
 * then broken: a bad command complement, one flipped bit in a checksummed byte (address, data, page
 * numbers, opcode, block data or the checksum itself), a bad length, or a truncated frame. The device must
 * answer NACK (a truncated frame: wait, answering nothing more), and nothing may change: no flash byte, no
 * FUS command, no staged image, no option byte.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { rig, type Rig } from './uart-helpers.js';
import { VirtualWire } from '../../src/drivers/bootloader/uart/virtual-wire.js';
import { StreamTimeoutError } from '../../src/drivers/bootloader/uart/stream.js';
import { ACK, NACK, SYNC, CMD, FUS_OPCODE, addressFrame, blockFrame, commandFrame, erasePagesFrame, opcodeFrame, readLengthFrame, writeDataFrame, xor } from '../../src/drivers/bootloader/uart/an3155.js';

const PAGE = 200; // erased before each case: 0x080C8000
const BASE = 0x08000000 + PAGE * 0x1000;

/** Segments of one command: the device answers after each (ACK or NACK). `covered` marks XOR-checked bytes. */
interface Segment {
  bytes: number[];
  kind: 'command' | 'checksummed' | 'length';
}

type Kind = 'write' | 'read' | 'erase' | 'special' | 'extSpecial';

function frame(kind: Kind, p: { offset: number; data: number[]; pages: number[]; fus: 'FW_UPGRADE' | 'FW_DELETE' | 'START_WS' }): Segment[] {
  const arr = (u: Uint8Array) => [...u];
  switch (kind) {
    case 'write':
      return [
        { bytes: arr(commandFrame(CMD.WRITE_MEMORY)), kind: 'command' },
        { bytes: arr(addressFrame(BASE + p.offset)), kind: 'checksummed' },
        { bytes: arr(writeDataFrame(Uint8Array.from(p.data))), kind: 'length' },
      ];
    case 'read':
      return [
        { bytes: arr(commandFrame(CMD.READ_MEMORY)), kind: 'command' },
        { bytes: arr(addressFrame(BASE + p.offset)), kind: 'checksummed' },
        { bytes: arr(readLengthFrame(p.data.length)), kind: 'command' },
      ];
    case 'erase':
      return [
        { bytes: arr(commandFrame(CMD.EXTENDED_ERASE)), kind: 'command' },
        { bytes: arr(erasePagesFrame(p.pages)), kind: 'length' },
      ];
    case 'special':
      return [
        { bytes: arr(commandFrame(CMD.SPECIAL)), kind: 'command' },
        { bytes: arr(opcodeFrame(FUS_OPCODE.GET_STATE)), kind: 'checksummed' },
        { bytes: arr(blockFrame(new Uint8Array(0))), kind: 'length' },
      ];
    case 'extSpecial':
      return [
        { bytes: arr(commandFrame(CMD.EXTENDED_SPECIAL)), kind: 'command' },
        { bytes: arr(opcodeFrame(FUS_OPCODE[p.fus])), kind: 'checksummed' },
        { bytes: arr(blockFrame(new Uint8Array(0))), kind: 'length' },
        { bytes: arr(blockFrame(new Uint8Array(0))), kind: 'length' },
      ];
  }
}

/** Sends bytes and collects everything the device answers (until it has been silent for 2 s of simulated time). */
async function exchange(wire: VirtualWire, bytes: number[]): Promise<number[]> {
  await wire.write(Uint8Array.from(bytes));
  const out: number[] = [];
  for (;;) {
    try {
      out.push(...(await wire.read(1, 2000)));
    } catch (e) {
      if (e instanceof StreamTimeoutError) return out;
      throw e;
    }
  }
}

async function prepared(): Promise<{ r: Rig; wire: VirtualWire }> {
  const r = rig();
  const wire = (await r.open()) as VirtualWire;
  expect(await exchange(wire, [SYNC])).toEqual([ACK]);
  // Erase the test page so that a valid write would be accepted.
  expect(await exchange(wire, [...commandFrame(CMD.EXTENDED_ERASE), ...erasePagesFrame([PAGE])])).toEqual([ACK, ACK]);
  return { r, wire };
}

async function snapshot(r: Rig): Promise<string> {
  const b = r.board();
  const page = await r.chip.read(BASE, 0x1000);
  return JSON.stringify({ staged: b.staged, fus: b.fus, stack: b.stack, ob: b.optionBytes, cpu2: b.cpu2, fusCommands: b.counters.fusCommands, resets: b.counters.resets, page: [...page.value!] });
}

const params = fc.record({
  offset: fc.integer({ min: 0, max: 0xf00 / 8 }).map((x) => x * 8),
  data: fc.integer({ min: 1, max: 32 }).chain((n) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n * 8, maxLength: n * 8 })),
  pages: fc.array(fc.integer({ min: 10, max: 150 }), { minLength: 1, maxLength: 8 }),
  fus: fc.constantFrom('FW_UPGRADE' as const, 'FW_DELETE' as const, 'START_WS' as const),
});
const kinds = fc.constantFrom<Kind>('write', 'read', 'erase', 'special', 'extSpecial');

describe('virtual UART bootloader: malformed frames are refused, never acted on', () => {
  it('the valid frames are accepted (the baseline the mutations break)', async () => {
    await fc.assert(
      fc.asyncProperty(kinds, params, async (kind, p) => {
        const { r, wire } = await prepared();
        const segs = frame(kind, p);
        const out = await exchange(wire, segs.flatMap((s) => s.bytes));
        // One ACK per stage (replies and data follow).
        expect(out.slice(0, segs.length)).toEqual(Array(segs.length).fill(ACK));
        expect(r.device.refusals).toEqual([]);
        expect(r.device.accepted).toHaveLength(kind === 'read' ? 1 : 2);
      }),
      { numRuns: 40 },
    );
  });

  it('a bad command complement: NACK, nothing changes', async () => {
    await fc.assert(
      fc.asyncProperty(kinds, params, fc.integer({ min: 1, max: 255 }), async (kind, p, flip) => {
        const { r, wire } = await prepared();
        const before = await snapshot(r);
        const segs = frame(kind, p);
        segs[0]!.bytes[1] = segs[0]!.bytes[1]! ^ flip;
        const out = await exchange(wire, segs[0]!.bytes);
        expect(out).toEqual([NACK]);
        expect(r.device.accepted).toHaveLength(1); // the setup erase only
        expect(await snapshot(r)).toBe(before);
      }),
      { numRuns: 60 },
    );
  });

  it('one flipped bit in a checksummed byte (or the checksum): NACK at that stage, nothing changes', async () => {
    await fc.assert(
      fc.asyncProperty(kinds, params, fc.nat(), fc.integer({ min: 0, max: 7 }), async (kind, p, pick, bit) => {
        const { r, wire } = await prepared();
        const before = await snapshot(r);
        const segs = frame(kind, p);
        // Candidates: bytes of checksummed segments, and of 'length' segments except their length field.
        const candidates: [number, number][] = [];
        segs.forEach((s, i) => {
          if (s.kind === 'command') return;
          const skip = s.kind === 'length' ? (kind === 'write' ? 1 : 2) : 0;
          for (let j = skip; j < s.bytes.length; j++) candidates.push([i, j]);
        });
        if (candidates.length === 0) return;
        const [si, bi] = candidates[pick % candidates.length]!;
        segs[si]!.bytes[bi] = segs[si]!.bytes[bi]! ^ (1 << bit);
        const bytes = segs.slice(0, si + 1).flatMap((s) => s.bytes);
        const out = await exchange(wire, bytes);
        expect(out).toEqual([...Array(si).fill(ACK), NACK]);
        expect(r.device.accepted).toHaveLength(1);
        expect(await snapshot(r)).toBe(before);
      }),
      { numRuns: 150 },
    );
  });

  it('a bad length (Write Memory not a multiple of 4, a Special block over 128 bytes, an erase count that is a mass-erase code): NACK, nothing changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('write', 'special', 'extSpecial', 'erase'), params, fc.integer({ min: 1, max: 3 }), async (kind, p, short) => {
        const { r, wire } = await prepared();
        const before = await snapshot(r);
        let bytes: number[];
        if (kind === 'write') {
          const data = Uint8Array.from(p.data.slice(0, p.data.length - short));
          bytes = [...commandFrame(CMD.WRITE_MEMORY), ...addressFrame(BASE + p.offset), ...writeDataFrame(data)];
        } else if (kind === 'erase') {
          const n = 0xffff - short + 1;
          bytes = [...commandFrame(CMD.EXTENDED_ERASE), n >> 8, n & 0xff, (n >> 8) ^ (n & 0xff)];
        } else {
          const n = 129 + short * 300;
          bytes = [...commandFrame(kind === 'special' ? CMD.SPECIAL : CMD.EXTENDED_SPECIAL), ...opcodeFrame(kind === 'special' ? FUS_OPCODE.GET_STATE : FUS_OPCODE[p.fus]), n >> 8, n & 0xff];
        }
        const out = await exchange(wire, bytes);
        expect(out[out.length - 1]).toBe(NACK);
        expect(out.slice(0, -1).every((b) => b === ACK)).toBe(true);
        expect(r.device.accepted).toHaveLength(1);
        expect(await snapshot(r)).toBe(before);
      }),
      { numRuns: 60 },
    );
  });

  it('a truncated frame: the device waits (no NACK, no ACK for the unfinished stage) and acts on nothing', async () => {
    await fc.assert(
      fc.asyncProperty(kinds, params, fc.nat(), async (kind, p, cut) => {
        const { r, wire } = await prepared();
        const before = await snapshot(r);
        const segs = frame(kind, p);
        const all = segs.flatMap((s) => s.bytes);
        const n = 1 + (cut % (all.length - 1)); // a strict prefix, at least one byte
        const out = await exchange(wire, all.slice(0, n));
        // ACKs only for the stages completed within the prefix.
        let done = 0;
        let at = 0;
        for (const s of segs) {
          at += s.bytes.length;
          if (at <= n) done++;
        }
        expect(out).toEqual(Array(done).fill(ACK));
        expect(r.device.accepted).toHaveLength(1);
        expect(await snapshot(r)).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  it('checksums are XOR of the bytes (AN3155): one flipped bit always changes it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (bytes, i, bit) => {
        const flipped = [...bytes];
        flipped[i % bytes.length] = flipped[i % bytes.length]! ^ (1 << bit);
        expect(xor(flipped)).not.toBe(xor(bytes));
      }),
    );
  });
});
