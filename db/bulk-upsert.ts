/**
 * Bulk upsert through COPY. The rows (deduplicated by key, the last one winning) are written in
 * PostgreSQL's text COPY format straight into byte buffers, then:
 *
 *   - when no key of a sample of the batch exists in the target yet, COPY goes straight into the
 *     target (in a savepoint; a key that exists after all fails it with a unique violation, and the
 *     merge below runs instead): a first backfill loads at raw COPY speed;
 *   - otherwise COPY goes into a temporary staging table with the target's column types; the staged
 *     rows that exist unchanged are deleted from staging (a read of the target: no row lock, no WAL),
 *     and the rest merged with `INSERT INTO target SELECT ... FROM staging ON CONFLICT (key) DO UPDATE
 *     SET ... WHERE ROW(target cols) IS DISTINCT FROM ROW(excluded cols)`.
 *
 * - One transaction per call: with a pool (or a client outside a transaction) the call opens and
 *   commits its own; with a client already inside a transaction it works in a SAVEPOINT of that
 *   transaction, so the caller can commit several upserts (one backfill chunk) at once.
 * - An unchanged row is not rewritten (no new row version); `updated_at` and `ingested_at` keep their
 *   values, so re-running a backfill changes nothing.
 * - Columns that no row of the batch sets (typically `ingested_at`, `updated_at`) are not copied: a new
 *   row gets the column's default, an existing row keeps its value. The `touch` columns (`updated_at`)
 *   are set to now() only when a row really changed.
 * - Rows with the same key inside one batch: the last one wins.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { getTableColumns, is, SQL, type Column } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

const { from: copyFrom } = copyStreams;

/** A pool (the call takes a client and runs its own transaction) or a connected client. */
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export interface BulkUpsertOptions {
  /** Columns of the unique key to merge on (TS keys or SQL names); default: the primary key. */
  conflictTarget?: readonly string[];
  /** Columns overwritten when a row changed (TS keys or SQL names); default: every copied non-key column. */
  updateColumns?: readonly string[];
  /**
   * Columns set to now() when an existing row changes (new rows get their default); default:
   * `updated_at` when the table has one. Never compared, so they never make a row look changed.
   */
  touchColumns?: readonly string[];
}

export interface BulkUpsertResult {
  /** Rows given (duplicates included). */
  rows: number;
  inserted: number;
  updated: number;
  /** Rows whose key existed with the same values, and duplicates dropped inside the batch. */
  unchanged: number;
}

type Kind = 'text' | 'int' | 'float' | 'timestamp' | 'bool' | 'json' | 'other';

interface CopyColumn {
  key: string;
  name: string;
  kind: Kind;
  /** COPY text (already escaped) of a value of this column, for the kinds without a byte fast path. */
  toText: (value: unknown) => string;
  /** What a row that leaves this column undefined writes: COPY text, a per-row function, or an error. */
  whenUndefined: string | (() => string) | 'error';
}

const NULL_TEXT = '\\N';

