/**
 * tuneWorkflow on the real Temporal CLI dev server, its activities (the ML worker's) on a fresh
 * PostgreSQL database, the real TPE sampler and median pruner: trials written as they happen,
 * resuming a study by name, refusing a changed space, failing and re-issuing a trial whose heartbeat
 * went stale, pruning, continue-as-new, and the progress query and search attributes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { createTuneActivities } from '../../activities/ml/tune';
import { OBJECTIVES, type ObjectiveRegistry } from '../../activities/ml/objectives';
import type { Config } from '../../temporal.config';
import { tuneWorkflowId, type TuneInput, type TuneProgress } from '../../schemas/tune';
import { tuneProgressQuery, type tuneWorkflow } from '../../workflows/tune';
import { STAGE, STUDY } from '../../workflows/search-attributes';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { braninStudy, sqlQuery, trialRows, tuneTestConfig } from './tune-support';

const log = createLogger('test', { level: 'error' });

describe('tuneWorkflow (real dev server, real PostgreSQL, TPE)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let workers: Worker[];
  /** A second ML queue whose worker also knows a flaky and a broken objective. */
  let flakyConfig: Config;
  let running: Promise<void>;
  let stop: () => void;

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    [env, database] = await Promise.all([startDevServer(), freshDatabase('wx_tune')]);
    db = createDb(database.url, { log });
    config = tuneTestConfig().config;
    const deps = { db: db.db, pool: db.pool, log, config };
    workers = await createWorkers({ config, roles: ['ml'], connection: env.nativeConnection, deps });
    flakyConfig = tuneTestConfig().config;
    const objectives: ObjectiveRegistry = {
      ...OBJECTIVES,
      // Fails on the left half of the space: those trials fail, and their budget goes to new trials.
      flaky: {
        ...OBJECTIVES.branin!,
        run: async (params, options, ctx) => {
          if ((params.x1 as number) < 2.5) throw new Error(`flaky: x1 ${params.x1} < 2.5`);
          return OBJECTIVES.branin!.run(params, options, ctx);
        },
      },
      broken: { ...OBJECTIVES.branin!, run: async () => Promise.reject(new Error('broken objective')) },
    };
    workers.push(
      ...(await createWorkers({ config: flakyConfig, roles: ['ml'], connection: env.nativeConnection, deps, activityOverrides: { ml: createTuneActivities(deps, { objectives }) } })),
    );
    const until = new Promise<void>((resolve) => (stop = resolve));
    running = Promise.all(workers.map((w) => w.runUntil(until))).then(() => undefined);
  });

  afterAll(async () => {
    stop?.();
    await running;
    await db?.close();
    await env?.teardown();
    await database?.drop();
  });

  const run = (input: TuneInput) =>
    env.client.workflow.execute<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(input.study), taskQueue: config.temporal.taskQueues.ml, args: [input] });

  it('runs the requested trials K at a time, writes each as it happens, and resumes the study by name', async () => {
    const first = await run(braninStudy('resume', 6, { steps: 3 }));
    expect(first).toMatchObject({ status: 'done', requested: 6, done: 6, complete: 6, failed: 0, running: 0 });
    const before = await trialRows(database.url, 'resume');
    expect(before.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const t of before) {
      expect(t.state).toBe('complete');
      expect(Object.keys(t.intermediate_values).sort()).toEqual(['0', '1', '2']);
      expect(Object.values(t.intermediate_values)).toEqual([t.value, t.value, t.value]);
      expect(t.ask_key).toMatch(/^tune\/resume\//);
      // Who ran it, in which attempt of its run activity.
      expect(t.worker).toMatch(/:\d+$/);
      expect(t.attempt).toBe(1);
    }
    const bestValue = Math.min(...before.map((t) => t.value!));
    expect(first.best?.value).toBe(bestValue);
    expect(first.best?.params).toEqual(before.find((t) => t.value === bestValue)!.params);

    // The same name again with a larger budget: the six trials stay as they were, four more are added.
    const second = await run(braninStudy('resume', 10, { steps: 3 }));
    expect(second).toMatchObject({ status: 'done', requested: 10, done: 10, complete: 10 });
    const after = await trialRows(database.url, 'resume');
    expect(after.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(after.slice(0, 6)).toEqual(before);
    expect(second.best!.value).toBe(Math.min(...after.map((t) => t.value!)));

    // Already at its budget: a third run adds nothing.
    const third = await run(braninStudy('resume', 10, { steps: 3 }));
    expect(third.done).toBe(10);
    expect(await trialRows(database.url, 'resume')).toEqual(after);
  });

  it('refuses to resume a study under another space, naming the field, and writes nothing', async () => {
    await run(braninStudy('fixed-space', 2));
    const before = await trialRows(database.url, 'fixed-space');
    const changed = braninStudy('fixed-space', 4, { space: { x1: { type: 'float', low: -5, high: 12 }, x2: { type: 'float', low: 0, high: 15 } } });
    const err = await run(changed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('StudyMismatch');
    expect((cause as ApplicationFailure).message).toBe('study "fixed-space" exists with another space: space.x1.high is 10 there, 12 here (use another study name)');
    expect(await trialRows(database.url, 'fixed-space')).toEqual(before);
    const [study] = await sqlQuery<{ requested_trials: number }>(database.url, `select requested_trials from ml.study where name = 'fixed-space'`);
    expect(study!.requested_trials).toBe(2);
  });

  it('fails a trial whose objective throws and issues its budget again; too many failures fail the study', async () => {
    const runOn = (input: TuneInput) =>
      env.client.workflow.execute<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(input.study), taskQueue: flakyConfig.temporal.taskQueues.ml, args: [input] });
    const flaky = await runOn({ ...braninStudy('flaky', 5), objective: { name: 'flaky', options: {} }, sampler: { kind: 'random', seed: 4, options: {} } });
    const rows = await trialRows(database.url, 'flaky');
    const failed = rows.filter((t) => t.state === 'fail');
    expect(flaky).toMatchObject({ status: 'done', done: 5, complete: 5, failed: failed.length });
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) {
      expect(t.params.x1 as number).toBeLessThan(2.5);
      expect(t.error).toContain('flaky: x1');
    }
    for (const t of rows.filter((r) => r.state === 'complete')) expect(t.params.x1 as number).toBeGreaterThanOrEqual(2.5);
    expect(rows).toHaveLength(5 + failed.length);

    const err = await runOn({ ...braninStudy('broken', 5), objective: { name: 'broken', options: {} }, maxFailedTrials: 4, parallelism: 1 }).catch((e: unknown) => e);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('StudyFailed');
    expect(cause.message).toBe('study broken: 4 trials failed (maxFailedTrials 4)');
    expect((cause.details?.[0] as TuneProgress).status).toBe('failed');
    const broken = await trialRows(database.url, 'broken');
    expect(broken.map((t) => t.state)).toEqual(['fail', 'fail', 'fail', 'fail']);
    const [study] = await sqlQuery<{ status: string }>(database.url, `select status from ml.study where name = 'broken'`);
    expect(study!.status).toBe('failed');
  });

  it('rejects an unknown objective and bad objective options before writing anything', async () => {
    for (const [objective, message] of [
      [{ name: 'nope', options: {} }, 'objective.name: unknown objective "nope" (expected one of branin, hartmann6, gbdt, bracket)'],
      [{ name: 'branin', options: { stepMs: -1 } }, 'objective.options.stepMs: -1 rejected: '],
      [{ name: 'hartmann6', options: {} }, 'space: objective hartmann6 reads x0, x3, x4, x5, which the search space does not define'],
    ] as const) {
      const err = await run({ ...braninStudy('bad-objective', 3), objective }).catch((e: unknown) => e);
      const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message.startsWith(message), cause.message).toBe(true);
    }
    expect(await sqlQuery(database.url, `select 1 from ml.study where name = 'bad-objective'`)).toEqual([]);
  });

  it('marks a running trial with a stale heartbeat failed and issues its budget again', async () => {
    await run(braninStudy('stale', 3));
    // A trial left running by a run whose workflow is gone: its worker's last sign of life an hour ago.
    await sqlQuery(
      database.url,
      `insert into ml.trial (study_id, number, state, params, heartbeat_at, started_at, ask_key)
       select study_id, 3, 'running', '{"x1": 0, "x2": 0}', now() - interval '1 hour', now() - interval '1 hour', 'tune/stale/gone#0'
         from ml.study where name = 'stale'`,
    );
    const result = await run(braninStudy('stale', 6, { staleAfterSeconds: 60 }));
    expect(result).toMatchObject({ status: 'done', done: 6, complete: 6 });
    const rows = await trialRows(database.url, 'stale');
    const orphan = rows.find((t) => t.number === 3)!;
    expect(orphan.state).toBe('fail');
    expect(orphan.error).toMatch(/^stale heartbeat: no sign of life since /);
    expect(rows.filter((t) => t.state === 'complete')).toHaveLength(6);
    expect(rows.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.failed).toBe(1);
  });

  it('prunes trials the median pruner finds worse, counting them toward the budget', async () => {
    const input = braninStudy('pruned', 24, {
      steps: 4,
      parallelism: 1,
      sampler: { kind: 'random', seed: 3, options: {} },
      pruner: { kind: 'median', options: { nStartupTrials: 4, nWarmupSteps: 1 } },
    });
    const result = await run(input);
    const rows = await trialRows(database.url, 'pruned');
    const pruned = rows.filter((t) => t.state === 'pruned');
    const complete = rows.filter((t) => t.state === 'complete');
    expect(result).toMatchObject({ status: 'done', done: 24, pruned: pruned.length, complete: complete.length });
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      // Stopped after the warm-up step, before the last, and worse than the median of the trials
      // completed before it (one trial at a time, so "before" is by number).
      const steps = Object.keys(t.intermediate_values).map(Number);
      expect(Math.max(...steps)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...steps)).toBeLessThan(3);
      const earlier = complete.filter((c) => c.number < t.number).map((c) => c.value!).sort((a, b) => a - b);
      const median = (earlier[Math.floor((earlier.length - 1) / 2)]! + earlier[Math.ceil((earlier.length - 1) / 2)]!) / 2;
      expect(t.value!).toBeGreaterThan(median);
    }
    for (const t of complete) expect(Object.keys(t.intermediate_values)).toHaveLength(4);
  });

  it('continues as new every N trials and ends with exactly the requested trials; progress query and search attributes', async () => {
    const input = braninStudy('chain', 9, { continueAsNewEvery: 4, parallelism: 3, steps: 2, stepMs: 150 });
    const handle = await env.client.workflow.start<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId('chain'), taskQueue: config.temporal.taskQueues.ml, args: [input] });
    let seen: TuneProgress | undefined;
    for (let i = 0; i < 200 && !(seen && seen.running > 0); i++) {
      seen = await handle.query(tuneProgressQuery).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toMatchObject({ study: 'chain', requested: 9, status: 'running' });
    expect(seen!.running).toBeGreaterThan(0);
    expect(seen!.running).toBeLessThanOrEqual(3);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'done', done: 9, complete: 9, runs: 2 });
    const rows = await trialRows(database.url, 'chain');
    expect(rows.map((t) => t.state)).toEqual(Array(9).fill('complete'));
    // One ask key per trial, across the three runs of the chain.
    expect(new Set(rows.map((t) => t.ask_key)).size).toBe(9);
    const described = await env.client.workflow.getHandle(tuneWorkflowId('chain')).describe();
    expect(described.typedSearchAttributes.get(STUDY)).toBe('chain');
    expect(described.typedSearchAttributes.get(STAGE)).toBe('tune');
  });
});
