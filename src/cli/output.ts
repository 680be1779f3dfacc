/** Output conventions: colour only on a TTY, never with NO_COLOR or --no-color (no-color.org). */
export function useColor(opts: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (opts.color === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export function rendererFor(opts: { color?: boolean; json?: boolean }): 'default' | 'simple' | 'silent' {
  if (opts.json) return 'silent';
  // The live renderer needs a real width: some CI pseudo-terminals report 0 columns (one character per line).
  const wide = (process.stdout.columns ?? 0) >= 20;
  return useColor(opts) && process.env.CI === undefined && wide ? 'default' : 'simple';
}
