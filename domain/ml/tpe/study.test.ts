import { describe, expect, it } from 'vitest';
import { NopPruner } from './median-pruner';
import { RandomSampler } from './random-sampler';
import { InMemoryStudyStorage, TrialStateError } from './storage';
import { StudyError, TrialPruned, createStudy } from './study';
import { BRANIN_SPACE, branin } from './test-functions';
import { TPESampler } from './tpe-sampler';
import type { Params } from './types';

const objective = (p: Params) => branin(p.x1 as number, p.x2 as number);
/** Lets other lanes run, as a real asynchronous objective (I/O, a worker) would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ask and tell', () => {
  it('numbers trials from 0 and records complete, pruned and failed ends', async () => {
    const study = createStudy({ space: BRANIN_SPACE, sampler: new RandomSampler({ seed: 1 }) });
    const a = await study.ask();
    const b = await study.ask();
    const c = await study.ask();
    const d = await study.ask();
    expect([a.number, b.number, c.number, d.number]).toEqual([0, 1, 2, 3]);
    await b.report(0, 7);
    await b.report(3, 5);
    expect((await study.tell(a.number, 2.5)).state).toBe('complete');
    const pruned = await study.tell(b.number, { state: 'pruned' });
    expect(pruned).toMatchObject({ state: 'pruned', value: 5, intermediate: { 0: 7, 3: 5 } });
    // Optuna fails a trial whose objective value is NaN or infinite.
    expect((await study.tell(c.number, NaN)).state).toBe('fail');
    expect((await study.tell(d.number, { state: 'fail' })).state).toBe('fail');
    await expect(study.tell(a.number, 1)).rejects.toThrow(TrialStateError);
    await expect(study.tell(99, 1)).rejects.toThrow('trial 99: not in the study');
    expect((await study.bestTrial())?.number).toBe(0);
    expect((await study.trials()).map((t) => t.state)).toEqual(['complete', 'pruned', 'fail', 'fail']);
  });

  it('keeps the best trial by direction', async () => {
    for (const [direction, best] of [
      ['minimize', 1],
      ['maximize', 2],
    ] as const) {
      const study = createStudy({ space: BRANIN_SPACE, direction, sampler: new RandomSampler() });
      for (const v of [3, 1, 9, 1]) await study.tell((await study.ask()).number, v);
      expect((await study.bestTrial())!.number).toBe(best);
    }
    expect(await createStudy({ space: BRANIN_SPACE }).bestTrial()).toBeUndefined();
  });

  it('rejects bad study options with one line', () => {
    expect(() => createStudy({ space: { lr: { type: 'float', low: 0, high: 1, log: true } } })).toThrow('space.lr.low: log needs low > 0, got 0');
    expect(() => createStudy({ space: BRANIN_SPACE, direction: 'up' as never })).toThrow(StudyError);
  });
});

describe('resuming a trial', () => {
  it('re-asking a running trial returns its stored params', async () => {
    const study = createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 4 }) });
    await study.optimize((t) => objective(t.params), { trials: 12 });
    const asked = await study.ask();
    expect((await study.ask({ number: asked.number })).params).toEqual(asked.params);
    await study.tell(asked.number, 1);
    await expect(study.ask({ number: asked.number })).rejects.toThrow(`trial ${asked.number}: already complete`);
  });

  it('a trial whose asker died before writing params gets the params the first ask would have got', async () => {
    const storage = new InMemoryStudyStorage();
    const first = createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 9 }), storage });
    await first.optimize((t) => objective(t.params), { trials: 15 });
    // What an uninterrupted ask of trial 15 proposes, on a copy of the same history.
    const copy = new InMemoryStudyStorage();
    for (const t of await storage.listTrials()) {
      const n = await copy.createTrial();
      await copy.updateTrial(n, { params: t.params });
      await copy.updateTrial(n, { state: 'complete', value: t.value! });
    }
    const expected = (await createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 9 }), storage: copy }).ask()).params;
    // The crash: the trial is created, its params never written. A new process resumes it.
    const number = await storage.createTrial();
    const resumed = createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 9 }), storage });
    expect((await resumed.ask({ number })).params).toEqual(expected);
  });

  it('a sampler that throws fails the trial it was asked for and the error reaches the caller', async () => {
    const study = createStudy({
      space: BRANIN_SPACE,
      sampler: {
        sample: () => {
          throw new Error('sampler broke');
        },
      },
    });
    await expect(study.ask()).rejects.toThrow('sampler broke');
    expect((await study.trials()).map((t) => t.state)).toEqual(['fail']);
  });

  it('a second study object over the same storage continues the numbering and the history', async () => {
    const storage = new InMemoryStudyStorage();
    await createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 2 }), storage }).optimize((t) => objective(t.params), { trials: 10 });
    const again = createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 2 }), storage });
    const all = await again.optimize((t) => objective(t.params), { trials: 5 });
    expect(all.map((t) => t.number)).toEqual([...Array(15).keys()]);
    expect(all.every((t) => t.state === 'complete')).toBe(true);
  });
});

describe('optimize', () => {
  it('runs exactly the requested trials with `parallel` objective calls in flight', async () => {
    for (const parallel of [1, 4]) {
      const study = createStudy({ space: BRANIN_SPACE, sampler: new TPESampler({ seed: 3 }) });
      let inFlight = 0;
      let maxInFlight = 0;
      const trials = await study.optimize(
        async (trial) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          for (let i = 0; i < 3; i++) await tick();
          inFlight--;
          return objective(trial.params);
        },
        { trials: 30, parallel },
      );
      expect(trials).toHaveLength(30);
      expect(trials.every((t) => t.state === 'complete')).toBe(true);
      expect(maxInFlight).toBe(parallel);
      expect(new Set(trials.map((t) => t.number)).size).toBe(30);
    }
  });

  it('parallel trials still beat random search (constant liar keeps them apart)', async () => {
    const best = async (seed: number, sampler: 'tpe' | 'random') => {
      const study = createStudy({ space: BRANIN_SPACE, sampler: sampler === 'tpe' ? new TPESampler({ seed }) : new RandomSampler({ seed }) });
      await study.optimize(
        async (t) => {
          await tick();
          return objective(t.params);
        },
        { trials: 50, parallel: 4 },
      );
      return (await study.bestTrial())!.value!;
    };
    let wins = 0;
    for (let seed = 0; seed < 20; seed++) if ((await best(seed, 'tpe')) < (await best(seed, 'random'))) wins++;
    expect(wins).toBeGreaterThan(10);
  });

  it('TrialPruned prunes the trial; another error fails it and stops the run unless told to continue', async () => {
    const study = createStudy({ space: BRANIN_SPACE, sampler: new RandomSampler({ seed: 1 }), pruner: new NopPruner() });
    let calls = 0;
    await expect(
      study.optimize(
        async (trial) => {
          calls++;
          await trial.report(0, 1);
          if (trial.number === 1) throw new TrialPruned();
          if (trial.number === 3) throw new Error('objective broke');
          return 1;
        },
        { trials: 10 },
      ),
    ).rejects.toThrow('objective broke');
    expect(calls).toBe(4);
    expect((await study.trials()).map((t) => t.state)).toEqual(['complete', 'pruned', 'complete', 'fail']);

    const tolerant = createStudy({ space: BRANIN_SPACE, sampler: new RandomSampler({ seed: 1 }) });
    const trials = await tolerant.optimize(
      (trial) => {
        if (trial.number % 2 === 1) throw new Error('odd');
        return 1;
      },
      { trials: 6, continueOnError: true },
    );
    expect(trials.map((t) => t.state)).toEqual(['complete', 'fail', 'complete', 'fail', 'complete', 'fail']);
  });

  it('a storage failure stops the run after the trials in flight finish, and is rethrown', async () => {
    class FlakyStorage extends InMemoryStudyStorage {
      override async updateTrial(number: number, update: Parameters<InMemoryStudyStorage['updateTrial']>[1]): Promise<void> {
        if (number === 5 && update.state !== undefined) throw new Error('connection lost');
        return super.updateTrial(number, update);
      }
    }
    const study = createStudy({ space: BRANIN_SPACE, sampler: new RandomSampler({ seed: 1 }), storage: new FlakyStorage() });
    let inFlight = 0;
    const run = study.optimize(
      async (t) => {
        inFlight++;
        for (let i = 0; i < 3; i++) await tick();
        inFlight--;
        return objective(t.params);
      },
      { trials: 40, parallel: 3 },
    );
    await expect(run).rejects.toThrow('connection lost');
    expect(inFlight).toBe(0);
    const trials = await study.trials();
    expect(trials.length).toBeLessThan(10);
    expect(trials.filter((t) => t.state === 'running').map((t) => t.number)).toEqual([5]);
  });

  it('rejects bad counts', async () => {
    const study = createStudy({ space: BRANIN_SPACE });
    await expect(study.optimize((t) => objective(t.params), { trials: -1 })).rejects.toThrow('trials: expected a non-negative integer, got -1');
    await expect(study.optimize((t) => objective(t.params), { trials: 3, parallel: 0 })).rejects.toThrow('parallel: expected a positive integer, got 0');
    expect(await study.optimize((t) => objective(t.params), { trials: 0 })).toEqual([]);
  });
});

describe('InMemoryStudyStorage', () => {
  it('refuses updates of unknown or finished trials and a complete without a finite value', async () => {
    const storage = new InMemoryStudyStorage();
    const n = await storage.createTrial();
    await expect(storage.updateTrial(n, { state: 'complete' })).rejects.toThrow('trial 0: complete needs a finite value, got undefined');
    await expect(storage.updateTrial(n, { intermediate: { step: -1, value: 1 } })).rejects.toThrow('step must be a non-negative integer');
    await storage.updateTrial(n, { state: 'fail' });
    await expect(storage.updateTrial(n, { params: {} })).rejects.toThrow('trial 0: already fail, cannot update');
    await expect(storage.updateTrial(5, { params: {} })).rejects.toThrow('trial 5: no such trial');
    // Callers get copies: mutating them does not change the stored trial.
    const listed = await storage.listTrials();
    listed[0]!.params.x = 1;
    expect((await storage.getTrial(0))!.params).toEqual({});
  });
});
