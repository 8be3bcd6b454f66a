/**
 * The search space of the per-city bracket model's TPE study (the 'bracket' objective): the GBDT
 * parameters that matter on a few hundred days of near-duplicate snapshots — learning rate, tree size,
 * leaf size, column sampling and L2. Rounds are not tuned: each fold early-stops on its own days.
 * Pure data, shared by the train workflow (which starts the study) and the objective.
 */
import type { SearchSpace } from './tpe/types';

export const BRACKET_SEARCH_SPACE: SearchSpace = {
  learningRate: { type: 'float', low: 0.005, high: 0.2, log: true },
  numLeaves: { type: 'int', low: 2, high: 32, log: true, step: 1 },
  minDataInLeaf: { type: 'int', low: 20, high: 2000, log: true, step: 1 },
  featureFraction: { type: 'float', low: 0.4, high: 1, log: false },
  lambdaL2: { type: 'float', low: 1e-3, high: 100, log: true },
};
