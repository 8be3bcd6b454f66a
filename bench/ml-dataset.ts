/**
 * The dataset cache's I/O on the project's own dataset: a city's market-clock dataset built from the
 * dev database (activities/ml/dataset-input + domain/features), or without a database a synthetic one
 * of the same shape (same column names and types, random values, no leaks).
 *
 * - Parquet libraries side by side, alternated round by round in one run: hyparquet + hyparquet-writer
 *   (ml/tables, ml/dataset-cache) against parquetjs-lite, on the columns writeDatasetFile writes
 *   (date/event int32, the rest double, one row group per month, SNAPPY): write, full read of every
 *   column into a Float64Array, a one-month read, file size. hyparquet's month read is
 *   readDatasetFile({from, to}) (row groups pruned by statistics, then the footer's metadata parsed,
 *   a FeatureFrame filled and the leakage check run: more work than the others do). parquetjs-lite's
 *   cursor has no filter, so its month read is a full scan keeping the month's rows; its exported
 *   envelope reader can skip row groups by the footer's statistics by hand, timed as a second variant.
 * - Dataset build rows/s: from PostgreSQL (load, then build, timed apart) and from the Parquet cache.
 * - The cache read with a date filter against a full read (row groups read of total).
 *
 *   npm run bench -- ml-dataset
 *   env: WX_BENCH_DATABASE_URL (postgres://postgres:postgres@127.0.0.1:54329/wx, the dev database),
 *        WX_BENCH_DATASET_CITY / _FROM / _TO (chicago 2024-01-01..2025-01-31), WX_BENCH_ROUNDS (3)
 *
 * Files go to data/bench/ml-dataset/ (never data/datasets/, the real cache).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadDatasetInput } from '../activities/ml/dataset-input';
import { createDb } from '../db/client';
import { CityIdSchema } from '../domain/cities';
import { buildDataset, dateOfDayNumber, DatasetParamsSchema, dayNumberOf, featureNames, FeatureFrame, type Dataset } from '../domain/features';
import { ladder } from '../domain/features/test-fixture';
import { inputHash, readDatasetFile, readDatasetMeta, writeDatasetFile } from '../ml/dataset-cache';
import { readTable, writeParquet, type WritableColumn } from '../ml/tables';
import { PROJECT_ROOT } from '../runtime/temporal-cli';
import { rngFor } from '../sandbox/worlds/generated/math';
import { loadLine, median } from './ml-reference';

const OUT_DIR = join(PROJECT_ROOT, 'data', 'bench', 'ml-dataset');
const ROUNDS = Number(process.env.WX_BENCH_ROUNDS ?? 3);
const DATABASE_URL = process.env.WX_BENCH_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:54329/wx';
const CITY = CityIdSchema.parse(process.env.WX_BENCH_DATASET_CITY ?? 'chicago');
const FROM = process.env.WX_BENCH_DATASET_FROM ?? '2024-01-01';
const TO = process.env.WX_BENCH_DATASET_TO ?? '2025-01-31';
/** The footer key ml/dataset-cache reads; the library files carry the same metadata so readDatasetFile takes hyparquet's. */
const META_KEY = 'wx.dataset';

// parquetjs-lite ships no types: the part of its API used here, typed at the one place it enters.
interface ParquetRowBuffer {
  rowCount: number;
  columnData: Record<string, { dlevels: number[]; values: unknown[] }>;
}
interface ParquetLiteColumnChunk {
  meta_data: { path_in_schema: string[]; statistics?: { min_value?: unknown; max_value?: unknown } };
}
interface ParquetLiteRowGroup {
  columns: ParquetLiteColumnChunk[];
}
interface ParquetLiteSchema {
  fieldList: unknown[];
}
interface ParquetLiteReader {
  metadata: { row_groups: ParquetLiteRowGroup[] };
  schema: ParquetLiteSchema;
  envelopeReader: { readRowGroup(schema: ParquetLiteSchema, rowGroup: ParquetLiteRowGroup, columnList: string[][]): Promise<ParquetRowBuffer> };
  getRowCount(): number | bigint;
  getCursor(columns?: string[]): { next(): Promise<Record<string, unknown> | null> };
  close(): Promise<void>;
}
interface ParquetLite {
  ParquetSchema: new (fields: Record<string, { type: 'INT32' | 'DOUBLE'; optional?: boolean; compression: 'SNAPPY' }>) => ParquetLiteSchema;
  ParquetWriter: {
    openFile(schema: ParquetLiteSchema, path: string, opts: { rowGroupSize: number }): Promise<{
      rowGroupSize: number;
      setMetadata(key: string, value: string): void;
      appendRow(row: Record<string, number | null>): Promise<void>;
      close(): Promise<void>;
    }>;
  };
  ParquetReader: { openFile(path: string): Promise<ParquetLiteReader> };
}
const parquet = createRequire(import.meta.url)('parquetjs-lite') as ParquetLite;

