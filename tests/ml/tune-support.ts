/**
 * Shared by the tune tests: a configuration whose ML task queue is unique to the test file, study
 * inputs over the standard test functions, and reads of a study's trials straight from PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, TASK_QUEUE_ROLES, type Config } from '../../temporal.config';
import { BRANIN_SPACE } from '../../domain/ml/tpe/test-functions';
import type { TuneInput } from '../../schemas/tune';

/** Task queues unique to this run, as environment variables (for worker processes) and as a configuration. */
export function tuneTestConfig(extraEnv: Record<string, string> = {}): { config: Config; env: Record<string, string> } {
  const suffix = randomBytes(3).toString('hex');
  const env: Record<string, string> = {
    WX_LOG_LEVEL: 'warn',
    ...Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [`WX_TASK_QUEUE_${r.toUpperCase()}`, `${r}-${suffix}`])),
    ...extraEnv,
  };
  return { config: loadConfig({ env }), env };
}

/** A Branin study: `steps` intermediate values, `stepMs` apart. */
export function braninStudy(study: string, trials: number, extra: Partial<TuneInput> & { steps?: number; stepMs?: number } = {}): TuneInput {
  const { steps = 1, stepMs = 0, ...rest } = extra;
  return {
    study,
    space: BRANIN_SPACE,
    direction: 'minimize',
    objective: { name: 'branin', options: { steps, stepMs } },
    trials,
    parallelism: 2,
    sampler: { kind: 'tpe', seed: 7, options: { nStartupTrials: 4 } },
    ...rest,
  };
}

export interface TrialRow {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
  intermediate_values: Record<string, number>;
  ask_key: string | null;
  error: string | null;
  attempt: number;
  worker: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** Every trial of a study, by number (empty when the study does not exist). */
export async function trialRows(url: string, study: string): Promise<TrialRow[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<TrialRow>(
      `select t.number, t.state, t.value, t.params, t.intermediate_values, t.ask_key, t.error, t.attempt, t.worker, t.started_at, t.finished_at
         from ml.trial t join ml.study s using (study_id) where s.name = $1 order by t.number`,
      [study],
    );
    return res.rows;
  } finally {
    await c.end();
  }
}

export async function sqlQuery<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
