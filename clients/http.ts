/**
 * The one HTTP layer every API client uses: timeouts, retries with exponential backoff and full jitter
 * on 429 / 5xx / network errors / broken bodies, a client-side rate limit, and zod parsing whose
 * failure names the source, the field path and the value. Secrets (API keys) are added by the caller's
 * `authorize` hook and never appear in errors or logs: URLs are logged with credentials stripped.
 */
import pRetry, { AbortError } from 'p-retry';
import pThrottle from 'p-throttle';
import type { z } from 'zod';
import type { Logger } from '../lib/logger';
import { fromFetch, nodeTransport, type Transport } from './transport';

export interface HttpClientOptions {
  /** Source name used in errors and logs, e.g. 'kalshi', 'iem'. */
  source: string;
  baseUrl: string;
  /** Per-attempt timeout (ms, default 30 s): connecting, headers and the whole body. */
  timeoutMs?: number;
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  /** First backoff delay (ms); doubles each retry, full jitter, capped at maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Client-side rate limit: at most `limit` requests per `intervalMs`. */
  rateLimit?: { limit: number; intervalMs: number };
  headers?: Record<string, string>;
  /** Adds credentials to a request (query parameters or headers) at send time. */
  authorize?: (url: URL, headers: Record<string, string>) => void;
  /** Query parameter names whose values are masked in errors and logs. */
  secretParams?: string[];
  log?: Logger;
  /** Test hook: the fetch implementation. */
  fetchImpl?: typeof fetch;
  /** Seeded randomness for the jitter (tests); defaults to Math.random. */
  random?: () => number;
}

