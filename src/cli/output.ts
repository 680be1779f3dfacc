/**
 * Output conventions. Colour: `--no-color` wins, then FORCE_COLOR (as Node itself and most CLIs read it:
 * set and not "0"/"false" forces colour, even into a pipe), then NO_COLOR (no-color.org: any non-empty
 * value), then the terminal's own answer. Animations (listr2's live renderer) only on a real, wide,
 * non-CI terminal, whatever colour says.
 */
export function useColor(opts: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (opts.color === false) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (stream.isTTY !== true) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors(env) : true;
}

export function rendererFor(opts: { color?: boolean; json?: boolean }, stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): 'default' | 'simple' | 'silent' {
  if (opts.json) return 'silent';
  if (opts.color === false || stream.isTTY !== true || env.CI !== undefined) return 'simple';
  // Some CI pseudo-terminals report 0 columns (one character per line).
  return (stream.columns ?? 0) >= 20 ? 'default' : 'simple';
}
