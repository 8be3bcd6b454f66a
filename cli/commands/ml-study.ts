/**
 * `wx ml study list | show NAME | run NAME`: tuning studies kept in PostgreSQL (ml.study, ml.trial).
 * `list` and `show` read the database (trials, the best trial, parameter importance from the finished
 * trials); `run` starts tuneWorkflow for a study, or resumes it when the name exists (same space,
 * direction and objective), and follows its progress until the requested trials are done.
 *
 * Every input of `run` (the space file, the objective and its options, sampler and pruner options,
 * a resumed study's spec) is checked before any workflow starts: bad input is exit 2 with one line
 * naming the field, and nothing is written.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { jsonObjectFlag, parseArgs, UsageError } from '../args';
import { studyNameSchema, type TuneConfig } from '../../schemas/tune';
import type { StudySummary } from '../../activities/ml/study-store';
import type { Config } from '../../temporal.config';
import type { Logger } from '../../lib/logger';

const jsonObject = (flag: string) => jsonObjectFlag(flag).optional();

const intFlag = (flag: string, min: number) =>
  z
    .string({ error: `${flag} N is required` })
    .regex(/^\d+$/, { error: (i) => `${flag}: ${JSON.stringify(i.input)} is not a whole number` })
    .refine((v) => Number(v) >= min, { error: (i) => `${flag}: ${JSON.stringify(i.input)} is below ${min}` })
    .transform(Number);

export const StudyRunArgsSchema = z.object({
  space: z.string({ error: '--space FILE is required (a JSON search space)' }).min(1, { error: '--space: expected a file path' }),
  objective: z.string({ error: '--objective NAME is required (e.g. branin)' }).min(1, { error: '--objective: expected an objective name' }),
  objectiveOptions: jsonObject('--objective-options'),
  trials: intFlag('--trials', 1).pipe(z.number().max(100_000, { error: '--trials: at most 100000' })),
  parallel: intFlag('--parallel', 1).pipe(z.number().max(256, { error: '--parallel: at most 256' })).default(1),
  direction: z.enum(['minimize', 'maximize'], { error: (i) => `--direction: ${JSON.stringify(i.input)} is not minimize or maximize` }).default('minimize'),
  sampler: z.enum(['tpe', 'random'], { error: (i) => `--sampler: ${JSON.stringify(i.input)} is not tpe or random` }).default('tpe'),
  samplerOptions: jsonObject('--sampler-options'),
  seed: z
    .string()
    .regex(/^-?\d+$/, { error: (i) => `--seed: ${JSON.stringify(i.input)} is not an integer` })
    .transform(Number)
    .default(0),
  pruner: z.enum(['none', 'median'], { error: (i) => `--pruner: ${JSON.stringify(i.input)} is not none or median` }).default('none'),
  prunerOptions: jsonObject('--pruner-options'),
  workers: z.boolean().default(true),
  json: z.boolean().default(false),
});
export type StudyRunArgs = z.infer<typeof StudyRunArgsSchema>;

const studyName = (raw: unknown): string => {
  const parsed = studyNameSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`NAME: ${parsed.error.issues[0]?.message ?? 'not a study name'}`);
  return parsed.data;
};

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toPrecision(6));
const showParams = (p: Record<string, unknown>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : JSON.stringify(v)}`)
    .join(' ');

/** The database of this configuration (the embedded server's or DATABASE_URL), checked to answer. */
async function openDb(config: Config, log: Logger) {
  const { createDb } = await import('../../db/client');
  const { runtimeEndpoints } = await import('../../runtime');
  const { maskUrlCredentials } = await import('../../lib/logger');
  const url = runtimeEndpoints(config).databaseUrl;
  const handle = createDb(url, { log, max: 2 });
  try {
    await handle.pool.query('select 1 from ml.study limit 1');
  } catch (err) {
    await handle.close();
    throw new Error(`cannot read studies from PostgreSQL at ${maskUrlCredentials(url)}: ${(err as Error).message} (start it with \`wx up\`)`, { cause: err });
  }
  return handle;
}