/** Escapes a value for COPY's text format: backslash, tab, newline and carriage return. */
export function escapeCopyText(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

// ── byte writer ──────────────────────────────────────────────────────────────────────────────────

const DAY_MS = 86_400_000;

/**
 * Appends COPY text to a Buffer without building intermediate strings: integers digit by digit,
 * ASCII text byte by byte, timestamps from the epoch (the date part cached per day).
 */
export class CopyWriter {
  buf: Buffer;
  pos = 0;
  private lastDay = Number.NaN;
  private readonly dayPrefix = Buffer.alloc(11); // 'YYYY-MM-DDT'

  constructor(size = 1 << 18) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** The bytes written so far; the writer starts a new buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(1 << 18, this.buf.length));
    this.pos = 0;
    return out;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  nul(): void {
    this.ensure(2);
    this.buf[this.pos++] = 92; // \N
    this.buf[this.pos++] = 78;
  }

  /** A string that is already COPY text (escaped). */
  raw(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A string, escaped. */
  text(s: string): void {
    const n = s.length;
    this.ensure(n * 2);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.pos = p;
        this.raw(escapeCopyText(s.slice(i)));
        return;
      }
      if (c === 92 || c === 9 || c === 10 || c === 13) {
        buf[p++] = 92;
        buf[p++] = c === 92 ? 92 : c === 9 ? 116 : c === 10 ? 110 : 114;
      } else buf[p++] = c;
    }
    this.pos = p;
  }

  /** A number: integers digit by digit, everything else in JS's shortest round-trip form. */
  num(v: number): void {
    if ((v | 0) === v) {
      // int32 (the common case): integer arithmetic only
      this.ensure(11);
      const buf = this.buf;
      let p = this.pos;
      if (v < 0) {
        buf[p++] = 45;
        v = -v;
      }
      const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
      p += digits;
      this.pos = p;
      do {
        const q = (v / 10) | 0;
        buf[--p] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    // NaN, Infinity, -Infinity, fractions, large integers and exponents, as PostgreSQL reads them
    this.raw(String(v));
  }

  private two(n: number): void {
    const q = (n / 10) | 0;
    this.buf[this.pos++] = 48 + q;
    this.buf[this.pos++] = 48 + (n - q * 10);
  }

  /** An instant as 'YYYY-MM-DDTHH:MM:SS.mmmZ' (UTC), exactly what Date#toISOString writes. */
  timestamp(ms: number): void {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.lastDay) {
      const iso = new Date(day * DAY_MS).toISOString();
      if (iso.length !== 24) {
        this.raw(new Date(ms).toISOString()); // years outside 0000–9999: let PostgreSQL judge
        return;
      }
      this.dayPrefix.write(iso.slice(0, 11), 'latin1');
      this.lastDay = day;
    }
    this.ensure(24);
    this.dayPrefix.copy(this.buf, this.pos);
    this.pos += 11;
    let rest = ms - day * DAY_MS;
    const h = (rest / 3_600_000) | 0;
    rest -= h * 3_600_000;
    const m = (rest / 60_000) | 0;
    rest -= m * 60_000;
    const s = (rest / 1000) | 0;
    const milli = rest - s * 1000;
    this.two(h);
    this.buf[this.pos++] = 58;
    this.two(m);
    this.buf[this.pos++] = 58;
    this.two(s);
    this.buf[this.pos++] = 46;
    this.buf[this.pos++] = 48 + ((milli / 100) | 0);
    this.two(milli % 100);
    this.buf[this.pos++] = 90;
  }
}

// ── column plans ─────────────────────────────────────────────────────────────────────────────────

function kindOf(column: Column): Kind {
  switch (column.columnType) {
    case 'PgText':
    case 'PgVarchar':
    case 'PgChar':
    case 'PgDateString':
    case 'PgUUID':
      return 'text';
    case 'PgInteger':
    case 'PgSmallInt':
    case 'PgBigInt53':
    case 'PgSerial':
    case 'PgSmallSerial':
    case 'PgBigSerial53':
      return 'int';
    case 'PgDoublePrecision':
    case 'PgReal':
    case 'PgNumericNumber':
      return 'float';
    case 'PgTimestamp':
      return 'timestamp';
    case 'PgBoolean':
      return 'bool';
    case 'PgJson':
    case 'PgJsonb':
      return 'json';
    default:
      return 'other';
  }
}

