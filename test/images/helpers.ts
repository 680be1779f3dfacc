/** Test helpers: synthetic image files built from recorded footers (ST's real files cannot ship here). */
import { bytesFromHex } from '../../src/images/footer.js';
import type { CatalogImage } from '../../src/images/catalog.js';

/** A file of the record's size ending with its recorded image footer, a 64-byte zero signature and its signature footer. */
export function syntheticFile(record: Pick<CatalogImage, 'size' | 'footer'>, fill = 0x5a): Uint8Array {
  const out = new Uint8Array(record.size).fill(fill);
  out.set(bytesFromHex(record.footer.signatureFooterHex), record.size - 20);
  if (record.footer.imageFooterHex) {
    out.set(new Uint8Array(64), record.size - 84);
    out.set(bytesFromHex(record.footer.imageFooterHex), record.size - 104);
  }
  return out;
}

/** Little-endian u32 words as bytes. */
export function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const v = new DataView(out.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

/** An image tail: payload, image footer (info1, info2, memorySize, version, magic), 64-byte signature, signature footer. */
export function imageWith(opts: { payload?: number; info1?: number; info2?: number; memorySize: number; version: number; magic: number; sigLayout?: number; sigWord?: number; sigMagic?: number }): Uint8Array {
  const payload = new Uint8Array(opts.payload ?? 4000).fill(0xa5);
  const footer = words(opts.info1 ?? 0xabcdabcd, opts.info2 ?? 0xabcdabcd, opts.memorySize, opts.version, opts.magic);
  const sig = new Uint8Array(64).fill(0x11);
  const sigFooter = words(0x12341234, 0xabcdabcd, opts.sigLayout ?? 0xffff5740, opts.sigWord ?? 0x22110045, opts.sigMagic ?? 0xd3a12c5e);
  const out = new Uint8Array(payload.length + 104);
  out.set(payload, 0);
  out.set(footer, payload.length);
  out.set(sig, payload.length + 20);
  out.set(sigFooter, payload.length + 84);
  return out;
}

export function findBy(images: readonly CatalogImage[], pred: (r: CatalogImage) => boolean, what: string): CatalogImage {
  const r = images.find(pred);
  if (!r) throw new Error(`test fixture: no catalog image ${what}`);
  return r;
}
