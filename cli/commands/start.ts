import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../temporal.config';
import { workflowUiLink } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { CITIES } from '../../domain/cities';
import { withSession, type Out } from '../session';
import { pipelineWorkflowId, type PipelineInput, type PipelineProgress, type PipelineSummary } from '../../schemas/pipeline';
import { ALL_CITIES, CITY, STAGE } from '../../workflows/search-attributes';
import type { pipelineWorkflow } from '../../workflows/pipeline';
import { progressQuery } from '../../workflows/pipeline';
import type { StartArgs } from '../args';
import { renderStageLine, renderSummary } from '../render';

export interface StartResult {
  summary: PipelineSummary;
  workflowId: string;
  runId: string;
  resumed: boolean;
  link: string;
}

/**
 * `wx start`: brings the runtime up, starts the pipeline (or finds the run of the same id still under
 * way, e.g. after a crash, and resumes it), runs the workers in this process, shows progress per stage
 * and prints the summary with the Web UI link.
 */
export async function runStart(config: Config, args: StartArgs, log: Logger, out: Out): Promise<StartResult> {
  const cities = args.cities ?? config.cities;
  const from = args.from ?? config.pipeline.from;
  const to = args.to ?? config.pipeline.to;
  const workflowId = pipelineWorkflowId(cities, CITIES.map((c) => c.id), from, to);

  return withSession(config, log, out, { sandboxRange: { from, to }, workers: args.workers, down: args.down }, async ({ client, startWorkers }) => {
    const existing = await describeRunning(client, workflowId);
    const input: PipelineInput = { cities, from, to, taskQueues: config.temporal.taskQueues };
    const handle = await client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueues.pipeline,
      args: [input],
      // A run of this id still under way (a killed `wx start`) is resumed, not duplicated; a finished
      // one is followed by a new run under the same id.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: CITY, value: cities.length === 1 ? cities[0]! : ALL_CITIES },
        { key: STAGE, value: 'pipeline' },
      ],
    });
    const runId = handle.firstExecutionRunId;
    const resumed = existing === runId;
    out(`wx: ${resumed ? 'resuming' : 'started'} pipeline ${workflowId} run ${runId}`);
    out(`wx: Web UI ${workflowUiLink(config, workflowId, runId)}`);

    const result = handle.result();
    await startWorkers(result);
    const summary = await followProgress(handle, result, out);
    const link = workflowUiLink(config, workflowId, runId);
    for (const line of renderSummary(summary, workflowId, runId, link)) out(line);
    return { summary, workflowId, runId, resumed, link };
  });
}

async function describeRunning(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING' ? d.runId : undefined;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** Polls the progress query and prints a line whenever a stage changes; returns the final summary. */
async function followProgress(
  handle: WorkflowHandle<typeof pipelineWorkflow>,
  result: Promise<PipelineSummary>,
  out: Out,
): Promise<PipelineSummary> {
  let settled = false;
  const final = result.then(
    (summary) => ({ summary }),
    (error: unknown) => ({ error }),
  );
  void final.then(() => (settled = true));
  const printed = new Map<string, string>();
  const show = (p: PipelineProgress) => {
    p.stages.forEach((s, i) => {
      const line = renderStageLine(s, i, p.stages.length);
      if (printed.get(s.stage) !== line) {
        printed.set(s.stage, line);
        out(line);
      }
    });
  };
  while (!settled) {
    try {
      show(await handle.query(progressQuery));
    } catch (err) {
      // The query needs a worker; until one polls, there is nothing to show yet.
      if (!(err instanceof Error) || !/no poller|timeout|deadline/i.test(err.message)) throw err;
    }
    await Promise.race([final, sleep(500)]);
  }
  const outcome = await final;
  if ('summary' in outcome) {
    show(outcome.summary);
    return outcome.summary;
  }
  const err = outcome.error;
  if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.type === 'StageFailed') {
    const summary = err.cause.details?.[0] as PipelineSummary;
    show(summary);
    return summary;
  }
  throw err;
}


