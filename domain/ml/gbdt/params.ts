/**
 * GBDT training parameters: LightGBM's names (camelCased) and defaults, so settings carry over
 * from one library to the other when the two are compared on the same rows.
 */
import { z } from 'zod';
import { DomainError, describeValue } from '../../errors';
import { OBJECTIVES } from './model';

export class InvalidGbdtParamsError extends DomainError {}

const int = (min: number) => z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(min, { error: `must be >= ${min}` });
const num = () => z.number({ error: 'must be a number' }).refine(Number.isFinite, { error: 'must be finite' });
const nonNeg = () => num().min(0, { error: 'must be >= 0' });
const fraction = () => num().gt(0, { error: 'must be > 0' }).max(1, { error: 'must be <= 1' });

export const gbdtParamsSchema = z
  .object({
    objective: z.enum(OBJECTIVES, { error: `must be one of ${OBJECTIVES.join('|')}` }),
    /** Required for multiclass and ordinal (2 for binary). */
    numClasses: int(2).optional(),
    numIterations: int(1).default(100),
    learningRate: num().gt(0, { error: 'must be > 0' }).default(0.1),
    numLeaves: int(2).max(131072, { error: 'must be <= 131072' }).default(31),
    /** No limit when absent. */
    maxDepth: int(1).optional(),
    minDataInLeaf: int(1).default(20),
    minSumHessianInLeaf: nonNeg().default(1e-3),
    lambdaL1: nonNeg().default(0),
    lambdaL2: nonNeg().default(0),
    minGainToSplit: nonNeg().default(0),
    baggingFraction: fraction().default(1),
    /** Re-draw the bag every `baggingFreq` iterations; 0 disables bagging. */
    baggingFreq: int(0).default(0),
    featureFraction: fraction().default(1),
    maxBins: int(2).max(65535, { error: 'must be <= 65535' }).default(255),
    minDataInBin: int(1).default(3),
    /** Per feature: 1 increasing, -1 decreasing, 0 free. */
    monotoneConstraints: z.array(z.union([z.literal(-1), z.literal(0), z.literal(1)], { error: 'entries must be -1, 0 or 1' })).optional(),
    earlyStoppingRounds: int(1).optional(),
    seed: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).default(0),
    /** Histogram threads: honoured by ml/parallel's trainGbdtThreaded (domain/ has no threads). */
    numThreads: int(1).default(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.objective === 'binary' && p.numClasses !== undefined && p.numClasses !== 2) {
      ctx.addIssue({ code: 'custom', path: ['numClasses'], message: 'must be 2 for binary' });
    }
    if (p.objective !== 'binary' && p.numClasses === undefined) {
      ctx.addIssue({ code: 'custom', path: ['numClasses'], message: `is required for ${p.objective}` });
    }
    if (p.objective === 'ordinal' && p.numClasses !== undefined && p.numClasses < 3) {
      ctx.addIssue({ code: 'custom', path: ['numClasses'], message: 'must be >= 3 for ordinal (use binary for 2 classes)' });
    }
  });

export type GbdtParamsInput = z.input<typeof gbdtParamsSchema>;
/** Parsed parameters; numClasses is always set (2 for binary). */
export type GbdtParams = z.infer<typeof gbdtParamsSchema> & { numClasses: number };

/** Parses training parameters; the error is one line naming the field and the value. */
export function parseGbdtParams(value: unknown): GbdtParams {
  const r = gbdtParamsSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new InvalidGbdtParamsError(`params.${issue.keys[0]}: unknown parameter`);
    }
    let got: unknown = value;
    for (const key of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
    const field = issue.path.length > 0 ? `params.${issue.path.join('.')}` : 'params';
    throw new InvalidGbdtParamsError(`${field}: ${issue.message}, got ${describeValue(got)}`);
  }
  return { ...r.data, numClasses: r.data.numClasses ?? 2 };
}
