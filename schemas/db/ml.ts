/**
 * Schema `ml`: tuning studies and trials (Optuna-like, resumable after crashes) and registered
 * model versions.
 */
import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { TRIAL_STATES, type TrialState } from '../../domain/ml/tpe/types';

export const ml = pgSchema('ml');

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export { TRIAL_STATES, type TrialState };

export const study = ml.table('study', {
  studyId: serial('study_id').primaryKey(),
  name: text('name').notNull().unique('study_name_key'),
  /** 'minimize' | 'maximize'. */
  direction: text('direction').notNull(),
  sampler: jsonb('sampler').$type<Record<string, unknown>>(),
  /** e.g. 'running' | 'complete'. */
  status: text('status').notNull().default('running'),
  createdAt: tstz('created_at').notNull().defaultNow(),
  userAttrs: jsonb('user_attrs').$type<Record<string, unknown>>().notNull().default({}),
  /** The search space (domain/ml/tpe/types.ts SearchSpace); fixed for the study's life, so resuming under another space is refused. */
  space: jsonb('space').$type<Record<string, unknown>>().notNull().default({}),
  /** The objective every trial runs: { name, options } (activities/ml/objectives.ts). */
  objective: jsonb('objective').$type<Record<string, unknown>>(),
  /** Pruner settings ({ kind: 'none' } or the median pruner's). */
  pruner: jsonb('pruner').$type<Record<string, unknown>>(),
  /** Complete + pruned trials the last run asked for (a later run may raise it). */
  requestedTrials: integer('requested_trials'),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

export const trial = ml.table(
  'trial',
  {
    studyId: integer('study_id')
      .notNull()
      .references(() => study.studyId, { onDelete: 'cascade' }),
    /** 0-based trial number within the study. */
    number: integer('number').notNull(),
    state: text('state').$type<TrialState>().notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    value: doublePrecision('value'),
    /** {"<step>": value} reported for pruning. */
    intermediateValues: jsonb('intermediate_values').$type<Record<string, number>>().notNull().default({}),
    startedAt: tstz('started_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
    worker: text('worker'),
    /** Last sign of life of the worker running it; stale running trials can be re-queued. */
    heartbeatAt: tstz('heartbeat_at'),
    /**
     * Who asked for the trial (e.g. `<workflow id>#<ask sequence>`): a retried ask with the same key
     * gets the same trial back instead of a second one.
     */
    askKey: text('ask_key'),
    /** Activity attempt that last ran the objective (1 = first). */
    attempt: integer('attempt').notNull().default(0),
    /** Why a failed trial failed (objective error, stale heartbeat). */
    error: text('error'),
  },
  (t) => [
    primaryKey({ name: 'trial_pk', columns: [t.studyId, t.number] }),
    uniqueIndex('trial_study_ask_key_idx').on(t.studyId, t.askKey),
    check('trial_state_check', sql`${t.state} in (${sql.raw(TRIAL_STATES.map((s) => `'${s}'`).join(', '))})`),
    index('trial_study_state_idx').on(t.studyId, t.state),
  ],
);

export const modelVersion = ml.table(
  'model_version',
  {
    cityId: text('city_id').notNull(),
    /** e.g. 'ordinal' | 'edge'. */
    kind: text('kind').notNull(),
    version: text('version').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull().default({}),
    /** e.g. 'data/models/chicago/<version>/model.onnx'. */
    artifactPath: text('artifact_path'),
    /** e.g. 'candidate' | 'active' | 'retired'. */
    status: text('status').notNull().default('candidate'),
  },
  (t) => [
    primaryKey({ name: 'model_version_pk', columns: [t.cityId, t.kind, t.version] }),
    index('model_version_city_kind_created_idx').on(t.cityId, t.kind, t.createdAt),
  ],
);

export type Study = typeof study.$inferSelect;
export type NewStudy = typeof study.$inferInsert;
export type Trial = typeof trial.$inferSelect;
export type NewTrial = typeof trial.$inferInsert;
export type ModelVersion = typeof modelVersion.$inferSelect;
export type NewModelVersion = typeof modelVersion.$inferInsert;
