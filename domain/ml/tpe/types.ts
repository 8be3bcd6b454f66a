/**
 * The tuner's shared vocabulary: search spaces, trials as samplers see them, and the sampler,
 * pruner and storage contracts. Pure types and zod schemas; the TPE and random samplers, the median
 * pruner and the in-memory study live beside this file, the PostgreSQL storage in activities/ml/.
 *
 * Modelled on Optuna 5: a sampler reads every trial of the study (complete, pruned, failed and still
 * running) and proposes the next parameters; the study asks, the objective reports intermediate
 * values, the pruner may stop it, and the study tells the result.
 */
import { z } from 'zod';

export const floatDistributionSchema = z
  .object({
    type: z.literal('float'),
    low: z.number(),
    high: z.number(),
    log: z.boolean().default(false),
    /** Optional grid step (not allowed together with log, as in Optuna). */
    step: z.number().positive().optional(),
  })
  .superRefine((d, ctx) => {
    if (!(d.low <= d.high)) ctx.addIssue({ code: 'custom', path: ['high'], message: `high ${d.high} < low ${d.low}` });
    if (d.log && !(d.low > 0)) ctx.addIssue({ code: 'custom', path: ['low'], message: `log needs low > 0, got ${d.low}` });
    if (d.log && d.step !== undefined) ctx.addIssue({ code: 'custom', path: ['step'], message: 'step is not allowed with log' });
  });

export const intDistributionSchema = z
  .object({
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    log: z.boolean().default(false),
    step: z.number().int().positive().default(1),
  })
  .superRefine((d, ctx) => {
    if (!(d.low <= d.high)) ctx.addIssue({ code: 'custom', path: ['high'], message: `high ${d.high} < low ${d.low}` });
    if (d.log && !(d.low >= 1)) ctx.addIssue({ code: 'custom', path: ['low'], message: `log needs low >= 1, got ${d.low}` });
    if (d.log && d.step !== 1) ctx.addIssue({ code: 'custom', path: ['step'], message: 'step must be 1 with log' });
  });

export const categoricalDistributionSchema = z.object({
  type: z.literal('categorical'),
  choices: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1),
});

export const distributionSchema = z.union([floatDistributionSchema, intDistributionSchema, categoricalDistributionSchema]);
export type Distribution = z.infer<typeof distributionSchema>;
export type FloatDistribution = z.infer<typeof floatDistributionSchema>;
export type IntDistribution = z.infer<typeof intDistributionSchema>;
export type CategoricalDistribution = z.infer<typeof categoricalDistributionSchema>;

/** Parameter name -> distribution. Order of keys is the order parameters are sampled and shown. */
export const searchSpaceSchema = z.record(z.string().min(1), distributionSchema).refine((s) => Object.keys(s).length > 0, 'search space is empty');
export type SearchSpace = z.infer<typeof searchSpaceSchema>;

export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

export const TRIAL_STATES = ['running', 'complete', 'pruned', 'fail'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

export type Direction = 'minimize' | 'maximize';

/** A trial as samplers and pruners see it (Optuna's FrozenTrial). */
export interface FrozenTrial {
  /** 0-based, in the order trials were asked. */
  number: number;
  state: TrialState;
  params: Params;
  /** Set when complete. */
  value?: number;
  /** step -> reported intermediate value. */
  intermediate: Record<number, number>;
}

/** Deterministic random numbers in [0, 1) (domain/ml/rng.ts); samplers never use Math.random. */
export type { Rng } from '../rng';

export interface Sampler {
  /**
   * Proposes parameters for trial `number` given every trial of the study so far (running ones
   * included, so a constant-liar sampler can steer away from them). Deterministic for a given seed,
   * trial number and history, so that re-asking a trial after a crash proposes the same point.
   */
  sample(space: SearchSpace, trials: readonly FrozenTrial[], direction: Direction, number: number): Params;
}

export interface Pruner {
  /** True when the trial (whose intermediate values include the latest step) should stop now. */
  shouldPrune(trial: FrozenTrial, trials: readonly FrozenTrial[], direction: Direction): boolean;
}
