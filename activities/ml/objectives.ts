/**
 * The objectives a trial can run, by name. A study names one ({ name, options }); the worker resolves
 * it here, checks its options (zod) and that the study's space has the parameters it needs, then
 * runTrial calls it with the trial's parameters. Objectives report intermediate values through the
 * context (stored at once, and asked of the pruner) and sleep through it (so a cancelled activity
 * stops them).
 *
 * Registered now: the standard test functions (Branin, Hartmann-6) with an optional delay per step, so
 * that tests can make trials last long enough to be interrupted, and 'gbdt' (the GBDT on a training
 * and a validation file, below; the training stage tunes through it). The strategy-tuning stage adds
 * its backtest objective, each options holding references only
 * (dataset ids or paths, fold settings), never rows. An objective must not block the event loop for
 * longer than a third of the heartbeat timeout (heartbeats are timers): CPU-heavy work yields between
 * rounds or runs in worker threads, else the trial is declared dead and re-issued.
 */
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { DomainError, describeValue } from '../../domain/errors';
import { gbdtParamsSchema, parseGbdtParams } from '../../domain/ml/gbdt/params';
import { OBJECTIVES as GBDT_OBJECTIVES } from '../../domain/ml/gbdt/model';
import { TableInputError } from '../../ml/tables';
import { loadTrainingData } from '../../ml/training-data-cache';
import { TrainThreadError, trainInThread } from '../../ml/train-worker';
import { TrialPruned } from '../../domain/ml/tpe/study';
import { TEST_PROBLEMS, type TestProblem } from '../../domain/ml/tpe/test-functions';
import type { Params, SearchSpace } from '../../domain/ml/tpe/types';
import type { ObjectiveSpec } from '../../schemas/tune';
import type { ActivityDeps } from '../index';
import { bracketObjective } from './bracket-objective';

export class ObjectiveSpecError extends DomainError {}

/** Thrown by an objective when the pruner says stop. */
export { TrialPruned };

export interface ObjectiveContext {
  /** Stores the value at `step` (0-based); true when the pruner says the trial should stop now. */
  report(step: number, value: number): Promise<boolean>;
  /** Waits, rejecting when the activity is cancelled. */
  sleep(ms: number): Promise<void>;
  /** A sign of life during long work between reports. */
  heartbeat(): void;
  /** Aborted when the activity is cancelled. */
  signal: AbortSignal;
  deps: ActivityDeps;
}

export interface ObjectiveDefinition<O = unknown> {
  description: string;
  options: z.ZodType<O>;
  /** The parameters the objective reads (the study's space must define each). */
  params(options: O): readonly string[];
  /** Further checks of the space against the options (e.g. every parameter is one the objective knows); throws ObjectiveSpecError. */
  checkSpace?(space: SearchSpace, options: O): void;
  run(params: Params, options: O, ctx: ObjectiveContext): Promise<number>;
}

export type ObjectiveRegistry = Record<string, ObjectiveDefinition<never>>;

const define = <O>(d: ObjectiveDefinition<O>): ObjectiveDefinition<never> => d as unknown as ObjectiveDefinition<never>;

/** Options of the test functions: how many intermediate values to report, and a delay per step. */
const testFunctionOptions = z.strictObject({
  steps: z.number().int().min(1).max(10_000).default(1),
  stepMs: z.number().int().min(0).max(600_000).default(0),
});
type TestFunctionOptions = z.infer<typeof testFunctionOptions>;

/**
 * A test function as a trial: the value is known from the start, reported after each step's delay
 * (so a median pruner can stop clearly worse trials early) and returned after the last step.
 */
function testFunction(problem: TestProblem): ObjectiveDefinition<never> {
  const names = Object.keys(problem.space);
  return define<TestFunctionOptions>({
    description: `${problem.name} (minimum ${problem.minimum}) over ${names.join(', ')}`,
    options: testFunctionOptions,
    params: () => names,
    async run(params, options, ctx) {
      const value = problem.evaluate(params);
      for (let step = 0; step < options.steps; step++) {
        if (options.stepMs > 0) await ctx.sleep(options.stepMs);
        if (await ctx.report(step, value)) throw new TrialPruned(`pruned at step ${step}`);
      }
      return value;
    },
  });
}

