/**
 * Quick loop for trainer speed work: times only our GBDT (bench/ml-gbdt.ts's settings) on the
 * synthetic and/or Chicago sets with 1 and 2 threads, and prints wall and process CPU seconds
 * (from /proc/self/stat: every thread of the process, workers included), the held-out log loss
 * and a hash of the model JSON, so a speed change that alters the model shows at once.
 *
 *   npx tsx bench/ml-gbdt-profile.ts                       # synthetic binary, 1 and 2 threads
 *   WX_PROFILE_ROUNDS=50 node --cpu-prof --import tsx bench/ml-gbdt-profile.ts   # a V8 profile of fewer rounds
 *   WX_PROFILE_CASES=synthetic-multiclass,chicago-multiclass WX_PROFILE_THREADS=2 WX_PROFILE_REPEATS=3 npx tsx bench/ml-gbdt-profile.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { CASES, testLogLoss, trainOurs } from './ml-gbdt';
import { ensureChicago, ensureSynthetic, loadSet, type MlSet } from './ml-data';

/** utime + stime in seconds from a /proc stat file (fields 14 and 15, in clock ticks). */
function cpuSecondsOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** The whole process (all threads, workers included). */
const processCpuSeconds = () => cpuSecondsOf('/proc/self/stat');
/**
 * The main thread alone (its task id is the process id): with 2 threads it is the critical path
 * (workers run beside it), and unlike wall time it does not count time the machine's other load
 * took the core away, so it is the steadier figure on a shared machine.
 */
const mainThreadCpuSeconds = () => cpuSecondsOf(`/proc/self/task/${process.pid}/stat`);

const wanted = (process.env.WX_PROFILE_CASES ?? 'synthetic-binary').split(',');
const threadCounts = (process.env.WX_PROFILE_THREADS ?? '1,2').split(',').map(Number);
const repeats = Number(process.env.WX_PROFILE_REPEATS ?? 1);
// Fewer rounds for a quicker look (the model hash then differs from the full run's).
const rounds = process.env.WX_PROFILE_ROUNDS ? { numIterations: Number(process.env.WX_PROFILE_ROUNDS) } : {};
const sets = new Map<string, MlSet>();

for (const name of wanted) {
  const c = CASES.find((k) => `${k.set}-${k.objective}` === name);
  if (!c) throw new Error(`unknown case ${name} (have ${CASES.map((k) => `${k.set}-${k.objective}`).join(', ')})`);
  if (!sets.has(c.set)) {
    const path = c.set === 'synthetic' ? ensureSynthetic() : ensureChicago().path;
    if (!path) throw new Error(`set ${c.set} unavailable`);
    sets.set(c.set, await loadSet(c.set, path));
  }
  const set = sets.get(c.set)!;
  for (let i = 0; i < repeats; i++) {
    for (const threads of threadCounts) {
      const load = loadavg().map((v) => v.toFixed(2)).join(' ');
      const cpu0 = processCpuSeconds();
      const main0 = mainThreadCpuSeconds();
      const r = await trainOurs(set, c, { ...c.params, ...rounds }, threads);
      const cpu = processCpuSeconds() - cpu0;
      const mainCpu = mainThreadCpuSeconds() - main0;
      const hash = createHash('sha256').update(JSON.stringify(r.model.trees)).digest('hex').slice(0, 12);
      console.log(`${name} thr=${r.threadsUsed} wall=${r.seconds.toFixed(2)}s cpu=${cpu.toFixed(2)}s main-thread-cpu=${mainCpu.toFixed(2)}s logloss=${testLogLoss(set, c, r.model).toFixed(6)} trees=${hash} load=${load}`);
    }
  }
}
