/**
 * `npm run bench`: prints every benchmark's figures (medians, with min and max) and writes them to
 * data/bench/results.json. Record the figures in docs/performance.md with this command.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { benchRuntimeStart, median, type Sample } from './runtime-start';
import { benchBulkUpsert, printBulkUpsert } from './bulk-upsert';
import { benchMainJob, printMainJob } from './main-job';

const rounds = Number(process.env.WX_BENCH_ROUNDS ?? 3);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
// `npm run bench -- <name>` runs one bench module that exports main() (e.g. ml-gbdt, ml-infer, ml-ordinal, ml-tpe).
const only = process.argv[2];
if (only) {
  if (!/^[a-z][a-z0-9-]*$/.test(only) || !existsSync(join(import.meta.dirname, `${only}.ts`))) {
    console.error(`bench: no bench named ${JSON.stringify(only)} (a file bench/<name>.ts exporting main)`);
    process.exit(2);
  }
  const mod = (await import(`./${only}.ts`)) as { main?: () => Promise<void> };
  if (typeof mod.main !== 'function') {
    console.error(`bench: bench/${only}.ts exports no main()`);
    process.exit(2);
  }
  await mod.main();
  process.exit(0);
}
console.log(`\n## embedded runtime start (${rounds} rounds)`);
const samples = await benchRuntimeStart(rounds);
const rows: Record<string, Record<string, string>> = {};
for (const kind of ['cold', 'warm', 'reuse'] as const) {
  const of = (key: keyof Omit<Sample, 'kind'>) => {
    const xs = samples.filter((s) => s.kind === kind).map((s) => s[key]);
    return `${median(xs)} (${Math.min(...xs)}–${Math.max(...xs)})`;
  };
  rows[kind] = { 'total ms': of('totalMs'), 'postgres ms': of('postgresMs'), 'temporal ms': of('temporalMs'), 'migrations ms': of('migrationsMs') };
}
console.table(rows);
console.log('\n## bulk upsert vs raw COPY (bench/bulk-upsert.ts; local PostgreSQL, WX_BENCH_PG_URL)');
const bulk = await benchBulkUpsert();
printBulkUpsert(bulk);
console.log('\n## main job on its defaults (bench/main-job.ts)');
const mainJob = await benchMainJob();
printMainJob(mainJob);
mkdirSync(join('data', 'bench'), { recursive: true });
writeFileSync(join('data', 'bench', 'results.json'), JSON.stringify({ at: new Date().toISOString(), runtimeStart: { rounds, samples, medians: rows }, bulkUpsert: bulk, mainJob }, null, 2));
console.log('written: data/bench/results.json');
