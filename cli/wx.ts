/**
 * `wx`: the product's command line. Exit codes: 0 success, 1 the work failed, 2 a bad argument or a bad
 * configuration (the message names it).
 */
import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig, temporalUiUrl, type Config } from '../temporal.config';
import { createLogger, maskUrlCredentials, type Logger } from '../lib/logger';
import { INPUT_ERROR_NAMES } from '../runtime/errors';
import { registerMlGbdt } from './commands/ml-gbdt';
import { registerMlStudy } from './commands/ml-study';
import { registerMlTrain } from './commands/ml-train';
import { registerMlDeltaSweep } from './commands/ml-delta-sweep';
import { registerMlReport } from './commands/ml-report';
import { registerScheduleTraining } from './commands/schedule-training';
import { parseArgs, worldOverrides, BackfillArgsSchema, SandboxArgsSchema, ValidateArgsSchema, ScheduleCreateArgsSchema, ScheduleIdSchema, StartArgsSchema, StatusArgsSchema, UsageError, checkServableRange } from './args';

// Subcommands import the Temporal SDK, drizzle and the runtime lazily, so that `--help`, `ui` and
// argument errors answer at once.

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Context {
  config: Config;
  log: Logger;
}

function context(program: Command, overrides?: Record<string, unknown>): Context {
  const globals = program.opts<{ config?: string }>();
  const config = loadConfig({ file: globals.config, overrides });
  const log = createLogger('wx', { level: config.logLevel, file: join(config.dataDir, 'logs', 'wx.log') });
  return { config, log };
}

