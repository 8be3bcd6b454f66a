import { describe, expect, it } from 'vitest';
import { RandomSampler } from './random-sampler';
import { contains, parseSearchSpace } from './space';
import { createStudy } from './study';
import { TEST_PROBLEMS, type TestProblem } from './test-functions';
import { TPESampler, defaultGamma, splitTrials } from './tpe-sampler';
import type { FrozenTrial, Params, Sampler, SearchSpace } from './types';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

async function bestAfter(problem: TestProblem, sampler: Sampler, trials: number): Promise<number> {
  const study = createStudy({ space: problem.space, sampler });
  await study.optimize((t) => problem.evaluate(t.params), { trials });
  return (await study.bestTrial())!.value!;
}

/** History of `n` complete trials drawn at random and scored by the problem. */
function randomHistory(problem: TestProblem, n: number, seed: number): FrozenTrial[] {
  const random = new RandomSampler({ seed });
  const trials: FrozenTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = random.sample(problem.space, trials, 'minimize', i);
    trials.push({ number: i, state: 'complete', params, value: problem.evaluate(params), intermediate: {} });
  }
  return trials;
}

const SEEDS = Array.from({ length: 20 }, (_, i) => i);

describe('TPESampler against random search (50 trials, 20 seeds)', () => {
  for (const problem of [TEST_PROBLEMS.branin, TEST_PROBLEMS.hartmann6]) {
    it(`finds better values on ${problem.name}`, async () => {
      const tpe: number[] = [];
      const random: number[] = [];
      for (const seed of SEEDS) {
        tpe.push(await bestAfter(problem, new TPESampler({ seed }), 50));
        random.push(await bestAfter(problem, new RandomSampler({ seed }), 50));
      }
      const wins = tpe.filter((v, i) => v < random[i]!).length;
      console.log(`${problem.name}: median best TPE ${median(tpe).toFixed(4)}, random ${median(random).toFixed(4)}, TPE better on ${wins}/20 seeds (minimum ${problem.minimum})`);
      expect(median(tpe)).toBeLessThan(median(random));
      expect(wins).toBeGreaterThan(SEEDS.length / 2);
      for (const v of tpe) expect(v).toBeGreaterThanOrEqual(problem.minimum - 1e-4);
    });
  }
});

describe('TPESampler against random search on a mixed space (50 trials, 20 seeds)', () => {
  it('wins with log, int, stepped and categorical parameters too', async () => {
    // A GBDT-like response: a best learning rate near 0.05, about 32 leaves, depth 6, bagging 0.8, gbdt.
    const problem: TestProblem = {
      name: 'mixed',
      minimum: 0,
      space: parseSearchSpace({
        lr: { type: 'float', low: 1e-3, high: 1, log: true },
        leaves: { type: 'int', low: 4, high: 512, log: true },
        depth: { type: 'int', low: 2, high: 12, step: 2 },
        frac: { type: 'float', low: 0.1, high: 1, step: 0.05 },
        booster: { type: 'categorical', choices: ['gbdt', 'dart', 'goss', 'rf'] },
      }),
      evaluate: (p) =>
        (Math.log10(p.lr as number) + 1.3) ** 2 +
        (0.3 * (Math.log2(p.leaves as number) - 5) ** 2) / 4 +
        0.05 * Math.abs((p.depth as number) - 6) +
        2 * ((p.frac as number) - 0.8) ** 2 +
        ({ gbdt: 0, dart: 0.3, goss: 0.2, rf: 1 } as Record<string, number>)[p.booster as string]!,
    };
    const tpe: number[] = [];
    const random: number[] = [];
    for (const seed of SEEDS) {
      tpe.push(await bestAfter(problem, new TPESampler({ seed }), 50));
      random.push(await bestAfter(problem, new RandomSampler({ seed }), 50));
    }
    expect(median(tpe)).toBeLessThan(median(random));
    expect(tpe.filter((v, i) => v < random[i]!).length).toBeGreaterThan(SEEDS.length / 2);
  });
});

