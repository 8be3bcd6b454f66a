/**
 * Tables for the model engine: Parquet (hyparquet / hyparquet-writer) and CSV (csv-parse) files in,
 * columns as typed arrays out. Numeric columns become Float64Array with every missing value as NaN
 * (empty, "NA", null, ...), because the GBDT treats NaN as its own bin; text columns stay strings (a
 * categorical target becomes class indices in `labelTables`). Bad input is a `TableInputError` whose
 * one-line message names the file, the column and the row.
 *
 * `writeParquet` writes REQUIRED typed columns (NaN for missing: hyparquet returns nullable columns
 * as plain arrays, REQUIRED ones as typed arrays) in row groups of a chosen size, atomically; a read
 * with `range` on an int32 column (e.g. a date as days since the epoch) skips the row groups whose
 * statistics exclude the range, so a dataset cache read by date reads only what it needs.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema, type FileMetaData } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parse as parseCsv } from 'csv-parse/sync';

/** Bad input in a table file: the CLI prints the message (one line) and exits 2. */
export class TableInputError extends Error {
  override name = 'TableInputError';
}

export type TableColumn = { type: 'number'; values: Float64Array } | { type: 'string'; values: Array<string | null> };

export interface Table {
  /** The path as given, for messages. */
  file: string;
  format: 'parquet' | 'csv';
  rows: number;
  names: string[];
  columns: Map<string, TableColumn>;
  /** Parquet key-value metadata (empty for CSV). */
  metadata: Record<string, string>;
  /** The file's data row (0-based, header excluded) of each row read: rows a range filter skipped are not counted. */
  sourceRows: Int32Array;
  /** How a message names row `i` (0-based): `row 13` (1-based data row of the file), for CSV also its line. */
  where(i: number): string;
  /** Row groups in the file and how many were read (Parquet; a CSV counts as one). */
  rowGroups: { total: number; read: number };
}

export interface ReadTableOptions {
  /** Read only these columns (default: all). */
  columns?: string[];
  /** Keep the rows whose value in `column` lies in [from, to]; Parquet row groups outside it are not read. */
  range?: { column: string; from: number; to: number };
}