interface Column {
  name: string;
  values: Int32Array | Float64Array;
}

/** The columns of writeDatasetFile, in its order. */
function datasetColumns(ds: Dataset): Column[] {
  const cols: Column[] = [
    { name: 'date', values: ds.date },
    { name: 'event', values: ds.event },
    { name: 'snapshot_ms', values: ds.snapshotMs },
    { name: 'y_bracket', values: ds.yBracket },
    { name: 'y_high', values: ds.yHigh },
  ];
  for (const n of ds.features.names) cols.push({ name: `f:${n}`, values: ds.features.values.get(n)! }, { name: `asof:${n}`, values: ds.features.asOf.get(n)! });
  return cols;
}

/** Rows per month of event date, as writeDatasetFile groups them (rows are sorted by date). */
function monthSizes(date: Int32Array): number[] {
  const sizes: number[] = [];
  let prev = '';
  for (const d of date) {
    const month = dateOfDayNumber(d).slice(0, 7);
    if (month === prev) sizes[sizes.length - 1]!++;
    else {
      sizes.push(1);
      prev = month;
    }
  }
  return sizes;
}

/** The footer metadata writeDatasetFile stores (so readDatasetFile accepts the hyparquet file). */
function metaJson(ds: Dataset, hash: string): string {
  return JSON.stringify({ version: 1, city: ds.city, params: ds.params, features: [...ds.features.names], inputHash: hash, events: ds.events.map((e) => ({ ...e, brackets: [...e.brackets] })) });
}

interface Timing {
  ms: number;
  cpuMs: number;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T } & Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const fmtMs = (xs: Timing[]): string => `${median(xs.map((x) => x.ms)).toFixed(0)} (cpu ${median(xs.map((x) => x.cpuMs)).toFixed(0)})`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

// ---------------------------------------------------------------- the two libraries

function hyparquetWrite(path: string, cols: Column[], groups: number[], meta: string): void {
  const columns: Record<string, WritableColumn> = Object.fromEntries(cols.map((c) => [c.name, c.values]));
  writeParquet(path, columns, { rowGroupSize: groups, metadata: { [META_KEY]: meta } });
}

async function hyparquetReadAll(path: string): Promise<Map<string, Float64Array>> {
  const t = await readTable(path);
  return new Map(
    [...t.columns].map(([name, c]) => {
      if (c.type !== 'number') throw new Error(`${path}: column ${name} read as text`);
      return [name, c.values];
    }),
  );
}

/**
 * parquetjs-lite refuses NaN in a DOUBLE column ("invalid value for DOUBLE: NaN"), so the double
 * columns are OPTIONAL and a NaN is written as null (and read back as NaN): the layout a
 * parquetjs-lite cache would need, where hyparquet's keeps REQUIRED columns with NaN.
 */
async function parquetLiteWrite(path: string, cols: Column[], groups: number[], meta: string): Promise<void> {
  const schema = new parquet.ParquetSchema(
    Object.fromEntries(cols.map((c) => [c.name, c.values instanceof Int32Array ? { type: 'INT32', compression: 'SNAPPY' } : { type: 'DOUBLE', optional: true, compression: 'SNAPPY' }])),
  );
  const writer = await parquet.ParquetWriter.openFile(schema, path, { rowGroupSize: groups[0]! });
  writer.setMetadata(META_KEY, meta);
  const rows = cols[0]!.values.length;
  let group = 0;
  let left = groups[0]!;
  for (let r = 0; r < rows; r++) {
    if (left === 0) {
      // The writer flushes a row group when its buffer reaches rowGroupSize: set per month, so its
      // row groups are the same months as hyparquet's.
      writer.rowGroupSize = groups[++group]!;
      left = groups[group]!;
    }
    const row: Record<string, number | null> = {};
    for (const c of cols) {
      const v = c.values[r]!;
      row[c.name] = Number.isNaN(v) ? null : v;
    }
    await writer.appendRow(row);
    left--;
  }
  await writer.close();
}

