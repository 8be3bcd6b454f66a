/**
 * `wx schedule training --cities LIST --cron "EXPR" [--history-days N] [--trials N] [--step-minutes N]`:
 * one Temporal Schedule per city (`training/<city>`) that starts scheduledTrainingWorkflow on the ML queue
 * at the cron's times in America/New_York (the zone of Kalshi's listing clock, so "after the 10:00 ET
 * listing" reads the same for every city). Overlap SKIP: a training still under way when the next time
 * comes is not doubled. Created idempotently: a schedule already there is reported, never replaced (its
 * cron is compared and a differing one named, so a changed cron is not silently ignored).
 * `wx schedule training list` shows them with their cron and next runs; `pause|unpause|delete` take a
 * city or a `training/<city>` id. Every argument is checked before Temporal is contacted: exit 2, one line.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { Client, ScheduleOptions } from '@temporalio/client';
import { CITY_IDS, type CityId } from '../../domain/cities';
import type { Config } from '../../temporal.config';
import type { ScheduledTrainingInput } from '../../workflows/scheduled-training';
import { cityList, parseArgs, UsageError, wholeNumberFlag } from '../args';

// wx.ts registers this module statically: the Temporal SDK (and modules importing it) load lazily, so
// `--help` and argument errors answer at once.

export const TRAINING_SCHEDULE_PREFIX = 'training/';
/** Cron times are read in this zone (Kalshi's listing clock), whatever the city's own zone. */
export const TRAINING_TIMEZONE = 'America/New_York';

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 0-6 only: what every cron reads alike (some take 7 for Sunday, some do not).
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];
const CRON_SHORTHANDS = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly'];

/**
 * Why `expr` is not a 5-field cron expression (minute hour day-of-month month day-of-week: numbers,
 * names, `*`, ranges, steps, lists) nor one of the shorthands, or null when it is one. The subset
 * Temporal's cron reads the same way; `@every`, seconds, years and `CRON_TZ=` are refused, since the
 * schedule's zone is fixed and a training is at most hourly work.
 */
export function cronProblem(expr: string): string | null {
  const text = expr.trim();
  if (text.startsWith('@')) return CRON_SHORTHANDS.includes(text) ? null : `expected one of ${CRON_SHORTHANDS.join(', ')} or 5 fields`;
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i]!;
    const value = (token: string): number | null => {
      if (/^\d+$/.test(token)) return Number(token);
      const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
      return named >= 0 ? named + spec.min : null;
    };
    for (const item of field.split(',')) {
      const m = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(\d+))?$/.exec(item);
      if (!m) return `${spec.name} ${JSON.stringify(item)} is not a value, range, step or *`;
      if (m[2] !== undefined && Number(m[2]) < 1) return `${spec.name} step ${m[2]} must be at least 1`;
      if (m[1] === '*') continue;
      const [lo, hi] = m[1]!.split('-').map(value);
      if (lo === null || lo === undefined || hi === null) return `${spec.name} ${JSON.stringify(item)} is not ${spec.names ? 'a number or name' : 'a number'}`;
      for (const v of [lo, hi ?? lo]) if (v < spec.min || v > spec.max) return `${spec.name} ${v} is outside ${spec.min}-${spec.max}`;
      if (hi !== undefined && hi < lo) return `${spec.name} range ${JSON.stringify(item)} runs backwards`;
    }
  }
  return null;
}

const wholeNumber = (flag: string, min: number, max: number) => wholeNumberFlag(flag, { min, max });

export const ScheduleTrainingArgsSchema = z.object({
  cities: z.string({ error: '--cities: required (comma-separated cities)' }).pipe(cityList),
  cron: z
    .string({ error: '--cron: required (a cron expression, e.g. "30 11 * * *")' })
    .superRefine((v, ctx) => {
      const problem = cronProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `--cron: ${JSON.stringify(v)} is not a cron expression: ${problem}` });
    })
    .transform((v) => v.trim().replace(/\s+/g, ' ')),
  historyDays: wholeNumber('--history-days', 1, 3660).optional(),
  trials: wholeNumber('--trials', 0, 1000).optional(),
  stepMinutes: wholeNumber('--step-minutes', 5, 1440).optional(),
  json: z.boolean().default(false),
});
export type ScheduleTrainingArgs = z.infer<typeof ScheduleTrainingArgsSchema>;

/** What a training schedule keeps in its memo: the cron as given (describe() returns it only compiled into calendars). */
interface TrainingMemo {
  cron: string;
}