/** Cell texts read as a missing value. */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);
/** A decimal number as people write it (no hex, no "Infinity", no blanks that Number() would accept). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const quote = (s: string) => JSON.stringify(s);
const fail = (file: string, what: string): never => {
  throw new TableInputError(`${file}: ${what}`);
};

/** Parses a cell: a finite number, NaN for a missing value, undefined when it is not a number. */
export function parseCell(text: string): number | undefined {
  const t = text.trim();
  if (MISSING.has(t)) return NaN;
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

export async function readTable(file: string, options: ReadTableOptions = {}): Promise<Table> {
  const magic = Buffer.alloc(4);
  try {
    const st = statSync(file);
    if (!st.isFile()) fail(file, 'is not a file');
    if (st.size === 0) fail(file, 'is empty');
    const fd = openSync(file, 'r');
    try {
      readSync(fd, magic, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof TableInputError) throw err;
    return fail(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const isParquet = magic.toString('latin1') === 'PAR1';
  if (extname(file).toLowerCase() === '.parquet' && !isParquet) fail(file, 'is not a Parquet file (no PAR1 magic bytes)');
  return isParquet ? readParquet(file, options) : readCsv(file, readFileSync(file), options);
}

/** The key-value metadata in a Parquet file's footer, without reading any rows. */
export async function readParquetKeyValues(file: string): Promise<Record<string, string>> {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) fail(file, 'is not a file');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  } catch (err) {
    return fail(file, `is not a readable Parquet file (${(err as Error).message})`);
  }
  return Object.fromEntries((metadata.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']));
}

function selectColumns(file: string, names: string[], options: ReadTableOptions): string[] {
  const wanted = options.columns ?? names;
  for (const c of [...wanted, ...(options.range ? [options.range.column] : [])]) {
    if (!names.includes(c)) fail(file, `no column ${quote(c)} (columns: ${names.join(', ')})`);
  }
  return wanted;
}

// ---------------------------------------------------------------- Parquet

/** Whether a leaf column holds text (a BYTE_ARRAY string, or one without an annotation saying otherwise). */
function isTextColumn(el: { type?: string; converted_type?: string; logical_type?: { type: string } }): boolean {
  if (el.type !== 'BYTE_ARRAY') return false;
  const annotation = el.logical_type?.type ?? el.converted_type;
  return annotation === undefined || annotation === 'STRING' || annotation === 'UTF8' || annotation === 'ENUM';
}

async function readParquet(file: string, options: ReadTableOptions): Promise<Table> {
  // Read by byte ranges (the footer, then the column chunks wanted): a range read touches only the
  // row groups it keeps.
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    return fail(file, `is not a readable Parquet file (${(err as Error).message})`);
  }
  const codec = metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)).find((c) => c && c !== 'UNCOMPRESSED' && c !== 'SNAPPY');
  if (codec) fail(file, `uses ${codec} compression; this reader takes SNAPPY or UNCOMPRESSED Parquet (e.g. pandas to_parquet(compression="snappy"), polars write_parquet(compression="snappy"))`);
  const schema = parquetSchema(metadata);
  const names = schema.children.map((c) => c.element.name);
  const wanted = selectColumns(file, names, options);
  const text = new Map<string, boolean>();
  for (const child of schema.children) {
    if (child.children.length > 0) {
      if (wanted.includes(child.element.name)) fail(file, `column ${quote(child.element.name)} is nested (a struct or list), not a number or a string`);
      continue;
    }
    text.set(child.element.name, isTextColumn(child.element));
  }
  if (Number(metadata.num_rows) === 0) fail(file, 'has no rows');
  const range = options.range;
  if (range && text.get(range.column)) fail(file, `column ${quote(range.column)} holds text; a range filter needs a numeric (int32 date) column`);

  // Days and times as numbers (days since the epoch, milliseconds), not Date objects.
  const parsers = {
    dateFromDays: (d: number) => d,
    timestampFromMilliseconds: (v: bigint) => Number(v),
    timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
    timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  };
  let scan: Awaited<ReturnType<typeof parquetScan>>;
  try {
    scan = await parquetScan({
      file: buffer,
      metadata,
      parsers,
      columns: wanted,
      ...(range ? { pruningFilter: { [range.column]: { $gte: range.from, $lte: range.to } } } : {}),
    });
  } catch (err) {
    return fail(file, `is not a readable Parquet file (${(err as Error).message})`);
  }

  // Read each surviving range column by column; with a range filter, keep its rows exactly (pruning
  // by statistics is conservative).
  const parts = new Map<string, Array<ArrayLike<unknown>>>(wanted.map((c) => [c, []]));
  const starts: number[] = [];
  const keeps: Array<Uint8Array | undefined> = [];
  let rows = 0;
  for (const r of scan.ranges) {
    let keep: Uint8Array | undefined;
    try {
      if (range) {
        const v = await scan.readColumn({ column: range.column, ...r });
        keep = new Uint8Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = Number(v[i] as number | bigint);
          keep[i] = x >= range.from && x <= range.to ? 1 : 0;
        }
      }
      for (const c of wanted) parts.get(c)!.push(await scan.readColumn({ column: c, ...r }));
    } catch (err) {
      return fail(file, `is not a readable Parquet file (${(err as Error).message})`);
    }
    starts.push(r.rowStart);
    keeps.push(keep);
    rows += keep ? keep.reduce((s, k) => s + k, 0) : r.rowEnd - r.rowStart;
  }

  // Messages name the row of the file, whatever was filtered out.
  const fileRow = new Int32Array(rows);
  {
    let o = 0;
    scan.ranges.forEach((r, p) => {
      for (let i = 0; i < r.rowEnd - r.rowStart; i++) if (!keeps[p] || keeps[p]![i]) fileRow[o++] = starts[p]! + i;
    });
  }
  const where = (i: number) => `row ${(fileRow[i] ?? i) + 1}`;

  const columns = new Map<string, TableColumn>();
  for (const c of wanted) {
    const chunks = parts.get(c)!;
    if (text.get(c)) {
      const values: Array<string | null> = [];
      chunks.forEach((chunk, p) => {
        for (let i = 0; i < chunk.length; i++) {
          if (keeps[p] && !keeps[p]![i]) continue;
          const v = chunk[i];
          if (v !== null && v !== undefined && typeof v !== 'string') fail(file, `column ${quote(c)}, ${where(values.length)}: ${typeof v} in a text column`);
          values.push((v as string | null | undefined) ?? null);
        }
      });
      columns.set(c, { type: 'string', values });
    } else {
      const values = new Float64Array(rows);
      let o = 0;
      chunks.forEach((chunk, p) => {
        const keep = keeps[p];
        if (!keep && chunk instanceof Float64Array) {
          values.set(chunk, o);
          o += chunk.length;
          return;
        }
        for (let i = 0; i < chunk.length; i++) {
          if (keep && !keep[i]) continue;
          const v = chunk[i];
          if (typeof v === 'number') values[o] = v;
          else if (v === null || v === undefined) values[o] = NaN;
          else if (typeof v === 'bigint') values[o] = Number(v);
          else if (typeof v === 'boolean') values[o] = v ? 1 : 0;
          else fail(file, `column ${quote(c)}, ${where(o)}: a value of type ${v?.constructor?.name ?? typeof v} is not a number`);
          o++;
        }
      });
      columns.set(c, { type: 'number', values });
    }
  }
  const kv: Record<string, string> = {};
  for (const { key, value } of metadata.key_value_metadata ?? []) if (value !== undefined) kv[key] = value;
  return { file, format: 'parquet', rows, names: wanted, columns, metadata: kv, sourceRows: fileRow, where, rowGroups: { total: metadata.row_groups.length, read: scan.ranges.length } };
}

