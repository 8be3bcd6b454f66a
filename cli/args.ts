import { resolve } from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { CITIES, parseCityId, type CityId } from '../domain/cities';
import { COVERAGE_SOURCES, coverageProblem, type CoverageSource, type WorldSpan } from '../domain/coverage';
import { recordedEventSpan } from '../sandbox/worlds/recorded/span';
import type { Config } from '../temporal.config';
import { ValidationThresholdsSchema } from '../schemas/validation';

/** A bad command-line argument: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const realDate = (flag: string) =>
  z.string().refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid, {
    error: (issue) => `${flag}: ${JSON.stringify(issue.input)} is not a date (expected YYYY-MM-DD)`,
  });

/**
 * A flag holding a JSON object (`--params '{"numLeaves":15}'`): one line naming the flag when the value
 * is not JSON or not an object. Callers refine the object further with their own schema.
 */
/** A flag holding a whole number, e.g. `--step-minutes 60`; errors name the flag and the value (`unit` ends the "not a whole number" message). */
export const wholeNumberFlag = (flag: string, bounds: { min?: number; max?: number } = {}, unit = '') =>
  z
    .string()
    .regex(/^\d+$/, { error: (i) => `${flag}: ${JSON.stringify(i.input)} is not a whole number${unit ? ` of ${unit}` : ''}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(bounds.min ?? 0, { error: `${flag}: at least ${bounds.min ?? 0}` })
        .max(bounds.max ?? Number.MAX_SAFE_INTEGER, { error: `${flag}: at most ${bounds.max}` }),
    );

export const jsonObjectFlag = (flag: string, example?: string) =>
  z.string().transform((v, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${flag}: ${JSON.stringify(v)} is not JSON${example ? ` (e.g. '${example}')` : ''}` });
      return z.NEVER;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: `${flag}: ${JSON.stringify(v)} is not a JSON object` });
      return z.NEVER;
    }
    return parsed as Record<string, unknown>;
  });

export const cityList = z
  .string()
  .transform((s, ctx) => {
    const ids: CityId[] = [];
    for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      try {
        ids.push(parseCityId(part));
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `--cities: unknown city ${JSON.stringify(part)} (expected some of ${CITIES.map((c) => c.id).join(', ')})`,
        });
        return z.NEVER;
      }
    }
    if (ids.length === 0) {
      ctx.addIssue({ code: 'custom', message: '--cities: expected at least one city' });
      return z.NEVER;
    }
    return [...new Set(ids)];
  });

/** --world/--world-dir/--seed/--inefficiency, shared by the commands that talk to the APIs. */
export const WorldArgsShape = {
  world: z
    .enum(['generated', 'recorded', 'real'], { error: (i) => `--world: ${JSON.stringify(i.input)} is not one of generated, recorded, real` })
    .optional(),
  worldDir: z.string().optional(),
  seed: z
    .string()
    .regex(/^-?\d+$/, { error: (i) => `--seed: ${JSON.stringify(i.input)} is not an integer` })
    .transform(Number)
    .optional(),
  inefficiency: z
    .enum(['none', 'underreaction', 'longshot'], { error: (i) => `--inefficiency: ${JSON.stringify(i.input)} is not one of none, underreaction, longshot` })
    .optional(),
};

/** Turns world flags into configuration overrides (validated again with the whole configuration). */
export function worldOverrides(a: { world?: string; worldDir?: string; seed?: number; inefficiency?: string }): Record<string, unknown> {
  const world: Record<string, unknown> = {};
  if (a.world) world.kind = a.world;
  if (a.worldDir) world.dir = a.worldDir;
  if (a.seed !== undefined) world.seed = a.seed;
  if (a.inefficiency) world.inefficiency = a.inefficiency;
  return Object.keys(world).length ? { world } : {};
}