// ---------------------------------------------------------------- gbdt

/** The GBDT parameters a space or `fixed` may set (objective and class count come from the options and the data). */
const GBDT_TUNABLE = Object.keys(gbdtParamsSchema.shape).filter((k) => k !== 'objective' && k !== 'numClasses');

/** A trial's failure that is the data's or the parameters' fault (the trial fails with it, not the worker). */
export class GbdtObjectiveError extends DomainError {}

// Checked where the study is opened (the CLI and the ML workers share files in this deployment), so a
// typo fails the study at once rather than every trial.
const dataFile = z
  .string({ error: 'must be a file path' })
  .min(1, { error: 'must be a file path' })
  .refine((p) => existsSync(p) && statSync(p).isFile(), { error: 'no such file (Parquet or CSV)' });

const gbdtOptions = z
  .strictObject({
    train: dataFile,
    valid: dataFile,
    target: z.string({ error: 'must be a column name' }).min(1, { error: 'must be a column name' }),
    ignore: z.array(z.string({ error: 'must be column names' }), { error: 'must be a list of column names' }).optional(),
    objective: z.enum(GBDT_OBJECTIVES, { error: `must be one of ${GBDT_OBJECTIVES.join('|')}` }).optional(),
    /** Parameters every trial shares (e.g. numIterations, numThreads); the trial's own override them. */
    fixed: z.record(z.string(), z.unknown(), { error: 'must be an object of GBDT parameters' }).default({}),
    /** Held-out metric on `valid`, the trial's value (lower is better). */
    metric: z.enum(['logloss', 'rps'], { error: 'must be logloss or rps' }).default('logloss'),
    /** Report the validation loss (an intermediate value, for the pruner) every this many rounds. */
    reportEvery: z.number().int().min(1).max(100_000).default(10),
  })
  .superRefine((o, ctx) => {
    for (const key of Object.keys(o.fixed)) {
      if (!GBDT_TUNABLE.includes(key)) {
        const why = key === 'objective' || key === 'numClasses' ? 'is set by the objective option and the data' : `is not a GBDT parameter (expected ${GBDT_TUNABLE.join(', ')})`;
        ctx.addIssue({ code: 'custom', path: ['fixed', key], message: why });
        return;
      }
    }
    // Values checked on their own now (a stand-in class count); combined with each trial's at run time.
    const objective = o.objective ?? 'binary';
    const r = gbdtParamsSchema.safeParse({ ...o.fixed, objective, numClasses: objective === 'binary' ? 2 : 3 });
    if (!r.success) {
      const issue = r.error.issues[0]!;
      ctx.addIssue({ code: 'custom', path: ['fixed', ...issue.path.map(String)], message: issue.message });
    }
  });
type GbdtOptions = z.infer<typeof gbdtOptions>;

/**
 * Tunes the GBDT: each trial trains on `train` with `fixed` overlaid by the trial's parameters, on its
 * own thread (ml/train-worker.ts), reporting the validation loss every `reportEvery` rounds so a
 * median pruner can stop it; the value is the held-out metric on `valid`. The files are read once per
 * worker process (ml/training-data-cache.ts). With metric 'rps' no intermediate values are reported
 * (the trainer exposes only its own loss per round, which is log loss), so such trials are not pruned.
 */