// ---------------------------------------------------------------- CSV

function readCsv(file: string, bytes: Buffer, options: ReadTableOptions): Table {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // Without a quote character, CSV is lines of comma-separated cells: splitting is the same parse
    // and about 10x faster than csv-parse's general state machine (34 MB: 0.5 s instead of 5.5 s).
    records = bytes.includes(0x22) ? (parseCsv(bytes, { bom: true, info: true, skip_empty_lines: true }) as unknown as typeof records) : splitPlainCsv(bytes);
  } catch (err) {
    // csv-parse names the line ("Invalid Record Length: expect 3, got 2 on line 7").
    return fail(file, `is not valid CSV: ${(err as Error).message.split('\n')[0]}`);
  }
  if (records.length === 0) fail(file, 'is empty');
  const header = records[0]!.record.map((h) => h.trim());
  header.forEach((h, i) => {
    if (h === '') fail(file, `header: column ${i + 1} has no name`);
    if (header.indexOf(h) !== i) fail(file, `header: column ${quote(h)} appears twice`);
  });
  const data = records.slice(1);
  if (data.length === 0) fail(file, 'has a header and no rows');
  const wanted = selectColumns(file, header, options);

  let sourceRows = Int32Array.from(data, (_, i) => i);
  const range = options.range;
  if (range) {
    const ci = header.indexOf(range.column);
    sourceRows = sourceRows.filter((i) => {
      const r = data[i]!;
      const v = parseCell(r.record[ci]!);
      if (v === undefined) fail(file, `column ${quote(range.column)}, row ${i + 1} (line ${r.info.lines}): ${quote(r.record[ci]!)} is not a number`);
      return v! >= range.from && v! <= range.to;
    });
  }
  const kept = Array.from(sourceRows, (i) => data[i]!);
  const where = (i: number) => (i < kept.length ? `row ${sourceRows[i]! + 1} (line ${kept[i]!.info.lines})` : `row ${i + 1}`);

  const columns = new Map<string, TableColumn>();
  for (const c of wanted) {
    const ci = header.indexOf(c);
    const values = new Float64Array(kept.length);
    let numeric = true;
    for (let i = 0; i < kept.length; i++) {
      const v = parseCell(kept[i]!.record[ci]!);
      if (v === undefined) {
        numeric = false;
        break;
      }
      values[i] = v;
    }
    if (numeric) columns.set(c, { type: 'number', values });
    else columns.set(c, { type: 'string', values: kept.map((r) => (MISSING.has(r.record[ci]!.trim()) ? null : r.record[ci]!.trim())) });
  }
  return { file, format: 'csv', rows: kept.length, names: wanted, columns, metadata: {}, sourceRows, where, rowGroups: { total: 1, read: 1 } };
}

