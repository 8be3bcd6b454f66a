/**
 * The PostgreSQL study storage (activities/ml/study-store.ts) on a fresh database: the tuner's own
 * study (domain/ml/tpe/study.ts) runs the same on it as on the in-memory storage; trials are written
 * as they happen; finished trials take no further writes; asks are idempotent by key, dense and
 * serialised under concurrency; stale running trials are failed unless owned; a resumed spec that
 * differs is named by its first differing field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createStudy, TrialPruned, type Objective } from '../../domain/ml/tpe/study';
import { InMemoryStudyStorage, TrialStateError } from '../../domain/ml/tpe/storage';
import { TPESampler } from '../../domain/ml/tpe/tpe-sampler';
import { RandomSampler } from '../../domain/ml/tpe/random-sampler';
import { MedianPruner } from '../../domain/ml/tpe/median-pruner';
import { BRANIN_SPACE, TEST_PROBLEMS } from '../../domain/ml/tpe/test-functions';
import { bestTrial, createOrGetStudy, PgStudyStorage, storedSpec, studyCounts } from '../../activities/ml/study-store';
import { studyMismatch } from '../../activities/ml/tune';
import type { StudySpec } from '../../schemas/tune';
import { freshDatabase } from '../support/postgres';
import { sqlQuery, trialRows } from './tune-support';

const log = createLogger('test', { level: 'error' });

describe('PgStudyStorage (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;

  beforeAll(async () => {
    database = await freshDatabase('wx_study_store');
    db = createDb(database.url, { log });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const spec = (study: string, over: Partial<StudySpec> = {}): StudySpec => ({
    study,
    space: BRANIN_SPACE,
    direction: 'minimize',
    objective: { name: 'branin', options: { steps: 3 } },
    sampler: { kind: 'tpe', seed: 1, options: {} },
    pruner: { kind: 'none' },
    ...over,
  });
  const storageFor = async (name: string) => new PgStudyStorage(db.db, (await createOrGetStudy(db.db, spec(name), 10)).row.studyId);

  it("runs the tuner's study exactly as the in-memory storage does (TPE, median pruner, intermediate values)", async () => {
    const objective: Objective = async (trial) => {
      const value = TEST_PROBLEMS.branin.evaluate(trial.params);
      for (let step = 0; step < 3; step++) {
        await trial.report(step, value * (1 + (2 - step) * 0.1));
        if (await trial.shouldPrune()) throw new TrialPruned();
      }
      return value;
    };
    const make = (storage: InMemoryStudyStorage | PgStudyStorage) =>
      createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 11, nStartupTrials: 5 }), pruner: new MedianPruner({ nStartupTrials: 3, nWarmupSteps: 1 }), storage });
    const inMemory = await make(new InMemoryStudyStorage()).optimize(objective, { trials: 25 });
    const pg = await make(await storageFor('same-as-memory')).optimize(objective, { trials: 25 });
    expect(pg).toEqual(inMemory);
    expect(pg.filter((t) => t.state === 'complete').length).toBeGreaterThan(5);
    expect(pg.some((t) => t.state === 'pruned')).toBe(true);
    // What the rows hold is what the sampler saw.
    const rows = await trialRows(database.url, 'same-as-memory');
    expect(rows.map((r) => [r.number, r.state, r.value, r.params])).toEqual(pg.map((t) => [t.number, t.state, t.value ?? null, t.params]));
  });

  it('writes each trial as it happens and refuses writes to a finished one (the first tell wins)', async () => {
    const storage = await storageFor('as-it-happens');
    const study = createStudy({ space: BRANIN_SPACE, sampler: new RandomSampler({ seed: 2 }), storage });
    const trial = await study.ask();
    let [row] = await trialRows(database.url, 'as-it-happens');
    expect(row).toMatchObject({ number: 0, state: 'running', params: trial.params, intermediate_values: {} });
    await trial.report(0, 5.5);
    expect(await storage.report(0, 1, 4.5)).toBe(true);
    [row] = await trialRows(database.url, 'as-it-happens');
    expect(row!.intermediate_values).toEqual({ '0': 5.5, '1': 4.5 });

    expect(await storage.tell(0, 'fail', undefined, 'worker died')).toEqual({ number: 0, state: 'fail', value: null, params: trial.params });
    // A late worker's writes change nothing once the trial is finished.
    expect(await storage.tell(0, 'complete', 1.25)).toMatchObject({ state: 'fail', value: null });
    expect(await storage.report(0, 2, 3)).toBe(false);
    expect(await storage.beat(0)).toBe(false);
    await expect(storage.updateTrial(0, { state: 'complete', value: 1 })).rejects.toThrow(TrialStateError);
    [row] = await trialRows(database.url, 'as-it-happens');
    expect(row).toMatchObject({ state: 'fail', value: null, error: 'worker died', intermediate_values: { '0': 5.5, '1': 4.5 } });
    await expect(storage.report(0, 3, Number.NaN)).rejects.toThrow('must be a finite number');
  });

  it('asks idempotently by key: concurrent asks get dense numbers, a repeated key the same trial', async () => {
    const storage = await storageFor('asks');
    const sampler = new RandomSampler({ seed: 5 });
    const seen: number[][] = [];
    const sample = (trials: { number: number }[], number: number) => {
      seen.push(trials.map((t) => t.number));
      return sampler.sample(BRANIN_SPACE, [], 'minimize', number);
    };
    const asked = await Promise.all(['a', 'b', 'c', 'd'].map((k) => storage.ask(k, sample, { owned: [], staleAfterSeconds: 60 })));
    expect(asked.map((a) => a.number).sort()).toEqual([0, 1, 2, 3]);
    // One at a time: each sample saw every trial asked before it.
    expect(seen.map((s) => s.length).sort()).toEqual([0, 1, 2, 3]);
    const again = await storage.ask('c', sample, { owned: [], staleAfterSeconds: 60 });
    expect(again).toEqual({ number: asked[2]!.number, params: asked[2]!.params, created: false, markedStale: [] });
    expect(await trialRows(database.url, 'asks')).toHaveLength(4);
  });

  it('marks running trials with a stale heartbeat failed when asking, except those the asker owns', async () => {
    const storage = await storageFor('stale-store');
    const sample = (_: unknown, n: number) => new RandomSampler({ seed: 1 }).sample(BRANIN_SPACE, [], 'minimize', n);
    await storage.ask('old-1', sample, { owned: [], staleAfterSeconds: 60 });
    await storage.ask('old-2', sample, { owned: [], staleAfterSeconds: 60 });
    await sqlQuery(database.url, `update ml.trial set heartbeat_at = now() - interval '10 minutes' where study_id = $1`, [storage.studyId]);
    const asked = await storage.ask('new', sample, { owned: [1], staleAfterSeconds: 60 });
    expect(asked).toMatchObject({ number: 2, markedStale: [0] });
    const rows = await trialRows(database.url, 'stale-store');
    expect(rows.map((r) => r.state)).toEqual(['fail', 'running', 'running']);
    expect(rows[0]!.error).toMatch(/^stale heartbeat/);
  });

  it('finds the best complete trial in either direction (pruned and failed trials never count)', async () => {
    for (const direction of ['minimize', 'maximize'] as const) {
      const { row } = await createOrGetStudy(db.db, spec(`best-${direction}`, { direction }), 5);
      const storage = new PgStudyStorage(db.db, row.studyId);
      const sample = (_: unknown, n: number) => ({ x1: n, x2: 0 });
      const outcomes = [
        ['complete', 3],
        ['pruned', direction === 'minimize' ? 0.5 : 9],
        ['complete', 1],
        ['fail', undefined],
        ['complete', 2],
        ['complete', direction === 'minimize' ? 1 : 3],
      ] as const;
      for (const [i, [state, value]] of outcomes.entries()) {
        const { number } = await storage.ask(`k${i}`, sample, { owned: [], staleAfterSeconds: 60 });
        await storage.tell(number, state, value);
      }
      // Ties go to the earlier trial.
      expect(await bestTrial(db.db, row.studyId, direction)).toEqual(direction === 'minimize' ? { number: 2, value: 1, params: { x1: 2, x2: 0 } } : { number: 0, value: 3, params: { x1: 0, x2: 0 } });
      expect(await studyCounts(db.db, row.studyId)).toEqual({ complete: 4, pruned: 1, fail: 1, running: 0 });
    }
  });

  it('keeps one row per study name and names the first field a resumed spec changes', async () => {
    const a = await createOrGetStudy(db.db, spec('spec'), 5);
    const b = await createOrGetStudy(db.db, spec('spec', { objective: { name: 'branin', options: { steps: 4 } } }), 9);
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.row.studyId).toBe(a.row.studyId);
    const stored = storedSpec(b.row);
    expect(studyMismatch(stored, spec('spec'))).toBeUndefined();
    expect(studyMismatch(stored, spec('spec', { direction: 'maximize' }))).toBe('study "spec" exists with another direction: direction is "minimize" there, "maximize" here (use another study name)');
    expect(studyMismatch(stored, spec('spec', { objective: { name: 'branin', options: { steps: 4 } } }))).toBe(
      'study "spec" exists with another objective: objective.options.steps is 3 there, 4 here (use another study name)',
    );
    expect(studyMismatch(stored, spec('spec', { space: { ...BRANIN_SPACE, x3: { type: 'int', low: 1, high: 3, step: 1, log: false } } }))).toBe(
      'study "spec" exists with another space: space.x3 is absent there, {"type":"int","low":1,"high":3,"step":1,"log":false} here (use another study name)',
    );
  });
});