const gbdt = define<GbdtOptions>({
  description: 'GBDT held-out log loss (or RPS) on a training and a validation file',
  options: gbdtOptions,
  params: () => [],
  checkSpace(space) {
    for (const name of Object.keys(space)) {
      if (!GBDT_TUNABLE.includes(name)) {
        throw new ObjectiveSpecError(`space.${name}: not a GBDT parameter the gbdt objective can tune (expected ${GBDT_TUNABLE.join(', ')})`);
      }
    }
  },
  async run(params, o, ctx) {
    let data: Awaited<ReturnType<typeof loadTrainingData>>;
    try {
      data = await loadTrainingData(o);
    } catch (err) {
      if (err instanceof TableInputError) throw new GbdtObjectiveError(`objective.options: ${err.message}`);
      throw err;
    }
    const K = data.classes.length;
    const objective = o.objective ?? (K === 2 ? 'binary' : 'multiclass');
    if (objective === 'binary' && K !== 2) throw new GbdtObjectiveError(`objective.options.objective: binary, but target ${JSON.stringify(o.target)} has ${K} classes in ${o.train}`);
    if (objective === 'ordinal' && (K < 3 || data.classes.some((c) => typeof c !== 'number' || !Number.isInteger(c)))) {
      throw new GbdtObjectiveError(`objective.options.objective: ordinal needs at least 3 integer classes, target ${JSON.stringify(o.target)} has ${JSON.stringify(data.classes.slice(0, 8))} in ${o.train}`);
    }
    // A bad combination (e.g. a space value the trainer refuses) fails this trial with the reason.
    const gbdtParams = parseGbdtParams({ ...o.fixed, ...params, objective, numClasses: K });
    let outcome: Awaited<ReturnType<typeof trainInThread>>;
    try {
      outcome = await trainInThread(
        { train: data.train, valid: data.valid, featureNames: data.features, params: gbdtParams, reportEvery: o.reportEvery, metric: o.metric },
        { signal: ctx.signal, onProgress: (step, value) => ctx.report(step, value) },
      );
    } catch (err) {
      if (err instanceof TrainThreadError && /^InvalidGbdt/.test(err.originalName)) throw new GbdtObjectiveError(err.message);
      throw err;
    }
    if (outcome.kind === 'stopped') throw new TrialPruned(`pruned at step ${outcome.step}`);
    return outcome.value;
  },
});

/** Every objective this worker can run. */
export const OBJECTIVES: ObjectiveRegistry = {
  branin: testFunction(TEST_PROBLEMS.branin),
  hartmann6: testFunction(TEST_PROBLEMS.hartmann6),
  gbdt,
  // The bracket model on time-series folds of a city dataset's training days (./bracket-objective.ts).
  bracket: define(bracketObjective),
};

/**
 * Options parsed strictly; an error is one line naming the option, e.g.
 * `objective.options.stepMs: -1 is too small (>= 0)` or `objective.options.stepz: unknown option (expected steps, stepMs)`.
 */
export function parseOptions<T>(schema: z.ZodType<T>, value: unknown, what: string, ErrorClass: new (message: string) => DomainError): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const shape = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
    throw new ErrorClass(`${what}.${issue.keys[0]}: unknown option (expected ${shape.length ? shape.join(', ') : 'none'})`);
  }
  let got: unknown = value;
  for (const key of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  const field = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new ErrorClass(`${field}: ${describeValue(got)} rejected: ${issue.message}`);
}

export interface ResolvedObjective {
  name: string;
  definition: ObjectiveDefinition<never>;
  options: never;
}

/**
 * Checks a study's objective against the registry: a known name, valid options, every parameter it
 * reads present in the space. Errors are one line naming the field (`objective.options.stepMs ...`).
 */
export function resolveObjective(spec: ObjectiveSpec, space: SearchSpace, registry: ObjectiveRegistry = OBJECTIVES): ResolvedObjective {
  const definition = registry[spec.name];
  if (!definition) {
    throw new ObjectiveSpecError(`objective.name: unknown objective ${JSON.stringify(spec.name)} (expected one of ${Object.keys(registry).join(', ')})`);
  }
  const options = parseOptions(definition.options as z.ZodType, spec.options ?? {}, 'objective.options', ObjectiveSpecError) as never;
  const missing = definition.params(options).filter((p) => !(p in space));
  if (missing.length > 0) {
    throw new ObjectiveSpecError(`space: objective ${spec.name} reads ${missing.join(', ')}, which the search space does not define`);
  }
  definition.checkSpace?.(space, options);
  return { name: spec.name, definition, options };
}