/** The general (slow) path of every kind: COPY text of one value. */
function toTextFor(column: Column, kind: Kind): (v: unknown) => string {
  const where = `column ${column.name}`;
  switch (kind) {
    case 'text':
      return (v) => escapeCopyText(typeof v === 'string' ? v : String(v));
    case 'int':
    case 'float':
      return (v) => {
        if (typeof v === 'number' || typeof v === 'bigint') return String(v);
        if (typeof v === 'string') return escapeCopyText(v);
        throw new TypeError(`${where}: expected a number, got ${typeof v}`);
      };
    case 'timestamp':
      return (v) => {
        if (v instanceof Date) {
          if (Number.isNaN(v.getTime())) throw new TypeError(`${where}: invalid Date`);
          return v.toISOString();
        }
        if (typeof v === 'string') return escapeCopyText(v);
        throw new TypeError(`${where}: expected a Date, got ${typeof v}`);
      };
    case 'bool':
      return (v) => (v ? 't' : 'f');
    case 'json':
      return (v) => escapeCopyText(JSON.stringify(v));
    case 'other':
      // Arrays, Date-mode dates, enums, ...: the column's own driver mapping.
      return (v) => {
        const mapped = column.mapToDriverValue(v) as unknown;
        if (mapped === null || mapped === undefined) return NULL_TEXT;
        if (mapped instanceof Date) return mapped.toISOString();
        if (typeof mapped === 'object') return escapeCopyText(JSON.stringify(mapped));
        return escapeCopyText(String(mapped));
      };
  }
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface TableInfo {
  qualified: string;
  columns: Array<{ key: string; name: string; column: Column }>;
  primaryKey: string[];
}

const tableInfoCache = new WeakMap<PgTable, TableInfo>();

/** Schema-qualified name, columns (TS key -> SQL name) and primary key of a drizzle table. */
export function tableInfo(table: PgTable): TableInfo {
  let info = tableInfoCache.get(table);
  if (info) return info;
  const config = getTableConfig(table);
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, column: column as Column }));
  const composite = config.primaryKeys[0]?.columns.map((c) => c.name);
  const primaryKey = composite ?? columns.filter((c) => c.column.primary).map((c) => c.name);
  info = { qualified: `${config.schema ? `${ident(config.schema)}.` : ''}${ident(config.name)}`, columns, primaryKey };
  tableInfoCache.set(table, info);
  return info;
}

function resolveNames(info: TableInfo, names: readonly string[], what: string): string[] {
  return names.map((n) => {
    const col = info.columns.find((c) => c.key === n || c.name === n);
    if (!col) throw new Error(`bulkUpsert ${info.qualified}: unknown ${what} column ${JSON.stringify(n)}`);
    return col.name;
  });
}

interface Plan {
  copy: CopyColumn[];
  /** SQL names of the conflict key and their TS keys. */
  key: string[];
  keyProps: string[];
  update: string[];
  touch: string[];
}

type AnyRow = Record<string, unknown>;

function planColumns(info: TableInfo, rows: ReadonlyArray<AnyRow>, opts: BulkUpsertOptions): Plan {
  const key = opts.conflictTarget ? resolveNames(info, opts.conflictTarget, 'conflict target') : info.primaryKey;
  if (key.length === 0) throw new Error(`bulkUpsert ${info.qualified}: the table has no primary key; pass conflictTarget`);
  const touch = opts.touchColumns
    ? resolveNames(info, opts.touchColumns, 'touch')
    : info.columns.filter((c) => c.name === 'updated_at').map((c) => c.name);

  // A column is copied when some row sets it (key columns always).
  const present = new Set<string>();
  for (const { key: k } of info.columns) {
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]![k] !== undefined) {
        present.add(k);
        break;
      }
    }
  }
  const copy: CopyColumn[] = [];
  for (const { key: k, name, column } of info.columns) {
    if (!present.has(k) && !key.includes(name)) continue;
    const identity = (column as unknown as { generatedIdentity?: { type?: string } }).generatedIdentity;
    if (identity?.type === 'always') continue;
    const kind = kindOf(column);
    const toText = toTextFor(column, kind);
    let whenUndefined: CopyColumn['whenUndefined'] = NULL_TEXT;
    if (column.defaultFn) {
      const fn = column.defaultFn;
      whenUndefined = () => {
        const v = fn() as unknown;
        if (is(v, SQL)) throw new Error(`bulkUpsert ${info.qualified}: ${name} has an SQL default function; set it in every row or in none`);
        return v === null || v === undefined ? NULL_TEXT : toText(v);
      };
    } else if (column.hasDefault && column.default !== undefined) {
      whenUndefined = is(column.default, SQL) ? 'error' : column.default === null ? NULL_TEXT : toText(column.default);
    }
    copy.push({ key: k, name, kind, toText, whenUndefined });
  }
  const keyProps = key.map((n) => {
    const c = copy.find((x) => x.name === n);
    if (!c) throw new Error(`bulkUpsert ${info.qualified}: key column ${n} cannot be copied`);
    return c.key;
  });
  const copied = copy.map((c) => c.name);
  const update = opts.updateColumns
    ? resolveNames(info, opts.updateColumns, 'update')
    : copied.filter((n) => !key.includes(n) && !touch.includes(n));
  for (const n of update) {
    if (!copied.includes(n)) throw new Error(`bulkUpsert ${info.qualified}: update column ${n} is not set by any row`);
  }
  return { copy, key, keyProps, update, touch: touch.filter((n) => !copied.includes(n)) };
}

