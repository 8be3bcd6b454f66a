/**
 * The local sandbox: one HTTP server (fastify) that serves every external API on its real paths under
 * a per-API prefix (see SANDBOX_PATHS in temporal.config.ts), from a World, with seeded faults.
 *   /kalshi/trade-api/v2/...                      Kalshi REST v2 (sandbox/routes/kalshi.ts)
 *   /visualcrossing/VisualCrossingWebServices/... Visual Crossing Timeline
 *   /iem/...  /nws/...  /open-meteo/v1/...  /open-meteo-historical/v1/...  /open-meteo-previous-runs/v1/...  /ncei/...
 * Route modules register themselves with `registerRoutes`; each receives the world.
 */
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger';
import { driftPayload, FaultInjector, type FaultConfig } from './faults';
import type { World } from './world';

export type RouteModule = (app: FastifyInstance, world: World) => void | Promise<void>;

export interface SandboxOptions {
  world: World;
  routes: RouteModule[];
  faults?: FaultConfig;
  log?: Logger;
}

export interface RunningSandbox {
  app: FastifyInstance;
  url: string;
  port: number;
  faults: FaultInjector;
  close(): Promise<void>;
}

/** The source a request belongs to: its first path segment (kalshi, iem, nws, open-meteo, ...). */
export function sourceOf(url: string): string {
  return url.split('?')[0]!.split('/').filter(Boolean)[0] ?? 'root';
}

export async function buildSandbox(opts: SandboxOptions): Promise<{ app: FastifyInstance; faults: FaultInjector }> {
  const app = Fastify({ logger: false });
  const faults = new FaultInjector(opts.faults);
  const hung = new Set<Socket>();
  // close() must not wait for requests that are never answered.
  app.addHook('preClose', async () => {
    for (const socket of hung) socket.destroy();
  });

  app.get('/health', async () => ({ ok: true, world: opts.world.description, faults: faults.counts }));

  // Faults are decided before routing so that even unknown paths can be dropped or throttled.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/health') return;
    const decision = faults.decide(sourceOf(req.url));
    (req as unknown as { fault: typeof decision }).fault = decision;
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    switch (decision.kind) {
      case '429':
        // Kalshi's 429 carries no Retry-After.
        return reply.code(429).send({ error: { code: 'too_many_requests', message: 'rate limit exceeded (sandbox fault)' } });
      case '5xx':
        return reply.code(503).send({ error: { code: 'service_unavailable', message: 'temporarily unavailable (sandbox fault)' } });
      case 'drop':
        req.raw.socket.destroy();
        return reply;
      case 'hang':
        // Never answered: the socket stays open until the client gives up (or the sandbox closes).
        hung.add(req.raw.socket);
        req.raw.socket.once('close', () => hung.delete(req.raw.socket));
        return reply.hijack();
      default:
        return undefined;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const fault = (req as unknown as { fault?: { kind: string } }).fault;
    if (!fault || reply.statusCode >= 400 || typeof payload !== 'string') return payload;
    if (fault.kind === 'truncate') {
      reply.removeHeader('content-length');
      return payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
    }
    if (fault.kind === 'malformed') {
      reply.removeHeader('content-length');
      return `${payload.slice(0, 20)}<<garbled>>`;
    }
    if (fault.kind === 'schema-drift' && String(reply.getHeader('content-type') ?? '').includes('json')) {
      reply.removeHeader('content-length');
      return JSON.stringify(driftPayload(JSON.parse(payload)));
    }
    return payload;
  });

  for (const register of opts.routes) await register(app, opts.world);
  return { app, faults };
}

/** Builds and listens on 127.0.0.1:`port` (0 = a free port). */
export async function startSandbox(opts: SandboxOptions & { port: number }): Promise<RunningSandbox> {
  const { app, faults } = await buildSandbox(opts);
  await app.listen({ host: '127.0.0.1', port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.log?.info({ port, world: opts.world.description }, 'sandbox: listening');
  return { app, url: `http://127.0.0.1:${port}`, port, faults, close: () => app.close() };
}