export async function trainingSchedules(config: Config, args: Pick<ScheduleTrainingArgs, 'cities' | 'cron' | 'historyDays' | 'trials' | 'stepMinutes'>): Promise<ScheduleOptions[]> {
  const { CITY, STAGE } = await import('../../workflows/search-attributes');
  return args.cities.map((city): ScheduleOptions => {
    const input: ScheduledTrainingInput = {
      city,
      ...(args.historyDays !== undefined ? { historyDays: args.historyDays } : {}),
      ...(args.trials !== undefined ? { tuneTrials: args.trials } : {}),
      ...(args.stepMinutes !== undefined ? { stepMinutes: args.stepMinutes } : {}),
    };
    const memo: TrainingMemo = { cron: args.cron };
    return {
      scheduleId: `${TRAINING_SCHEDULE_PREFIX}${city}`,
      spec: { cronExpressions: [args.cron], timezone: TRAINING_TIMEZONE },
      action: {
        type: 'startWorkflow',
        workflowType: 'scheduledTrainingWorkflow',
        // Temporal appends each run's scheduled time to this id.
        workflowId: `scheduled-training/${city}`,
        args: [input],
        taskQueue: config.temporal.taskQueues.ml,
        typedSearchAttributes: [
          { key: CITY, value: city },
          { key: STAGE, value: 'scheduled-training' },
        ],
      },
      memo: { ...memo },
      // A retraining missed while the server was down still runs within 6 hours; later, the next one is as good.
      policies: { overlap: 'SKIP', catchupWindow: '6h', pauseOnFailure: false },
    };
  });
}

export interface TrainingScheduleResult {
  created: string[];
  existing: string[];
  /** Existing schedules whose cron is not the one asked for: kept as they are. */
  differing: Array<{ scheduleId: string; cron: string | undefined }>;
}

export async function ensureTrainingSchedules(client: Client, config: Config, args: ScheduleTrainingArgs): Promise<TrainingScheduleResult> {
  const { ensureSchedules } = await import('./schedules');
  const { created, existing } = await ensureSchedules(client, await trainingSchedules(config, args));
  const differing: TrainingScheduleResult['differing'] = [];
  for (const scheduleId of existing) {
    const cron = memoCron((await client.schedule.getHandle(scheduleId).describe()).memo);
    if (cron !== args.cron) differing.push({ scheduleId, cron });
  }
  return { created, existing, differing };
}

const memoCron = (memo: Record<string, unknown> | undefined): string | undefined => (typeof memo?.cron === 'string' ? memo.cron : undefined);

export interface TrainingScheduleRow {
  scheduleId: string;
  city: string;
  cron: string | undefined;
  timezone: string | undefined;
  paused: boolean;
  note?: string;
  historyDays?: number;
  tuneTrials?: number;
  stepMinutes?: number;
  nextActionTimes: string[];
  recentActions: Array<{ workflowId: string; scheduledAt: string }>;
}

export async function listTrainingSchedules(client: Client): Promise<TrainingScheduleRow[]> {
  const rows: TrainingScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(TRAINING_SCHEDULE_PREFIX)) continue;
    // describe(), not the list entry: the list comes from visibility and may lag a pause just made.
    const d = await client.schedule.getHandle(s.scheduleId).describe();
    const input = (d.action.type === 'startWorkflow' ? d.action.args?.[0] : undefined) as ScheduledTrainingInput | undefined;
    rows.push({
      scheduleId: s.scheduleId,
      city: s.scheduleId.slice(TRAINING_SCHEDULE_PREFIX.length),
      cron: memoCron(d.memo),
      timezone: d.spec.timezone,
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      ...(input?.historyDays !== undefined ? { historyDays: input.historyDays } : {}),
      ...(input?.tuneTrials !== undefined ? { tuneTrials: input.tuneTrials } : {}),
      ...(input?.stepMinutes !== undefined ? { stepMinutes: input.stepMinutes } : {}),
      nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentActions: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt.toISOString() })),
    });
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** A city or a `training/<city>` id, as the schedule id. */
export function trainingScheduleId(given: string): string {
  const city = given.startsWith(TRAINING_SCHEDULE_PREFIX) ? given.slice(TRAINING_SCHEDULE_PREFIX.length) : given;
  if (!(CITY_IDS as readonly string[]).includes(city)) {
    throw new UsageError(`scheduleId: ${JSON.stringify(given)} is not a training schedule (expected a city or training/<city>, cities: ${CITY_IDS.join(', ')})`);
  }
  return `${TRAINING_SCHEDULE_PREFIX}${city as CityId}`;
}

