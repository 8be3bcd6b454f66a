/**
 * Messages of the backfill workflows (workflows/backfill.ts) and the plan of slices and chunks that
 * both the workflow (progress totals) and the activities (what each chunk covers) derive from the same
 * input. Only references travel through workflow history: cities, dates, sources, counts.
 *
 *   backfillWorkflow({ cities, from, to, sources })         one child per city
 *   └ backfillCityWorkflow({ city, from, to, sources })      id backfill/<city>/<from>..<to>
 *     └ backfillSlice({ city, source, from, to })            one activity per (source, calendar month)
 *       └ chunks: one transaction + one heartbeat each       kalshi, observations: a day; settlements, forecasts: a week
 */
import { z } from 'zod';
import { CityIdSchema } from '../domain/cities';
import { IsoDateSchema } from '../domain/iso-date';
import { citiesScope } from './pipeline';

export const BACKFILL_SOURCES = ['kalshi', 'observations', 'settlements', 'forecasts'] as const;
export const BackfillSourceSchema = z.enum(BACKFILL_SOURCES);
export type BackfillSource = z.infer<typeof BackfillSourceSchema>;

/** Days per chunk of each source: one transaction and one heartbeat (checkpoint) per chunk. */
export const CHUNK_DAYS: Record<BackfillSource, number> = { kalshi: 1, observations: 1, settlements: 7, forecasts: 7 };

/** Forecast basis dates D-1 .. D-k fetched per target date D. */
export const DEFAULT_FORECAST_LEAD_DAYS = 3;

const Options = {
  sources: z.array(BackfillSourceSchema).min(1).default([...BACKFILL_SOURCES]),
  /** Basis dates D-1..D-k for forecasts. */
  forecastLeadDays: z.number().int().min(1).max(7).default(DEFAULT_FORECAST_LEAD_DAYS),
  /** A worker that stops heartbeating for this long is considered dead and its slice retried (tests shorten it). */
  heartbeatTimeoutSeconds: z.number().int().min(2).max(600).default(15),
  /** Slices of one city running at once (default: one per source). */
  maxConcurrentSlices: z.number().int().min(1).max(32).default(4),
  /** Fetch and upsert every slice even when wx.ingest_manifest records it as complete (`--refresh`). */
  refresh: z.boolean().default(false),
  /**
   * 1-minute candles only for events on or after this date; older events get 60-minute candles alone
   * (a long history at the hourly decision times without twenty times the rows). Default: every event.
   */
  minuteCandlesFrom: IsoDateSchema.optional(),
};

export const BackfillInputSchema = z
  .object({
    cities: z.array(CityIdSchema).min(1),
    from: IsoDateSchema,
    to: IsoDateSchema,
    /** Task queue of the per-city children (default: the parent's own). */
    taskQueue: z.string().min(1).optional(),
    ...Options,
  })
  .refine((v) => v.from <= v.to, { error: 'from must not be after to', path: ['to'] });
export type BackfillInput = z.input<typeof BackfillInputSchema>;
export type BackfillInputParsed = z.output<typeof BackfillInputSchema>;

export const BackfillCityInputSchema = z
  .object({ city: CityIdSchema, from: IsoDateSchema, to: IsoDateSchema, ...Options })
  .refine((v) => v.from <= v.to, { error: 'from must not be after to', path: ['to'] });
export type BackfillCityInput = z.input<typeof BackfillCityInputSchema>;
export type BackfillCityInputParsed = z.output<typeof BackfillCityInputSchema>;

/** One activity: one source for one city over (at most) one calendar month. */
export const SliceInputSchema = z.object({
  city: CityIdSchema,
  source: BackfillSourceSchema,
  from: IsoDateSchema,
  to: IsoDateSchema,
  forecastLeadDays: z.number().int().min(1).max(7).default(DEFAULT_FORECAST_LEAD_DAYS),
  refresh: z.boolean().default(false),
  minuteCandlesFrom: IsoDateSchema.optional(),
});
export type SliceInput = z.input<typeof SliceInputSchema>;

/** What a slice activity heartbeats after each committed chunk, and resumes from on retry. */
export interface SliceCheckpoint {
  /** The next chunk to do (chunks before it are committed). */
  nextChunk: number;
  /** Rows upserted by the committed chunks (over every attempt). */
  rows: number;
  /** Which slice this is, so that a live view (wx backfill) can show chunk progress within a slice. */
  source?: BackfillSource;
  chunks?: number;
  /** The slice's first date (with `source`, names the slice among the city's finished ones). */
  from?: string;
}

/** What a slice activity returns: counts only, never rows. */
export interface SliceResult {
  city: string;
  source: BackfillSource;
  from: string;
  to: string;
  chunks: number;
  /** Rows upserted (given to the upsert; unchanged rows included). */
  rows: number;
  /** The chunk this attempt started from (> 0 after a resume). */
  resumedFromChunk: number;
  attempt: number;
  ms: number;
  /** The manifest recorded the slice as complete from the same world: nothing was fetched or written. */
  skipped?: boolean;
}

export type SourceStatus = 'pending' | 'running' | 'done' | 'failed';