// ── serialisation ────────────────────────────────────────────────────────────────────────────────

/** Serialises rows from `start` until the writer holds `limit` bytes or `end`; returns the next index. */
type RowsWriter = (w: CopyWriter, rows: ReadonlyArray<AnyRow>, start: number, end: number, limit: number) => number;

const writerCache = new WeakMap<CopyColumn[], RowsWriter>();

/**
 * A function compiled once per column plan: the hot loop reads each property by name and calls the
 * writer's method for the column's kind, with no per-value closures or intermediate strings.
 */
function rowsWriter(copy: CopyColumn[], table: string): RowsWriter {
  const cached = writerCache.get(copy);
  if (cached) return cached;
  const lines = copy.map((col, j) => {
    const fast =
      col.kind === 'text'
        ? `if (typeof v === 'string') w.text(v); else w.raw(T[${j}](v));`
        : col.kind === 'int' || col.kind === 'float'
          ? `if (typeof v === 'number') w.num(v); else w.raw(T[${j}](v));`
          : col.kind === 'timestamp'
            ? `if (v instanceof Date && v.getTime() === v.getTime()) w.timestamp(v.getTime()); else w.raw(T[${j}](v));`
            : col.kind === 'bool'
              ? `w.byte(v ? 116 : 102);`
              : `w.raw(T[${j}](v));`;
    const sep = j === copy.length - 1 ? 10 : 9;
    return `v = r[${JSON.stringify(col.key)}]; if (v === null) w.nul(); else if (v === undefined) w.raw(U(${j}, i)); else { ${fast} } w.byte(${sep});`;
  });
  const body = `return function writeRows(w, rows, start, end, limit) {
    let i = start;
    for (; i < end && w.pos < limit; i++) {
      const r = rows[i];
      let v;
      ${lines.join('\n      ')}
    }
    return i;
  };`;
  const T = copy.map((c) => c.toText);
  const U = (j: number, i: number): string => {
    const col = copy[j]!;
    const u = col.whenUndefined;
    if (u === 'error') {
      throw new Error(`bulkUpsert ${table}: row ${i} leaves ${col.name} undefined while other rows set it (its default is SQL); set it in every row or in none`);
    }
    return typeof u === 'string' ? u : u();
  };
  const fn = new Function('T', 'U', body)(T, U) as RowsWriter;
  writerCache.set(copy, fn);
  return fn;
}

/** COPY text of the rows, as buffers of about `chunkBytes` each. */
function* copyChunks(rows: ReadonlyArray<AnyRow>, plan: Plan, table: string, chunkBytes = 1 << 18): Generator<Buffer> {
  const write = rowsWriter(plan.copy, table);
  const w = new CopyWriter(chunkBytes + (chunkBytes >> 2));
  let i = 0;
  while (i < rows.length) {
    i = write(w, rows, i, rows.length, chunkBytes);
    yield w.take();
  }
}

