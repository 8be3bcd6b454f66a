/**
 * The objectives a trial can run, by name. A study names one ({ name, options }); the worker resolves
 * it here, checks its options (zod) and that the study's space has the parameters it needs, then
 * runTrial calls it with the trial's parameters. Objectives report intermediate values through the
 * context (stored at once, and asked of the pruner) and sleep through it (so a cancelled activity
 * stops them).
 *
 * Registered now: the standard test functions (Branin, Hartmann-6) with an optional delay per step, so
 * that tests can make trials last long enough to be interrupted. The training stage adds 'gbdt'
 * (below), the strategy-tuning stage its backtest objective, each options holding references only
 * (dataset ids or paths, fold settings), never rows. An objective must not block the event loop for
 * longer than a third of the heartbeat timeout (heartbeats are timers): CPU-heavy work yields between
 * rounds or runs in worker threads, else the trial is declared dead and re-issued.
 */
import { z } from 'zod';
import { DomainError, describeValue } from '../../domain/errors';
import { TrialPruned } from '../../domain/ml/tpe/study';
import { TEST_PROBLEMS, type TestProblem } from '../../domain/ml/tpe/test-functions';
import type { Params, SearchSpace } from '../../domain/ml/tpe/types';
import type { ObjectiveSpec } from '../../schemas/tune';
import type { ActivityDeps } from '../index';

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

/** Every objective this worker can run. */
export const OBJECTIVES: ObjectiveRegistry = {
  branin: testFunction(TEST_PROBLEMS.branin),
  hartmann6: testFunction(TEST_PROBLEMS.hartmann6),
  // gbdt: the training stage (issue 9) registers its objective here, e.g.
  //   gbdt: define<GbdtObjectiveOptions>({ options: z.strictObject({ datasetId, objective, folds, ... }),
  //     params: () => [], run: (params, o, ctx) => cross-validated log loss, reporting each fold }),
  // reading its data set through ctx.deps by reference.
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
  return { name: spec.name, definition, options };
}