export interface SourceProgress {
  status: SourceStatus;
  /** Finished slices, skipped ones included (their chunks count as done). */
  slicesDone: number;
  /** Slices the manifest recorded as complete from the same world: not fetched again. */
  slicesSkipped: number;
  slicesTotal: number;
  chunksDone: number;
  chunksTotal: number;
  rows: number;
  /** Rows per second of activity time (sum over finished slices). */
  rowsPerSecond: number;
  error?: string;
  /** Per-city progress only: first dates of the finished slices (a live view adds the running ones). */
  doneSlices?: string[];
}

/** `backfillProgress` query of the per-city workflow. Chunk counts advance as slices finish. */
export interface BackfillCityProgress {
  workflowId: string;
  city: string;
  from: string;
  to: string;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  sources: Partial<Record<BackfillSource, SourceProgress>>;
}

/** `backfillProgress` query of the parent: every city's progress and the sum per source. */
export interface BackfillProgress {
  workflowId: string;
  /** This run's id: a live view follows only the children this run started (not an earlier run's). */
  runId?: string;
  from: string;
  to: string;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  cities: Record<string, BackfillCityProgress | { status: 'pending' | 'failed'; error?: string }>;
  totals: Partial<Record<BackfillSource, SourceProgress>>;
}

export type BackfillCitySummary = BackfillCityProgress;
export type BackfillSummary = BackfillProgress;

// ── planning (pure, deterministic: used inside workflows) ────────────────────────────────────────

const DAY = 86_400_000;
const toMs = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
const toIso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  return toIso(toMs(date) + days * DAY);
}

export interface DateSpan {
  from: string;
  to: string;
}

/** Calendar-month slices of [from, to] (inclusive), the first and last cut to the range. */
export function monthSlices(from: string, to: string): DateSpan[] {
  const out: DateSpan[] = [];
  let start = from;
  while (start <= to) {
    const d = new Date(toMs(start));
    const monthEnd = toIso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
    const end = monthEnd < to ? monthEnd : to;
    out.push({ from: start, to: end });
    start = addDays(end, 1);
  }
  return out;
}

/** The chunks of a slice for a source: consecutive spans of CHUNK_DAYS[source] days. */
export function sliceChunks(source: BackfillSource, slice: DateSpan): DateSpan[] {
  const n = CHUNK_DAYS[source];
  const out: DateSpan[] = [];
  for (let start = slice.from; start <= slice.to; start = addDays(start, n)) {
    const end = addDays(start, n - 1);
    out.push({ from: start, to: end < slice.to ? end : slice.to });
  }
  return out;
}

/** A source's progress before anything ran: the plan's slice and chunk counts for `cities` cities. */
export function plannedSourceProgress(source: BackfillSource, from: string, to: string, cities = 1): SourceProgress {
  const slices = monthSlices(from, to);
  return {
    status: 'pending',
    slicesDone: 0,
    slicesSkipped: 0,
    slicesTotal: slices.length * cities,
    chunksDone: 0,
    chunksTotal: slices.reduce((n, sl) => n + sliceChunks(source, sl).length, 0) * cities,
    rows: 0,
    rowsPerSecond: 0,
  };
}

/**
 * Sums per-city source progress into totals per source. Totals always come from the plan (a city that
 * has not reported yet still counts its chunks in the total), done counts never exceed them.
 */
export function sumSourceProgress(
  sources: readonly BackfillSource[],
  from: string,
  to: string,
  cities: ReadonlyArray<Partial<Record<BackfillSource, SourceProgress>> | undefined>,
): Partial<Record<BackfillSource, SourceProgress>> {
  const totals: Partial<Record<BackfillSource, SourceProgress>> = {};
  for (const source of sources) {
    const t = plannedSourceProgress(source, from, to, cities.length);
    let failed = false;
    let running = false;
    for (const city of cities) {
      const p = city?.[source];
      if (!p) continue;
      t.slicesDone += p.slicesDone;
      t.slicesSkipped += p.slicesSkipped ?? 0;
      t.chunksDone += p.chunksDone;
      t.rows += p.rows;
      t.rowsPerSecond += p.rowsPerSecond; // cities run in parallel: their rates add up
      failed ||= p.status === 'failed';
      running ||= p.status !== 'pending';
      if (p.status === 'failed') t.error ??= p.error;
    }
    t.slicesDone = Math.min(t.slicesDone, t.slicesTotal);
    t.chunksDone = Math.min(t.chunksDone, t.chunksTotal);
    t.status = failed ? 'failed' : t.slicesDone === t.slicesTotal ? 'done' : running ? 'running' : 'pending';
    totals[source] = t;
  }
  return totals;
}

/** Workflow id of a city's backfill: `backfill/chicago/2024-01-01..2024-12-31`. */
export function backfillCityWorkflowId(city: string, from: string, to: string): string {
  return `backfill/${city}/${from}..${to}`;
}

/**
 * Workflow id of a multi-city backfill (`wx backfill`): `backfills/<all | a+b>/<from>..<to>` (plural, so
 * that a one-city run never takes its child's id).
 */
export function backfillWorkflowId(cities: readonly string[], allCities: readonly string[], from: string, to: string): string {
  return `backfills/${citiesScope(cities, allCities)}/${from}..${to}`;
}