/** The rows without earlier duplicates of a key (the last row of a key wins, in its position). */
function dedupe(rows: ReadonlyArray<AnyRow>, plan: Plan): ReadonlyArray<AnyRow> {
  const props = plan.keyProps;
  if (!mayHaveDuplicateKeys(rows, props)) return rows;
  const keyOf =
    props.length === 1
      ? (r: AnyRow) => keyPart(r[props[0]!])
      : (r: AnyRow) => {
          let k = '';
          for (const p of props) k += `${keyPart(r[p])}\u0001`;
          return k;
        };
  const last = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) last.set(keyOf(rows[i]!), i);
  if (last.size === rows.length) return rows;
  return rows.filter((r, i) => last.get(keyOf(r)) === i);
}

// 32-bit hashes of key values. Strings repeat across a batch (tickers, stations): each distinct one
// is hashed once per call.
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function hashValue(v: unknown, strings: Map<string, number>): number {
  if (typeof v === 'string') {
    let h = strings.get(v);
    if (h === undefined) strings.set(v, (h = hashString(v)));
    return h;
  }
  if (typeof v === 'number' && (v | 0) === v) return v;
  if (v instanceof Date) {
    const t = v.getTime();
    return (t | 0) ^ ((t / 4294967296) | 0);
  }
  return hashString(keyPart(v));
}

function sameKey(a: AnyRow, b: AnyRow, props: readonly string[]): boolean {
  for (const p of props) {
    const x = a[p];
    const y = b[p];
    if (x === y) continue;
    if (typeof x === 'object' || typeof y === 'object' || typeof x !== typeof y) {
      if (keyPart(x) !== keyPart(y)) return false;
    } else return false;
  }
  return true;
}

/**
 * Whether two rows of the batch may share a key: an open-addressing table of row indexes by key hash,
 * comparing the rows themselves on a hash match. False is exact; true sends the batch through the
 * Map over key strings, which cost as much as serialising the batch (50k candles: ~50 ms vs ~60 ms)
 * and is needed only when a batch does repeat a key.
 */
export function mayHaveDuplicateKeys(rows: ReadonlyArray<AnyRow>, props: readonly string[]): boolean {
  const n = rows.length;
  if (n < 2) return false;
  let size = 1;
  while (size < n * 2) size <<= 1;
  const mask = size - 1;
  const slots = new Int32Array(size); // row index + 1; 0 = empty
  const strings = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    let h = 0x9e3779b9;
    for (const p of props) h = Math.imul(h ^ hashValue(r[p], strings), 0x85ebca6b) ^ (h >>> 15);
    h ^= h >>> 13;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const j = slots[slot]!;
      if (j === 0) {
        slots[slot] = i + 1;
        break;
      }
      if (sameKey(rows[j - 1]!, r, props)) return true;
    }
  }
  return false;
}

function keyPart(v: unknown): string {
  if (v instanceof Date) return String(v.getTime());
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? 'undefined';
}

// ── the upsert ───────────────────────────────────────────────────────────────────────────────────

function isPool(q: Queryable): q is pg.Pool {
  return q instanceof pg.Pool || ('totalCount' in q && 'idleCount' in q);
}

let stagingCounter = 0;

/**
 * Upserts `rows` (insert rows of `table`, as drizzle infers them) and returns how many were inserted,
 * updated or left unchanged.
 */