/** A CSV without quotes, read as csv-parse reads it (BOM dropped, empty lines skipped, ragged rows refused). */
function splitPlainCsv(bytes: Buffer): Array<{ record: string[]; info: { lines: number } }> {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const out: Array<{ record: string[]; info: { lines: number } }> = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const record = line.split(',');
    if (out.length > 0 && record.length !== out[0]!.record.length) {
      throw new Error(`Invalid Record Length: expect ${out[0]!.record.length}, got ${record.length} on line ${i + 1}`);
    }
    out.push({ record, info: { lines: i + 1 } });
  }
  return out;
}

// ---------------------------------------------------------------- writing

export type WritableColumn = Float64Array | Float32Array | Int32Array | string[];

export interface WriteParquetOptions {
  /**
   * Rows per row group (default 100,000): the unit a range read skips. An array gives each group's size
   * in order (e.g. one group per month of a dataset), the last size repeating.
   */
  rowGroupSize?: number | number[];
  /** Key-value metadata kept in the footer (e.g. a feature list, build parameters, an input hash). */
  metadata?: Record<string, string>;
}

/**
 * Writes columns to a Parquet file, every column REQUIRED (NaN for a missing number), with min/max
 * statistics per row group. Written to a temporary file beside `path` and renamed: a reader never
 * sees half a file.
 */
