/** Hex helpers: copro writes addresses and register values as `0x`-prefixed upper-case hex in every file. */

/** `0x080D0000` for an address (8 digits), or at least `width` digits. */
export function hex(value: number, width = 8): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

/** Parses `0x...` or decimal; returns undefined for anything else (never guesses). */
export function parseHex(text: string): number | undefined {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const n = Number.parseInt(t.slice(2), 16);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return undefined;
}
