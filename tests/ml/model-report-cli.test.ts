/**
 * `wx ml report` as a user runs it (real processes on a real PostgreSQL): the active version or the
 * one given is found in ml.model_version; bad input (an unknown city, a city without a model, an unknown
 * version, a missing, corrupt or foreign report.json or metrics.json, a data directory that never held a
 * database) is exit 2 with one line naming it, and no report is written.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { dayNumberOf } from '../../domain/iso-date';
import { modelReportData } from '../../domain/ml/model-report-data';
import { mlModelVersion } from '../../schemas/db';
import { loadConfig } from '../../temporal.config';
import { parseArgs } from '../../cli/args';
import { ReportArgsSchema, runModelReport } from '../../cli/commands/ml-report';
import { freshDatabase } from '../support/postgres';
import { newWxWorld, runWx, type WxWorld } from '../support/wx-process';

const log = createLogger('test', { level: 'warn' });
const U = 1 / 6;

/** A valid report.json for (city, version): two test rows, scored by the product's builder. */
function reportJson(city: string, version: string): unknown {
  return modelReportData({
    city,
    version,
    kind: 'bracket',
    probs: { model: [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, U, U, U, U, U, U], market: Array.from({ length: 12 }, () => U), climatology: Array.from({ length: 12 }, () => U) },
    y: [0, 3],
    days: [dayNumberOf('2025-03-01'), dayNumberOf('2025-04-01')],
    importance: { gain: [2, 1], split: [3, 1] },
    featureNames: ['b.p_mkt', 'obs.max_minus_mkt'],
  });
}

const scores = (logLoss: number) => ({ logLoss, rps: 0.1, brier: 0.8, accuracy: 0.5 });
const metricsJson = (city: string, version: string) => ({
  city,
  kind: 'bracket',
  version,
  artifactDir: '(moved)',
  trainDays: 40,
  testDays: 2,
  testRows: 2,
  testFrom: '2025-03-01',
  model: scores(1.2425),
  market: scores(Math.log(6)),
  forecastNormal: null,
  climatology: scores(Math.log(6)),
  logLossDiff: { estimate: -0.55, lo: -0.9, hi: -0.2 },
  trees: 12,
});

