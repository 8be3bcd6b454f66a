/**
 * Messages of `tuneWorkflow` (workflows/tune.ts) and its activities (activities/ml/tune.ts): a study
 * is named, its trials live in ml.study / ml.trial, and history carries only names, numbers, small
 * parameter maps and values, never data sets or secrets. Objectives are named here and resolved by
 * the worker (activities/ml/objectives.ts), which also checks their options.
 */
import { z } from 'zod';
import { searchSpaceSchema, type Params, type TrialState } from '../domain/ml/tpe/types';

/** A study's name: also its workflow id (`tune/<name>`), so kept to characters that read well in ids and URLs. */
export const studyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}$/, { error: (i) => `${JSON.stringify(i.input)} is not a study name (letters, digits and _ . : + -, at most 128, starting with a letter or digit)` });

export const directionSchema = z.enum(['minimize', 'maximize'], { error: (i) => `${JSON.stringify(i.input)} is not minimize or maximize` });

/** Which objective each trial runs and with what (references only: dataset ids or paths, never rows). */
export const objectiveSpecSchema = z.strictObject({
  name: z.string().min(1, 'expected an objective name'),
  options: z.record(z.string(), z.unknown()).default({}),
});
export type ObjectiveSpec = z.infer<typeof objectiveSpecSchema>;

export const samplerSpecSchema = z.strictObject({
  kind: z.enum(['tpe', 'random']).default('tpe'),
  seed: z.number().int().default(0),
  /** Passed to the sampler's constructor (e.g. { nStartupTrials: 10 }). */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type SamplerSpec = z.infer<typeof samplerSpecSchema>;

export const prunerSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({
    kind: z.literal('median'),
    /** Options of the median pruner (e.g. { nStartupTrials: 5, nWarmupSteps: 0 }). */
    options: z.record(z.string(), z.unknown()).default({}),
  }),
]);
export type PrunerSpec = z.infer<typeof prunerSpecSchema>;

/** Carried across continue-as-new (everything else is read back from PostgreSQL). */
export const tuneStateSchema = z.strictObject({
  /** Asks issued by this chain of runs so far: the next ask key's sequence number. */
  askSeq: z.number().int().nonnegative(),
  /** Trials that failed in this chain so far (counted against maxFailedTrials). */
  failures: z.number().int().nonnegative(),
  /** Runs of this chain before this one. */
  runs: z.number().int().nonnegative(),
});
export type TuneState = z.infer<typeof tuneStateSchema>;

export const TuneInputSchema = z.strictObject({
  study: studyNameSchema,
  space: searchSpaceSchema,
  direction: directionSchema.default('minimize'),
  objective: objectiveSpecSchema,
  /** Complete + pruned trials the study should have in the end (a resumed study counts the ones it has). */
  trials: z.number().int().positive().max(100_000),
  /** Trials running at once (each an activity on the ML task queue). */
  parallelism: z.number().int().min(1).max(256).default(1),
  sampler: samplerSpecSchema.default({ kind: 'tpe', seed: 0, options: {} }),
  pruner: prunerSpecSchema.default({ kind: 'none' }),
  /** A running trial whose worker sent no heartbeat for this long is declared dead. */
  heartbeatTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
  /** A running trial not owned by this run whose heartbeat is older than this is marked failed. */
  staleAfterSeconds: z.number().int().min(1).default(300),
  /** How long one trial may run. */
  trialTimeoutSeconds: z.number().int().min(1).default(6 * 3600),
  /** The study fails after this many failed trials in one chain of runs (default: max(10, trials)). */
  maxFailedTrials: z.number().int().positive().optional(),
  /** Trials issued per run before continuing as new (bounds the history). */
  continueAsNewEvery: z.number().int().positive().default(200),
  /** Search attribute City, when the study belongs to one city. */
  city: z.string().min(1).optional(),
  state: tuneStateSchema.optional(),
});
export type TuneInput = z.input<typeof TuneInputSchema>;
export type TuneConfig = z.infer<typeof TuneInputSchema>;

export const tuneWorkflowId = (study: string): string => `tune/${study}`;

/** What identifies a study: resuming under the same name with any of it changed is refused. */
export interface StudySpec {
  study: string;
  space: TuneConfig['space'];
  direction: TuneConfig['direction'];
  objective: ObjectiveSpec;
  sampler: SamplerSpec;
  pruner: PrunerSpec;
}

export interface OpenStudyInput extends StudySpec {
  trials: number;
}

export interface BestTrial {
  number: number;
  value: number;
  params: Params;
}

export interface StudyCounts {
  complete: number;
  pruned: number;
  fail: number;
  running: number;
}

export interface OpenStudyResult {
  studyId: number;
  created: boolean;
  counts: StudyCounts;
  best: BestTrial | null;
}

export interface AskTrialInput {
  studyId: number;
  /** Stable across retries of this ask, unique per ask: a retried ask returns the trial the first made. */
  askKey: string;
  /** Trials this run has in flight (never declared stale by this ask). */
  owned: number[];
  staleAfterSeconds: number;
}

export interface AskTrialResult {
  number: number;
  params: Params;
  /** Running trials of other runs this ask marked failed (stale heartbeat). */
  markedStale: number[];
}

export interface RunTrialInput {
  studyId: number;
  number: number;
}

/** A finished run of the objective; 'fail' only when the trial was already failed in the database. */
export interface RunTrialResult {
  state: Exclude<TrialState, 'running'>;
  value?: number;
  /** Intermediate steps reported. */
  steps: number;
  /** The trial was already finished in the database (a repeated run changed nothing). */
  alreadyFinished?: boolean;
}

export interface TellTrialInput {
  studyId: number;
  number: number;
  state: Exclude<TrialState, 'running'>;
  value?: number;
  error?: string;
}

/** The trial as stored after the tell (the first tell wins; a repeated one returns it unchanged). */
export interface TellTrialResult {
  number: number;
  state: Exclude<TrialState, 'running'>;
  value: number | null;
  params: Params;
}

export interface TuneProgress {
  workflowId: string;
  study: string;
  studyId?: number;
  status: 'running' | 'done' | 'failed';
  /** Complete + pruned trials the study should reach. */
  requested: number;
  /** Complete + pruned trials so far (all runs of the study). */
  done: number;
  complete: number;
  pruned: number;
  failed: number;
  running: number;
  best: BestTrial | null;
  startedAt: string;
  finishedAt?: string;
  /** Runs of this workflow chain before this one (continue-as-new). */
  runs: number;
  error?: string;
}
