import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../../temporal.config';
import { workflowUiLink } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { CITIES } from '../../domain/cities';
import { citiesScope } from '../../schemas/pipeline';
import type { ValidateInput, ValidateResult } from '../../schemas/validation';
import { ALL_CITIES, CITY, STAGE } from '../../workflows/search-attributes';
import type { validateWorkflow } from '../../workflows/validate';
import { withSession, type Out } from '../session';
import type { ValidateArgs } from '../args';

/**
 * `wx validate`: runs validateWorkflow over the database, writes the JSON and HTML reports, and fails
 * (exit 1) when a configured threshold is crossed, listing each one.
 */
export async function runValidate(config: Config, args: ValidateArgs, log: Logger, out: Out): Promise<ValidateResult> {
  const cities = args.cities ?? config.cities;
  const from = args.from ?? config.pipeline.from;
  const to = args.to ?? config.pipeline.to;
  const asOf = args.asOf ?? new Date().toISOString();
  const workflowId = `validate/${citiesScope(cities, CITIES.map((c) => c.id))}/${from}..${to}`;
  return withSession(config, log, out, { workers: args.workers }, async ({ client, startWorkers }) => {
    const input: ValidateInput = { cities, from, to, asOf, thresholds: args.thresholds ?? {}, ...(args.reportId ? { reportId: args.reportId } : {}) };
    const handle = await client.workflow.start<typeof validateWorkflow>('validateWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueues.ingest,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: CITY, value: cities.length === 1 ? cities[0]! : ALL_CITIES },
        { key: STAGE, value: 'validate' },
      ],
    });
    out(`wx: validating ${cities.join(', ')} ${from}..${to} as of ${asOf} (${workflowUiLink(config, workflowId, handle.firstExecutionRunId)})`);
    const result = handle.result();
    await startWorkers(result);
    let outcome: ValidateResult;
    try {
      outcome = await result;
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'ValidationFailed') outcome = cause.details?.[0] as ValidateResult;
      else throw err;
    }
    const s = outcome.summary as unknown as Record<string, unknown>;
    out(`validation ${outcome.ok ? 'passed' : 'FAILED'}: ${Object.entries(s).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const c of outcome.crossed) out(`  crossed: ${c.name} ${c.message ?? `limit ${c.limit}, got ${c.value}`}${c.detail ? ` (${c.detail})` : ''}`);
    out(`report: ${outcome.htmlPath}`);
    out(`json:   ${outcome.jsonPath}`);
    return outcome;
  });
}