/** A failure that retrying cannot fix: bad request, auth, not found, a payload of the wrong shape. */
export class NonRetryableHttpError extends Error {
  override name = 'NonRetryableHttpError';
  constructor(
    message: string,
    readonly source: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A payload that does not match its schema: names the source, the field path and the value. */
export class PayloadShapeError extends NonRetryableHttpError {
  override name = 'PayloadShapeError';
  constructor(
    source: string,
    readonly url: string,
    readonly issues: Array<{ path: string; message: string; value: unknown }>,
  ) {
    super(
      `${source}: payload from ${url} does not match the expected shape: ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(root)'}: ${i.message} (got ${preview(i.value)})`)
        .join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`,
      source,
    );
  }
}

/** A transient failure (429, 5xx, network, truncated or malformed body): retried. */
export class RetryableHttpError extends Error {
  override name = 'RetryableHttpError';
  constructor(
    message: string,
    readonly source: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function preview(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
}

export type Query = Record<string, string | number | boolean | undefined | Array<string | number>>;

export class HttpClient {
  readonly source: string;
  private readonly opts: Required<Pick<HttpClientOptions, 'timeoutMs' | 'maxAttempts' | 'minDelayMs' | 'maxDelayMs'>> & HttpClientOptions;
  private readonly throttled: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly transport: Transport;

  constructor(options: HttpClientOptions) {
    this.source = options.source;
    this.opts = { timeoutMs: 30_000, maxAttempts: 6, minDelayMs: 250, maxDelayMs: 20_000, ...options };
    this.transport = options.fetchImpl ? fromFetch(options.fetchImpl) : nodeTransport;
    if (options.rateLimit) {
      const throttle = pThrottle({ limit: options.rateLimit.limit, interval: options.rateLimit.intervalMs });
      const run = throttle(<T>(fn: () => Promise<T>) => fn());
      this.throttled = <T>(fn: () => Promise<T>) => run(fn) as Promise<T>;
    } else {
      this.throttled = (fn) => fn();
    }
  }

  /** Builds the URL for a path under the base URL (path may start with '/'). */
  url(path: string, query: Query = {}): URL {
    const base = this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`;
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** The URL as it may be shown: secret query parameters masked. */
  redact(url: URL): string {
    const shown = new URL(url);
    for (const p of this.opts.secretParams ?? []) if (shown.searchParams.has(p)) shown.searchParams.set(p, '***');
    return shown.toString();
  }

  /** GET a JSON body and parse it with `schema`. */
  async getJson<S extends z.ZodType>(path: string, query: Query, schema: S): Promise<z.infer<S>> {
    const url = this.url(path, query);
    return this.parse(url, await this.request(url, 'json'), schema);
  }

  /**
   * GET a JSON body and decode it with `fast` (bulk payloads: no zod copy of every element); when
   * `fast` does not accept the body (undefined), `schema` parses it and `fromSchema` converts it, so
   * a bad payload still fails with the field's path and value.
   */
  async getJsonFast<S extends z.ZodType, T>(path: string, query: Query, fast: (body: unknown) => T | undefined, schema: S, fromSchema: (parsed: z.infer<S>) => T): Promise<T> {
    const url = this.url(path, query);
    const body = await this.request(url, 'json');
    const decoded = fast(body);
    return decoded !== undefined ? decoded : fromSchema(this.parse(url, body, schema));
  }

  private parse<S extends z.ZodType>(url: URL, body: unknown, schema: S): z.infer<S> {
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new PayloadShapeError(
        this.source,
        this.redact(url),
        result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, value: valueAt(body, i.path) })),
      );
    }
    return result.data;
  }

  /** GET a text body (CSV, fixed-width); `validate` throws on a truncated or malformed body to retry it. */
  async getText(path: string, query: Query, validate?: (text: string) => void): Promise<string> {
    const url = this.url(path, query);
    return (await this.request(url, 'text', validate)) as string;
  }

  private async request(url: URL, kind: 'json' | 'text', validate?: (text: string) => void): Promise<unknown> {
    const shown = this.redact(url);
    const { log } = this.opts;
    const random = this.opts.random ?? Math.random;
    return pRetry(
      async (attempt) =>
        this.throttled(async () => {
          const headers: Record<string, string> = { accept: kind === 'json' ? 'application/json' : 'text/plain, text/csv, */*', ...this.opts.headers };
          const sendUrl = new URL(url);
          this.opts.authorize?.(sendUrl, headers);
          let res: { status: number };
          let text: string;
          try {
            ({ text, ...res } = await this.transport(sendUrl, headers, this.opts.timeoutMs));
          } catch (err) {
            // The timeout covers connecting, the headers and the whole body: a hung upstream fails this
            // attempt and is retried, instead of holding the activity until its start-to-close timeout.
            const reason = (err as Error).name === 'TimeoutError' ? `no complete answer within ${this.opts.timeoutMs} ms` : (err as Error).message;
            throw new RetryableHttpError(`${this.source}: GET ${shown} failed (attempt ${attempt}): ${reason}`, this.source);
          }
          if (res.status === 429 || res.status >= 500) {
            throw new RetryableHttpError(`${this.source}: GET ${shown} answered ${res.status} (attempt ${attempt}): ${text.slice(0, 200)}`, this.source, res.status);
          }
          if (res.status >= 400) {
            throw new AbortError(new NonRetryableHttpError(`${this.source}: GET ${shown} answered ${res.status}: ${text.slice(0, 300)}`, this.source, res.status));
          }
          if (kind === 'text') {
            try {
              validate?.(text);
            } catch (err) {
              throw new RetryableHttpError(`${this.source}: GET ${shown} returned a broken body (attempt ${attempt}): ${(err as Error).message}`, this.source);
            }
            return text;
          }
          try {
            return JSON.parse(text) as unknown;
          } catch (err) {
            // A cut or garbled body is a transport fault: the same request usually succeeds again.
            throw new RetryableHttpError(`${this.source}: GET ${shown} returned malformed JSON (attempt ${attempt}): ${(err as Error).message}`, this.source);
          }
        }),
      {
        retries: this.opts.maxAttempts - 1,
        // Full jitter (AWS): a random delay in [0, min(cap, base * 2^n)]. Kalshi's 429 has no Retry-After.
        minTimeout: 0,
        maxTimeout: this.opts.maxDelayMs,
        randomize: false,
        factor: 1,
        shouldRetry: ({ error }) => !(error instanceof NonRetryableHttpError),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0) {
            const cap = Math.min(this.opts.maxDelayMs, this.opts.minDelayMs * 2 ** (attemptNumber - 1));
            const delay = Math.round(random() * cap);
            log?.warn({ source: this.source, url: shown, attempt: attemptNumber, retriesLeft, delayMs: delay, err: error.message }, 'retrying request');
            await new Promise((r) => setTimeout(r, delay));
          }
        },
      },
    ).catch((err: unknown) => {
      if (err instanceof RetryableHttpError) {
        throw new NonRetryableHttpError(`${err.message}; gave up after ${this.opts.maxAttempts} attempts`, this.source, err.status);
      }
      throw err;
    });
  }
}