describe('wx ml report', { timeout: 120_000 }, () => {
  let world: WxWorld;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: DbHandle;
  let dataDir: string;
  const reportsDir = () => join(dataDir, 'reports', 'models');

  /** Registers a version and lays its files (undefined: the file is absent; a string: written as is). */
  async function model(city: string, version: string, status: string, files: { report?: unknown; metrics?: unknown }): Promise<string> {
    const dir = join(dataDir, 'models', city, version);
    mkdirSync(dir, { recursive: true });
    for (const [name, value] of [['report.json', files.report], ['metrics.json', files.metrics]] as const) {
      if (value !== undefined) writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
    }
    await db.db.insert(mlModelVersion).values({ cityId: city, kind: 'bracket', version, status, artifactPath: join('models', city, version, 'model.onnx'), metrics: {}, params: {} });
    return dir;
  }

  beforeAll(async () => {
    world = await newWxWorld();
    dataDir = mkdtempSync(join(tmpdir(), 'wx-model-report-cli-'));
    database = await freshDatabase();
    db = createDb(database.url, { log });
    await model('chicago', 'b-good', 'retired', { report: reportJson('chicago', 'b-good'), metrics: metricsJson('chicago', 'b-good') });
    await model('chicago', 'b-noreport', 'active', { metrics: metricsJson('chicago', 'b-noreport') });
    await model('austin', 'b-corrupt', 'active', { report: '{"format": "wx-model-report", ', metrics: metricsJson('austin', 'b-corrupt') });
    const bad = reportJson('denver', 'b-schema') as { sources: { model: { scores: Record<string, unknown> } } };
    bad.sources.model.scores.logLoss = 'low';
    await model('denver', 'b-schema', 'active', { report: bad, metrics: metricsJson('denver', 'b-schema') });
    await model('miami', 'b-mismatch', 'active', { report: reportJson('miami', 'b-other'), metrics: metricsJson('miami', 'b-mismatch') });
    const { testDays: _dropped, ...noTestDays } = metricsJson('los_angeles', 'b-badmetrics');
    await model('los_angeles', 'b-badmetrics', 'active', { report: reportJson('los_angeles', 'b-badmetrics'), metrics: noTestDays });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    for (const dir of [dataDir, world?.dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rejects bad flags with one line naming the flag, before anything is opened', async () => {
    const { buildProgram } = await import('../../cli/wx');
    const cases: Array<[string[], string]> = [
      [['--city', 'atlantis'], '--city: unknown city "atlantis" (expected one of chicago, austin'],
      [[], '--city CITY is required'],
      [['--city', 'chicago', '--version', '../etc'], '--version: "../etc" is not a model version'],
      [['--city', 'chicago', '--kind', 'Bracket!'], '--kind: "Bracket!" is not a model kind'],
    ];
    for (const [args, message] of cases) {
      const program = buildProgram();
      program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      const err = await program.parseAsync(['ml', 'report', ...args], { from: 'user' }).then(() => undefined, (e: unknown) => e);
      expect(err, message).toBeInstanceOf(Error);
      expect((err as Error).name, message).toBe('UsageError');
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('names every bad model or file in one line, writing nothing; a given version is written and its path printed', async () => {
    const env = { DATABASE_URL: database.url, WX_DATA_DIR: dataDir };
    const config = loadConfig({ env: { ...env, WX_LOG_LEVEL: 'warn' } });
    const dir = (city: string, version: string) => join(dataDir, 'models', city, version);
    const cases: Array<[Record<string, string>, string]> = [
      [{ city: 'philadelphia' }, '--city: no active bracket model for philadelphia (train one with `wx ml train`)'],
      [{ city: 'chicago', version: 'b-nope' }, '--version: no bracket model "b-nope" for chicago'],
      [{ city: 'chicago' }, `report.json: ${join(dir('chicago', 'b-noreport'), 'report.json')} is missing`],
      [{ city: 'austin' }, `report.json: ${join(dir('austin', 'b-corrupt'), 'report.json')} is not JSON`],
      [{ city: 'denver' }, `report.json: ${join(dir('denver', 'b-schema'), 'report.json')} field sources.model.scores.logLoss:`],
      [{ city: 'miami' }, `report.json: ${join(dir('miami', 'b-mismatch'), 'report.json')} field version: "b-other", but ml.model_version says "b-mismatch"`],
      [{ city: 'los_angeles' }, `metrics.json: ${join(dir('los_angeles', 'b-badmetrics'), 'metrics.json')} field testDays:`],
    ];
    // Each through the command's own code in this process (the CLI prints UsageErrors as one line, exit 2)...
    for (const [raw, message] of cases) {
      const err = await runModelReport(config, parseArgs(ReportArgsSchema, raw), log).then(() => undefined, (e: unknown) => e);
      expect(err, message).toBeInstanceOf(Error);
      expect((err as Error).name, message).toBe('UsageError');
      expect((err as Error).message.startsWith(message), `${(err as Error).message}\n${message}`).toBe(true);
      expect((err as Error).message).not.toContain('\n');
    }
    expect(existsSync(reportsDir())).toBe(false);

    // ...and as a user runs it: a missing report.json is exit 2 with one line; the retired version by
    // name is written, and only its page; the path is printed.
    const [bad, ok] = await Promise.all([
      runWx(world, ['ml', 'report', '--city', 'chicago'], env),
      runWx(world, ['ml', 'report', '--city', 'chicago', '--version', 'b-good'], env),
    ]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr.split('\n').filter((l) => l.trim() !== '')).toEqual([`wx: ${cases[2]![1]} (written by \`wx ml train\` since model reports exist; train the model again)`]);
    expect(bad.stdout).toBe('');
    expect(ok.code, ok.stderr).toBe(0);
    const path = join(reportsDir(), 'chicago-b-good.html');
    expect(ok.stdout.trim()).toBe(path);
    expect(readdirSync(reportsDir())).toEqual(['chicago-b-good.html']);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<title>wx ml report — chicago b-good</title>');
    // metrics.json's figures are the table's, and the absent forecast baseline says why.
    expect(html).toContain('data-score="logLoss">1.2425</span>');
    expect(html).toContain('no daily forecast in the training days');
  });

  it('a data directory that never held a database: exit 2, and no database is created', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wx-model-report-empty-'));
    try {
      const r = await runWx(world, ['ml', 'report', '--city', 'chicago'], { WX_DATA_DIR: empty });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toBe(`wx: --city: no bracket model for chicago: no database under ${empty} yet (train one with \`wx ml train\`)`);
      expect(existsSync(join(empty, 'pg'))).toBe(false);
      expect(existsSync(join(empty, 'reports'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
