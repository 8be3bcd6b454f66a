/**
 * The Predictor the backtest and the trader share: an onnxruntime-node session over a model.onnx
 * written by domain/ml/onnx/export.ts. Rows in (float32, row-major, the model's feature order),
 * probabilities out ([rows × K], row-major).
 *
 * One intra-op thread by default: batch work gets its parallelism from running several workers, and
 * the trader's single rows gain nothing from a thread pool (handing a row to the pool costs more than
 * walking 300 trees).
 *
 *   const { predictor } = await loadModelDir(dir, { featureNames });   // ml/model-files.ts: checks the pair
 *   const p = await predictor.predict(x, rows);      // Float32Array rows × numClasses
 *   const one = await predictor.predictOne(row);     // numClasses values
 *   await predictor.close();
 *
 * onnxruntime-node has no synchronous API, so every prediction is a Promise (its native run itself
 * is synchronous on this thread; see maxRowsPerRun).
 */
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { OBJECTIVES, parseModel, type GbdtModel, type Objective } from '../domain/ml/gbdt/model';
import { exportOnnx, INPUT_NAME, META, PRECISIONS, PROBABILITIES_NAME, RAW_NAME, type Precision, type TreeOperator } from '../domain/ml/onnx/export';
import { readMetadata } from '../domain/ml/onnx/proto';
import { modelHash, modelJsonText } from './model-hash';

export interface PredictorOptions {
  /** The caller's feature order; load fails (naming the first difference) unless it is the model's. */
  featureNames?: readonly string[];
  /** onnxruntime intra-op threads (default 1). */
  intraOpNumThreads?: number;
  /**
   * Largest batch handed to onnxruntime in one run (default 8192). Its run is synchronous native code
   * on the calling thread, so a 100k-row batch in one piece would block the event loop (Temporal
   * heartbeats, the trader's timers) for seconds; chunks yield between runs.
   */
  maxRowsPerRun?: number;
}

const firstLine = (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0]!.trim();

