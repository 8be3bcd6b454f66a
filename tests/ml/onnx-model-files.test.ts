/**
 * model.json + model.onnx on disk (ml/model-files.ts): a round trip, the hash that ties the pair,
 * one-line errors naming the file and the field for malformed model files, and failed writes that
 * leave the previous files (or nothing) and no temp file behind.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { predictProba, type GbdtModel } from '../../domain/ml/gbdt/model';
import { randomModel, randomRows } from '../../domain/ml/onnx/random-model';
import { loadModelDir, MODEL_JSON, MODEL_ONNX, modelHash, readModelJson, writeModelFiles } from '../../ml/model-files';
import { Predictor } from '../../ml/predictor';

const root = mkdtempSync(join(tmpdir(), 'wx-onnx-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const model = (seed: string): GbdtModel => randomModel(seedrandom(seed), { objective: 'ordinal', numFeatures: 4, numClasses: 5, trees: 20, leaves: 6 });

describe('writeModelFiles / readModelJson', () => {
  it('writes model.json and model.onnx that predict alike, tied by the hash of model.json', async () => {
    const dir = freshDir();
    const m = model('round-trip');
    const written = await writeModelFiles(dir, m);
    expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, MODEL_ONNX]);
    expect(written.modelHash).toBe(modelHash(readFileSync(written.jsonPath, 'utf8')));

    const back = await readModelJson(written.jsonPath);
    expect(back).toEqual(m);
    const p = await Predictor.load(written.onnxPath, { featureNames: m.featureNames });
    try {
      expect(p.modelHash).toBe(written.modelHash);
      const x = randomRows(seedrandom('rows'), 200, 4, 0.2);
      const ref = predictProba(back, x, 200);
      const got = await p.predict(x, 200);
      let d = 0;
      for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i]! - got[i]!));
      expect(d).toBeLessThan(1e-5);
    } finally {
      await p.close();
    }
  });

  it('loadModelDir gives the pair, and refuses a model.onnx not written with its model.json', async () => {
    const a = freshDir();
    const b = freshDir();
    const ma = model('pair-a');
    await writeModelFiles(a, ma);
    await writeModelFiles(b, model('pair-b'));
    const loaded = await loadModelDir(a);
    expect(loaded.model).toEqual(ma);
    expect(loaded.predictor.modelHash).toBe(loaded.modelHash);
    await loaded.predictor.close();
    copyFileSync(join(b, MODEL_ONNX), join(a, MODEL_ONNX));
    await expect(loadModelDir(a)).rejects.toThrow(/model\.onnx: wx\.model_hash sha256:[0-9a-f]{64} is not the sha256:[0-9a-f]{64} of model\.json beside it: the two were not written together/);
    rmSync(join(a, MODEL_JSON));
    await expect(loadModelDir(a)).rejects.toThrow(/model\.json: cannot read: ENOENT/);
  });

  it('a malformed model is refused before any file is written, naming the field', async () => {
    const dir = freshDir();
    const m = model('bad');
    const bad = { ...m, trees: m.trees.map((t, i) => (i === 2 ? { ...t, leafValue: t.leafValue.slice(1) } : t)) };
    await expect(writeModelFiles(dir, bad)).rejects.toThrow(/^model: trees\.2\.leafValue: has 5 leaves for 5 nodes \(want 6\)$/);
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });

  it('a failed rename leaves the previous pair intact and no temp file', async () => {
    const dir = freshDir();
    const old = await writeModelFiles(dir, model('old'));
    const oldJson = readFileSync(old.jsonPath);
    const oldOnnx = readFileSync(old.onnxPath);
    // model.json replaced by a non-empty directory: the second rename (model.json) fails after model.onnx was replaced.
    rmSync(old.jsonPath);
    mkdirSync(join(old.jsonPath, 'blocker'), { recursive: true });
    await expect(writeModelFiles(dir, model('new'))).rejects.toThrow(/^cannot write model files in .*: .*(EISDIR|ENOTEMPTY|EEXIST)/);
    expect(readFileSync(old.onnxPath)).toEqual(oldOnnx); // the old model.onnx is back
    expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, MODEL_ONNX]); // no .tmp or .bak left
    rmSync(old.jsonPath, { recursive: true });
    writeFileSync(old.jsonPath, oldJson);
  });

  it('an unusable target directory writes nothing', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(writeModelFiles(join(file, 'sub'), model('x'))).rejects.toThrow(/^cannot write model files in .*a-file\/sub: .*ENOTDIR/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('readModelJson: one line naming the file, and the field', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const m = model('read');
    const path = join(dir, MODEL_JSON);
    const expectOneLine = async (pattern: RegExp) => {
      const err = await readModelJson(path).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(pattern);
      expect(err?.message).not.toContain('\n');
    };
    await expectOneLine(/^.*model\.json: cannot read: ENOENT/);
    writeFileSync(path, '{"format": "wx-gbdt",');
    await expectOneLine(/model\.json: not valid JSON: /);
    writeFileSync(path, JSON.stringify({ ...m, objective: 'poisson' }));
    await expectOneLine(/model\.json: model: objective: /);
    const t = m.trees[0]!;
    writeFileSync(path, JSON.stringify({ ...m, trees: [{ ...t, left: [...t.left.slice(0, -1), 99] }, ...m.trees.slice(1)] }));
    await expectOneLine(new RegExp(`model\\.json: model: trees\\.0\\.left\\.${t.left.length - 1}: child 99 out of range$`));
    writeFileSync(path, JSON.stringify({ ...m, ordinalThresholds: [1, 0, 2, 3] }));
    await expectOneLine(/model\.json: model: ordinalThresholds\.1: thresholds must increase$/);
  });
});
