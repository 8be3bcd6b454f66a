/**
 * `npm run bench -- ml-real-train`: issue 9's split on real data, as a user runs it. The recorded world
 * (../shared/data/real, or WX_SHARED_DIR) is backfilled for Chicago, Austin and Philadelphia from
 * 2022-12-20 (or the first event date the files hold, if later) to 2025-06-30, then `wx ml train
 * --quote-times --test-from 2025-03-01` with the default trials. Prints the table of `wx ml train`
 * (model, market, forecast-normal and climatology log loss on the same test rows) and, per city, the
 * quick reference model and market of ../shared/reference/market-baselines.md, read from the doc's
 * text. Long (tens of minutes on two cores): run it alone, e.g. `nice -n 10 npm run bench -- ml-real-train`.
 * WX_BENCH_KEEP=1 keeps the data directory (and leaves the embedded servers up) for a look afterwards;
 * WX_BENCH_WORLD (the env line it prints) runs again on that world.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainCityResult } from '../activities/ml/train';
import { renderTrainTable } from '../cli/commands/ml-train';
import type { CityId } from '../domain/cities';
import { isStageSkipped, type StageSkipped } from '../schemas/stage';
import { recordedEventSpan } from '../sandbox/worlds/recorded/span';
import { SHARED_DIR, sharedReal } from '../tests/support/shared';
import { disposeWxWorld, newWxWorld, spawnWx, type WxWorld } from '../tests/support/wx-process';
import { loadLine } from './ml-reference';

const CITIES: CityId[] = ['chicago', 'austin', 'philadelphia'];
const WANT_FROM = '2022-12-20';
const TO = '2025-06-30';
const TEST_FROM = '2025-03-01';
const BASELINES = join(SHARED_DIR, 'reference', 'market-baselines.md');

export interface ReferenceRow {
  testEvents: number;
  reference: number;
  market: number;
}

/**
 * The table under "A quick reference model on the same data" of market-baselines.md, by city id
 * (`| Chicago | 119 | 1.288 | 1.309 |`: test events, reference model, market log loss).
 */
export function parseReferenceTable(markdown: string): Partial<Record<CityId, ReferenceRow>> {
  const at = markdown.indexOf('## A quick reference model');
  if (at < 0) throw new Error(`${BASELINES}: no "## A quick reference model" section`);
  const section = markdown.slice(at).split('\n');
  const out: Partial<Record<CityId, ReferenceRow>> = {};
  for (const line of section) {
    const m = /^\|\s*([A-Za-z ]+?)\s*\|\s*(\d+)\s*\|\s*(\d+\.\d+)\s*\|\s*(\d+\.\d+)\s*\|\s*$/.exec(line);
    if (!m) continue;
    const city = m[1]!.toLowerCase().replace(/ /g, '') as CityId;
    out[city] = { testEvents: Number(m[2]), reference: Number(m[3]), market: Number(m[4]) };
  }
  return out;
}

/**
 * The JSON document `--json` printed: from its first line (`{` or `[` alone) to the end. Other lines
 * can come before it on stdout (the session's lines; Temporal core's own warnings, e.g. a workflow
 * task over 5 s on a loaded machine, which it writes to stdout itself).
 */
function jsonOutput<T>(stdout: string, what: string): T {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l === '{' || l === '[');
  if (start < 0) throw new Error(`${what} printed no JSON:\n${stdout}`);
  return JSON.parse(lines.slice(start).join('\n')) as T;
}

/** A world kept by an earlier run (WX_BENCH_WORLD = the env line it printed), else a new one. */
async function benchWorld(): Promise<{ world: WxWorld; kept: boolean }> {
  const given = process.env.WX_BENCH_WORLD;
  if (!given) return { world: await newWxWorld(), kept: false };
  const env = Object.fromEntries(given.trim().split(/\s+/).map((kv) => kv.split('=', 2) as [string, string]));
  if (!env.WX_DATA_DIR || !env.WX_TEMPORAL_PORT || !env.WX_TEMPORAL_UI_PORT) throw new Error(`WX_BENCH_WORLD: ${JSON.stringify(given)} lacks WX_DATA_DIR, WX_TEMPORAL_PORT or WX_TEMPORAL_UI_PORT`);
  return { world: { dataDir: env.WX_DATA_DIR, env, temporalAddress: `127.0.0.1:${env.WX_TEMPORAL_PORT}`, uiUrl: `http://127.0.0.1:${env.WX_TEMPORAL_UI_PORT}` }, kept: true };
}

