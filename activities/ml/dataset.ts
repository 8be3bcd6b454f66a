/**
 * The dataset stage's activity: loads a city's rows as of their available_at from PostgreSQL, builds
 * the market-clock dataset (domain/features) and caches it to Parquet under data/datasets/{city}/,
 * unless the cached file was built from the very same inputs and parameters. Returns a reference.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { buildDataset, DatasetParamsSchema, type DatasetParams } from '../../domain/features';
import { datasetPath, inputHash, readDatasetMeta, writeDatasetFile } from '../../ml/dataset-cache';
import { TableInputError } from '../../ml/tables';
import { DatasetWorkflowInputSchema, type DatasetResult, type DatasetWorkflowInput } from '../../schemas/dataset';
import type { ActivityDeps } from '../index';
import { loadDatasetInput } from './dataset-input';

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });

/** The value at a zod issue's path, for messages that name what was given. */
function valueAt(root: unknown, path: readonly PropertyKey[]): string {
  let v: unknown = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v === undefined ? 'missing' : JSON.stringify(v);
}

/** The build parameters of an input, checked: a bad field is a one-line error naming it. */
export function datasetParamsOf(raw: DatasetWorkflowInput): DatasetParams {
  const input = DatasetWorkflowInputSchema.safeParse(raw);
  if (!input.success) {
    const i = input.error.issues[0]!;
    throw invalid(`dataset input ${i.path.join('.') || '(input)'} ${valueAt(raw, i.path)}: ${i.message}`);
  }
  const merged = { ...(input.data.params ?? {}), city: input.data.city, from: input.data.from, to: input.data.to };
  const params = DatasetParamsSchema.safeParse(merged);
  if (!params.success) {
    const i = params.error.issues[0]!;
    throw invalid(`dataset params.${i.path.join('.')} ${valueAt(merged, i.path)}: ${i.message}`);
  }
  return params.data;
}

export function createDatasetActivities(deps: ActivityDeps) {
  return {
    async buildCityDataset(raw: DatasetWorkflowInput): Promise<DatasetResult> {
      const started = Date.now();
      const params = datasetParamsOf(raw);
      const heartbeat = (stage: string) => {
        Context.current().heartbeat({ stage });
      };
      heartbeat('load');
      const loaded = await loadDatasetInput(deps.db, params.city, params.from, params.to);
      if (loaded.input.events.length === 0) {
        throw invalid(`dataset ${params.city} ${params.from}..${params.to}: no usable events in the database for that range (backfill it first: wx backfill --cities ${params.city} --from ${params.from} --to ${params.to})`);
      }
      const hash = inputHash(loaded.input);
      const path = datasetPath(deps.config.dataDir, params.city, params);
      let cachedMeta;
      try {
        cachedMeta = await readDatasetMeta(path);
      } catch (err) {
        // A corrupt or foreign file at our path is rebuilt (the write replaces it atomically), not trusted.
        if (!(err instanceof TableInputError)) throw err;
        deps.log.warn({ path, err: err.message }, 'dataset: cached file unusable; rebuilding');
      }
      const base = { city: params.city, from: params.from, to: params.to, path, inputHash: hash, skippedEvents: loaded.skippedEvents.length };
      if (cachedMeta && cachedMeta.inputHash === hash) {
        deps.log.info({ path, city: params.city }, 'dataset: cache is current');
        return { ...base, rows: cachedMeta.rows, events: cachedMeta.events.length, features: cachedMeta.features.length, cached: true, seconds: (Date.now() - started) / 1000 };
      }
      heartbeat('build');
      const dataset = buildDataset(loaded.input, params);
      heartbeat('write');
      writeDatasetFile(path, dataset, hash);
      deps.log.info({ path, city: params.city, rows: dataset.features.rows, skipped: loaded.skippedEvents.length }, 'dataset: built');
      return {
        ...base,
        rows: dataset.features.rows,
        events: dataset.events.length,
        features: dataset.features.names.length,
        cached: false,
        seconds: (Date.now() - started) / 1000,
      };
    },
  };
}

export type DatasetActivities = ReturnType<typeof createDatasetActivities>;
