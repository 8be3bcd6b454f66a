/**
 * Stage `backfill`: the slice activity. One call = one source for one city over one calendar month at
 * most; it iterates the slice's chunks (schemas/backfill.ts sliceChunks) and for each:
 *   1. fetches every row of the chunk through the API clients (nothing written yet);
 *   2. upserts them all in ONE transaction (db/bulk-upsert.ts), plus rows derived inside it, committed
 *      durably (the pool's sessions never run with synchronous_commit off, db/client.ts);
 *   3. heartbeats the checkpoint { nextChunk, rows }, only after that commit.
 * A retried attempt (the worker died, the heartbeat timed out) resumes from the last checkpoint in
 * activityInfo().heartbeatDetails; a chunk committed after the last heartbeat reached the server is
 * redone, which changes nothing (upserts). Rows never leave the worker: the result is counts only.
 *
 * A slice that wx.ingest_manifest records as completed over these days from the same world is skipped
 * (no request, no write) unless the input says `refresh`; a completed slice whose data is final at the
 * source is recorded there (activities/backfill/manifest.ts).
 */
import pg from 'pg';
import { ApplicationFailure, CancelledFailure, Context, activityInfo, heartbeat } from '@temporalio/activity';
import { bulkUpsert } from '../db/bulk-upsert';
import { NonRetryableHttpError, PayloadShapeError } from '../clients/http';
import { IemClient } from '../clients/iem';
import { KalshiClient } from '../clients/kalshi';
import { NceiClient } from '../clients/ncei';
import { OpenMeteoClient } from '../clients/open-meteo';
import { VisualCrossingClient } from '../clients/visualcrossing';
import { SliceInputSchema, sliceChunks, type BackfillSource, type SliceCheckpoint, type SliceInput, type SliceResult } from '../schemas/backfill';
import { apiBaseUrl, type Config } from '../temporal.config';
import type { Logger } from '../lib/logger';
import type { ActivityDeps } from './index';
import { forecastsAdapter } from './backfill/forecasts';
import { kalshiAdapter } from './backfill/kalshi';
import { observationsAdapter } from './backfill/observations';
import { settlementsAdapter } from './backfill/settlements';
import type { AdapterFactory, BackfillClients } from './backfill/types';
import { completedSlice, recordCompletedSlice, sliceIsFinal, worldKey } from './backfill/manifest';
import { inTransaction } from '../db/transaction';

export const ADAPTERS: Record<BackfillSource, AdapterFactory> = {
  kalshi: kalshiAdapter,
  observations: observationsAdapter,
  settlements: settlementsAdapter,
  forecasts: forecastsAdapter,
};

/** Clients from the configuration; in the local sandbox without client-side rate limits. */
export function backfillClients(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): BackfillClients {
  const sandbox = config.apis.mode === 'sandbox' && config.world.kind !== 'real';
  const fast = sandbox ? { rateLimit: { limit: 10_000, intervalMs: 1000 } } : {};
  const timeoutMs = config.apis.requestTimeoutMs;
  const http = { http: { timeoutMs } };
  const once = <T>(make: () => T) => {
    let v: T | undefined;
    return () => (v ??= make());
  };
  return {
    kalshi: once(() => new KalshiClient({ baseUrl: apiBaseUrl(config, 'kalshi'), log, timeoutMs, ...(sandbox ? { rateLimit: null } : {}) })),
    iem: once(() => new IemClient({ baseUrl: apiBaseUrl(config, 'iem'), log, ...fast, ...http })),
    ncei: once(() => new NceiClient({ baseUrl: apiBaseUrl(config, 'ncei'), log, ...fast, ...http })),
    visualCrossing: once(() => {
      // The secret is read here, in the worker, never passed through workflow arguments.
      const apiKey = env.VISUAL_CROSSING_API_KEY || (sandbox ? 'sandbox-key' : '');
      if (!apiKey) {
        throw ApplicationFailure.create({ type: 'InvalidConfig', nonRetryable: true, message: 'VISUAL_CROSSING_API_KEY is not set: forecasts from Visual Crossing need it' });
      }
      return new VisualCrossingClient({ baseUrl: apiBaseUrl(config, 'visualCrossing'), apiKey, log, ...fast, ...http });
    }),
    openMeteo: once(
      () =>
        new OpenMeteoClient({
          baseUrl: apiBaseUrl(config, 'openMeteo'),
          historicalForecastBaseUrl: apiBaseUrl(config, 'openMeteoHistoricalForecast'),
          previousRunsBaseUrl: apiBaseUrl(config, 'openMeteoPreviousRuns'),
          log,
          ...fast,
          ...http,
        }),
    ),
  };
}