async function parquetLiteReadAll(path: string, names: string[]): Promise<Map<string, Float64Array>> {
  const reader = await parquet.ParquetReader.openFile(path);
  const rows = Number(reader.getRowCount());
  const out = names.map((n) => new Float64Array(rows));
  const cursor = reader.getCursor();
  let r = 0;
  for (let row = await cursor.next(); row; row = await cursor.next()) {
    for (let j = 0; j < names.length; j++) out[j]![r] = (row[names[j]!] as number | undefined) ?? NaN;
    r++;
  }
  await reader.close();
  return new Map(names.map((n, j) => [n, out[j]!]));
}

/** parquetjs-lite's cursor has no filter: every row is read and the range's rows kept. */
async function parquetLiteScanRange(path: string, names: string[], from: number, to: number): Promise<number> {
  const reader = await parquet.ParquetReader.openFile(path);
  const kept = names.map(() => [] as number[]);
  const cursor = reader.getCursor();
  for (let row = await cursor.next(); row; row = await cursor.next()) {
    const d = row.date as number;
    if (d < from || d > to) continue;
    for (let j = 0; j < names.length; j++) kept[j]!.push((row[names[j]!] as number | undefined) ?? NaN);
  }
  await reader.close();
  const cols = kept.map((k) => Float64Array.from(k));
  return cols[0]!.length;
}

/** The row groups whose date statistics overlap the range, read through parquetjs-lite's exported envelope reader. */
async function parquetLitePrunedRange(path: string, names: string[], from: number, to: number): Promise<{ rows: number; read: number; total: number }> {
  const reader = await parquet.ParquetReader.openFile(path);
  const groups = reader.metadata.row_groups;
  const chunks = names.map(() => [] as Float64Array[]);
  let read = 0;
  for (const g of groups) {
    const stats = g.columns.find((c) => c.meta_data.path_in_schema.join(',') === 'date')?.meta_data.statistics;
    if (stats && typeof stats.min_value === 'number' && typeof stats.max_value === 'number' && (stats.max_value < from || stats.min_value > to)) continue;
    read++;
    const buf = await reader.envelopeReader.readRowGroup(reader.schema, g, []);
    const date = buf.columnData.date!.values as number[];
    names.forEach((n, j) => {
      // An OPTIONAL column's values are the present ones only; a definition level of 0 is a null (NaN).
      const { dlevels, values } = buf.columnData[n]!;
      const optional = dlevels.length > 0 && values.length < dlevels.length;
      const keep: number[] = [];
      let k = 0;
      for (let i = 0; i < buf.rowCount; i++) {
        const v = optional && dlevels[i] === 0 ? NaN : (values[k++] as number);
        if (date[i]! >= from && date[i]! <= to) keep.push(v);
      }
      chunks[j]!.push(Float64Array.from(keep));
    });
  }
  await reader.close();
  return { rows: chunks[0]!.reduce((s, c) => s + c.length, 0), read, total: groups.length };
}

/**
 * Every value read back equals the value written (NaN for NaN; -0 and 0 count as equal, because
 * parquetjs-lite passes each value through parseFloat, which turns -0 into 0), or the bench stops:
 * a figure for a wrong read means nothing.
 */
function assertSameColumns(what: string, cols: Column[], got: Map<string, Float64Array>): void {
  for (const c of cols) {
    const g = got.get(c.name);
    if (!g || g.length !== c.values.length) throw new Error(`${what}: column ${c.name} has ${g?.length ?? 'no'} rows, expected ${c.values.length}`);
    for (let i = 0; i < g.length; i++) {
      if (g[i] !== c.values[i] && !(Number.isNaN(g[i]) && Number.isNaN(c.values[i]!))) throw new Error(`${what}: column ${c.name} row ${i}: read ${g[i]}, wrote ${c.values[i]}`);
    }
  }
}

// ---------------------------------------------------------------- the dataset

