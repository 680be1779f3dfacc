/**
 * The HTTP client `copro fetch` uses: undici (Node's own fetch implementation) with what a CI runner or a
 * factory network needs and Node's global fetch lacks: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, connect and
 * read timeouts, and retries of transient failures (with Range resumption, done by undici's RetryAgent).
 */
import { EnvHttpProxyAgent, RetryAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

export interface HttpOptions {
  /** Connecting, and waiting for the response headers (ms). */
  connectTimeoutMs?: number;
  /** Longest silence while the body streams (ms). */
  readTimeoutMs?: number;
  /** Retries of a failed request (network error, 429, 5xx). */
  retries?: number;
  env?: NodeJS.ProcessEnv;
}

export function httpDispatcher(o: HttpOptions = {}): Dispatcher {
  const env = o.env ?? process.env;
  const proxied = new EnvHttpProxyAgent({
    httpProxy: env.HTTP_PROXY ?? env.http_proxy,
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
    connectTimeout: o.connectTimeoutMs ?? 15_000,
    headersTimeout: o.connectTimeoutMs ?? 15_000,
    bodyTimeout: o.readTimeoutMs ?? 30_000,
  });
  return new RetryAgent(proxied, {
    maxRetries: o.retries ?? 3,
    minTimeout: 500,
    maxTimeout: 5_000,
    timeoutFactor: 2,
    methods: ['GET', 'HEAD'],
    statusCodes: [429, 500, 502, 503, 504],
  });
}

/** A `fetch` with the dispatcher above, shaped like the global one so the image fetcher stays testable. */
export function httpFetch(o: HttpOptions = {}): typeof fetch {
  const dispatcher = httpDispatcher(o);
  return ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