/** Failures that retrying cannot fix become non-retryable ApplicationFailures with a clear type. */
export function classify(err: unknown, where: string): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  const message = `${where}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof PayloadShapeError) return ApplicationFailure.create({ type: 'PayloadShape', nonRetryable: true, message, cause: err });
  if (err instanceof NonRetryableHttpError) {
    const clientError = err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429;
    // Without a 4xx status it is a transient failure the client gave up on: the activity retries later.
    return ApplicationFailure.create({ type: clientError ? 'HttpClientError' : 'HttpUnavailable', nonRetryable: clientError, message, cause: err });
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(22|23)/.test(code)) {
    return ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `${message} (SQLSTATE ${code})`, cause: err as Error });
  }
  return err instanceof Error ? new Error(message, { cause: err }) : new Error(message);
}

export function createBackfillActivities({ db, pool: givenPool, log, config }: ActivityDeps) {
  // The pool behind `db` (drizzle's $client) when the caller passed none.
  const pool: pg.Pool = givenPool ?? (db as unknown as { $client: pg.Pool }).$client;

  return {
    async backfillSlice(raw: SliceInput): Promise<SliceResult> {
      const parsed = SliceInputSchema.safeParse(raw);
      if (!parsed.success) {
        throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `backfillSlice: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      }
      const input = parsed.data;
      const info = activityInfo();
      const ctx = Context.current();
      const started = Date.now();
      const chunks = sliceChunks(input.source, input);
      const saved = info.heartbeatDetails as SliceCheckpoint | undefined;
      const checkpoint: SliceCheckpoint = {
        nextChunk: Math.min(Math.max(0, saved?.nextChunk ?? 0), chunks.length),
        rows: saved?.rows ?? 0,
        source: input.source,
        chunks: chunks.length,
        from: input.from,
      };
      const resumedFromChunk = checkpoint.nextChunk;
      const slog = log.child({ city: input.city, source: input.source, slice: `${input.from}..${input.to}`, attempt: info.attempt });
      // A slice fetched with hourly candles only is another ingest than a full one: a later run that
      // wants the 1-minute candles must not skip it as complete.
      const coarse = input.source === 'kalshi' && input.minuteCandlesFrom !== undefined && input.from < input.minuteCandlesFrom;
      const world = `${await worldKey(config)}${coarse ? `#hourly-candles-before-${input.minuteCandlesFrom}` : ''}`;
      const base = { city: input.city, source: input.source, from: input.from, to: input.to, chunks: chunks.length, attempt: info.attempt };
      if (!input.refresh) {
        const done = await completedSlice(pool, input, world);
        if (done) {
          slog.info({ world, completedAt: done.completedAt }, 'backfill: slice already ingested from this world, skipped (refresh re-fetches)');
          return { ...base, rows: 0, resumedFromChunk: 0, ms: Date.now() - started, skipped: true };
        }
      }
      if (resumedFromChunk > 0) slog.info({ resumedFromChunk, chunks: chunks.length }, 'backfill: resuming slice from its checkpoint');

      const adapter = ADAPTERS[input.source]({
        city: input.city,
        slice: { from: input.from, to: input.to },
        forecastLeadDays: input.forecastLeadDays,
        ...(input.minuteCandlesFrom ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}),
        clients: backfillClients(config, slog),
        log: slog,
      });
      // Between checkpoints (slow requests, retries with backoff) the last checkpoint keeps the worker
      // visibly alive; the SDK throttles what reaches the server.
      const keepAlive = setInterval(() => heartbeat({ ...checkpoint }), 1000);
      try {
        heartbeat({ ...checkpoint });
        for (let i = checkpoint.nextChunk; i < chunks.length; i++) {
          if (ctx.cancellationSignal.aborted) throw new CancelledFailure('backfill slice cancelled');
          const chunk = chunks[i]!;
          const where = `${input.source} ${input.city} ${chunk.from}..${chunk.to}`;
          let rows = 0;
          try {
            const batches = await adapter.fetch(chunk);
            // Durable before the checkpoint below names it: the pool's sessions never run with
            // synchronous_commit off (db/client.ts).
            rows = await inTransaction(pool, async (client) => {
              let n = 0;
              for (const b of batches) n += (await bulkUpsert(client, b.table, b.rows as never[], b.opts)).rows;
              if (adapter.afterUpsert) n += await adapter.afterUpsert(client, chunk);
              return n;
            });
          } catch (err) {
            throw classify(err, where);
          }
          checkpoint.nextChunk = i + 1;
          checkpoint.rows += rows;
          heartbeat({ ...checkpoint });
          slog.debug({ chunk: i, of: chunks.length, rows }, 'backfill: chunk committed');
        }
      } finally {
        clearInterval(keepAlive);
      }
      // Only data that can no longer change at the source is marked complete; a resumed attempt did not
      // see the earlier chunks' payloads, so an adapter that judges them (Kalshi results) cannot vouch.
      const settled = adapter.settled ? resumedFromChunk === 0 && adapter.settled() : true;
      const final = settled && sliceIsFinal(input.source, input.to, new Date().toISOString().slice(0, 10));
      if (final) await recordCompletedSlice(pool, input, world, checkpoint.rows);
      const ms = Date.now() - started;
      slog.info({ chunks: chunks.length, rows: checkpoint.rows, resumedFromChunk, ms, final }, 'backfill: slice done');
      return { ...base, rows: checkpoint.rows, resumedFromChunk, ms, skipped: false };
    },
  };
}

export type BackfillActivities = ReturnType<typeof createBackfillActivities>;
