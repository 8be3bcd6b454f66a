/**
 * `wx ml report --city X [--version V] [--kind bracket]`: the HTML report of a city's trained model
 * (its active version, or the one given), from the report.json and metrics.json the trainer wrote in
 * the version's artifact directory, to data/reports/models/{city}-{version}.html; prints the path.
 *
 * It needs PostgreSQL only (ml.model_version says which version is active and where its files are), not
 * Temporal: DATABASE_URL when set, else the embedded server of the data directory, started for the
 * command when it is not running and stopped again after. Bad input (an unknown city, no model for the
 * city or no such version, a missing or corrupt report.json or metrics.json) is one line naming it,
 * exit 2, and nothing is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { CITIES, parseCityId } from '../../domain/cities';
import type { TrainCityResult } from '../../activities/ml/train';
import type { Config } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { ModelMetricsSchema, ModelReportDataSchema, type ModelMetrics, type ModelReportDataParsed } from '../../schemas/model-report';
import { parseArgs, UsageError } from '../args';

// Compile-time check: what the trainer writes to metrics.json is what the report reads from it.
const metricsMatch: TrainCityResult extends ModelMetrics ? true : never = true;
void metricsMatch;

export const ReportArgsSchema = z.object({
  city: z
    .string({ error: '--city CITY is required' })
    .transform((s, ctx) => {
      try {
        return parseCityId(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: `--city: unknown city ${JSON.stringify(s)} (expected one of ${CITIES.map((c) => c.id).join(', ')})` });
        return z.NEVER;
      }
    }),
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: (i) => `--version: ${JSON.stringify(i.input)} is not a model version (e.g. b-0123456789ab)` })
    .optional(),
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, { error: (i) => `--kind: ${JSON.stringify(i.input)} is not a model kind (e.g. bracket)` })
    .default('bracket'),
  json: z.boolean().default(false),
});
export type ReportArgs = z.infer<typeof ReportArgsSchema>;

export interface ModelReportResult {
  city: string;
  kind: string;
  version: string;
  path: string;
}

/** The version's row: the given one, else the city's active model of the kind. */
async function findVersion(config: Config, args: ReportArgs, log: Logger): Promise<{ version: string; artifactPath: string | null }> {
  const { runtimeEndpoints } = await import('../../runtime');
  const { maskUrlCredentials } = await import('../../lib/logger');
  let url = runtimeEndpoints(config).databaseUrl;
  let started: { stop(): Promise<void> } | undefined;
  if (!config.database.url) {
    const pgDir = join(config.dataDir, 'pg');
    // No cluster yet: nothing was ever trained here, and starting one would create it.
    if (!existsSync(join(pgDir, 'PG_VERSION'))) {
      throw new UsageError(`--city: no ${args.kind} model for ${args.city}: no database under ${config.dataDir} yet (train one with \`wx ml train\`)`);
    }
    const { startEmbeddedPostgres } = await import('../../runtime/postgres');
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: config.database.embeddedPort, log, stopOnExit: false });
    url = pg.url;
    if (!pg.reused) started = pg;
  }
  const { createDb } = await import('../../db/client');
  const { mlModelVersion } = await import('../../schemas/db');
  const handle = createDb(url, { log, max: 1 });
  try {
    const where = args.version
      ? and(eq(mlModelVersion.cityId, args.city), eq(mlModelVersion.kind, args.kind), eq(mlModelVersion.version, args.version))
      : and(eq(mlModelVersion.cityId, args.city), eq(mlModelVersion.kind, args.kind), eq(mlModelVersion.status, 'active'));
    let rows;
    try {
      rows = await handle.db.select({ version: mlModelVersion.version, artifactPath: mlModelVersion.artifactPath }).from(mlModelVersion).where(where).orderBy(desc(mlModelVersion.createdAt)).limit(1);
    } catch (err) {
      // 42P01 undefined_table: a database the migrations never ran on holds no model.
      const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      if (code === '42P01') throw new UsageError(`--city: no ${args.kind} model for ${args.city}: the database at ${maskUrlCredentials(url)} has no ml.model_version table (train one with \`wx ml train\`)`);
      throw new Error(`cannot read ml.model_version from PostgreSQL at ${maskUrlCredentials(url)}: ${(err as Error).message}`, { cause: err });
    }
    const row = rows[0];
    if (!row) {
      if (args.version) throw new UsageError(`--version: no ${args.kind} model ${JSON.stringify(args.version)} for ${args.city}`);
      throw new UsageError(`--city: no active ${args.kind} model for ${args.city} (train one with \`wx ml train\`)`);
    }
    return row;
  } finally {
    await handle.close();
    await started?.stop();
  }
}