export function buildProgram(): Command {
  const program = new Command('wx')
    .description('Kalshi daily high-temperature markets: backfill, validate, model, backtest and trade on Temporal + PostgreSQL')
    .option('--config <file>', 'JSON configuration file (else WX_CONFIG, else ./wx.config.json)')
    .option('--verbose', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('start')
    .description('run the main job: start the embedded runtime, run (or resume) the pipeline, print the summary and the Web UI link')
    .option('--cities <list>', 'comma-separated cities (default: every configured city)')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .option('--no-workers', 'do not run workers in this process (workers run elsewhere)')
    .option('--down', 'stop the embedded servers when the pipeline ends')
    .option('--refresh', 'fetch every backfill slice again, even those already ingested from this world')
    .option('--json', 'print the summary as JSON')
    .option('--world <kind>', 'what the APIs serve: generated (default, local sandbox), recorded (--world-dir), real (real services, keys from the environment)')
    .option('--world-dir <dir>', 'a directory laid out like shared/data/real, for --world recorded')
    .option('--seed <n>', 'seed of the generated world')
    .option('--inefficiency <kind>', 'a planted market inefficiency in the generated world: none, underreaction, longshot')
    .action(async (raw) => {
      const args = parseArgs(StartArgsSchema, raw);
      const { config, log } = context(program, worldOverrides(args));
      checkServableRange(args, config);
      const say = args.json ? (line: string) => process.stderr.write(`${line}\n`) : out;
      const { runStart } = await import('./commands/start');
      const result = await runStart(config, args, log, say);
      if (args.json) out(JSON.stringify({ ...result.summary, runId: result.runId, resumed: result.resumed, link: result.link, reports: result.reports }, null, 2));
      if (!result.summary.ok) process.exitCode = 1;
    });

  program
    .command('backfill')
    .description('backfill observations, forecasts, settlements, Kalshi markets, candles and trades into PostgreSQL (resumable; re-running changes nothing)')
    .option('--cities <list>', 'comma-separated cities (default: every configured city)')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .option('--sources <list>', 'some of kalshi, observations, settlements, forecasts (default: all)')
    .option('--refresh', 'fetch every slice again, even those already ingested from this world (default: skip them)')
    .option('--world <kind>', 'generated (default), recorded (--world-dir) or real')
    .option('--world-dir <dir>', 'a directory laid out like shared/data/real, for --world recorded')
    .option('--seed <n>', 'seed of the generated world')
    .option('--inefficiency <kind>', 'none, underreaction or longshot')
    .option('--no-workers', 'do not run workers in this process')
    .option('--down', 'stop the embedded servers at the end')
    .option('--json', 'print the final progress as JSON')
    .action(async (raw) => {
      const args = parseArgs(BackfillArgsSchema, raw);
      const { config, log } = context(program, worldOverrides(args));
      checkServableRange(args, config, args.sources);
      const say = args.json ? (line: string) => process.stderr.write(`${line}\n`) : out;
      const { runBackfill } = await import('./commands/backfill');
      const result = await runBackfill(config, args, log, say);
      if (args.json) out(JSON.stringify(result, null, 2));
      if (result.status !== 'done') process.exitCode = 1;
    });

  program
    .command('validate')
    .description('validate the database: coverage, freshness, candle gaps, DST days, anomalies, settlement disagreements, forecast skill; JSON + HTML report')
    .option('--cities <list>', 'comma-separated cities (default: every configured city)')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .option('--as-of <instant>', 'reference time for freshness (default: now)')
    .option('--report-id <id>', 'file name of the report (default: from the workflow id)')
    .option('--thresholds <json>', 'threshold overrides, e.g. \'{"minCoveragePct":90,"maxStalenessHours":48}\'')
    .option('--no-workers', 'do not run workers in this process')
    .option('--json', 'print the result as JSON')
    .action(async (raw) => {
      const args = parseArgs(ValidateArgsSchema, raw);
      const { config, log } = context(program);
      const say = args.json ? (line: string) => process.stderr.write(`${line}\n`) : out;
      const { runValidate } = await import('./commands/validate');
      const result = await runValidate(config, args, log, say);
      if (args.json) out(JSON.stringify(result, null, 2));
      if (!result.ok) process.exitCode = 1;
    });

  program
    .command('status')
    .description('list running and recent workflows')
    .option('--limit <n>', 'how many recent workflows', '20')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const args = parseArgs(StatusArgsSchema, raw);
      const { config } = context(program);
      const { Client, Connection } = await import('@temporalio/client');
      const { listWorkflows, renderWorkflowTable } = await import('./commands/status');
      const { runtimeEndpoints } = await import('../runtime');
      const { temporalAnswers } = await import('../runtime/temporal-server');
      const { temporalAddress } = runtimeEndpoints(config);
      if (!(await temporalAnswers(temporalAddress))) {
        throw new Error(`Temporal is not running at ${temporalAddress}: start it with \`wx up\` or \`wx start\``);
      }
      const connection = await Connection.connect({ address: temporalAddress });
      try {
        const client = new Client({ connection, namespace: config.temporal.namespace });
        const rows = await listWorkflows(client, args.limit);
        if (args.json) out(JSON.stringify(rows, null, 2));
        else for (const line of renderWorkflowTable(rows, config)) out(line);
      } finally {
        await connection.close();
      }
    });

  program
    .command('ui')
    .description('print the Temporal Web UI address')
    .option('--json', 'print as JSON')
    .action((raw: { json?: boolean }) => {
      const { config } = context(program);
      const url = `${temporalUiUrl(config)}/namespaces/${config.temporal.namespace}/workflows`;
      out(raw.json ? JSON.stringify({ url }) : url);
    });

  program
    .command('up')
    .description('start (or reuse) the embedded PostgreSQL and Temporal dev server and apply migrations')
    .option('--json', 'print endpoints as JSON')
    .action(async (raw: { json?: boolean }) => {
      const { config, log } = context(program);
      const { startRuntime } = await import('../runtime');
      const runtime = await startRuntime(config, log, { onStep: (s) => !raw.json && out(`  ${s.part} ${s.action} ${s.detail} (${s.ms} ms)`) });
      const info = { temporal: runtime.temporalAddress, ui: runtime.uiUrl, database: maskUrlCredentials(runtime.databaseUrl), steps: runtime.steps };
      out(raw.json ? JSON.stringify(info, null, 2) : `Temporal ${info.temporal}, Web UI ${info.ui}, PostgreSQL ${info.database}`);
    });

  program
    .command('down')
    .description('stop the embedded PostgreSQL and Temporal dev server')
    .action(async () => {
      const { config, log } = context(program);
      const { stopRuntime } = await import('../runtime');
      const stopped = await stopRuntime(config, log);
      out(`temporal: ${stopped.temporal ? 'stopped' : 'was not running'}; postgres: ${stopped.postgres ? 'stopped' : 'was not running'}`);
    });

  const db = program.command('db').description('database commands');
  db.command('migrate')
    .description('apply the drizzle migrations to DATABASE_URL (or the embedded server, started if needed)')
    .action(async () => {
      const { config, log } = context(program);
      const { migrateDatabase } = await import('../db/migrate');
      if (config.database.url) {
        await migrateDatabase(config.database.url, log);
        out(`migrations applied to ${maskUrlCredentials(config.database.url)}`);
      } else {
        const { startEmbeddedPostgres } = await import('../runtime/postgres');
        const pg = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), port: config.database.embeddedPort, log, stopOnExit: false });
        await migrateDatabase(pg.url, log);
        out(`migrations applied to ${maskUrlCredentials(pg.url)} (embedded, ${pg.reused ? 'already running' : 'started'}; \`wx down\` stops it)`);
      }
    });

  program
    .command('sandbox')
    .description('serve the external APIs (Kalshi, Visual Crossing, IEM, NWS, Open-Meteo, NCEI) from a world until interrupted')
    .option('--world <kind>', 'generated (default) or recorded')
    .option('--world-dir <dir>', 'a directory laid out like shared/data/real, for --world recorded')
    .option('--seed <n>', 'seed of the generated world')
    .option('--inefficiency <kind>', 'none, underreaction or longshot')
    .option('--from <date>', 'first date, YYYY-MM-DD')
    .option('--to <date>', 'last date, YYYY-MM-DD')
    .option('--port <n>', 'port (default WX_SANDBOX_PORT, 8787)')
    .action(async (raw) => {
      const args = parseArgs(SandboxArgsSchema, raw);
      const { config, log } = context(program, {
        ...worldOverrides(args),
        ...(args.port ? { apis: { sandboxPort: args.port } } : {}),
      });
      if (config.world.kind === 'real') throw new UsageError('--world: the sandbox serves generated or recorded worlds, not "real"');
      const { startConfiguredSandbox } = await import('../runtime/sandbox');
      const sandbox = await startConfiguredSandbox(config, { from: args.from ?? config.pipeline.from, to: args.to ?? config.pipeline.to }, log);
      const what = config.world.kind === 'recorded' ? ` (files read from ${resolve(config.world.dir ?? '.')})` : ` (seed ${config.world.seed})`;
      out(`sandbox: serving the ${config.world.kind} world${what} on ${sandbox!.url} (Ctrl-C stops it)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sandbox!.close();
    });

  const schedule = program.command('schedule').description('Temporal Schedules: live ingest (forecast snapshots before the open, hourly and nightly; candle and order-book polling) and per-city retraining (schedule training)');
  const withClient = async <T>(fn: (client: import('@temporalio/client').Client, config: Config) => Promise<T>): Promise<T> => {
    const { config } = context(program);
    const { Client, Connection } = await import('@temporalio/client');
    const { runtimeEndpoints } = await import('../runtime');
    const connection = await Connection.connect({ address: runtimeEndpoints(config).temporalAddress });
    try {
      return await fn(new Client({ connection, namespace: config.temporal.namespace }), config);
    } finally {
      await connection.close();
    }
  };
  schedule
    .command('create')
    .description('create the live-ingest schedules that do not exist yet (per city: pre-open, hourly and nightly forecast snapshots; candle and order-book polling)')
    .option('--cities <list>', 'comma-separated cities (default: every configured city)')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const args = parseArgs(ScheduleCreateArgsSchema, raw);
      const result = await withClient(async (client, config) => {
        const { ensureSchedules, liveIngestSchedules } = await import('./commands/schedules');
        return ensureSchedules(client, liveIngestSchedules(config, args.cities ?? config.cities));
      });
      out(args.json ? JSON.stringify(result, null, 2) : `created: ${result.created.join(', ') || 'none'}\nalready there: ${result.existing.join(', ') || 'none'}`);
    });
  schedule
    .command('list')
    .description('list schedules with their state and next runs')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) => {
      const rows = await withClient(async (client) => (await import('./commands/schedules')).listSchedules(client));
      if (raw.json) return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return out('no schedules: `wx schedule create` makes the live-ingest ones');
      for (const r of rows) out(`${r.paused ? 'PAUSED ' : 'active '} ${r.scheduleId.padEnd(36)} next ${r.nextActionTimes[0] ?? '-'}${r.cron ? `  cron "${r.cron}"` : ''}${r.note ? `  (${r.note})` : ''}`);
    });
  for (const verb of ['pause', 'unpause', 'delete'] as const) {
    schedule
      .command(`${verb} <scheduleId>`)
      .description(`${verb} a schedule`)
      .option('--note <text>', 'a note kept with the schedule (pause/unpause)')
      .action(async (scheduleId: string, raw: { note?: string }) => {
        const id = parseArgs(ScheduleIdSchema, scheduleId);
        await withClient(async (client) => {
          const handle = client.schedule.getHandle(id);
          try {
            if (verb === 'pause') await handle.pause(raw.note ?? 'paused with wx schedule pause');
            else if (verb === 'unpause') await handle.unpause(raw.note ?? 'unpaused with wx schedule unpause');
            else await handle.delete();
          } catch (err) {
            if ((err as Error).name === 'ScheduleNotFoundError') throw new UsageError(`scheduleId: no schedule ${JSON.stringify(id)} (see \`wx schedule list\`)`);
            throw err;
          }
        });
        out(`${id}: ${verb === 'delete' ? 'deleted' : `${verb}d`}`);
      });
  }
  registerScheduleTraining(schedule, withClient);

  registerMlGbdt(program.commands.find((c) => c.name() === 'ml') ?? program.command('ml').description('model engine: train the GBDT on Parquet/CSV files; tuning studies'));
  registerMlStudy(program.commands.find((c) => c.name() === 'ml')!);
  registerMlTrain(program.commands.find((c) => c.name() === 'ml')!);
  registerMlDeltaSweep(program.commands.find((c) => c.name() === 'ml')!);
  registerMlReport(program.commands.find((c) => c.name() === 'ml')!);

  program
    .command('config')
    .description('print the resolved configuration (secrets masked)')
    .addOption(new Option('--json', 'print as JSON').default(true))
    .action(() => {
      const { config } = context(program);
      const shown = { ...config, database: { ...config.database, url: config.database.url && maskUrlCredentials(config.database.url) } };
      out(JSON.stringify(shown, null, 2));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; commander already printed the message.
      return err.exitCode === 0 ? 0 : 2;
    }
    const verbose = argv.includes('--verbose');
    // Bad input (a flag, the configuration, a world directory, an address or port): one line, exit 2.
    if (err instanceof UsageError || err instanceof ConfigError || (err instanceof Error && INPUT_ERROR_NAMES.has(err.name))) {
      process.stderr.write(`wx: ${err.message}\n${verbose && err.stack ? `${err.stack}\n` : ''}`);
      return 2;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(verbose ? `wx: ${e.stack ?? e.message}\n` : `wx: ${e.message.split('\n')[0]} (--verbose shows the stack trace)\n`);
    return 1;
  }
}

// Run when executed directly (tsx cli/wx.ts, or bin/wx.mjs), not when imported by tests.
const invokedPath = process.argv[1] ?? '';
if (/cli[\\/]wx\.ts$|bin[\\/]wx(\.mjs)?$/.test(invokedPath)) {
  const code = await main(process.argv.slice(2));
  // Connections and workers are closed by now; exit so no stray handle keeps the CLI alive.
  process.exit(code);
}
