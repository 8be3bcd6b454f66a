/**
 * The node:http transport under the HTTP layer (clients/transport.ts), against a real local server:
 * compressed bodies (real APIs send gzip or brotli when asked), redirects, a BOM, a body cut short,
 * an answer that never completes, and a request node refuses to send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { nodeTransport } from '../../clients/transport';

const BODY = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i} — ünïcode` })) });

describe('nodeTransport', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<string | undefined> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers['accept-encoding']);
      const path = req.url ?? '/';
      if (path === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync(BODY));
      else if (path === '/br') res.writeHead(200, { 'content-encoding': 'br' }).end(zlib.brotliCompressSync(BODY));
      else if (path === '/plain') res.writeHead(200, { 'content-type': 'application/json' }).end(BODY);
      else if (path === '/bom') res.writeHead(200).end(`\uFEFF${BODY}`);
      else if (path === '/moved') res.writeHead(302, { location: '/plain' }).end();
      else if (path === '/loop') res.writeHead(301, { location: '/loop' }).end();
      else if (path === '/status') res.writeHead(503).end('busy');
      else if (path === '/cut') {
        res.writeHead(200, { 'content-length': String(BODY.length * 2) });
        res.write(BODY, () => res.destroy());
      } else if (path === '/hang') res.writeHead(200).write('{"partial":');
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const get = (path: string, timeoutMs = 2000, headers: Record<string, string> = {}) => nodeTransport(new URL(path, base), headers, timeoutMs);

  it('asks for compressed bodies and decodes gzip and brotli to the same text', async () => {
    expect(await get('/gzip')).toEqual({ status: 200, text: BODY });
    expect(await get('/br')).toEqual({ status: 200, text: BODY });
    expect(await get('/plain')).toEqual({ status: 200, text: BODY });
    expect(seen.at(-1)).toBe('gzip, deflate, br');
  });

  it('follows redirects (a bounded number), drops a BOM, and returns error statuses with their body', async () => {
    expect(await get('/moved')).toEqual({ status: 200, text: BODY });
    await expect(get('/loop')).rejects.toThrow(/more than 5 redirects/);
    expect((await get('/bom')).text).toBe(BODY);
    expect(await get('/status')).toEqual({ status: 503, text: 'busy' });
  });

  it('fails a body cut short, an answer that never completes (at the timeout) and a request node cannot send', async () => {
    await expect(get('/cut')).rejects.toThrow(/closed before the body was complete|aborted/);
    const hang = await get('/hang', 200).catch((e: Error) => e);
    expect(hang).toMatchObject({ name: 'TimeoutError', message: 'no complete answer within 200 ms' });
    await expect(get('/plain', 2000, { 'x-bad': 'line\nbreak' })).rejects.toThrow(/Invalid character in header/);
  });
});
