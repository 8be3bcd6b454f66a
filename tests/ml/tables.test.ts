/**
 * ml/tables.ts on real files: Parquet written by hyparquet-writer (ours and its nullable defaults) and
 * CSV text as users write it; typed columns with NaN for missing values, the row-group-pruned range
 * read, and the one-line errors naming file, column and row.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { labelTables, readTable, rowMajor, TableInputError, writeParquet, type Table } from '../../ml/tables';

const dir = mkdtempSync(join(tmpdir(), 'wx-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const csv = (name: string, text: string) => {
  writeFileSync(path(name), text);
  return path(name);
};

async function refused(promise: Promise<unknown> | (() => unknown), message: RegExp): Promise<string> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a TableInputError').toBeInstanceOf(TableInputError);
  const text = (error as Error).message;
  expect(text.split('\n')).toHaveLength(1);
  expect(text).toMatch(message);
  return text;
}

const num = (t: Table, c: string) => {
  const col = t.columns.get(c)!;
  expect(col.type).toBe('number');
  return Array.from(col.values as Float64Array);
};

describe('Parquet', () => {
  it('round-trips REQUIRED typed columns with NaN, text and key-value metadata', async () => {
    const x = Float64Array.from([0.5, NaN, -2, 1e-300, 7]);
    const d = Int32Array.from([20000, 20001, 20002, 20003, 20004]);
    const f = Float32Array.from([1.5, 2.5, NaN, 4, 5]);
    const s = ['b', 'a', 'c', 'a', 'b'];
    writeParquet(path('rt.parquet'), { x, d, f, s }, { rowGroupSize: 2, metadata: { features: 'x,d,f' } });
    const t = await readTable(path('rt.parquet'));
    expect(t.format).toBe('parquet');
    expect(t.rows).toBe(5);
    expect(t.names).toEqual(['x', 'd', 'f', 's']);
    expect(num(t, 'x')).toEqual(Array.from(x));
    expect(num(t, 'd')).toEqual(Array.from(d));
    expect(num(t, 'f')).toEqual(Array.from(f));
    expect(t.columns.get('s')).toEqual({ type: 'string', values: s });
    expect(t.metadata.features).toBe('x,d,f');
    expect(t.rowGroups).toEqual({ total: 3, read: 3 });
    // Written via a temporary file and renamed: nothing else is left beside it.
    expect(readdirSync(dir).filter((n) => n.includes('rt.parquet'))).toEqual(['rt.parquet']);
  });

  it('reads nullable columns (hyparquet-writer defaults) with null as NaN, INT64 and booleans as numbers', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'a', data: [1, null, 3], type: 'DOUBLE' },
        { name: 'b', data: [10n, 20n, null], type: 'INT64' },
        { name: 'c', data: [true, false, null], type: 'BOOLEAN' },
        { name: 'label', data: ['yes', null, 'no'], type: 'STRING' },
      ],
    });
    writeFileSync(path('nullable.parquet'), new Uint8Array(buf));
    const t = await readTable(path('nullable.parquet'));
    expect(num(t, 'a')).toEqual([1, NaN, 3]);
    expect(num(t, 'b')).toEqual([10, 20, NaN]);
    expect(num(t, 'c')).toEqual([1, 0, NaN]);
    expect(t.columns.get('label')).toEqual({ type: 'string', values: ['yes', null, 'no'] });
  });

  it('a range on an int32 date column reads only the row groups whose statistics overlap it', async () => {
    const n = 1000;
    const day = Int32Array.from({ length: n }, (_, i) => 19000 + i);
    const v = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i * 0.25));
    writeParquet(path('days.parquet'), { day, v }, { rowGroupSize: 100 });
    const full = await readTable(path('days.parquet'));
    expect(full.rowGroups).toEqual({ total: 10, read: 10 });
    const from = 19250;
    const to = 19420;
    const part = await readTable(path('days.parquet'), { columns: ['v'], range: { column: 'day', from, to } });
    // Groups 2, 3 and 4 (rows 200..499) hold days 19250..19420.
    expect(part.rowGroups).toEqual({ total: 10, read: 3 });
    const keep = Array.from(full.columns.get('day')!.values as Float64Array).map((d) => d >= from && d <= to);
    expect(part.rows).toBe(keep.filter(Boolean).length);
    expect(num(part, 'v')).toEqual(num(full, 'v').filter((_, i) => keep[i]));
    expect(part.names).toEqual(['v']);
    // Messages still name the row of the file.
    expect(part.where(0)).toBe('row 251');
  });

  it('refuses an empty file, a corrupt one, a file without rows, an unknown column and a JSON column', async () => {
    writeFileSync(path('empty.parquet'), '');
    await refused(readTable(path('empty.parquet')), /empty\.parquet: is empty$/);
    writeFileSync(path('garbage.parquet'), 'a,b\n1,2\n');
    await refused(readTable(path('garbage.parquet')), /garbage\.parquet: is not a Parquet file \(no PAR1 magic bytes\)$/);
    writeParquet(path('whole.parquet'), { x: Float64Array.from([1, 2, 3]) });
    const whole = new Uint8Array(readFileSync(path('whole.parquet')));
    writeFileSync(path('cut.parquet'), whole.subarray(0, whole.length - 12));
    await refused(readTable(path('cut.parquet')), /cut\.parquet: is not a readable Parquet file/);
    writeParquet(path('norows.parquet'), { x: new Float64Array(0) });
    await refused(readTable(path('norows.parquet')), /norows\.parquet: has no rows$/);
    await refused(readTable(path('whole.parquet'), { columns: ['y'] }), /whole\.parquet: no column "y" \(columns: x\)$/);
    await refused(readTable(path('missing.parquet')), /missing\.parquet: cannot be read \(ENOENT\)$/);
    // hyparquet-writer stores arrays as a JSON column.
    const json = parquetWriteBuffer({ columnData: [{ name: 'l', data: [[1, 2], [3]] }] });
    writeFileSync(path('json.parquet'), new Uint8Array(json));
    await refused(readTable(path('json.parquet')), /json\.parquet: column "l", row 1: a value of type Array is not a number$/);
  });

  it('names the compression codec it cannot read (ZSTD, the polars default)', async () => {
    // The bytes are not really zstd: the reader must refuse on the codec in the metadata, before decoding.
    const buf = parquetWriteBuffer({ columnData: [{ name: 'x', data: Float64Array.from([1, 2]), type: 'DOUBLE', nullable: false }], codec: 'ZSTD', compressors: { ZSTD: (b: Uint8Array) => b } });
    writeFileSync(path('zstd.parquet'), new Uint8Array(buf));
    await refused(readTable(path('zstd.parquet')), /zstd\.parquet: uses ZSTD compression; this reader takes SNAPPY or UNCOMPRESSED Parquet/);
  });

  it('writeParquet refuses columns of different lengths and non-string text', async () => {
    await refused(() => writeParquet(path('bad.parquet'), { a: new Float64Array(3), b: new Int32Array(2) }), /column "b" has 2 rows, "a" has 3/);
    await refused(() => writeParquet(path('bad.parquet'), { s: ['a', null as unknown as string] }), /column "s", row 2: null is not a string/);
  });
});

describe('CSV', () => {
  it('parses numbers, every missing spelling as NaN, text columns, a BOM and quoted fields', async () => {
    const file = csv('a.csv', '\uFEFFx,y,name\n1.5,NA,"b, c"\n,2e3,a\nnull,-.5,\nNaN,N/A,z\n');
    const t = await readTable(file);
    expect(t.format).toBe('csv');
    expect(t.rows).toBe(4);
    expect(num(t, 'x')).toEqual([1.5, NaN, NaN, NaN]);
    expect(num(t, 'y')).toEqual([NaN, 2000, -0.5, NaN]);
    expect(t.columns.get('name')).toEqual({ type: 'string', values: ['b, c', 'a', null, 'z'] });
    expect(t.where(2)).toBe('row 3 (line 4)');
  });

  it('a file without quotes (split directly) reads exactly as csv-parse reads it', async () => {
    const body = 'x,y,s\r\n1,2,a\r\n\r\n,NA,b\r\n-3e2, 4 ,c\r\n';
    const plain = await readTable(csv('plain.csv', `\uFEFF${body}`));
    // One quoted header cell sends the same rows through csv-parse.
    const quoted = await readTable(csv('quoted.csv', `\uFEFF"x"${body.slice(1)}`));
    expect(plain.rows).toBe(3);
    expect(plain.columns).toEqual(quoted.columns);
    expect([0, 1, 2].map((i) => plain.where(i))).toEqual([0, 1, 2].map((i) => quoted.where(i)));
    expect(plain.where(2)).toBe('row 3 (line 5)');
    expect(num(plain, 'y')).toEqual([2, NaN, 4]);
    await refused(readTable(csv('rag2.csv', 'a,b\r\n1,2\r\n3\r\n')), /rag2\.csv: is not valid CSV: Invalid Record Length: expect 2, got 1 on line 3$/);
  });

  it('a range filter keeps the rows inside it', async () => {
    const t = await readTable(csv('r.csv', 'day,v\n1,10\n2,20\n3,30\n4,40\n'), { range: { column: 'day', from: 2, to: 3 } });
    expect(num(t, 'v')).toEqual([20, 30]);
    expect(t.where(0)).toBe('row 2 (line 3)');
  });

  it('refuses an empty file, a header without rows, a ragged row, a duplicate or blank header', async () => {
    await refused(readTable(csv('e.csv', '')), /e\.csv: is empty$/);
    await refused(readTable(csv('h.csv', 'a,b\n')), /h\.csv: has a header and no rows$/);
    await refused(readTable(csv('rag.csv', 'a,b\n1,2\n3\n')), /rag\.csv: is not valid CSV: Invalid Record Length: expect 2, got 1 on line 3$/);
    await refused(readTable(csv('dup.csv', 'a,a\n1,2\n')), /dup\.csv: header: column "a" appears twice$/);
    await refused(readTable(csv('blank.csv', 'a,,c\n1,2,3\n')), /blank\.csv: header: column 2 has no name$/);
  });
});

describe('labelTables', () => {
  const tables = async (files: Record<string, string>) => {
    const out: Record<string, Table> = {};
    for (const [k, text] of Object.entries(files)) out[k] = await readTable(csv(`${k}-${Math.random().toString(36).slice(2)}.csv`, text));
    return out as { train: Table; valid?: Table; test?: Table };
  };

  it('text labels become class indices in sorted order; valid columns may come in another order', async () => {
    const t = await tables({ train: 'f1,f2,y,id\n1,2,dog,1\n3,NA,cat,2\n5,6,emu,3\n', valid: 'id,y,f2,f1\n9,emu,7,8\n' });
    const l = labelTables(t, { target: 'y', ignore: ['id'] });
    expect(l.features).toEqual(['f1', 'f2']);
    expect(l.classes).toEqual(['cat', 'dog', 'emu']);
    expect(Array.from(l.train.labels)).toEqual([1, 0, 2]);
    expect(Array.from(l.valid!.labels)).toEqual([2]);
    expect(Array.from(l.valid!.columns[0]!)).toEqual([8]);
    expect(Array.from(rowMajor(l.train))).toEqual([1, 2, 3, NaN, 5, 6]);
  });

  it('an infinite feature value (possible in Parquet) is refused naming its row', async () => {
    writeParquet(path('inf.parquet'), { x: Float64Array.from([1, 2, -Infinity]), y: Int32Array.from([0, 1, 0]) });
    await refused(async () => labelTables({ train: await readTable(path('inf.parquet')) }, { target: 'y' }), /inf\.parquet: column "x", row 3: -Infinity is not a finite number/);
  });

  it('numeric labels sort numerically (10 after 9)', async () => {
    const l = labelTables(await tables({ train: 'x,y\n1,10\n2,9\n3,10\n' }), { target: 'y' });
    expect(l.classes).toEqual([9, 10]);
    expect(Array.from(l.train.labels)).toEqual([1, 0, 1]);
  });

  it('names file, column and row of every bad input', async () => {
    const ok = 'x,y\n1,a\n2,b\n';
    await refused(async () => labelTables(await tables({ train: ok }), { target: 'z' }), /train-\w+\.csv: --target: no column "z" \(columns: x, y\)$/);
    await refused(async () => labelTables(await tables({ train: ok, test: 'x,label\n1,a\n' }), { target: 'y' }), /test-\w+\.csv: --target: no column "y"/);
    await refused(async () => labelTables(await tables({ train: ok }), { target: 'y', ignore: ['w'] }), /--ignore: no column "w"/);
    await refused(async () => labelTables(await tables({ train: 'x,y\n1,a\n2,a\n' }), { target: 'y' }), /--target "y": one class only \("a"\); need at least two$/);
    await refused(async () => labelTables(await tables({ train: 'x,y\n1,a\nabc,b\n' }), { target: 'y' }), /train-\w+\.csv: column "x", row 2 \(line 3\): "abc" is not a number/);
    await refused(async () => labelTables(await tables({ train: 'x,y\n1,a\n2,\n' }), { target: 'y' }), /--target "y", row 2 \(line 3\): the label is missing$/);
    await refused(async () => labelTables(await tables({ train: ok, valid: 'y\na\n' }), { target: 'y' }), /valid-\w+\.csv: column "x" of .*train-\w+\.csv is missing/);
    await refused(async () => labelTables(await tables({ train: ok, valid: 'x,w,y\n1,2,a\n' }), { target: 'y' }), /valid-\w+\.csv: column "w" is not in .*train-\w+\.csv/);
    await refused(async () => labelTables(await tables({ train: ok, valid: 'x,y\n1,a\n2,c\n' }), { target: 'y' }), /valid-\w+\.csv: --target "y", row 2 \(line 3\): label "c" is not a class of .*train-\w+\.csv \(a, b\)$/);
  });
});
