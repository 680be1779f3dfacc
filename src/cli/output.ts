/** Output conventions: colour only on a TTY, never with NO_COLOR or --no-color (no-color.org). */
export function useColor(opts: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (opts.color === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export function rendererFor(opts: { color?: boolean; json?: boolean }): 'default' | 'simple' | 'silent' {
  if (opts.json) return 'silent';
  return useColor(opts) && process.env.CI === undefined ? 'default' : 'simple';
}
