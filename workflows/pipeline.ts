import {
  ApplicationFailure,
  ParentClosePolicy,
  defineQuery,
  executeChild,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineInput, PipelineProgress, PipelineSummary, StageName, StageProgress } from '../schemas/pipeline';
import { stageWorkflowId } from '../schemas/pipeline';
import { isStageSkipped } from '../schemas/stage';
import { CITY, STAGE } from './search-attributes';
import { STAGES } from './stages';
import { rootMessage } from './errors';

export const progressQuery = defineQuery<PipelineProgress>('progress');

/** A stage child's input: the city and range, plus the pipeline settings that stage reads. */
function stageArgs(stage: StageName, city: string, input: PipelineInput): Record<string, unknown> {
  const base = { city, from: input.from, to: input.to };
  if (stage === 'validate' && input.minuteCandlesFrom) return { ...base, minuteCandlesFrom: input.minuteCandlesFrom };
  if (stage === 'backfill') return { ...base, ...(input.refresh ? { refresh: true } : {}), ...(input.minuteCandlesFrom ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}) };
  if (STAGES.find((s) => s.name === stage)?.queue === 'ml' && input.ml) return { ...base, stepMinutes: input.ml.stepMinutes, tuneTrials: input.ml.tuneTrials };
  return base;
}

/**
 * The main job: runs each built stage as per-city child workflows, in order, and reports every stage as
 * done, failed, skipped (after an earlier failure) or not built yet.
 */
export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineSummary> {
  const now = () => new Date().toISOString(); // deterministic inside workflows
  // Stages added after a run started stay unbuilt for that run, so its history replays as it ran.
  const built = STAGES.map((s) => s.workflowType !== undefined && (s.patchId === undefined || patched(s.patchId)));
  const progress: PipelineProgress = {
    workflowId: workflowInfo().workflowId,
    startedAt: now(),
    stages: STAGES.map(
      (s, i): StageProgress => ({
        stage: s.name,
        status: built[i] ? 'pending' : 'not_built',
        cities: {},
        childWorkflowIds: [],
      }),
    ),
  };
  setHandler(progressQuery, () => progress);

  let failed = false;
  for (const [i, stage] of STAGES.entries()) {
    const state = progress.stages[i]!;
    const workflowType = stage.workflowType;
    if (!workflowType || !built[i]) continue;
    if (failed) {
      state.status = 'skipped';
      continue;
    }
    state.status = 'running';
    state.startedAt = now();
    const results = await Promise.allSettled(
      input.cities.map(async (city) => {
        const workflowId = stageWorkflowId(stage.name, city, input.from, input.to);
        state.childWorkflowIds.push(workflowId);
        state.cities[city] = 'running';
        try {
          const result: unknown = await executeChild(workflowType, {
            workflowId,
            taskQueue: input.taskQueues[stage.queue],
            args: [stageArgs(stage.name, city, input)],
            // Each child retries its activities; a child that still fails is retried whole, twice.
            retry: { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 2 },
            // Per-city work that is under way finishes even if the pipeline itself is terminated.
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: [
              { key: CITY, value: city },
              { key: STAGE, value: stage.name },
            ],
          });
          state.cities[city] = 'done';
          if (isStageSkipped(result)) state.note = [state.note, `${city}: ${result.skipped}`].filter(Boolean).join('; ');
        } catch (err) {
          state.cities[city] = 'failed';
          throw new Error(`${city}: ${rootMessage(err)}`);
        }
      }),
    );
    state.finishedAt = now();
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (errors.length > 0) {
      failed = true;
      state.status = 'failed';
      state.error = errors.map((e) => (e.reason as Error).message).join('; ');
    } else {
      state.status = 'done';
    }
  }
  progress.finishedAt = now();
  const summary: PipelineSummary = { ...progress, ok: !failed };
  if (failed) {
    const names = progress.stages.filter((s) => s.status === 'failed').map((s) => s.stage);
    throw ApplicationFailure.create({
      type: 'StageFailed',
      message: `pipeline stage(s) failed: ${names.join(', ')}`,
      nonRetryable: true,
      details: [summary],
    });
  }
  return summary;
}