export interface StudyTrialView {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
  intermediate: Record<string, number>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface StudyView extends StudySummary {
  space: Record<string, unknown>;
  objectiveSpec: Record<string, unknown> | null;
  sampler: Record<string, unknown> | null;
  pruner: Record<string, unknown> | null;
  /** Share of the objective's variation each parameter explains (domain/ml/tpe/importance.ts; all 0 below 3 complete trials). */
  importance: Record<string, number>;
  trials: StudyTrialView[];
}

export async function listStudyViews(config: Config, log: Logger): Promise<StudySummary[]> {
  const { listStudies } = await import('../../activities/ml/study-store');
  const db = await openDb(config, log);
  try {
    return await listStudies(db.db);
  } finally {
    await db.close();
  }
}

export async function studyView(config: Config, log: Logger, name: string): Promise<StudyView> {
  const store = await import('../../activities/ml/study-store');
  const { paramImportance } = await import('../../domain/ml/tpe/importance');
  const db = await openDb(config, log);
  try {
    const row = await store.findStudy(db.db, name);
    if (!row) throw new UsageError(`NAME: no study ${JSON.stringify(name)} (see \`wx ml study list\`)`);
    const summary = await store.summarize(db.db, row);
    const trials = await store.studyTrials(db.db, row.studyId);
    const frozen = trials.map(store.frozenTrial);
    const space = row.space as Parameters<typeof paramImportance>[1];
    const importance = paramImportance(frozen, space);
    return {
      ...summary,
      space: row.space,
      objectiveSpec: row.objective,
      sampler: row.sampler,
      pruner: row.pruner,
      importance,
      trials: trials.map((t) => ({
        number: t.number,
        state: t.state,
        value: t.value,
        params: t.params,
        intermediate: t.intermediateValues,
        error: t.error,
        startedAt: t.startedAt.toISOString(),
        finishedAt: t.finishedAt?.toISOString() ?? null,
      })),
    };
  } finally {
    await db.close();
  }
}

export function renderStudyList(rows: readonly StudySummary[]): string[] {
  if (rows.length === 0) return ['no studies yet: `wx ml study run NAME --space FILE --objective NAME --trials N` starts one'];
  const lines = [`${'study'.padEnd(28)} ${'status'.padEnd(9)} ${'objective'.padEnd(12)} ${'done'.padStart(9)} ${'failed'.padStart(6)}  best`];
  for (const r of rows) {
    const done = `${r.counts.complete + r.counts.pruned}/${r.requestedTrials ?? '-'}`;
    lines.push(`${r.name.padEnd(28)} ${r.status.padEnd(9)} ${(r.objective ?? '-').padEnd(12)} ${done.padStart(9)} ${String(r.counts.fail).padStart(6)}  ${r.best ? `${fmt(r.best.value)} (trial ${r.best.number})` : '-'}`);
  }
  return lines;
}

export function renderStudy(v: StudyView, top = 10): string[] {
  const c = v.counts;
  const lines = [
    `study ${v.name} (id ${v.studyId}): ${v.direction} ${v.objective ?? '-'}, ${v.status}; ${c.complete + c.pruned} of ${v.requestedTrials ?? '-'} trials done (${c.complete} complete, ${c.pruned} pruned), ${c.fail} failed, ${c.running} running`,
    `best: ${v.best ? `trial ${v.best.number}, value ${fmt(v.best.value)}: ${showParams(v.best.params)}` : 'none yet'}`,
    `importance: ${Object.values(v.importance).some((x) => x > 0) ? Object.entries(v.importance).sort((a, b) => b[1] - a[1]).map(([k, s]) => `${k} ${s.toFixed(3)}`).join(', ') : 'none measurable yet (needs 3 complete trials with varying values)'}`,
  ];
  const sign = v.direction === 'minimize' ? 1 : -1;
  const ranked = v.trials.filter((t) => t.state === 'complete').sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number);
  lines.push(`best ${Math.min(top, ranked.length)} complete trials:`);
  for (const t of ranked.slice(0, top)) lines.push(`  #${String(t.number).padEnd(5)} ${fmt(t.value).padStart(12)}  ${showParams(t.params)}`);
  const failed = v.trials.filter((t) => t.state === 'fail');
  if (failed.length > 0) lines.push(`failed: ${failed.map((t) => `#${t.number} (${(t.error ?? '').split('\n')[0]?.slice(0, 60)})`).join(', ')}`);
  return lines;
}

/** Everything `run` can check without a server: the space file, objective, sampler and pruner. */
export async function prepareStudy(name: string, args: StudyRunArgs): Promise<TuneConfig> {
  const { parseSearchSpace } = await import('../../domain/ml/tpe/space');
  const { DomainError } = await import('../../domain/errors');
  const { TuneInputSchema } = await import('../../schemas/tune');
  const { checkStudySpec } = await import('../../activities/ml/tune');

  let text: string;
  try {
    text = readFileSync(args.space, 'utf8');
  } catch (err) {
    throw new UsageError(`--space: cannot read ${args.space} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let rawSpace: unknown;
  try {
    rawSpace = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--space ${args.space}: not JSON (${(err as Error).message})`);
  }
  const asUsage = <T>(where: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DomainError) throw new UsageError(`${where}${err.message}`);
      throw err;
    }
  };
  const space = asUsage(`--space ${args.space}: `, () => parseSearchSpace(rawSpace, 'space'));
  const parsed = TuneInputSchema.safeParse({
    study: name,
    space,
    direction: args.direction,
    objective: { name: args.objective, options: args.objectiveOptions ?? {} },
    trials: args.trials,
    parallelism: args.parallel,
    sampler: { kind: args.sampler, seed: args.seed, options: args.samplerOptions ?? {} },
    pruner: args.pruner === 'none' ? { kind: 'none' } : { kind: 'median', options: args.prunerOptions ?? {} },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
  }
  const input = parsed.data;
  asUsage('', () => checkStudySpec({ ...input, study: input.study }));
  if (args.pruner === 'none' && args.prunerOptions) throw new UsageError('--pruner-options: needs --pruner median');
  return input;
}