export type ScheduleVerb = 'pause' | 'unpause' | 'delete';

/** Pauses, unpauses or deletes a schedule; a missing one is a UsageError naming it. */
export async function changeSchedule(client: Client, verb: ScheduleVerb, id: string, note: string | undefined): Promise<void> {
  const handle = client.schedule.getHandle(id);
  try {
    if (verb === 'pause') await handle.pause(note ?? 'paused with wx schedule pause');
    else if (verb === 'unpause') await handle.unpause(note ?? 'unpaused with wx schedule unpause');
    else await handle.delete();
  } catch (err) {
    if ((err as Error).name === 'ScheduleNotFoundError') throw new UsageError(`scheduleId: no schedule ${JSON.stringify(id)} (see \`wx schedule training list\`)`);
    throw err;
  }
}

type WithClient = <T>(fn: (client: Client, config: Config) => Promise<T>) => Promise<T>;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function renderTrainingList(rows: TrainingScheduleRow[]): string[] {
  if (rows.length === 0) return ['no training schedules: `wx schedule training --cities LIST --cron "EXPR"` makes them'];
  return rows.map((r) => {
    const settings = [`history ${r.historyDays ?? 'default'} days`, ...(r.tuneTrials !== undefined ? [`trials ${r.tuneTrials}`] : []), ...(r.stepMinutes !== undefined ? [`step ${r.stepMinutes} min`] : [])].join(', ');
    return `${r.paused ? 'PAUSED ' : 'active '} ${r.scheduleId.padEnd(24)} cron "${r.cron ?? '?'}" ${r.timezone ?? ''}  next ${r.nextActionTimes[0] ?? '-'}  (${settings})${r.note ? `  note: ${r.note}` : ''}`;
  });
}

/** Registers `wx schedule training ...` under `wx schedule`; `withClient` connects with the global --config. */
export function registerScheduleTraining(schedule: Command, withClient: WithClient): void {
  const training = schedule
    .command('training')
    .description('retrain each city on a cron (Temporal Schedules training/<city>, America/New_York, overlap SKIP); subcommands list, pause, unpause, delete')
    .option('--cities <list>', 'comma-separated cities (required)')
    .option('--cron <expr>', 'when to retrain, 5-field cron read in America/New_York (e.g. "30 11 * * *") or @daily/@weekly/...')
    .option('--history-days <n>', 'train on this many settled days ending two days before each run (default 365)')
    .option('--trials <n>', "TPE trials of the city's study (default: wx ml train's; 0: no study)")
    .option('--step-minutes <n>', 'minutes between snapshots on the market clock (default 60)')
    .option('--json', 'print as JSON')
    .action(async (raw: Record<string, unknown>) => {
      const args = parseArgs(ScheduleTrainingArgsSchema, raw);
      const result = await withClient((client, config) => ensureTrainingSchedules(client, config, args));
      if (args.json) return out(JSON.stringify(result, null, 2));
      out(`created: ${result.created.join(', ') || 'none'}`);
      out(`already there: ${result.existing.join(', ') || 'none'}`);
      for (const d of result.differing) {
        out(`${d.scheduleId}: kept with cron "${d.cron ?? '?'}", not "${args.cron}" (\`wx schedule training delete ${d.scheduleId}\`, then create it again, to change it)`);
      }
    });
  // Options are read with optsWithGlobals: commander gives a flag after the subcommand to the parent when both declare it.
  training
    .command('list')
    .description('list the training schedules with their cron, settings and next runs')
    .option('--json', 'print as JSON')
    .action(async (_raw: unknown, cmd: Command) => {
      const rows = await withClient((client) => listTrainingSchedules(client));
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) return out(JSON.stringify(rows, null, 2));
      for (const line of renderTrainingList(rows)) out(line);
    });
  for (const verb of ['pause', 'unpause', 'delete'] as const) {
    training
      .command(`${verb} <schedule>`)
      .description(`${verb} a training schedule (a city or training/<city>)`)
      .option('--note <text>', 'a note kept with the schedule (pause/unpause)')
      .action(async (given: string, _raw: unknown, cmd: Command) => {
        const id = trainingScheduleId(given);
        await withClient((client) => changeSchedule(client, verb, id, cmd.optsWithGlobals<{ note?: string }>().note));
        out(`${id}: ${verb === 'delete' ? 'deleted' : `${verb}d`}`);
      });
  }
}