export async function bulkUpsert<T extends PgTable>(
  target: Queryable,
  table: T,
  rows: ReadonlyArray<T['$inferInsert']>,
  opts: BulkUpsertOptions = {},
): Promise<BulkUpsertResult> {
  if (rows.length === 0) return { rows: 0, inserted: 0, updated: 0, unchanged: 0 };
  if (isPool(target)) {
    const client = await target.connect();
    try {
      return await bulkUpsert(client, table, rows, opts);
    } finally {
      client.release();
    }
  }
  const client = target;
  const info = tableInfo(table);
  const all = rows as ReadonlyArray<AnyRow>;
  const plan = planColumns(info, all, opts);
  const unique = dedupe(all, plan);

  // Inside the caller's transaction: a savepoint. Outside one, SAVEPOINT fails (25P01) without harm
  // and the call runs its own transaction.
  let own = false;
  try {
    await client.query('SAVEPOINT bulk_upsert');
  } catch (err) {
    if ((err as { code?: string }).code !== '25P01') throw err;
    own = true;
    await client.query('BEGIN');
  }
  try {
    // Inside the caller's transaction, the savepoint just taken also undoes a failed direct COPY (the
    // probe before it only reads): one savepoint, two round trips fewer per table and chunk.
    const { inserted, updated } = await stageAndMerge(client, info, plan, unique, own ? undefined : 'bulk_upsert');
    await client.query(own ? 'COMMIT' : 'RELEASE SAVEPOINT bulk_upsert');
    return { rows: rows.length, inserted, updated, unchanged: rows.length - inserted - updated };
  } catch (err) {
    if (own) await client.query('ROLLBACK').catch(() => undefined);
    else await client.query('ROLLBACK TO SAVEPOINT bulk_upsert; RELEASE SAVEPOINT bulk_upsert').catch(() => undefined);
    throw err;
  }
}

/**
 * Keys probed before choosing the direct COPY (evenly spaced, first and last included). A batch whose
 * existing keys the sample misses loses its direct COPY (rolled back: dead tuples until vacuum) and is
 * merged instead; 64 index probes in one query cost about a millisecond and make that rarer than 16 did.
 */
const PROBE_KEYS = 64;

/**
 * Whether some of a sample of the batch's keys exist in the target (one index probe each; a LATERAL
 * subquery with LIMIT keeps the plan a nested loop however large the target is). Only a hint: a key
 * outside the sample that exists makes the direct COPY fail with a unique violation, and the merge runs.
 */
async function sampleKeysExist(client: pg.PoolClient | pg.Client, info: TableInfo, plan: Plan, rows: ReadonlyArray<AnyRow>): Promise<boolean> {
  const n = rows.length;
  const picks = [...new Set(Array.from({ length: Math.min(PROBE_KEYS, n) }, (_, k) => Math.round((k * (n - 1)) / Math.max(1, Math.min(PROBE_KEYS, n) - 1))))];
  const arrays = plan.keyProps.map((p) => {
    const col = plan.copy.find((c) => c.key === p)!;
    return picks.map((i) => {
      const v = rows[i]![p];
      return v instanceof Date ? v.toISOString() : col.kind === 'json' ? JSON.stringify(v) : v;
    });
  });
  const types = plan.key.map((n) => info.columns.find((c) => c.name === n)!.column.getSQLType());
  const aliases = plan.key.map((_, i) => `k${i}`);
  const sql =
    `SELECT 1 FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS k(${aliases.join(', ')}), ` +
    `LATERAL (SELECT 1 FROM ${info.qualified} AS t WHERE ${plan.key.map((n, i) => `t.${ident(n)} = k.${aliases[i]}`).join(' AND ')} LIMIT 1) AS hit LIMIT 1`;
  const res = await client.query(sql, arrays);
  return (res.rowCount ?? 0) > 0;
}

async function copyInto(client: pg.PoolClient | pg.Client, table: string, plan: Plan, rows: ReadonlyArray<AnyRow>, label: string): Promise<void> {
  const cols = plan.copy.map((c) => ident(c.name)).join(', ');
  await pipeline(Readable.from(copyChunks(rows, plan, label)), client.query(copyFrom(`COPY ${table} (${cols}) FROM STDIN`)));
}

