/**
 * `wx ml delta-sweep --city X --from D --to D [--test-from D] [--baselines forecast,market_mean,obs_max]
 * [--ranges 4,6,8]`: one deltaSweepWorkflow (the city's dataset from the Parquet cache when its
 * inputs are unchanged, then the ordinal delta model fitted per baseline × range on one day split),
 * then a table of each spec's held-out bracket log loss and RPS next to the market's on the very same
 * rows, the best marked. Inputs are checked before anything starts: a bad flag is exit 2 naming it.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { CITIES, parseCityId } from '../../domain/cities';
import { DELTA_BASELINES, type DeltaBaseline } from '../../domain/ml/delta-model';
import { jsonObjectFlag, parseArgs, realDate, wholeNumberFlag } from '../args';
import type { DeltaSweepResult } from '../../activities/ml/train-delta';
import type { DeltaSweepWorkflowResult } from '../../workflows/delta-sweep';

/** Largest range: the delta model's classes are bounded (domain/ml/delta-model.ts). */
const MAX_RANGE = 40;

const list = (s: string) => s.split(',').map((p) => p.trim()).filter(Boolean);

export const DeltaSweepArgsSchema = z
  .object({
    city: z.string().transform((s, ctx) => {
      try {
        return parseCityId(s.trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `--city: unknown city ${JSON.stringify(s)} (expected one of ${CITIES.map((c) => c.id).join(', ')})` });
        return z.NEVER;
      }
    }),
    from: realDate('--from'),
    to: realDate('--to'),
    testFrom: realDate('--test-from').optional(),
    baselines: z
      .string()
      .default(DELTA_BASELINES.join(','))
      .transform((s, ctx) => {
        const out: DeltaBaseline[] = [];
        for (const b of list(s)) {
          if (!(DELTA_BASELINES as readonly string[]).includes(b)) {
            ctx.addIssue({ code: 'custom', message: `--baselines: unknown baseline ${JSON.stringify(b)} (expected some of ${DELTA_BASELINES.join(', ')})` });
            return z.NEVER;
          }
          out.push(b as DeltaBaseline);
        }
        if (out.length === 0) {
          ctx.addIssue({ code: 'custom', message: '--baselines: expected at least one baseline' });
          return z.NEVER;
        }
        return [...new Set(out)];
      }),
    ranges: z
      .string()
      .default('4,6,8')
      .transform((s, ctx) => {
        const out: number[] = [];
        for (const r of list(s)) {
          // Range r is the classes -r..r: at least 1 (three classes), integers only.
          if (!/^\d+$/.test(r) || Number(r) < 1 || Number(r) > MAX_RANGE) {
            ctx.addIssue({ code: 'custom', message: `--ranges: ${JSON.stringify(r)} is not a whole number of °F from 1 to ${MAX_RANGE}` });
            return z.NEVER;
          }
          out.push(Number(r));
        }
        if (out.length === 0) {
          ctx.addIssue({ code: 'custom', message: '--ranges: expected at least one range' });
          return z.NEVER;
        }
        return [...new Set(out)];
      }),
    stepMinutes: wholeNumberFlag('--step-minutes', { min: 5, max: 1440 }).optional(),
    quoteTimes: z.boolean().default(false),
    maxQuoteAge: wholeNumberFlag('--max-quote-age', {}, 'minutes').optional(),
    params: jsonObjectFlag('--params').optional(),
    workers: z.boolean().default(true),
    json: z.boolean().default(false),
  })
  .refine((a) => a.from <= a.to, { error: '--from must not be after --to' })
  .refine((a) => !a.testFrom || (a.testFrom > a.from && a.testFrom <= a.to), { error: '--test-from must fall after --from and not after --to' });
export type DeltaSweepArgs = z.infer<typeof DeltaSweepArgsSchema>;

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-');