export function writeParquet(path: string, columns: Record<string, WritableColumn>, options: WriteParquetOptions = {}): void {
  const entries = Object.entries(columns);
  if (entries.length === 0) throw new TableInputError(`${path}: no columns to write`);
  const rows = entries[0]![1].length;
  const columnData = entries.map(([name, data]) => {
    if (data.length !== rows) throw new TableInputError(`${path}: column ${quote(name)} has ${data.length} rows, ${quote(entries[0]![0])} has ${rows}`);
    if (Array.isArray(data)) {
      const bad = data.findIndex((v) => typeof v !== 'string');
      if (bad >= 0) throw new TableInputError(`${path}: column ${quote(name)}, row ${bad + 1}: ${String(data[bad])} is not a string (text columns are REQUIRED)`);
      return { name, data, type: 'STRING' as const, nullable: false };
    }
    const type = data instanceof Float64Array ? ('DOUBLE' as const) : data instanceof Float32Array ? ('FLOAT' as const) : ('INT32' as const);
    return { name, data, type, nullable: false };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    rowGroupSize: options.rowGroupSize ?? 100_000,
    kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${dirname(path)}/.${basename(path)}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, new Uint8Array(buffer));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------- labelled sets for training

export interface LabelledSet {
  file: string;
  rows: number;
  /** One Float64Array per feature, in `TrainingTables.features` order. */
  columns: Float64Array[];
  /** Class index per row (0..classes.length-1). */
  labels: Int32Array;
}

export interface TrainingTables {
  target: string;
  features: string[];
  /** The label of each class index, sorted (numbers numerically, text by code unit). */
  classes: Array<number | string>;
  train: LabelledSet;
  valid?: LabelledSet;
  test?: LabelledSet;
}

/**
 * The features (every train column but the target and the ignored ones) and class labels of train,
 * and the same columns of valid and test, which must have exactly those columns (in any order).
 */
export function labelTables(tables: { train: Table; valid?: Table; test?: Table }, spec: { target: string; ignore?: string[] }): TrainingTables {
  const { train } = tables;
  const ignore = new Set(spec.ignore ?? []);
  for (const c of ignore) if (!train.columns.has(c)) fail(train.file, `--ignore: no column ${quote(c)} (columns: ${train.names.join(', ')})`);
  if (ignore.has(spec.target)) fail(train.file, `--ignore: ${quote(spec.target)} is the target`);
  const others = (['valid', 'test'] as const).flatMap((k) => (tables[k] ? [tables[k]!] : []));
  for (const t of [train, ...others]) {
    if (!t.columns.has(spec.target)) fail(t.file, `--target: no column ${quote(spec.target)} (columns: ${t.names.join(', ')})`);
  }
  const features = train.names.filter((c) => c !== spec.target && !ignore.has(c));
  if (features.length === 0) fail(train.file, `no feature columns left besides the target ${quote(spec.target)} and --ignore`);
  for (const t of others) {
    const own = t.names.filter((c) => c !== spec.target && !ignore.has(c));
    const missing = features.find((c) => !own.includes(c));
    if (missing) fail(t.file, `column ${quote(missing)} of ${train.file} is missing (files must have the same feature columns)`);
    const extra = own.find((c) => !features.includes(c));
    if (extra) fail(t.file, `column ${quote(extra)} is not in ${train.file} (files must have the same feature columns; or --ignore it)`);
  }

  const classes = classesOf(train, spec.target);
  if (classes.length < 2) fail(train.file, `--target ${quote(spec.target)}: one class only (${quote(String(classes[0]))}); need at least two`);
  const index = new Map(classes.map((c, i) => [String(c), i]));
  const set = (t: Table): LabelledSet => ({
    file: t.file,
    rows: t.rows,
    columns: features.map((c) => numericColumn(t, c)),
    labels: labelsOf(t, spec.target, index, train.file),
  });
  return { target: spec.target, features, classes, train: set(train), ...(tables.valid ? { valid: set(tables.valid) } : {}), ...(tables.test ? { test: set(tables.test) } : {}) };
}

function numericColumn(t: Table, name: string): Float64Array {
  const col = t.columns.get(name)!;
  if (col.type === 'number') {
    const inf = col.values.findIndex((v) => v === Infinity || v === -Infinity);
    if (inf >= 0) fail(t.file, `column ${quote(name)}, ${t.where(inf)}: ${col.values[inf]} is not a finite number (leave a missing value empty or NaN)`);
    return col.values;
  }
  const bad = col.values.findIndex((v) => v !== null && parseCell(v) === undefined);
  return fail(t.file, `column ${quote(name)}, ${t.where(Math.max(bad, 0))}: ${quote(col.values[Math.max(bad, 0)] ?? '')} is not a number (features must be numeric; or --ignore it)`);
}

function classesOf(t: Table, target: string): Array<number | string> {
  const col = t.columns.get(target)!;
  if (col.type === 'number') {
    const seen = new Set<number>();
    col.values.forEach((v, i) => {
      if (Number.isNaN(v)) fail(t.file, `--target ${quote(target)}, ${t.where(i)}: the label is missing`);
      seen.add(v);
    });
    return [...seen].sort((a, b) => a - b);
  }
  const seen = new Set<string>();
  col.values.forEach((v, i) => {
    if (v === null) fail(t.file, `--target ${quote(target)}, ${t.where(i)}: the label is missing`);
    seen.add(v!);
  });
  return [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function labelsOf(t: Table, target: string, index: Map<string, number>, trainFile: string): Int32Array {
  const col = t.columns.get(target)!;
  const labels = new Int32Array(t.rows);
  for (let i = 0; i < t.rows; i++) {
    const v = col.values[i]!;
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) fail(t.file, `--target ${quote(target)}, ${t.where(i)}: the label is missing`);
    const k = index.get(String(v));
    if (k === undefined) fail(t.file, `--target ${quote(target)}, ${t.where(i)}: label ${quote(String(v))} is not a class of ${trainFile} (${[...index.keys()].join(', ')})`);
    labels[i] = k!;
  }
  return labels;
}

/** Row-major copy of a set's features ([rows × features]), as the predictors take them. */
export function rowMajor(set: Pick<LabelledSet, 'rows' | 'columns'>): Float64Array {
  const nf = set.columns.length;
  const out = new Float64Array(set.rows * nf);
  set.columns.forEach((col, f) => {
    for (let r = 0; r < set.rows; r++) out[r * nf + f] = col[r]!;
  });
  return out;
}