/** Reads and parses one of the version's JSON files; every failure is a UsageError naming the file and the field. */
function readJsonFile<S extends z.ZodType>(path: string, name: string, schema: S): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `${name}: ${path} is missing (written by \`wx ml train\` since model reports exist; train the model again)` : `${name}: cannot read ${path} (${code ?? (err as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${name}: ${path} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${name}: ${path} field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Where the report of a version goes. */
export const modelReportPath = (config: Config, city: string, version: string): string => join(config.dataDir, 'reports', 'models', `${city}-${version}.html`);

export async function runModelReport(config: Config, args: ReportArgs, log: Logger): Promise<ModelReportResult> {
  const row = await findVersion(config, args, log);
  if (!row.artifactPath) throw new UsageError(`--city: ${args.kind} model ${row.version} of ${args.city} has no artifact path in ml.model_version`);
  const artifactDir = dirname(isAbsolute(row.artifactPath) ? row.artifactPath : join(config.dataDir, row.artifactPath));
  const data: ModelReportDataParsed = readJsonFile(join(artifactDir, 'report.json'), 'report.json', ModelReportDataSchema);
  const metrics: ModelMetrics = readJsonFile(join(artifactDir, 'metrics.json'), 'metrics.json', ModelMetricsSchema);
  for (const [name, file] of [['report.json', data], ['metrics.json', metrics]] as const) {
    const want = { city: args.city, kind: args.kind, version: row.version };
    for (const key of ['city', 'kind', 'version'] as const) {
      if (file[key] !== want[key]) throw new UsageError(`${name}: ${join(artifactDir, name)} field ${key}: ${JSON.stringify(file[key])}, but ml.model_version says ${JSON.stringify(want[key])}`);
    }
  }
  const { renderModelReport } = await import('../../reports/model-report');
  const html = await renderModelReport(data, metrics);
  const path = modelReportPath(config, args.city, row.version);
  await mkdir(dirname(path), { recursive: true });
  // Written whole or not at all: a reader never sees half a page.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, html);
  await rename(tmp, path);
  log.info({ city: args.city, kind: args.kind, version: row.version, path }, 'ml report: written');
  return { city: args.city, kind: args.kind, version: row.version, path };
}

export function registerMlReport(ml: Command): void {
  ml.command('report')
    .description("write the HTML report of a city's model (active version, or --version): scores against the market and the baselines, reliability, log loss by month, feature importance")
    .option('--city <city>', 'the city')
    .option('--version <version>', 'the model version (default: the active one)')
    .option('--kind <kind>', 'the model kind', 'bracket')
    .option('--json', 'print the result as JSON')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const args = parseArgs(ReportArgsSchema, raw);
      const { loadConfig } = await import('../../temporal.config');
      const { createLogger } = await import('../../lib/logger');
      const config = loadConfig({ file: cmd.optsWithGlobals<{ config?: string }>().config });
      const log = createLogger('wx', { level: config.logLevel, file: join(config.dataDir, 'logs', 'wx.log') });
      const result = await runModelReport(config, args, log);
      process.stdout.write(`${args.json ? JSON.stringify(result, null, 2) : result.path}\n`);
    });
}
