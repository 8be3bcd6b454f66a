/**
 * A study's sampler and pruner from their JSON specs (ml.study.sampler / .pruner, the workflow input).
 * Only options that survive JSON are accepted, strictly, so a typo is an error naming the field.
 */
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseOptions } from './objectives';
import { RandomSampler } from '../../domain/ml/tpe/random-sampler';
import { TPESampler } from '../../domain/ml/tpe/tpe-sampler';
import { MedianPruner } from '../../domain/ml/tpe/median-pruner';
import type { Pruner, Sampler } from '../../domain/ml/tpe/types';
import type { PrunerSpec, SamplerSpec } from '../../schemas/tune';

export class SamplerSpecError extends DomainError {}

const tpeOptions = z.strictObject({
  nStartupTrials: z.number().int().nonnegative().optional(),
  nEiCandidates: z.number().int().positive().optional(),
  multivariate: z.boolean().optional(),
  constantLiar: z.boolean().optional(),
  priorWeight: z.number().positive().optional(),
  considerMagicClip: z.boolean().optional(),
  considerEndpoints: z.boolean().optional(),
});

const medianOptions = z.strictObject({
  nStartupTrials: z.number().int().nonnegative().optional(),
  nWarmupSteps: z.number().int().nonnegative().optional(),
  intervalSteps: z.number().int().positive().optional(),
  nMinTrials: z.number().int().positive().optional(),
});

export function samplerFor(spec: SamplerSpec): Sampler {
  if (spec.kind === 'random') {
    parseOptions(z.strictObject({}), spec.options ?? {}, 'sampler.options', SamplerSpecError);
    return new RandomSampler({ seed: spec.seed });
  }
  const options = parseOptions(tpeOptions, spec.options ?? {}, 'sampler.options', SamplerSpecError);
  return new TPESampler({ ...options, seed: spec.seed });
}

/** The pruner, or undefined for { kind: 'none' }. */
export function prunerFor(spec: PrunerSpec): Pruner | undefined {
  if (spec.kind === 'none') return undefined;
  const options = parseOptions(medianOptions, spec.options ?? {}, 'pruner.options', SamplerSpecError);
  return new MedianPruner(options);
}