/** A dataset of the real one's shape (features, snapshots per event, missing values), values random, as-of times before each snapshot. */
function syntheticDataset(city: string, from: string, to: string): Dataset {
  const params = DatasetParamsSchema.parse({ city, from, to });
  const rng = rngFor('wx-bench', 'ml-dataset', 1);
  const names = featureNames(['iem-mos/gfs', 'iem-mos/nam', 'nws/nbm', 'open-meteo/best_match'], ['open-meteo/best_match', 'open-meteo/gfs_seamless']);
  const days = dayNumberOf(to) - dayNumberOf(from) + 1;
  const perEvent = 40; // hourly snapshots from the morning before to the close, as the real builder makes
  const rows = days * perEvent;
  const frame = new FeatureFrame(names, rows);
  const event = new Int32Array(rows);
  const date = new Int32Array(rows);
  const snapshotMs = new Float64Array(rows);
  const yBracket = new Float64Array(rows);
  const yHigh = new Float64Array(rows);
  const events: Dataset['events'] = [];
  for (let e = 0; e < days; e++) {
    const day = dayNumberOf(from) + e;
    const openMs = day * 86_400_000 - 15 * 3_600_000;
    events.push({ eventTicker: `SYN-${dateOfDayNumber(day)}`, date: dateOfDayNumber(day), openMs, closeMs: openMs + perEvent * 3_600_000, brackets: ladder(30 + (e % 40)) });
    const winner = Math.floor(rng() * 6);
    const high = 20 + rng() * 60;
    for (let k = 0; k < perEvent; k++) {
      const r = e * perEvent + k;
      const t = openMs + k * 3_600_000;
      event[r] = e;
      date[r] = day;
      snapshotMs[r] = t;
      yBracket[r] = winner;
      yHigh[r] = Math.round(high);
      for (const n of names) if (rng() > 0.2) frame.set(n, r, Math.round((rng() * 100 - 20) * 100) / 100, t - Math.floor(rng() * 48 * 3_600_000));
    }
  }
  return { city, params, events, event, date, snapshotMs, features: frame, yBracket, yHigh };
}

type Source = { kind: 'database'; dataset: Dataset; hash: string; loads: Timing[]; builds: Timing[] } | { kind: 'synthetic'; dataset: Dataset; reason: string };

async function datasetFromDatabase(): Promise<Source> {
  const params = DatasetParamsSchema.parse({ city: CITY, from: FROM, to: TO });
  const handle = createDb(DATABASE_URL, { max: 4, applicationName: 'wx-bench-ml-dataset' });
  try {
    try {
      await handle.pool.query('select 1');
    } catch (err) {
      return { kind: 'synthetic', dataset: syntheticDataset(CITY, FROM, TO), reason: `database ${DATABASE_URL.replace(/\/\/[^@]*@/, '//***@')} not reachable (${(err as Error).message})` };
    }
    const loads: Timing[] = [];
    const builds: Timing[] = [];
    let dataset: Dataset | undefined;
    let hash = '';
    for (let round = 0; round < ROUNDS; round++) {
      const load = await timed(() => loadDatasetInput(handle.db, CITY, FROM, TO));
      if (load.value.input.events.length === 0) {
        return { kind: 'synthetic', dataset: syntheticDataset(CITY, FROM, TO), reason: `no usable ${CITY} events ${FROM}..${TO} in the database (backfill them first)` };
      }
      const build = await timed(() => buildDataset(load.value.input, params));
      loads.push(load);
      builds.push(build);
      dataset = build.value;
      hash = inputHash(load.value.input);
      console.log(`  round ${round + 1}: load ${load.ms.toFixed(0)} ms (cpu ${load.cpuMs.toFixed(0)}), build ${build.ms.toFixed(0)} ms (cpu ${build.cpuMs.toFixed(0)}), ${build.value.features.rows} rows; ${loadLine()}`);
    }
    return { kind: 'database', dataset: dataset!, hash, loads, builds };
  } finally {
    await handle.close();
  }
}

/** The middle month of the range, as inclusive climate dates. */
function middleMonth(from: string, to: string): { from: string; to: string } {
  const mid = dateOfDayNumber(Math.floor((dayNumberOf(from) + dayNumberOf(to)) / 2));
  const [y, m] = mid.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { from: `${mid.slice(0, 7)}-01`, to: last };
}

// ---------------------------------------------------------------- main

