/**
 * The shared Predictor (ml/predictor.ts): loading from a path or bytes, the model's metadata, the
 * feature-order check, the single-row path agreeing with the batch path, and one-line errors for a
 * wrong input width, a missing file, a file that is not ONNX, and a foreign ONNX model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictProba } from '../../domain/ml/gbdt/model';
import { exportOnnx } from '../../domain/ml/onnx/export';
import { encodeModel } from '../../domain/ml/onnx/proto';
import { randomModel, randomRows } from '../../domain/ml/onnx/random-model';
import { modelHash } from '../../ml/model-files';
import { Predictor } from '../../ml/predictor';

const dir = mkdtempSync(join(tmpdir(), 'wx-predictor-'));
const model = randomModel(seedrandom('predictor'), { objective: 'multiclass', numFeatures: 5, numClasses: 4, trees: 40, leaves: 10 });
const bytes = exportOnnx(model, { modelHash: 'sha256:abc' });
const path = join(dir, 'model.onnx');
let predictor: Predictor;

beforeAll(async () => {
  writeFileSync(path, bytes);
  predictor = await Predictor.load(path);
});
afterAll(async () => {
  await predictor.close();
  rmSync(dir, { recursive: true, force: true });
});

async function message(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: Error) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(Error);
  expect(e!.message).not.toContain('\n');
  return e!.message;
}

describe('Predictor', () => {
  it('reads the model metadata', () => {
    expect(predictor.featureNames).toEqual(model.featureNames);
    expect(predictor.numFeatures).toBe(5);
    expect(predictor.numClasses).toBe(4);
    expect(predictor.objective).toBe('multiclass');
    expect(predictor.modelHash).toBe('sha256:abc');
    expect(predictor.precision).toBe('float32');
  });

  it('batch and single-row predictions agree with the reference and with each other', async () => {
    const rows = 50;
    const x = randomRows(seedrandom('rows'), rows, 5, 0.25);
    const ref = predictProba(model, x, rows);
    const batch = await predictor.predict(x, rows);
    expect(batch).toBeInstanceOf(Float32Array);
    expect(batch.length).toBe(rows * 4);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(batch[i]! - ref[i]!)).toBeLessThan(1e-5);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * 5, r * 5 + 5)); // plain numbers: converted to float32 inside
      const one = await predictor.predictOne(row);
      expect(Array.from(one)).toEqual(Array.from(batch.subarray(r * 4, r * 4 + 4)));
    }
    // A view into a larger buffer (a backtest's chunk) reads its own rows, not the buffer's start.
    const view = await predictor.predict(x.subarray(10 * 5, 20 * 5), 10);
    expect(Array.from(view)).toEqual(Array.from(batch.subarray(10 * 4, 20 * 4)));
    expect(await predictor.predict(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('loads from bytes, and checks the caller’s feature order', async () => {
    const p = await Predictor.load(bytes, { featureNames: model.featureNames });
    await p.close();
    expect(await message(Predictor.load(bytes, { featureNames: ['f0', 'f1', 'fx', 'f3', 'f4'] }))).toBe(
      'predictor: featureNames[2] is "fx" but model bytes has "f2" there (5 names given, model has 5)',
    );
    expect(await message(Predictor.load(path, { featureNames: ['f0', 'f1', 'f2', 'f3'] }))).toMatch(/featureNames\[4\] is null but .*model\.onnx has "f4" there \(4 names given, model has 5\)$/);
  });

  it('a batch larger than maxRowsPerRun runs in chunks with the same result', async () => {
    const p = await Predictor.load(bytes, { maxRowsPerRun: 7 });
    try {
      const x = randomRows(seedrandom('chunks'), 45, 5, 0.25);
      expect(Array.from(await p.predict(x, 45))).toEqual(Array.from(await predictor.predict(x, 45)));
      expect(Array.from(await p.predictRaw(x, 45))).toEqual(Array.from(await predictor.predictRaw(x, 45)));
    } finally {
      await p.close();
    }
    expect(await message(Predictor.load(bytes, { maxRowsPerRun: 0 }))).toBe('predictor: maxRowsPerRun 0 is not a positive integer');
  });

  it('fromModel exports in memory and predicts the same', async () => {
    const p = await Predictor.fromModel(model, { treeOperator: 'TreeEnsembleRegressor', featureNames: model.featureNames });
    try {
      const x = randomRows(seedrandom('from-model'), 20, 5, 0.25);
      const a = await p.predict(x, 20);
      const b = await predictor.predict(x, 20);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6);
      expect(p.modelHash).toBe(modelHash(`${JSON.stringify(model)}\n`)); // what writeModelFiles records
    } finally {
      await p.close();
    }
  });

  it('refuses a wrong input width or type with one line', async () => {
    expect(await message(predictor.predict(new Float32Array(12), 3))).toBe('predictor: input has 12 values for 3 rows; the model takes 5 features per row (want 15)');
    expect(await message(predictor.predictOne([1, 2, 3]))).toBe('predictor: input has 3 values for 1 rows; the model takes 5 features per row (want 5)');
    expect(await message(predictor.predict(new Float64Array(5) as unknown as Float32Array, 1))).toBe('predictor: input must be a Float32Array, got [object Float64Array]');
    expect(await message(predictor.predict(new Float32Array(5), 1.5))).toBe('predictor: rows 1.5 is not a non-negative integer');
  });

  it('names the file when it is missing, not ONNX, or not ours', async () => {
    expect(await message(Predictor.load(join(dir, 'nope.onnx')))).toMatch(/^predictor: cannot read .*nope\.onnx: ENOENT/);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a protobuf message at all');
    expect(await message(Predictor.load(junk))).toMatch(/^predictor: .*junk\.onnx is not an ONNX model: /);
    // A valid ONNX model without our metadata (e.g. from another tool).
    const foreign = encodeModel({ ir_version: 10, opset_import: [{ domain: '', version: 21 }], graph: { name: 'g' } });
    expect(await message(Predictor.load(foreign))).toBe('predictor: model bytes: metadata_props has no wx.feature_names (not exported by domain/ml/onnx/export.ts?)');
  });
});
