/** `--verbose` for `copro fetch`: each HTTP request, its status and how long it took, on stderr. */
import { isVerbose, seconds, trace } from './verbosity.js';

export function tracedFetch(f: typeof fetch): typeof fetch {
  if (!isVerbose()) return f;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? 'GET';
    const range = new Headers(init?.headers).get('range');
    const started = performance.now();
    trace(`HTTP ${method} ${url}${range ? ` (${range})` : ''}`);
    try {
      const r = await f(input, init);
      trace(`HTTP ${method} ${url}: ${r.status} ${r.statusText} after ${seconds(performance.now() - started)}${r.headers.get('content-length') ? `, ${r.headers.get('content-length')} bytes to come` : ''}`);
      return r;
    } catch (e) {
      trace(`HTTP ${method} ${url}: failed after ${seconds(performance.now() - started)}: ${(e as Error).message}`);
      throw e;
    }
  }) as typeof fetch;
}