describe('TPESampler determinism', () => {
  const problem = TEST_PROBLEMS.hartmann6;

  it('gives the same study for the same seed and different ones for different seeds', async () => {
    const run = async (seed: number) => {
      const study = createStudy({ space: problem.space, sampler: new TPESampler({ seed }) });
      await study.optimize((t) => problem.evaluate(t.params), { trials: 25 });
      return (await study.trials()).map((t) => t.params);
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('re-asking trial N with the same history proposes the same parameters, before and after start-up', () => {
    const history = randomHistory(problem, 30, 3);
    for (const n of [5, 30]) {
      const trials = history.slice(0, n);
      const first = new TPESampler({ seed: 11 }).sample(problem.space, trials, 'minimize', n);
      // A fresh sampler (a restarted worker) with the same seed, history and number.
      const again = new TPESampler({ seed: 11 }).sample(problem.space, structuredClone(trials), 'minimize', n);
      expect(again).toEqual(first);
      expect(new TPESampler({ seed: 11 }).sample(problem.space, trials, 'minimize', n + 1)).not.toEqual(first);
    }
  });

  it('ignores the trial being sampled itself (its own running record)', () => {
    const history = randomHistory(problem, 20, 4);
    const sampler = new TPESampler({ seed: 1 });
    const without = sampler.sample(problem.space, history, 'minimize', 20);
    const withOwn = sampler.sample(problem.space, [...history, { number: 20, state: 'running', params: without, intermediate: {} }], 'minimize', 20);
    expect(withOwn).toEqual(without);
  });
});

describe('TPESampler start-up and history handling', () => {
  const problem = TEST_PROBLEMS.branin;

  it('samples at random until 10 trials are complete or pruned (failed and running ones do not count)', () => {
    const complete = randomHistory(problem, 9, 5);
    const extra: FrozenTrial[] = [
      { number: 9, state: 'fail', params: { x1: 0, x2: 0 }, intermediate: {} },
      { number: 10, state: 'running', params: { x1: 1, x2: 1 }, intermediate: {} },
    ];
    const tpe = new TPESampler({ seed: 2 });
    const a = tpe.sample(problem.space, [...complete, ...extra], 'minimize', 11);
    // Still random: the proposal does not depend on the values of the history.
    const shuffledValues = [...complete, ...extra].map((t) => ({ ...t, value: t.value === undefined ? undefined : -t.value }));
    expect(tpe.sample(problem.space, shuffledValues, 'minimize', 11)).toEqual(a);
    // The tenth finished trial (a pruned one) switches TPE on: values now matter.
    const pruned: FrozenTrial = { number: 11, state: 'pruned', params: { x1: 2, x2: 2 }, intermediate: { 0: 50 } };
    const b = tpe.sample(problem.space, [...complete, ...extra, pruned], 'minimize', 12);
    const bFlipped = tpe.sample(problem.space, [...shuffledValues, pruned], 'minimize', 12);
    expect(b).not.toEqual(bFlipped);
  });

  it('splits by gamma: the best complete trials first, then pruned ones by depth and last value; running ones are bad', () => {
    expect([1, 10, 11, 100, 250, 251, 1000].map(defaultGamma)).toEqual([1, 1, 2, 10, 25, 25, 25]);
    const t = (number: number, state: FrozenTrial['state'], value: number | undefined, intermediate: Record<number, number> = {}): FrozenTrial => ({
      number,
      state,
      params: {},
      intermediate,
      ...(value === undefined ? {} : { value }),
    });
    const trials = [
      t(0, 'complete', 5),
      t(1, 'complete', 1),
      t(2, 'pruned', undefined, { 0: 9, 3: 4 }),
      t(3, 'pruned', undefined, { 0: 0.5 }),
      t(4, 'running', undefined),
      t(5, 'complete', 3),
      t(6, 'pruned', undefined, { 0: 9, 3: 2 }),
    ];
    const nums = (xs: FrozenTrial[]) => xs.map((x) => x.number);
    expect(nums(splitTrials(trials, 2, 'minimize').below)).toEqual([1, 5]);
    // All three complete trials, then the deepest pruned trial with the better last value (6 over 2).
    expect(nums(splitTrials(trials, 4, 'minimize').below)).toEqual([0, 1, 5, 6]);
    expect(nums(splitTrials(trials, 4, 'minimize').above)).toEqual([2, 3, 4]);
    expect(nums(splitTrials(trials, 2, 'maximize').below)).toEqual([0, 5]);
    expect(nums(splitTrials(trials, 4, 'maximize').below)).toEqual([0, 1, 2, 5]);
  });

  it('concentrates near the optimum for maximisation as it does for minimisation', () => {
    const history = randomHistory(problem, 40, 6);
    const negated = history.map((t) => ({ ...t, value: -t.value! }));
    const countNearGood = (trials: FrozenTrial[], direction: 'minimize' | 'maximize') => {
      let sum = 0;
      for (let n = 0; n < 30; n++) sum += problem.evaluate(new TPESampler({ seed: n }).sample(problem.space, trials, direction, 40));
      return sum / 30;
    };
    const minimising = countNearGood(history, 'minimize');
    expect(countNearGood(negated, 'maximize')).toBeCloseTo(minimising, 10);
    // And far better than proposals that chase the worst values.
    expect(minimising).toBeLessThan(countNearGood(history, 'maximize'));
  });
});

describe('TPESampler constant liar', () => {
  const problem = TEST_PROBLEMS.branin;
  const spread = async (constantLiar: boolean, seed: number) => {
    const study = createStudy({ space: problem.space, sampler: new TPESampler({ seed, constantLiar }) });
    await study.optimize((t) => problem.evaluate(t.params), { trials: 20 });
    const asked: Params[] = [];
    // Eight asks while none of them is told: each later ask sees the earlier ones running.
    for (let i = 0; i < 8; i++) asked.push((await study.ask()).params);
    const pts = asked.map((p) => [((p.x1 as number) + 5) / 15, (p.x2 as number) / 15] as const);
    let sum = 0;
    let count = 0;
    for (let i = 0; i < pts.length; i++) {
      for (let j = i + 1; j < pts.length; j++) {
        sum += Math.hypot(pts[i]![0] - pts[j]![0], pts[i]![1] - pts[j]![1]);
        count++;
      }
    }
    return { asked, meanDistance: sum / count };
  };

  it('running trials steer later asks away: concurrent asks differ and spread more than without it', async () => {
    const withLiar: number[] = [];
    const without: number[] = [];
    for (const seed of SEEDS) {
      const liar = await spread(true, seed);
      expect(new Set(liar.asked.map((p) => JSON.stringify(p))).size).toBe(liar.asked.length);
      withLiar.push(liar.meanDistance);
      without.push((await spread(false, seed)).meanDistance);
    }
    expect(median(withLiar)).toBeGreaterThan(median(without));
  });

  it('uses running trials only when on', () => {
    const history = randomHistory(problem, 20, 9);
    const best = history.reduce((a, b) => (a.value! <= b.value! ? a : b));
    const running: FrozenTrial = { number: 20, state: 'running', params: best.params, intermediate: {} };
    const on = new TPESampler({ seed: 3 });
    const off = new TPESampler({ seed: 3, constantLiar: false });
    expect(off.sample(problem.space, [...history, running], 'minimize', 21)).toEqual(off.sample(problem.space, history, 'minimize', 21));
    expect(on.sample(problem.space, [...history, running], 'minimize', 21)).not.toEqual(on.sample(problem.space, history, 'minimize', 21));
  });
});

describe('samplers stay inside the space and on its grid', () => {
  const space: SearchSpace = parseSearchSpace({
    lr: { type: 'float', low: 1e-4, high: 1, log: true },
    frac: { type: 'float', low: 0.1, high: 0.9, step: 0.1 },
    leaves: { type: 'int', low: 4, high: 256, log: true },
    depth: { type: 'int', low: -3, high: 12, step: 3 },
    rounds: { type: 'int', low: 1, high: 3 },
    x: { type: 'float', low: -2, high: 2 },
    kind: { type: 'categorical', choices: ['gbdt', 'dart', null, 3, true] },
    fixed: { type: 'int', low: 5, high: 5 },
  });
  // Optimum deliberately at edges of the space, to push kernels against the bounds.
  const objective = (p: Params) =>
    Math.log(p.lr as number) + (p.frac as number) + (p.leaves as number) / 100 - (p.depth as number) + (p.x as number) ** 2 + (p.kind === null ? 0 : 1) + (p.rounds as number);

  for (const [name, make] of [
    ['TPE multivariate', (seed: number) => new TPESampler({ seed })],
    ['TPE independent', (seed: number) => new TPESampler({ seed, multivariate: false })],
    ['random', (seed: number) => new RandomSampler({ seed })],
  ] as const) {
    it(name, async () => {
      const seen = new Map<string, Set<unknown>>();
      for (const seed of [1, 2, 3]) {
        const study = createStudy({ space, sampler: make(seed) });
        await study.optimize((t) => objective(t.params), { trials: 40, parallel: 3 });
        for (const t of await study.trials()) {
          expect(t.state).toBe('complete');
          for (const [param, d] of Object.entries(space)) {
            const v = t.params[param]!;
            if (!contains(d, v)) throw new Error(`${name}: trial ${t.number} ${param}=${JSON.stringify(v)} is outside ${JSON.stringify(d)}`);
            if (!seen.has(param)) seen.set(param, new Set());
            seen.get(param)!.add(v);
          }
        }
      }
      // Every categorical choice and both ends of a small int range get proposed.
      expect(seen.get('kind')!.size).toBe(5);
      expect([...seen.get('rounds')!].sort()).toEqual([1, 2, 3]);
      expect([...seen.get('fixed')!]).toEqual([5]);
      expect(seen.get('depth')!.size).toBeGreaterThan(2);
    });
  }
});
