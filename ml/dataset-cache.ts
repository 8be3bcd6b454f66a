/**
 * The dataset cache: a built dataset (domain/features) as one Parquet file per city and build
 * parameters under data/datasets/{city}/, with its feature list, parameters, events and a hash of the
 * inputs in the footer. One row group per month of event dates, so a read with a date filter reads
 * only the months it needs. Every feature column `f:<name>` has its as-of column `asof:<name>` beside
 * it, and a read runs the leakage check again, so a cached file is held to the same rule as a build.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BracketSchema } from '../domain/brackets';
import { DatasetParamsSchema, FeatureFrame, assertNoLeak, dayNumberOf, type Dataset, type DatasetInput } from '../domain/features';
import { readParquetKeyValues, readTable, TableInputError, writeParquet, type WritableColumn } from './tables';

export const DATASET_FORMAT_VERSION = 1;
const META_KEY = 'wx.dataset';

const DatasetMetaSchema = z.object({
  version: z.literal(DATASET_FORMAT_VERSION),
  city: z.string(),
  params: DatasetParamsSchema,
  features: z.array(z.string()),
  inputHash: z.string(),
  rows: z.number().int().min(0),
  events: z.array(z.object({ eventTicker: z.string(), date: z.string(), openMs: z.number(), closeMs: z.number(), brackets: z.array(BracketSchema) })),
});
export type DatasetMeta = z.infer<typeof DatasetMetaSchema>;

/** A hash of the build parameters: the file name, so each parameter set has its own cached file. */
export function paramsHash(params: unknown): string {
  return createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 12);
}

export function datasetPath(dataDir: string, city: string, params: unknown): string {
  return join(dataDir, 'datasets', city, `${paramsHash(params)}.parquet`);
}

/**
 * A hash of everything a build reads (rows, columns, stamps): equal hashes, equal datasets, so an
 * unchanged database reuses the cached file. Typed columns are hashed as bytes, rows as JSON.
 */
export function inputHash(input: DatasetInput): string {
  const h = createHash('sha256');
  const bytes = (a: Float64Array) => h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  h.update(`v${DATASET_FORMAT_VERSION}|${input.city}|`);
  h.update(canonicalJson(input.events));
  h.update(canonicalJson(input.settlements));
  h.update(canonicalJson(input.dailyForecasts));
  for (const r of input.hourlyRuns) {
    h.update(canonicalJson({ source: r.source, model: r.model, basisMs: r.basisMs, availableAt: r.availableAt }));
    bytes(r.validMs);
    bytes(r.tempF);
  }
  bytes(input.observations.observedMs);
  bytes(input.observations.availableAt);
  bytes(input.observations.tempF);
  for (const ticker of [...input.quotes.keys()].sort()) {
    const q = input.quotes.get(ticker)!;
    h.update(ticker);
    bytes(q.endMs);
    bytes(q.bid);
    bytes(q.ask);
    bytes(q.volume);
  }
  return `sha256:${h.digest('hex')}`;
}

function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Rows per month of event date, in row order (rows are sorted by date). */
function monthGroups(date: Int32Array): number[] {
  const sizes: number[] = [];
  let prev = '';
  for (const d of date) {
    const month = new Date(d * 86_400_000).toISOString().slice(0, 7);
    if (month === prev) sizes[sizes.length - 1]!++;
    else {
      sizes.push(1);
      prev = month;
    }
  }
  return sizes.length ? sizes : [1];
}

export function writeDatasetFile(path: string, dataset: Dataset, hash: string): void {
  assertNoLeak(dataset);
  const columns: Record<string, WritableColumn> = {
    date: dataset.date,
    event: dataset.event,
    snapshot_ms: dataset.snapshotMs,
    y_bracket: dataset.yBracket,
    y_high: dataset.yHigh,
  };
  for (const name of dataset.features.names) {
    columns[`f:${name}`] = dataset.features.values.get(name)!;
    columns[`asof:${name}`] = dataset.features.asOf.get(name)!;
  }
  const meta: DatasetMeta = {
    version: DATASET_FORMAT_VERSION,
    city: dataset.city,
    params: dataset.params,
    features: [...dataset.features.names],
    inputHash: hash,
    rows: dataset.features.rows,
    events: dataset.events.map((e) => ({ ...e, brackets: [...e.brackets] })),
  };
  writeParquet(path, columns, { rowGroupSize: monthGroups(dataset.date), metadata: { [META_KEY]: JSON.stringify(meta) } });
}

/** Reads only the footer: the parameters and input hash a cached file was built from (undefined: no usable file). */
export async function readDatasetMeta(path: string): Promise<DatasetMeta | undefined> {
  if (!existsSync(path)) return undefined;
  return parseMeta(path, (await readParquetKeyValues(path))[META_KEY]);
}

function parseMeta(path: string, text: string | undefined): DatasetMeta {
  if (text === undefined) throw new TableInputError(`${path}: not a wx dataset (no ${META_KEY} metadata)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TableInputError(`${path}: ${META_KEY} metadata is not JSON`);
  }
  const parsed = DatasetMetaSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TableInputError(`${path}: ${META_KEY} metadata field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export interface ReadDatasetOptions {
  /** Climate dates to keep (inclusive); row groups of other months are not read. */
  from?: string;
  to?: string;
  /** Feature columns to read (default all); their as-of columns come with them. */
  features?: string[];
}

export interface CachedDataset extends Dataset {
  inputHash: string;
  rowGroups: { total: number; read: number };
}

export async function readDatasetFile(path: string, options: ReadDatasetOptions = {}): Promise<CachedDataset> {
  const from = options.from ? dayNumberOf(options.from) : -1e9;
  const to = options.to ? dayNumberOf(options.to) : 1e9;
  const meta = parseMeta(path, (await readParquetKeyValues(path))[META_KEY]);
  const features = options.features ?? meta.features;
  for (const f of features) if (!meta.features.includes(f)) throw new TableInputError(`${path}: no feature ${JSON.stringify(f)}`);
  const t = await readTable(path, {
    columns: ['date', 'event', 'snapshot_ms', 'y_bracket', 'y_high', ...features.flatMap((f) => [`f:${f}`, `asof:${f}`])],
    range: { column: 'date', from, to },
  });
  const num = (name: string): Float64Array => {
    const c = t.columns.get(name);
    if (!c || c.type !== 'number') throw new TableInputError(`${path}: column ${JSON.stringify(name)} is missing or not numeric`);
    return c.values;
  };
  const frame = new FeatureFrame(features, t.rows);
  for (const f of features) {
    (frame.values.get(f) as Float64Array).set(num(`f:${f}`));
    (frame.asOf.get(f) as Float64Array).set(num(`asof:${f}`));
  }
  const dataset: CachedDataset = {
    city: meta.city,
    params: meta.params,
    events: meta.events,
    event: Int32Array.from(num('event')),
    date: Int32Array.from(num('date')),
    snapshotMs: num('snapshot_ms'),
    features: frame,
    yBracket: num('y_bracket'),
    yHigh: num('y_high'),
    inputHash: meta.inputHash,
    rowGroups: t.rowGroups,
  };
  for (const e of dataset.event) {
    if (!(e >= 0 && e < meta.events.length)) throw new TableInputError(`${path}: column "event" holds ${e}, but the metadata lists ${meta.events.length} events`);
  }
  assertNoLeak(dataset);
  return dataset;
}
