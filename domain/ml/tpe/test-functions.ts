/**
 * Standard optimisation test functions (Surjanovic and Bingham's Virtual Library of Simulation
 * Experiments) with their search spaces and known global minima, for the tuner's tests and
 * benchmarks.
 */
import type { Params, SearchSpace } from './types';

const BRANIN_B = 5.1 / (4 * Math.PI * Math.PI);
const BRANIN_C = 5 / Math.PI;
const BRANIN_T = 1 / (8 * Math.PI);

/** Branin-Hoo on x1 in [-5, 10], x2 in [0, 15]; three global minima of 0.397887. */
export function branin(x1: number, x2: number): number {
  const u = x2 - BRANIN_B * x1 * x1 + BRANIN_C * x1 - 6;
  return u * u + 10 * (1 - BRANIN_T) * Math.cos(x1) + 10;
}

export const BRANIN_MINIMUM = 0.397887;
/** The three minimisers. */
export const BRANIN_ARGMIN: readonly (readonly [number, number])[] = [
  [-Math.PI, 12.275],
  [Math.PI, 2.275],
  [9.42478, 2.475],
];
export const BRANIN_SPACE: SearchSpace = {
  x1: { type: 'float', low: -5, high: 10, log: false },
  x2: { type: 'float', low: 0, high: 15, log: false },
};

const H6_ALPHA = [1, 1.2, 3, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6; global minimum -3.32237. */
export function hartmann6(x: readonly number[]): number {
  if (x.length !== 6) throw new RangeError(`hartmann6 takes 6 coordinates, got ${x.length}`);
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      const d = x[j]! - H6_P[i]![j]!;
      inner += H6_A[i]![j]! * d * d;
    }
    sum += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

export const HARTMANN6_MINIMUM = -3.32237;
export const HARTMANN6_ARGMIN: readonly number[] = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
export const HARTMANN6_SPACE: SearchSpace = Object.fromEntries(
  [0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, { type: 'float' as const, low: 0, high: 1, log: false }]),
);

export interface TestProblem {
  name: string;
  space: SearchSpace;
  minimum: number;
  /** The objective on a trial's params. */
  evaluate(params: Params): number;
}

const num = (params: Params, name: string): number => {
  const v = params[name];
  if (typeof v !== 'number') throw new RangeError(`params.${name}: expected a number, got ${JSON.stringify(v)}`);
  return v;
};

export const TEST_PROBLEMS: Record<'branin' | 'hartmann6', TestProblem> = {
  branin: { name: 'branin', space: BRANIN_SPACE, minimum: BRANIN_MINIMUM, evaluate: (p) => branin(num(p, 'x1'), num(p, 'x2')) },
  hartmann6: {
    name: 'hartmann6',
    space: HARTMANN6_SPACE,
    minimum: HARTMANN6_MINIMUM,
    evaluate: (p) => hartmann6([0, 1, 2, 3, 4, 5].map((i) => num(p, `x${i}`))),
  },
};
