/**
 * The GET underneath clients/http.ts: node:http(s) with keep-alive agents, the body read as one Buffer.
 *
 * Why not the global fetch: a backfill sends thousands of requests, and fetch's WHATWG machinery (web
 * streams, Request/Response/Headers objects, an AbortSignal per request, undici's HTTP/1 writer) took
 * about a third of the one thread the workers run on (bench/backfill.ts, --cpu-prof), with much of the
 * garbage collection. This keeps what the clients relied on: one timeout over connecting, headers and
 * the whole body; a body cut short is an error (retried above); gzip, deflate and brotli bodies are
 * decoded; redirects are followed; a leading BOM is dropped (as Response#text does).
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export interface TransportResponse {
  status: number;
  text: string;
}

/** What clients/http.ts sends requests through (tests may pass a fetch instead: `fromFetch`). */
export type Transport = (url: URL, headers: Record<string, string>, timeoutMs: number) => Promise<TransportResponse>;

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

const decoders: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

const MAX_REDIRECTS = 5;

/** A timeout of the whole exchange, named as AbortSignal.timeout's error is. */
function timeoutError(ms: number): Error {
  const err = new Error(`no complete answer within ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
}

const utf8 = (b: Buffer): string => {
  const s = b.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
};

/** GET `url` over node:http(s); rejects on network errors, a body cut short, or no answer within `timeoutMs`. */
export const nodeTransport: Transport = (url, headers, timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  const once = (target: URL, redirects: number): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      let settled = false;
      let req: http.ClientRequest | undefined;
      const timer = setTimeout(() => fail(timeoutError(timeoutMs)), Math.max(0, deadline - Date.now()));
      function fail(err: Error) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        reject(err);
      }
      function done(status: number, body: Buffer) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status, text: utf8(body) });
      }
      function onResponse(res: http.IncomingMessage) {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location && status !== 304) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) return fail(new Error(`more than ${MAX_REDIRECTS} redirects`));
          settled = true;
          clearTimeout(timer);
          once(new URL(location, target), redirects + 1).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        const cut = () => fail(new Error('the connection closed before the body was complete'));
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', cut);
        res.on('end', () => {
          if (!res.complete) return cut();
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
          if (!encoding || encoding === 'identity') return done(status, raw);
          const decode = decoders[encoding];
          if (!decode) return fail(new Error(`unsupported content-encoding ${encoding}`));
          decode(raw).then(
            (body) => done(status, body),
            (err: Error) => fail(new Error(`body could not be decoded (${encoding}): ${err.message}`)),
          );
        });
      }
      try {
        const secure = target.protocol === 'https:';
        req = (secure ? https : http).get(target, { headers: { 'accept-encoding': 'gzip, deflate, br', ...headers }, agent: secure ? agents.https : agents.http }, onResponse);
      } catch (err) {
        // A request node refuses to send (e.g. a header it cannot write) fails now, not at the timeout.
        fail(err as Error);
        return;
      }
      req.on('error', fail);
    });
  return once(url, 0);
};

/** A transport over a fetch implementation (the HttpClient test hook). */
export function fromFetch(fetchImpl: typeof fetch): Transport {
  return async (url, headers, timeoutMs) => {
    const res = await fetchImpl(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  };
}
