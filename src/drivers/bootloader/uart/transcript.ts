/**
 * Every frame the UART link sends and receives, in order, with what it meant. The FUS commands over UART
 * rest on one unconfirmed source: the transcript of the first run on a real board settles them.
 */
import { hexBytes } from './an3155.js';

export interface TranscriptEntry {
  /** Milliseconds since the link opened (the stream's clock). */
  t: number;
  dir: 'tx' | 'rx' | 'note';
  /** Hex bytes (tx/rx) or the note. */
  text: string;
  /** What the frame is (command name, stage). */
  what?: string;
}

export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  private readonly limit: number;
  private dropped = 0;
  /** Bulk data frames (Read/Write Memory payloads) are abbreviated past this many bytes; framing bytes are kept whole. */
  constructor(opts: { limit?: number; onEntry?: (e: TranscriptEntry) => void } = {}) {
    this.limit = opts.limit ?? 200_000;
    this.onEntry = opts.onEntry;
  }
  private readonly onEntry: ((e: TranscriptEntry) => void) | undefined;

  add(t: number, dir: TranscriptEntry['dir'], bytesOrText: Uint8Array | string, what?: string): void {
    const entry: TranscriptEntry = { t: Math.round(t * 10) / 10, dir, text: typeof bytesOrText === 'string' ? bytesOrText : hexBytes(bytesOrText, 24), ...(what ? { what } : {}) };
    this.onEntry?.(entry);
    if (this.entries.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.entries.push(entry);
  }

  /** One line per frame: `   12.3 tx 50 af            SPECIAL`. */
  format(): string {
    const lines = this.entries.map((e) => `${e.t.toFixed(1).padStart(9)} ${e.dir.padEnd(4)} ${e.text}${e.what ? `   ${e.what}` : ''}`);
    if (this.dropped) lines.push(`(${this.dropped} later frames not kept)`);
    return lines.join('\n') + '\n';
  }
}