async function stageAndMerge(
  client: pg.PoolClient | pg.Client,
  info: TableInfo,
  plan: Plan,
  rows: ReadonlyArray<AnyRow>,
  /** A savepoint taken right before this call, with nothing written since: it undoes a failed COPY. */
  fresh?: string,
): Promise<{ inserted: number; updated: number }> {
  // Fast path: no sampled key exists yet (a first backfill), so COPY goes straight into the target. A
  // key that does exist (outside the sample, or inserted meanwhile by another session) fails the COPY
  // with a unique violation (23505); then the merge below runs.
  if (!(await sampleKeysExist(client, info, plan, rows))) {
    if (!fresh) await client.query('SAVEPOINT bulk_upsert_copy');
    try {
      await copyInto(client, info.qualified, plan, rows, info.qualified);
      if (!fresh) await client.query('RELEASE SAVEPOINT bulk_upsert_copy');
      return { inserted: rows.length, updated: 0 };
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      // Back to the state before the COPY; the savepoint stays for the merge's own failure handling.
      await client.query(fresh ? `ROLLBACK TO SAVEPOINT ${fresh}` : 'ROLLBACK TO SAVEPOINT bulk_upsert_copy; RELEASE SAVEPOINT bulk_upsert_copy');
    }
  }

  const staging = `_bulk_upsert_${process.pid}_${++stagingCounter}`;
  const cols = plan.copy.map((c) => ident(c.name)).join(', ');
  // The target's column types, no constraints or defaults; temporary: never WAL-logged, dropped at commit.
  await client.query(`CREATE TEMP TABLE ${staging} ON COMMIT DROP AS SELECT ${cols} FROM ${info.qualified} WITH NO DATA`);
  await copyInto(client, staging, plan, rows, info.qualified);
  if (plan.update.length > 0) {
    // Rows whose key exists with the same values leave staging first: the merge below would lock each
    // of them (and WAL-log the lock) without changing it, so an unchanged re-run wrote about as much
    // WAL as the first load. Reading the target takes no lock. A nested loop over the primary key
    // keeps this one probe per staged row however large the target (a hash join would scan it all).
    const key = plan.key.map((n) => `t.${ident(n)} = s.${ident(n)}`).join(' AND ');
    const same = `ROW(${plan.update.map((n) => `t.${ident(n)}`).join(', ')}) IS NOT DISTINCT FROM ROW(${plan.update.map((n) => `s.${ident(n)}`).join(', ')})`;
    await client.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    await client.query(`DELETE FROM ${staging} AS s USING ${info.qualified} AS t WHERE ${key} AND ${same}`);
    await client.query('RESET enable_hashjoin; RESET enable_mergejoin');
  }
  const changed = `ROW(${plan.update.map((n) => `t.${ident(n)}`).join(', ')}) IS DISTINCT FROM ROW(${plan.update.map((n) => `EXCLUDED.${ident(n)}`).join(', ')})`;
  const sets = [...plan.update.map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`), ...plan.touch.map((n) => `${ident(n)} = now()`)];
  // A row found unchanged only now (another session wrote it meanwhile) fails the WHERE: not rewritten.
  const conflict = plan.update.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')} WHERE ${changed}`;
  const res = await client.query<{ inserted: number; updated: number }>(`
    WITH up AS (
      INSERT INTO ${info.qualified} AS t (${cols}) SELECT ${cols} FROM ${staging}
      ON CONFLICT (${plan.key.map(ident).join(', ')}) ${conflict}
      RETURNING (xmax = 0) AS ins
    ) SELECT count(*) FILTER (WHERE ins)::int AS inserted, count(*) FILTER (WHERE NOT ins)::int AS updated FROM up`);
  await client.query(`DROP TABLE ${staging}`);
  return { inserted: res.rows[0]?.inserted ?? 0, updated: res.rows[0]?.updated ?? 0 };
}

/**
 * The COPY text bulkUpsert would stream for these rows, and its column list (the benchmark's raw COPY
 * uses it, so that both paths load identical bytes).
 */
export function copyTextFor<T extends PgTable>(table: T, rows: ReadonlyArray<T['$inferInsert']>, opts: BulkUpsertOptions = {}): { columns: string[]; chunks: () => Generator<Buffer> } {
  const info = tableInfo(table);
  const plan = planColumns(info, rows as ReadonlyArray<AnyRow>, opts);
  return { columns: plan.copy.map((c) => c.name), chunks: () => copyChunks(rows as ReadonlyArray<AnyRow>, plan, info.qualified) };
}
