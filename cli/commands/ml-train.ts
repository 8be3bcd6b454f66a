/**
 * `wx ml train --cities chicago,austin --from D --to D [--test-from D] [--trials N]`: one trainCityWorkflow per
 * city (dataset from the Parquet cache when its inputs are unchanged, the TPE study of the bracket model's
 * parameters on time-series folds, the fit with the best of them, ONNX export,
 * registration), then a table of each city's held-out bracket log loss next to the market's on the
 * same rows, with the day-bootstrap interval of the difference. Inputs are checked before anything
 * starts: a bad flag is exit 2 with one line naming it.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { cityList, jsonObjectFlag, parseArgs, realDate, wholeNumberFlag } from '../args';
import type { TrainCityResult } from '../../activities/ml/train';
import { DEFAULT_TUNE_TRIALS, isStageSkipped, type StageSkipped } from '../../schemas/stage';

export const TrainArgsSchema = z
  .object({
    cities: cityList,
    from: realDate('--from'),
    to: realDate('--to'),
    testFrom: realDate('--test-from').optional(),
    stepMinutes: wholeNumberFlag('--step-minutes', { min: 5, max: 1440 }).optional(),
    quoteTimes: z.boolean().default(false),
    maxQuoteAge: wholeNumberFlag('--max-quote-age', {}, 'minutes').optional(),
    params: jsonObjectFlag('--params').optional(),
    trials: wholeNumberFlag('--trials', { max: 1000 }).optional(),
    workers: z.boolean().default(true),
    json: z.boolean().default(false),
  })
  .refine((a) => a.from <= a.to, { error: '--from must not be after --to' })
  .refine((a) => !a.testFrom || (a.testFrom > a.from && a.testFrom <= a.to), { error: '--test-from must fall after --from and not after --to' });
export type TrainArgs = z.infer<typeof TrainArgsSchema>;

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-');

export function renderTrainTable(all: Array<TrainCityResult | StageSkipped>): string[] {
  const results = all.filter((r): r is TrainCityResult => !isStageSkipped(r));
  const lines = ['city           test days  rows   model LL  market LL  fc-normal  climatology  model-market [95% by day]    RPS model/market  version'];
  for (const r of results) {
    lines.push(
      `${r.city.padEnd(14)} ${String(r.testDays).padStart(9)}  ${String(r.testRows).padStart(5)}  ${f4(r.model.logLoss).padStart(8)}  ${f4(r.market.logLoss).padStart(9)}  ${f4(r.forecastNormal?.logLoss ?? NaN).padStart(9)}  ${f4(r.climatology.logLoss).padStart(11)}  ${`${r.logLossDiff.estimate >= 0 ? '+' : ''}${f4(r.logLossDiff.estimate)} [${f4(r.logLossDiff.lo)}, ${f4(r.logLossDiff.hi)}]`.padEnd(29)} ${f4(r.model.rps)}/${f4(r.market.rps)}  ${r.version}`,
    );
  }
  for (const r of all) if (isStageSkipped(r)) lines.push(`${r.city.padEnd(14)} not trained: ${r.skipped}`);
  return lines;
}

export function registerMlTrain(ml: Command): void {
  ml.command('train')
    .description("train each city's bracket model on its market-clock dataset and score it against the market on held-out days")
    .requiredOption('--cities <list>', 'comma-separated cities')
    .requiredOption('--from <date>', 'first event date, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last event date, YYYY-MM-DD')
    .option('--test-from <date>', 'test on the days from this date (default: the last 20% of days)')
    .option('--step-minutes <n>', 'minutes between snapshots on the market clock (default 60)')
    .option('--quote-times', 'also one row per recorded quote time (recorded worlds); trains and scores only rows with a quote at most --max-quote-age old')
    .option('--max-quote-age <minutes>', 'train and score only rows with a quote at most this old (default 60 with --quote-times, else every row)')
    .option('--params <json>', 'GBDT parameters over the defaults and the tuned ones, e.g. {"numLeaves":8}')
    .option('--trials <n>', `TPE trials of the city's study on time-series folds of the training days (default ${DEFAULT_TUNE_TRIALS}; 0: no study, the defaults)`)
    .option('--no-workers', 'do not run workers in this process (workers run elsewhere)')
    .option('--json', 'print the results as JSON')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const args = parseArgs(TrainArgsSchema, raw);
      const { loadConfig, workflowUiLink } = await import('../../temporal.config');
      const { createLogger } = await import('../../lib/logger');
      const { join } = await import('node:path');
      const { withSession } = await import('../session');
      const config = loadConfig({ file: cmd.optsWithGlobals<{ config?: string }>().config });
      const log = createLogger('wx', { level: config.logLevel, file: join(config.dataDir, 'logs', 'wx.log') });
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const results = await withSession(config, log, say, { workers: args.workers }, async ({ client, startWorkers }) => {
        // Sparse recorded quotes: by default train and score only rows with a quote at most an hour old.
        const maxQuoteAge = args.maxQuoteAge ?? (args.quoteTimes ? 60 : undefined);
        const handles = await Promise.all(
          args.cities.map(async (city) => {
            const workflowId = `train/${city}/${args.from}..${args.to}${args.testFrom ? `/test-from-${args.testFrom}` : ''}${maxQuoteAge !== undefined ? `/quotes-${maxQuoteAge}` : ''}`;
            const handle = await client.workflow.start('trainCityWorkflow', {
              workflowId,
              taskQueue: config.temporal.taskQueues.ml,
              args: [
                {
                  city,
                  from: args.from,
                  to: args.to,
                  ...(args.testFrom ? { testFrom: args.testFrom } : {}),
                  ...(args.params ? { params: args.params } : {}),
                  ...(args.trials !== undefined ? { tuneTrials: args.trials } : {}),
                  ...(maxQuoteAge !== undefined ? { maxQuoteAgeMinutes: maxQuoteAge } : {}),
                  datasetParams: { ...(args.stepMinutes ? { stepMinutes: args.stepMinutes } : {}), ...(args.quoteTimes ? { quoteTimes: true } : {}) },
                },
              ],
              workflowIdConflictPolicy: 'USE_EXISTING',
              workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            });
            say(`wx: training ${city} (${workflowUiLink(config, workflowId, handle.firstExecutionRunId)})`);
            return handle;
          }),
        );
        const all = Promise.all(handles.map((h) => h.result() as Promise<TrainCityResult | StageSkipped>));
        await startWorkers(all);
        return all;
      });
      if (args.json) say(JSON.stringify(results, null, 2));
      else for (const line of renderTrainTable(results)) say(line);
      // A city left untrained (too little history) is not a success of `wx ml train`.
      if (results.some(isStageSkipped)) process.exitCode = 1;
    });
}