export const StartArgsSchema = z
  .object({
    ...WorldArgsShape,
    cities: cityList.optional(),
    from: realDate('--from').optional(),
    to: realDate('--to').optional(),
    workers: z.boolean().default(true),
    down: z.boolean().default(false),
    refresh: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .refine((a) => !a.from || !a.to || a.from <= a.to, { error: (i) => `--from must not be after --to (got ${JSON.stringify(i.input)})` })
  .refine((a) => a.world !== 'recorded' || !!a.worldDir, { error: '--world recorded needs --world-dir DIR (a directory laid out like shared/data/real)' });
export type StartArgs = z.infer<typeof StartArgsSchema>;

export const StatusArgsSchema = z.object({
  json: z.boolean().default(false),
  limit: z
    .string()
    .regex(/^\d+$/, { error: (i) => `--limit: ${JSON.stringify(i.input)} is not a number` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, { error: (i) => `--limit: ${JSON.stringify(i.input)} must be from 1 to 1000` })
    .default(20),
});
export type StatusArgs = z.infer<typeof StatusArgsSchema>;

/** Validates parsed options with a schema; a failure becomes a UsageError naming the argument. */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues.map((i) => (i.message.startsWith('--') ? i.message : `--${i.path.join('.')}: ${i.message}`)).join('\n'));
}

export const ScheduleCreateArgsSchema = z.object({ cities: cityList.optional(), json: z.boolean().default(false) });

export const ScheduleIdSchema = z
  .string()
  .min(1, { error: 'scheduleId: expected a schedule id (see `wx schedule list`)' })
  .regex(/^[\w./-]+$/, { error: (i) => `scheduleId: ${JSON.stringify(i.input)} is not a schedule id` });

export const SandboxArgsSchema = z.object({
  ...WorldArgsShape,
  from: realDate('--from').optional(),
  to: realDate('--to').optional(),
  port: z
    .string()
    .regex(/^\d+$/, { error: (i) => `--port: ${JSON.stringify(i.input)} is not a port number` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65535, { error: (i) => `--port: ${JSON.stringify(i.input)} is not a port number (1-65535)` })
    .optional(),
});

export const ValidateArgsSchema = z
  .object({
    cities: cityList.optional(),
    from: realDate('--from').optional(),
    to: realDate('--to').optional(),
    asOf: z
      .string()
      .refine((v) => DateTime.fromISO(v).isValid, { error: (i) => `--as-of: ${JSON.stringify(i.input)} is not an ISO instant (e.g. 2025-04-01T00:00:00Z)` })
      .transform((v) => DateTime.fromISO(v, { zone: 'utc' }).toISO()!)
      .optional(),
    reportId: z.string().optional(),
    thresholds: jsonObjectFlag('--thresholds', '{"minCoveragePct":90}')
      .transform((parsed, ctx) => {
        // Checked here, with the workflow's own schema: a wrong key or type is exit 2 naming the key,
        // not a workflow that starts and fails.
        const checked = ValidationThresholdsSchema.safeParse(parsed);
        if (!checked.success) {
          const issue = checked.error.issues[0]!;
          const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
          const key = keys[0] ?? issue.path.map(String).join('.');
          const got = key && parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[key] : parsed;
          ctx.addIssue({
            code: 'custom',
            message: keys.length
              ? `--thresholds: unknown key ${JSON.stringify(key)} (expected some of ${Object.keys(ValidationThresholdsSchema.shape).join(', ')})`
              : `--thresholds: ${key || '(the value)'} = ${JSON.stringify(got)}: ${issue.message}`,
          });
          return z.NEVER;
        }
        return parsed as Record<string, unknown>;
      })
      .optional(),
    workers: z.boolean().default(true),
    down: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .refine((a) => !a.from || !a.to || a.from <= a.to, { error: '--from must not be after --to' });
export type ValidateArgs = z.infer<typeof ValidateArgsSchema>;

const sourceList = z.string().transform((s, ctx) => {
  const known = ['kalshi', 'observations', 'settlements', 'forecasts'] as const;
  const out: Array<(typeof known)[number]> = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (!(known as readonly string[]).includes(part)) {
      ctx.addIssue({ code: 'custom', message: `--sources: unknown source ${JSON.stringify(part)} (expected some of ${known.join(', ')})` });
      return z.NEVER;
    }
    out.push(part as (typeof known)[number]);
  }
  return [...new Set(out)];
});

export const BackfillArgsSchema = z
  .object({
    ...WorldArgsShape,
    cities: cityList.optional(),
    from: realDate('--from').optional(),
    to: realDate('--to').optional(),
    sources: sourceList.optional(),
    workers: z.boolean().default(true),
    down: z.boolean().default(false),
    refresh: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .refine((a) => !a.from || !a.to || a.from <= a.to, { error: '--from must not be after --to' })
  .refine((a) => a.world !== 'recorded' || !!a.worldDir, { error: '--world recorded needs --world-dir DIR (a directory laid out like shared/data/real)' });
export type BackfillArgs = z.infer<typeof BackfillArgsSchema>;

/**
 * What the configured world serves instead of the sources' archives: for a recorded world served by
 * the sandbox, the span of its files' Kalshi events for the cities (undefined when it holds none: the
 * sandbox then refuses the directory with its own message, naming what is missing).
 */
export function servedWorldSpan(config: Config, cities: readonly CityId[]): WorldSpan | undefined {
  if (config.world.kind !== 'recorded' || config.apis.mode === 'real' || !config.world.dir) return undefined;
  const dir = resolve(config.world.dir);
  const span = recordedEventSpan(dir, cities);
  return span ? { ...span, what: `the recorded world in ${dir} (${cities.join(', ')})` } : undefined;
}

/**
 * Refuses a range the world cannot serve (domain/coverage.ts), before anything starts: the sources'
 * archives for the generated and real worlds, a recorded world's files for it. The dates come from
 * the flags, else from the configuration; the message names whichever was used.
 */
export function checkServableRange(
  flags: { from?: string; to?: string; cities?: readonly CityId[] },
  config: Config,
  sources: readonly CoverageSource[] = COVERAGE_SOURCES,
  today: string = new Date().toISOString().slice(0, 10),
): void {
  const from = flags.from ?? config.pipeline.from;
  const to = flags.to ?? config.pipeline.to;
  const name = (end: 'from' | 'to') => (flags[end] ? `--${end}` : `pipeline.${end} (WX_${end.toUpperCase()} or the config file)`);
  if (from > to) throw new UsageError(`${name('from')}: ${from} is after ${name('to')} ${to}`);
  const world = servedWorldSpan(config, flags.cities ?? config.cities);
  const problem = coverageProblem({ from, to, sources: [...sources], today, ...(world ? { world } : {}) });
  if (problem) throw new UsageError(`${name(problem.end)}: ${problem.value} ${problem.reason}`);
}