export async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  console.log(`\n## ml-dataset: ${CITY} ${FROM}..${TO}, ${ROUNDS} rounds (${loadLine()})`);
  console.log('\n### dataset build from PostgreSQL (loadDatasetInput, then buildDataset)');
  const source = await datasetFromDatabase();
  const ds = source.dataset;
  const rows = ds.features.rows;
  const cols = datasetColumns(ds);
  const groups = monthSizes(ds.date);
  const month = middleMonth(FROM, TO);
  const monthFrom = dayNumberOf(month.from);
  const monthTo = dayNumberOf(month.to);
  let monthRows = 0;
  for (const d of ds.date) if (d >= monthFrom && d <= monthTo) monthRows++;
  if (source.kind === 'synthetic') console.log(`SKIP dataset build and cache read (parts 2-3): ${source.reason}; the library comparison uses a synthetic dataset of the same shape`);
  console.log(`dataset (${source.kind}): ${rows} rows x ${cols.length} columns (${ds.features.names.length} features + as-of, 5 keys/targets), ${ds.events.length} events, ${groups.length} row groups (one per month); month read ${month.from}..${month.to}: ${monthRows} rows`);

  // ---- 1. the libraries, alternated: hyparquet first in odd rounds, parquetjs-lite first in even ones.
  const meta = metaJson(ds, source.kind === 'database' ? source.hash : 'sha256:synthetic');
  const hyPath = join(OUT_DIR, 'hyparquet.parquet');
  const pqPath = join(OUT_DIR, 'parquetjs-lite.parquet');
  const names = cols.map((c) => c.name);
  const t = {
    hy: { write: [] as Timing[], full: [] as Timing[], month: [] as Timing[] },
    pq: { write: [] as Timing[], full: [] as Timing[], month: [] as Timing[], pruned: [] as Timing[] },
  };
  let hyGroups = { read: 0, total: 0 };
  let pqGroups = { read: 0, total: 0 };
  console.log(`\n### Parquet libraries (${loadLine()})`);
  for (let round = 0; round < ROUNDS; round++) {
    const hy = async () => {
      t.hy.write.push(await timed(() => hyparquetWrite(hyPath, cols, groups, meta)));
      const full = await timed(() => hyparquetReadAll(hyPath));
      t.hy.full.push(full);
      const m = await timed(() => readDatasetFile(hyPath, month));
      t.hy.month.push(m);
      if (round === 0) {
        assertSameColumns('hyparquet', cols, full.value);
        if (m.value.features.rows !== monthRows) throw new Error(`hyparquet month read: ${m.value.features.rows} rows, expected ${monthRows}`);
      }
      hyGroups = m.value.rowGroups;
    };
    const pq = async () => {
      t.pq.write.push(await timed(() => parquetLiteWrite(pqPath, cols, groups, meta)));
      const full = await timed(() => parquetLiteReadAll(pqPath, names));
      t.pq.full.push(full);
      const m = await timed(() => parquetLiteScanRange(pqPath, names, monthFrom, monthTo));
      t.pq.month.push(m);
      const p = await timed(() => parquetLitePrunedRange(pqPath, names, monthFrom, monthTo));
      t.pq.pruned.push(p);
      if (round === 0) {
        assertSameColumns('parquetjs-lite', cols, full.value);
        if (m.value !== monthRows || p.value.rows !== monthRows) throw new Error(`parquetjs-lite month read: ${m.value} / ${p.value.rows} rows, expected ${monthRows}`);
      }
      pqGroups = p.value;
    };
    for (const run of round % 2 === 0 ? [hy, pq] : [pq, hy]) await run();
    console.log(`  round ${round + 1} done (${loadLine()})`);
  }
  const hySize = statSync(hyPath).size;
  const pqSize = statSync(pqPath).size;
  // Wall and CPU ratios: on a loaded machine the CPU ratio is the steadier of the two.
  const ratio = (a: Timing[], b: Timing[]) =>
    `${(median(b.map((x) => x.ms)) / median(a.map((x) => x.ms))).toFixed(1)}x (cpu ${(median(b.map((x) => x.cpuMs)) / median(a.map((x) => x.cpuMs))).toFixed(1)}x)`;
  console.log(`median ms (cpu ms) of ${ROUNDS}; ${rows} rows x ${cols.length} columns; month = ${month.from}..${month.to} (${monthRows} rows)`);
  console.table({
    'hyparquet + hyparquet-writer': {
      write: fmtMs(t.hy.write),
      'full read': fmtMs(t.hy.full),
      'month read': `${fmtMs(t.hy.month)} readDatasetFile, ${hyGroups.read}/${hyGroups.total} groups`,
      'file size': mib(hySize),
    },
    'parquetjs-lite 0.8.7': {
      write: fmtMs(t.pq.write),
      'full read': fmtMs(t.pq.full),
      'month read': `${fmtMs(t.pq.month)} cursor scan + filter, ${pqGroups.total}/${pqGroups.total} groups`,
      'file size': mib(pqSize),
    },
    'parquetjs-lite, stats-pruned': {
      write: '',
      'full read': '',
      'month read': `${fmtMs(t.pq.pruned)} envelope reader, ${pqGroups.read}/${pqGroups.total} groups`,
      'file size': '',
    },
    'parquetjs-lite / hyparquet': {
      write: ratio(t.hy.write, t.pq.write),
      'full read': ratio(t.hy.full, t.pq.full),
      'month read': `${ratio(t.hy.month, t.pq.month)} (scan), ${ratio(t.hy.month, t.pq.pruned)} (pruned)`,
      'file size': `${(pqSize / hySize).toFixed(2)}x`,
    },
  });

  if (source.kind === 'synthetic') {
    console.log('\nSKIP dataset build rows/s and cache read with a date filter: ' + source.reason);
    return;
  }

  // ---- 2. build rows/s: PostgreSQL against the Parquet cache (the file the activity would write).
  const cachePath = join(OUT_DIR, `${CITY}-${FROM}-${TO}.parquet`);
  rmSync(cachePath, { force: true });
  const cacheWrite = await timed(() => writeDatasetFile(cachePath, ds, source.hash));
  if ((await readDatasetMeta(cachePath))?.inputHash !== source.hash) throw new Error(`${cachePath}: footer hash differs from the one written`);
  const cacheFull: Timing[] = [];
  const cacheMonth: Timing[] = [];
  let fullGroups = { read: 0, total: 0 };
  let monthGroups = { read: 0, total: 0 };
  let monthReadRows = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternated too, so neither read always runs on a warmer page cache.
    const full = async () => {
      const r = await timed(() => readDatasetFile(cachePath));
      if (r.value.features.rows !== rows) throw new Error(`cache full read: ${r.value.features.rows} rows, expected ${rows}`);
      fullGroups = r.value.rowGroups;
      cacheFull.push(r);
    };
    const part = async () => {
      const r = await timed(() => readDatasetFile(cachePath, month));
      monthGroups = r.value.rowGroups;
      monthReadRows = r.value.features.rows;
      cacheMonth.push(r);
    };
    for (const run of round % 2 === 0 ? [full, part] : [part, full]) await run();
  }
  const perSec = (n: number, xs: Timing[]) => `${Math.round(n / (median(xs.map((x) => x.ms)) / 1000)).toLocaleString('en-US')}`;
  const loadBuild = source.loads.map((l, i) => ({ ms: l.ms + source.builds[i]!.ms, cpuMs: l.cpuMs + source.builds[i]!.cpuMs }));
  console.log(`\n### dataset build rows/s (${rows} rows; median of ${ROUNDS}; ${loadLine()})`);
  console.table({
    'PostgreSQL load (loadDatasetInput)': { ms: fmtMs(source.loads), 'rows/s': perSec(rows, source.loads) },
    'build (buildDataset)': { ms: fmtMs(source.builds), 'rows/s': perSec(rows, source.builds) },
    'PostgreSQL load + build': { ms: fmtMs(loadBuild), 'rows/s': perSec(rows, loadBuild) },
    'cache write (writeDatasetFile, once)': { ms: `${cacheWrite.ms.toFixed(0)} (cpu ${cacheWrite.cpuMs.toFixed(0)})`, 'rows/s': perSec(rows, [cacheWrite]) },
    'Parquet cache (readDatasetFile)': { ms: fmtMs(cacheFull), 'rows/s': perSec(rows, cacheFull) },
  });
  // This process's CPU leaves out the PostgreSQL server's, so the CPU ratio understates the load's cost.
  const speedup = (key: keyof Timing) => (median(loadBuild.map((x) => x[key])) / median(cacheFull.map((x) => x[key]))).toFixed(1);
  console.log(`cache against PostgreSQL load + build: ${speedup('ms')}x faster (cpu of this process ${speedup('cpuMs')}x); file ${mib(statSync(cachePath).size)}`);

  // ---- 3. the date filter.
  console.log(`\n### cache read with a date filter vs a full read (readDatasetFile; median of ${ROUNDS}; ${loadLine()})`);
  console.table({
    [`full (${FROM}..${TO})`]: { rows, 'row groups read': `${fullGroups.read}/${fullGroups.total}`, ms: fmtMs(cacheFull) },
    [`from/to ${month.from}..${month.to}`]: { rows: monthReadRows, 'row groups read': `${monthGroups.read}/${monthGroups.total}`, ms: fmtMs(cacheMonth) },
  });
  console.log(`written: ${OUT_DIR}/`);
}
