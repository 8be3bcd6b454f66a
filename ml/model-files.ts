/**
 * model.json and model.onnx on disk. Writing exports first (nothing touches the disk if the model is
 * bad or the export fails), writes both files to temp names in the target directory and fsyncs them,
 * then renames them over the old ones; if the second rename fails the first is undone, so a failed
 * write leaves the previous pair (or nothing) and never a temp file. A crash between the two renames,
 * or two writers racing on one directory, can still pair a model.onnx with another model.json:
 * model.onnx carries the sha256 of its model.json (metadata wx.model_hash), and loadModelDir refuses
 * such a pair.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModel, type GbdtModel } from '../domain/ml/gbdt/model';
import { exportOnnx, type TreeOperator } from '../domain/ml/onnx/export';
import { modelHash, modelJsonText } from './model-hash';
import { Predictor, type PredictorOptions } from './predictor';

export { modelHash } from './model-hash';

export const MODEL_JSON = 'model.json';
export const MODEL_ONNX = 'model.onnx';

const firstLine = (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0]!.trim();


export interface WrittenModelFiles {
  jsonPath: string;
  onnxPath: string;
  modelHash: string;
}

export interface WriteModelFilesOptions {
  treeOperator?: TreeOperator;
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** Writes dir/model.json and dir/model.onnx (creating dir); all or nothing (see the module comment). */
export async function writeModelFiles(dir: string, model: GbdtModel, options: WriteModelFilesOptions = {}): Promise<WrittenModelFiles> {
  const valid = parseModel(model); // a malformed object fails here, naming the field, before any file
  const jsonText = modelJsonText(valid);
  const hash = modelHash(jsonText);
  const onnx = exportOnnx(valid, { modelHash: hash, ...(options.treeOperator ? { treeOperator: options.treeOperator } : {}) });

  const jsonPath = join(dir, MODEL_JSON);
  const onnxPath = join(dir, MODEL_ONNX);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmpJson = `${jsonPath}.${tag}.tmp`;
  const tmpOnnx = `${onnxPath}.${tag}.tmp`;
  const backup = `${onnxPath}.${tag}.bak`;
  let onnxReplaced = false;
  let hadOldOnnx = false;
  try {
    await mkdir(dir, { recursive: true });
    await writeSynced(tmpJson, jsonText);
    await writeSynced(tmpOnnx, onnx);
    try {
      await link(onnxPath, backup); // keep the old model.onnx reachable until model.json is in place
      hadOldOnnx = true;
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    await rename(tmpOnnx, onnxPath);
    onnxReplaced = true;
    await rename(tmpJson, jsonPath);
  } catch (e) {
    const problems = [`cannot write model files in ${dir}: ${firstLine(e)}`];
    const undo = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (u) {
        problems.push(`and could not ${what}: ${firstLine(u)}`);
      }
    };
    if (onnxReplaced) await undo(`restore ${onnxPath}`, () => (hadOldOnnx ? rename(backup, onnxPath) : rm(onnxPath, { force: true })));
    await undo(`remove ${tmpJson}`, () => rm(tmpJson, { force: true }));
    await undo(`remove ${tmpOnnx}`, () => rm(tmpOnnx, { force: true }));
    await undo(`remove ${backup}`, () => rm(backup, { force: true }));
    throw new Error(problems.join('; '));
  }
  if (hadOldOnnx) await rm(backup, { force: true });
  return { jsonPath, onnxPath, modelHash: hash };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${firstLine(e)}`);
  }
}

/** Reads and validates a model.json; every failure is one line naming the file (and the field). */
export async function readModelJson(path: string): Promise<GbdtModel> {
  return parseModelText(await readText(path), path);
}

function parseModelText(text: string, path: string): GbdtModel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${firstLine(e)}`);
  }
  try {
    return parseModel(value);
  } catch (e) {
    throw new Error(`${path}: ${firstLine(e)}`);
  }
}

export interface LoadedModelDir {
  model: GbdtModel;
  predictor: Predictor;
  modelHash: string;
}

/**
 * A model directory as writeModelFiles left it: model.json parsed, model.onnx in a Predictor, and
 * refused (one line) when model.onnx was not written together with this model.json.
 */
export async function loadModelDir(dir: string, options: PredictorOptions = {}): Promise<LoadedModelDir> {
  const jsonPath = join(dir, MODEL_JSON);
  const text = await readText(jsonPath);
  const model = parseModelText(text, jsonPath);
  const hash = modelHash(text);
  const predictor = await Predictor.load(join(dir, MODEL_ONNX), { featureNames: model.featureNames, ...options });
  if (predictor.modelHash !== hash) {
    await predictor.close();
    throw new Error(`${join(dir, MODEL_ONNX)}: wx.model_hash ${predictor.modelHash ?? '(none)'} is not the ${hash} of ${MODEL_JSON} beside it: the two were not written together (rewrite them with writeModelFiles)`);
  }
  return { model, predictor, modelHash: hash };
}
