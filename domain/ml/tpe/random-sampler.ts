/**
 * Uniform sampling over the search space (Optuna's RandomSampler): log parameters uniform in log
 * space, int and stepped parameters uniform over their grid cells, categorical uniform over choices.
 */
import { rngFor } from '../rng';
import { isSingle, toExternal } from './space';
import type { Direction, Distribution, FrozenTrial, Params, Rng, Sampler, SearchSpace } from './types';

/** One uniform draw for one parameter, returned as a parameter value on the space's grid. */
export function sampleUniform(d: Distribution, rng: Rng): Params[string] {
  if (isSingle(d)) return d.type === 'categorical' ? d.choices[0]! : d.low;
  if (d.type === 'categorical') return d.choices[Math.min(d.choices.length - 1, Math.floor(rng() * d.choices.length))]!;
  const step = d.type === 'int' ? d.step : (d.step ?? 0);
  let low = d.low - step / 2;
  let high = d.high + step / 2;
  if (d.log) {
    low = Math.log(low);
    high = Math.log(high);
  }
  let x = low + rng() * (high - low);
  if (d.log) x = Math.exp(x);
  // A continuous float never reaches `high` exactly in Optuna either (uniform on [low, high)).
  return toExternal(d, x);
}

export interface RandomSamplerOptions {
  seed?: number | string;
}

export class RandomSampler implements Sampler {
  readonly seed: number | string;

  constructor(options: RandomSamplerOptions = {}) {
    this.seed = options.seed ?? 0;
  }

  sample(space: SearchSpace, _trials: readonly FrozenTrial[], _direction: Direction, number: number): Params {
    const rng = rngFor(this.seed, 'random', number);
    const params: Params = {};
    for (const [name, d] of Object.entries(space)) params[name] = sampleUniform(d, rng);
    return params;
  }
}