/** `wx ml study run`: checks a resumed study's spec, then starts (or resumes) tuneWorkflow and follows it. */
export async function runStudy(config: Config, log: Logger, input: TuneConfig, args: StudyRunArgs, say: (line: string) => void) {
  const { studyMismatch } = await import('../../activities/ml/tune');
  const { tuneWorkflowId } = await import('../../schemas/tune');
  const { withSession } = await import('../session');
  const { createDb } = await import('../../db/client');
  const { findStudy, storedSpec } = await import('../../activities/ml/study-store');
  const { followWorkflow } = await import('../follow');
  const { tuneProgressQuery } = await import('../../workflows/tune');
  const { STAGE, STUDY } = await import('../../workflows/search-attributes');
  const { workflowUiLink } = await import('../../temporal.config');
  const workflowId = tuneWorkflowId(input.study);

  return withSession(config, log, say, { workers: args.workers }, async ({ client, runtime, startWorkers }) => {
    // A resumed study must match what it was started with: refused here, before any workflow starts.
    const db = createDb(runtime.databaseUrl, { log, max: 1 });
    try {
      const stored = await findStudy(db.db, input.study);
      const mismatch = stored ? studyMismatch(storedSpec(stored), { ...input, study: input.study }) : undefined;
      if (mismatch) throw new UsageError(mismatch);
      say(stored ? `wx: resuming study ${input.study} (id ${stored.studyId})` : `wx: new study ${input.study}`);
    } finally {
      await db.close();
    }
    const handle = await client.workflow.start('tuneWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueues.ml,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: STAGE, value: 'tune' },
        { key: STUDY, value: input.study },
      ],
    });
    say(`wx: ${input.trials} trials of ${input.objective.name}, ${input.parallelism} at a time (${workflowUiLink(config, workflowId, handle.firstExecutionRunId)})`);
    const result = handle.result();
    await startWorkers(result);
    let last = '';
    return followWorkflow(handle, result, {
      query: tuneProgressQuery,
      intervalMs: 1000,
      failureType: 'StudyFailed',
      asProgress: (p) => p,
      show: (p) => {
        const line = `  trials ${p.done}/${p.requested} done (${p.complete} complete, ${p.pruned} pruned), ${p.running} running, ${p.failed} failed; best ${p.best ? `${fmt(p.best.value)} (trial ${p.best.number})` : '-'}`;
        if (line !== last) say(line);
        last = line;
      },
    });
  });
}