export class Predictor {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Where the model came from, for error messages: its path, or "model bytes". */
    readonly source: string,
    readonly featureNames: readonly string[],
    readonly objective: Objective,
    readonly numClasses: number,
    /** The exporter's wx.model_hash (sha256 of model.json when written by writeModelFiles), if any. */
    readonly modelHash: string | undefined,
    private readonly maxRowsPerRun: number,
    /** The model's number type (wx.precision): float64 models take the caller's float32 rows widened to double. */
    readonly precision: Precision,
  ) {}

  get numFeatures(): number {
    return this.featureNames.length;
  }

  /** Loads a model.onnx (a path, or its bytes) and checks its metadata and, if given, the feature order. */
  static async load(model: string | Uint8Array, options: PredictorOptions = {}): Promise<Predictor> {
    const source = typeof model === 'string' ? model : 'model bytes';
    let bytes: Uint8Array;
    try {
      bytes = typeof model === 'string' ? await readFile(model) : model;
    } catch (e) {
      throw new Error(`predictor: cannot read ${source}: ${firstLine(e)}`);
    }
    let meta: Map<string, string>;
    try {
      meta = readMetadata(bytes);
    } catch (e) {
      throw new Error(`predictor: ${source} is not an ONNX model: ${firstLine(e)}`);
    }
    const field = (key: string) => {
      const v = meta.get(key);
      if (v === undefined) throw new Error(`predictor: ${source}: metadata_props has no ${key} (not exported by domain/ml/onnx/export.ts?)`);
      return v;
    };
    const featureNames = parseFeatureNames(field(META.featureNames), source);
    const objective = field(META.objective);
    if (!(OBJECTIVES as readonly string[]).includes(objective)) throw new Error(`predictor: ${source}: ${META.objective} ${JSON.stringify(objective)} is not one of ${OBJECTIVES.join(', ')}`);
    const numClasses = Number(field(META.numClasses));
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`predictor: ${source}: ${META.numClasses} ${JSON.stringify(meta.get(META.numClasses))} is not an integer >= 2`);
    if (options.featureNames) checkFeatureOrder(options.featureNames, featureNames, source);
    const precision = meta.get(META.precision) ?? 'float32'; // files exported before wx.precision existed are float32
    if (!(PRECISIONS as readonly string[]).includes(precision)) throw new Error(`predictor: ${source}: ${META.precision} ${JSON.stringify(precision)} is not one of ${PRECISIONS.join(', ')}`);
    const maxRowsPerRun = options.maxRowsPerRun ?? 8192;
    if (!Number.isInteger(maxRowsPerRun) || maxRowsPerRun < 1) throw new RangeError(`predictor: maxRowsPerRun ${maxRowsPerRun} is not a positive integer`);

    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: options.intraOpNumThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new Error(`predictor: onnxruntime rejected ${source}: ${firstLine(e)}`);
    }
    for (const name of [PROBABILITIES_NAME, RAW_NAME]) {
      if (!session.outputNames.includes(name)) throw new Error(`predictor: ${source} has no output "${name}" (outputs: ${session.outputNames.join(', ')})`);
    }
    return new Predictor(session, source, featureNames, objective as Objective, numClasses, meta.get(META.modelHash), maxRowsPerRun, precision as Precision);
  }

  /**
   * Exports a model in memory and loads it (e.g. a backtest holding the GbdtModel rather than its
   * files); modelHash is what writeModelFiles would record for the same model.
   */
  static async fromModel(model: GbdtModel, options: PredictorOptions & { treeOperator?: TreeOperator; precision?: Precision } = {}): Promise<Predictor> {
    const { treeOperator, precision, ...rest } = options;
    const valid = parseModel(model);
    const hash = modelHash(modelJsonText(valid));
    return Predictor.load(exportOnnx(valid, { modelHash: hash, ...(treeOperator ? { treeOperator } : {}), ...(precision ? { precision } : {}) }), rest);
  }

  /** Probabilities [rows × numClasses] for `rows` rows of numFeatures float32 values (NaN = missing). */
  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    return (await this.run(x, rows, PROBABILITIES_NAME)) as Float32Array;
  }

  /** Raw scores [rows × S] (S = numClasses for multiclass, else 1): the trees' sum plus the base score. */
  async predictRaw(x: Float32Array, rows: number): Promise<Float32Array> {
    return (await this.run(x, rows, RAW_NAME)) as Float32Array;
  }

  /**
   * One row (the trader's path): the row's values copied into a fresh float32 buffer (so the caller
   * may reuse its array while the run is in flight), probabilities out.
   */
  async predictOne(row: ArrayLike<number>): Promise<Float32Array> {
    const x = row instanceof Float32Array ? row.slice() : Float32Array.from(row);
    return this.predict(x, 1);
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private async run(x: Float32Array, rows: number, output: string): Promise<Float32Array> {
    if (!(x instanceof Float32Array)) throw new TypeError(`predictor: input must be a Float32Array, got ${Object.prototype.toString.call(x)}`);
    const F = this.featureNames.length;
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`predictor: rows ${rows} is not a non-negative integer`);
    if (x.length !== rows * F) throw new RangeError(`predictor: input has ${x.length} values for ${rows} rows; the model takes ${F} features per row (want ${rows * F})`);
    if (rows === 0) return new Float32Array(0);
    if (rows <= this.maxRowsPerRun) return this.runOnce(x, rows, output);
    let result: Float32Array | undefined;
    for (let r = 0; r < rows; r += this.maxRowsPerRun) {
      const n = Math.min(this.maxRowsPerRun, rows - r);
      const part = await this.runOnce(x.subarray(r * F, (r + n) * F), n, output);
      const width = part.length / n;
      result ??= new Float32Array(rows * width);
      result.set(part, r * width);
    }
    return result!;
  }

  private async runOnce(x: Float32Array, rows: number, output: string): Promise<Float32Array> {
    const dims = [rows, this.featureNames.length];
    if (this.precision === 'float64') {
      const out = await this.session.run({ [INPUT_NAME]: new ort.Tensor('float64', Float64Array.from(x), dims) }, [output]);
      return Float32Array.from(out[output]!.data as Float64Array);
    }
    const out = await this.session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, dims) }, [output]);
    return out[output]!.data as Float32Array;
  }
}

function parseFeatureNames(text: string, source: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`predictor: ${source}: ${META.featureNames} is not JSON: ${firstLine(e)}`);
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string')) throw new Error(`predictor: ${source}: ${META.featureNames} is not a non-empty array of strings`);
  return v;
}

function checkFeatureOrder(given: readonly string[], model: readonly string[], source: string): void {
  const n = Math.max(given.length, model.length);
  for (let i = 0; i < n; i++) {
    if (given[i] !== model[i]) {
      throw new Error(
        `predictor: featureNames[${i}] is ${JSON.stringify(given[i] ?? null)} but ${source} has ${JSON.stringify(model[i] ?? null)} there (${given.length} names given, model has ${model.length})`,
      );
    }
  }
}
