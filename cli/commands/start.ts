import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../temporal.config';
import { workflowUiLink } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { CITIES } from '../../domain/cities';
import { startRuntime, stopRuntime, type RuntimeStep } from '../../runtime';
import { startConfiguredSandbox } from '../../runtime/sandbox';
import { createDb } from '../../db/client';
import { createWorkers, installTemporalRuntimeLogger, runWorkers } from '../../workers/host';
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

type Out = (line: string) => void;

function describeStep(s: RuntimeStep): string {
  const verb = { started: 'started', reused: 'reused (already running)', external: 'using', applied: 'applied' }[s.action];
  return `${s.part.padEnd(10)} ${verb} ${s.detail} in ${(s.ms / 1000).toFixed(1)}s`;
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

  out(`wx: starting the runtime (data in ${config.dataDir})`);
  const runtime = await startRuntime(config, log, { onStep: (s) => out(`  ${describeStep(s)}`) });
  const sandbox = await startConfiguredSandbox(config, { from, to }, log);
  out(
    sandbox
      ? `  sandbox    serving the ${config.world.kind} world (${config.world.kind === 'generated' ? `seed ${config.world.seed}, inefficiency ${config.world.inefficiency}` : config.world.dir}) on ${sandbox.url}`
      : '  apis       the real services (keys from the environment)',
  );

  const workflowId = pipelineWorkflowId(cities, CITIES.map((c) => c.id), from, to);
  const connection = await Connection.connect({ address: runtime.temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const db = args.workers ? createDb(runtime.databaseUrl) : undefined;
  let nativeConnection: NativeConnection | undefined;
  try {
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

    let workersDone: Promise<void> | undefined;
    const result = handle.result();
    if (args.workers && db) {
      installTemporalRuntimeLogger(log);
      nativeConnection = await NativeConnection.connect({ address: runtime.temporalAddress });
      const workers = await createWorkers({
        config,
        roles: ['pipeline', 'ingest', 'ml', 'backtest', 'trading'],
        connection: nativeConnection,
        deps: { db: db.db, log, config },
        identity: `wx-start@${process.pid}`,
      });
      workersDone = runWorkers(workers, result);
    } else {
      out('wx: --no-workers: waiting for workers elsewhere to run the pipeline');
    }

    const summary = await followProgress(handle, result, out);
    await workersDone;
    const link = workflowUiLink(config, workflowId, runId);
    for (const line of renderSummary(summary, workflowId, runId, link)) out(line);
    return { summary, workflowId, runId, resumed, link };
  } finally {
    await sandbox?.close();
    await nativeConnection?.close();
    await connection.close();
    await db?.close();
    if (args.down) {
      // Whoever started them (this run or an earlier one), the embedded servers go down.
      await stopRuntime(config, log);
      out('wx: stopped the embedded servers (--down)');
    } else {
      out('wx: Temporal and PostgreSQL keep running for the Web UI; `wx down` stops them');
    }
  }
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