/** Adds `study` (list, show, run) to the `ml` command group; the heavy modules load only when one runs. */
export function registerMlStudy(ml: Command): void {
  const study = ml.command('study').description('tuning studies in PostgreSQL: list, show, run (or resume) one');
  const setup = async (cmd: Command) => {
    const { loadConfig } = await import('../../temporal.config');
    const { createLogger } = await import('../../lib/logger');
    const { join } = await import('node:path');
    const config = loadConfig({ file: cmd.optsWithGlobals<{ config?: string }>().config });
    const log = createLogger('wx', { level: config.logLevel, file: join(config.dataDir, 'logs', 'wx.log') });
    return { config, log };
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);

  study
    .command('list')
    .description('every study: status, trials done of requested, failed, best value')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }, cmd: Command) => {
      const { config, log } = await setup(cmd);
      const rows = await listStudyViews(config, log);
      if (raw.json) out(JSON.stringify(rows, null, 2));
      else for (const line of renderStudyList(rows)) out(line);
    });

  study
    .command('show <name>')
    .description('one study: its trials, the best trial and parameter importance')
    .option('--top <n>', 'how many of the best trials to list', '10')
    .option('--json', 'print as JSON (every trial)')
    .action(async (rawName: string, raw: { json?: boolean; top: string }, cmd: Command) => {
      const name = studyName(rawName);
      const top = parseArgs(z.object({ top: intFlag('--top', 1) }), { top: raw.top }).top;
      const { config, log } = await setup(cmd);
      const view = await studyView(config, log, name);
      if (raw.json) out(JSON.stringify(view, null, 2));
      else for (const line of renderStudy(view, top)) out(line);
    });

  study
    .command('run <name>')
    .description('run a study, or resume it when the name exists: trials as activities on the ML task queue, --parallel at a time')
    .option('--space <file>', 'search space, JSON: {"x": {"type": "float", "low": 0, "high": 1}, "n": {"type": "int", "low": 1, "high": 9, "step": 2}, "c": {"type": "categorical", "choices": ["a", "b"]}}')
    .option('--objective <name>', 'what each trial runs: branin, hartmann6, gbdt (options: {"train": FILE, "valid": FILE, "target": COL, "fixed": {...}}), bracket (options: {"dataset": FILE, "folds": 3, "gapDays": 1, "fixed": {...}})')
    .option('--objective-options <json>', 'options of the objective, e.g. \'{"steps": 5, "stepMs": 100}\'')
    .option('--trials <n>', 'complete + pruned trials the study should have')
    .option('--parallel <k>', 'trials at once', '1')
    .option('--direction <d>', 'minimize or maximize', 'minimize')
    .option('--sampler <kind>', 'tpe or random', 'tpe')
    .option('--sampler-options <json>', 'TPE options, e.g. \'{"nStartupTrials": 10}\'')
    .option('--seed <n>', 'sampler seed', '0')
    .option('--pruner <kind>', 'none or median', 'none')
    .option('--pruner-options <json>', 'median pruner options, e.g. \'{"nStartupTrials": 5, "nWarmupSteps": 1}\'')
    .option('--no-workers', 'do not run workers in this process (ML workers run elsewhere)')
    .option('--json', 'print the final progress as JSON')
    .action(async (rawName: string, raw: Record<string, unknown>, cmd: Command) => {
      const name = studyName(rawName);
      const args = parseArgs(StudyRunArgsSchema, raw);
      const input = await prepareStudy(name, args);
      const { config, log } = await setup(cmd);
      const say = args.json ? (line: string) => process.stderr.write(`${line}\n`) : out;
      const result = await runStudy(config, log, input, args, say);
      if (args.json) out(JSON.stringify(result, null, 2));
      else out(`study ${result.study} ${result.status}: ${result.complete} complete, ${result.pruned} pruned, ${result.failed} failed; best ${result.best ? `${fmt(result.best.value)} at trial ${result.best.number}: ${showParams(result.best.params)}` : '-'}`);
      if (result.status !== 'done') process.exitCode = 1;
    });
}