/** Runs wx to completion, its stderr (progress lines) passed through so a long run shows where it is. */
async function wx(world: WxWorld, args: string[]): Promise<{ code: number | null; stdout: string; seconds: number }> {
  const t0 = performance.now();
  const run = spawnWx(world, args);
  run.child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const code = await run.exited;
  return { code, stdout: run.stdout(), seconds: (performance.now() - t0) / 1000 };
}

export async function main(): Promise<void> {
  const real = sharedReal();
  if (!real.present) {
    console.log(`SKIP ml-real-train: ${real.reason}`);
    return;
  }
  const reference = parseReferenceTable(readFileSync(BASELINES, 'utf8'));
  const span = recordedEventSpan(real.path, CITIES);
  if (!span) throw new Error(`${real.path} holds no Kalshi events for ${CITIES.join(', ')}`);
  // The files start on 2022-12-22 (Chicago's first Logan event): a range before them is refused.
  const from = span.from > WANT_FROM ? span.from : WANT_FROM;
  console.log(`\n## wx ml train on the recorded world: ${CITIES.join(', ')} ${from}..${TO}, test from ${TEST_FROM}, --quote-times, default trials`);
  console.log(loadLine());
  const { world, kept } = await benchWorld();
  // A kept world's backfill finds its slices ingested and skips them: the backfill time is then not the first one's.
  if (kept) console.log(`reusing the world in ${world.dataDir} (WX_BENCH_WORLD)`);
  const t0 = performance.now();
  try {
    const backfill = await wx(world, ['backfill', '--world', 'recorded', '--world-dir', real.path, '--cities', CITIES.join(','), '--from', from, '--to', TO, '--json']);
    if (backfill.code !== 0) throw new Error(`wx backfill exited ${backfill.code}:\n${backfill.stdout}`);
    const totals = jsonOutput<{ totals: Record<string, { rows: number }> }>(backfill.stdout, 'wx backfill').totals;
    console.log(`backfill: ${backfill.seconds.toFixed(0)} s, rows ${Object.entries(totals).map(([s, t]) => `${s} ${t.rows}`).join(', ')} (${loadLine()})`);

    const train = await wx(world, ['ml', 'train', '--cities', CITIES.join(','), '--from', from, '--to', TO, '--test-from', TEST_FROM, '--quote-times', '--json']);
    const results = jsonOutput<Array<TrainCityResult | StageSkipped>>(train.stdout, `wx ml train (exit ${train.code})`);
    console.log(`wx ml train: ${train.seconds.toFixed(0)} s, exit ${train.code} (${loadLine()})\n`);
    for (const line of renderTrainTable(results)) console.log(line);

    console.log('\nnext to the quick reference model of ../shared/reference/market-baselines.md (its own test events, complete ladders, the day-before quote):');
    console.log('city           model LL  market LL  | reference LL  its market LL  its test events');
    for (const city of CITIES) {
      const r = results.find((x) => x.city === city);
      const ref = reference[city];
      const ours = r && !isStageSkipped(r) ? `${r.model.logLoss.toFixed(4).padStart(8)}  ${r.market.logLoss.toFixed(4).padStart(9)}` : `${'-'.padStart(8)}  ${'-'.padStart(9)}`;
      const theirs = ref ? `${ref.reference.toFixed(3).padStart(12)}  ${ref.market.toFixed(3).padStart(13)}  ${String(ref.testEvents).padStart(15)}` : '(not in the doc)';
      console.log(`${city.padEnd(14)} ${ours}  | ${theirs}`);
    }
    console.log(`\nwall time: ${((performance.now() - t0) / 1000).toFixed(0)} s (backfill ${backfill.seconds.toFixed(0)} s, training ${train.seconds.toFixed(0)} s)`);
    if (train.code !== 0) process.exitCode = 1;
  } finally {
    if (process.env.WX_BENCH_KEEP === '1' || kept) console.log(`kept: ${world.dataDir}; WX_BENCH_WORLD='${Object.entries(world.env).map(([k, v]) => `${k}=${v}`).join(' ')}' reuses it, \`wx down\` with that env stops its servers`);
    else await disposeWxWorld(world);
  }
}

// Run directly (`tsx bench/ml-real-train.ts`) as well as through bench/index.ts.
if (import.meta.url === `file://${process.argv[1]}`) await main();
