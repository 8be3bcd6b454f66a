/**
 * The shared HTTP layer against the real sandbox server over HTTP, with each seeded fault kind.
 * The route here is a test route (the HTTP layer does not care which API it talks to); the world is
 * irrelevant to it, so a bare description object stands in for one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpClient, NonRetryableHttpError, PayloadShapeError } from '../../clients/http';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import type { World } from '../../sandbox/world';
import type { FaultKind } from '../../sandbox/faults';

const Items = z.object({ items: z.array(z.object({ id: z.number(), name: z.string() })) });
const body = { items: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }] };
const world = { description: 'http-test' } as unknown as World;

const faultSources: Array<[FaultKind, string, object]> = [
  ['429', 's429', { rate429: 0.6 }],
  ['5xx', 's5xx', { rate5xx: 0.6 }],
  ['drop', 'sdrop', { rateDrop: 0.6 }],
  ['truncate', 'strunc', { rateTruncate: 0.6 }],
  ['malformed', 'smal', { rateMalformed: 0.6 }],
];

describe('HttpClient against the sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      world,
      faults: {
        seed: 7,
        sources: {
          ...Object.fromEntries(faultSources.map(([, s, r]) => [s, r])),
          always503: { rate5xx: 1 },
          hangs: { rateHang: 0.5 },
          alwaysHangs: { rateHang: 1 },
          drift: { rateSchemaDrift: 1 },
        },
      },
      routes: [
        (app) => {
          app.get('/:source/items', async () => body);
          app.get('/:source/missing', async (_req, reply) => reply.code(404).send({ error: { code: 'not_found', message: 'no such market' } }));
          app.get('/:source/csv', async (_req, reply) => reply.type('text/csv').send('a,b\n1,2\n3,4\n#END\n'));
        },
      ],
    });
  });
  afterAll(async () => sandbox?.close());

  const client = (source: string, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
    new HttpClient({ source, baseUrl: `${sandbox.url}/${source}`, minDelayMs: 5, maxDelayMs: 20, maxAttempts: 12, timeoutMs: 5000, ...extra });

  it.each(faultSources)('recovers from %s faults by retrying', async (kind, source) => {
    const c = client(source);
    for (let i = 0; i < 8; i++) expect(await c.getJson('items', {}, Items)).toEqual(body);
    expect(sandbox.faults.counts[source]?.[kind] ?? 0).toBeGreaterThan(0);
  });

  it('gives up with a clear non-retryable error when the fault persists', async () => {
    const c = client('always503', { maxAttempts: 3 });
    const err = await c.getJson('items', {}, Items).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableHttpError);
    expect((err as Error).message).toMatch(/^always503: GET http:\/\/127\.0\.0\.1:\d+\/always503\/items answered 503 .*gave up after 3 attempts$/s);
    expect(sandbox.faults.counts.always503?.['5xx']).toBe(3);
  });

  it('does not retry a 4xx and names the status', async () => {
    const c = client('plain');
    const err = (await c.getJson('missing', {}, Items).catch((e: unknown) => e)) as NonRetryableHttpError;
    expect(err).toBeInstanceOf(NonRetryableHttpError);
    expect(err.status).toBe(404);
    expect(err.message).toContain('no such market');
  });

  it('names the source, the field path and the value when the payload drifts', async () => {
    const err = (await client('drift').getJson('items', {}, Items).catch((e: unknown) => e)) as PayloadShapeError;
    expect(err).toBeInstanceOf(PayloadShapeError);
    expect(err.issues[0]).toMatchObject({ path: 'items.0.id', value: { drifted: 1 } });
    expect(err.message).toMatch(/^drift: payload from .*\/drift\/items does not match the expected shape: items\.0\.id: .* \(got \{"drifted":1\}\)/);
  });

  it('masks secret query parameters in errors', async () => {
    const c = client('always503', { maxAttempts: 1, secretParams: ['key'], authorize: (url) => url.searchParams.set('key', 'SECRET123') });
    const err = (await c.getJson('items', { unitGroup: 'us' }, Items).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('SECRET123');
    expect(c.redact(c.url('items', { key: 'SECRET123' }))).toContain('key=***');
  });

  it('validates text bodies and retries a truncated one', async () => {
    const c = client('strunc');
    for (let i = 0; i < 5; i++) {
      const text = await c.getText('csv', {}, (t) => {
        if (!t.trimEnd().endsWith('#END')) throw new Error('body ends early');
      });
      expect(text).toBe('a,b\n1,2\n3,4\n#END\n');
    }
  });

  it('fails an attempt that gets no answer within its timeout and retries it', async () => {
    const c = client('hangs', { timeoutMs: 300 });
    for (let i = 0; i < 6; i++) expect(await c.getJson('items', {}, Items)).toEqual(body);
    expect(sandbox.faults.counts.hangs?.hang ?? 0).toBeGreaterThan(0);
  });

  it('gives up on an endpoint that never answers, naming the timeout, after its attempts', async () => {
    const c = client('alwaysHangs', { timeoutMs: 200, maxAttempts: 3 });
    const err = (await c.getJson('items', {}, Items).catch((e: unknown) => e)) as NonRetryableHttpError;
    expect(err).toBeInstanceOf(NonRetryableHttpError);
    expect(err.message).toMatch(/^alwaysHangs: GET http:\/\/127\.0\.0\.1:\d+\/alwaysHangs\/items failed \(attempt 3\): no complete answer within 200 ms; gave up after 3 attempts$/);
    expect(sandbox.faults.counts.alwaysHangs?.hang).toBe(3);
  });
});