export function renderDeltaSweepTable(r: DeltaSweepResult): string[] {
  const lines = [
    `${r.city}: test from ${r.testFrom}, ${r.testDays} days`,
    '  baseline      range  test rows  model LL  model RPS  market LL  market RPS  model-market  trees',
  ];
  r.rows.forEach((row, i) => {
    const range = row.spec.lo === -row.spec.hi ? `±${row.spec.hi}` : `${row.spec.lo}..${row.spec.hi}`;
    const d = row.model.logLoss - row.market.logLoss;
    lines.push(
      `${i === r.best ? '*' : ' '} ${row.spec.baseline.padEnd(12)} ${range.padStart(6)}  ${String(row.testRows).padStart(9)}  ${f4(row.model.logLoss).padStart(8)}  ${f4(row.model.rps).padStart(9)}  ${f4(row.market.logLoss).padStart(9)}  ${f4(row.market.rps).padStart(10)}  ${`${d >= 0 ? '+' : ''}${f4(d)}`.padStart(12)}  ${String(row.trees).padStart(5)}`,
    );
  });
  lines.push('  * lowest model log loss; each row is scored next to the market on its own test rows (obs_max has none before the climate day)');
  return lines;
}

export function registerMlDeltaSweep(ml: Command): void {
  ml.command('delta-sweep')
    .description("compare the ordinal delta model's baselines and ranges for a city on held-out days, next to the market on the same rows")
    .requiredOption('--city <city>', 'one city')
    .requiredOption('--from <date>', 'first event date, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last event date, YYYY-MM-DD')
    .option('--test-from <date>', 'test on the days from this date (default: the last 20% of days)')
    .option('--baselines <list>', `comma-separated baselines (default ${DELTA_BASELINES.join(',')})`)
    .option('--ranges <list>', 'comma-separated ranges r, each the classes -r..r (default 4,6,8)')
    .option('--step-minutes <n>', 'minutes between snapshots on the market clock (default 60)')
    .option('--quote-times', 'also one row per recorded quote time (recorded worlds); scores only rows with a quote at most --max-quote-age old')
    .option('--max-quote-age <minutes>', 'train and score only rows with a quote at most this old (default 60 with --quote-times, else every row)')
    .option('--params <json>', 'GBDT parameters over the delta defaults, e.g. {"numLeaves":8}')
    .option('--no-workers', 'do not run workers in this process (workers run elsewhere)')
    .option('--json', 'print the result as JSON')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const args = parseArgs(DeltaSweepArgsSchema, raw);
      const { loadConfig, workflowUiLink } = await import('../../temporal.config');
      const { createLogger } = await import('../../lib/logger');
      const { join } = await import('node:path');
      const { withSession } = await import('../session');
      const { sweepSpecs } = await import('../../activities/ml/train-delta');
      const config = loadConfig({ file: cmd.optsWithGlobals<{ config?: string }>().config });
      const log = createLogger('wx', { level: config.logLevel, file: join(config.dataDir, 'logs', 'wx.log') });
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const specs = sweepSpecs(args.baselines, args.ranges);
      const maxQuoteAge = args.maxQuoteAge ?? (args.quoteTimes ? 60 : undefined);
      const result = await withSession(config, log, say, { workers: args.workers }, async ({ client, startWorkers }) => {
        const workflowId =
          `delta-sweep/${args.city}/${args.from}..${args.to}${args.testFrom ? `/test-from-${args.testFrom}` : ''}` +
          `/${args.baselines.join('+')}/${args.ranges.join('+')}${maxQuoteAge !== undefined ? `/quotes-${maxQuoteAge}` : ''}`;
        const handle = await client.workflow.start('deltaSweepWorkflow', {
          workflowId,
          taskQueue: config.temporal.taskQueues.ml,
          args: [
            {
              city: args.city,
              from: args.from,
              to: args.to,
              specs,
              ...(args.testFrom ? { testFrom: args.testFrom } : {}),
              ...(args.params ? { params: args.params } : {}),
              ...(maxQuoteAge !== undefined ? { maxQuoteAgeMinutes: maxQuoteAge } : {}),
              datasetParams: { ...(args.stepMinutes ? { stepMinutes: args.stepMinutes } : {}), ...(args.quoteTimes ? { quoteTimes: true } : {}) },
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        say(`wx: delta sweep ${args.city}, ${specs.length} specs (${workflowUiLink(config, workflowId, handle.firstExecutionRunId)})`);
        const done = handle.result() as Promise<DeltaSweepWorkflowResult>;
        await startWorkers(done);
        return done;
      });
      if (args.json) say(JSON.stringify(result, null, 2));
      else for (const line of renderDeltaSweepTable(result.sweep)) say(line);
    });
}
