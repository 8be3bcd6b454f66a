import { existsSync } from 'node:fs';
import { dateOfDayNumber, dayNumberOf } from '../../domain/iso-date';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { reportIdFor } from '../../schemas/validation';
import { reportPaths } from '../../activities/validate/parts';
import { followWorkflow } from '../follow';
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
  /** HTML validation reports written by this run's validate stage. */
  reports: string[];
}

/**
 * `wx start`: brings the runtime up, starts the pipeline (or finds the run of the same id still under
 * way, e.g. after a crash, and resumes it), runs the workers in this process, shows progress per stage
 * and prints the summary with the Web UI link.
 */
export async function runStart(config: Config, args: StartArgs, log: Logger, out: Out): Promise<StartResult> {
  const cities = args.cities ?? config.pipeline.cities;
  const from = args.from ?? config.pipeline.from;
  const to = args.to ?? config.pipeline.to;
  const workflowId = pipelineWorkflowId(cities, CITIES.map((c) => c.id), from, to);

  return withSession(config, log, out, { sandboxRange: { from, to }, workers: args.workers, down: args.down }, async ({ client, startWorkers }) => {
    const existing = await describeRunning(client, workflowId);
    const minuteCandlesFrom = minuteCandleStart(from, to, config.pipeline.minuteCandleDays);
    const input: PipelineInput = {
      cities,
      from,
      to,
      taskQueues: config.temporal.taskQueues,
      ...(args.refresh ? { refresh: true } : {}),
      ...(minuteCandlesFrom ? { minuteCandlesFrom } : {}),
      ml: { stepMinutes: config.pipeline.stepMinutes, tuneTrials: config.pipeline.tuneTrials },
    };
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
    const reports = validationReports(config, summary);
    for (const line of renderSummary(summary, workflowId, runId, link, reports)) out(line);
    return { summary, workflowId, runId, resumed, link, reports };
  });
}

/** The first date with 1-minute candles: the last `days` days of the range; undefined when that is every day. */
export function minuteCandleStart(from: string, to: string, days: number): string | undefined {
  if (days <= 0) return undefined;
  const start = dateOfDayNumber(dayNumberOf(to) - (days - 1));
  return start > from ? start : undefined;
}

/** The HTML validation reports the validate stage's per-city workflows wrote (each names its id). */
function validationReports(config: Config, summary: PipelineSummary): string[] {
  const stage = summary.stages.find((s) => s.stage === 'validate');
  return (stage?.childWorkflowIds ?? []).map((id) => reportPaths(config, reportIdFor(id)).htmlPath).filter((p) => existsSync(p));
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

/** Prints a line whenever a stage changes; returns the final summary, also of a failed run. */
function followProgress(handle: WorkflowHandle<typeof pipelineWorkflow>, result: Promise<PipelineSummary>, out: Out): Promise<PipelineSummary> {
  const printed = new Map<string, string>();
  return followWorkflow<PipelineProgress, PipelineSummary>(handle, result, {
    query: progressQuery,
    intervalMs: 500,
    failureType: 'StageFailed',
    asProgress: (summary) => summary,
    show: (p) =>
      p.stages.forEach((s, i) => {
        const line = renderStageLine(s, i, p.stages.length);
        if (printed.get(s.stage) !== line) {
          printed.set(s.stage, line);
          out(line);
        }
      }),
  });
}


