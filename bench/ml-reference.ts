/**
 * The Python side of the model-engine benchmarks: installs LightGBM and Optuna into .tools/ml-ref
 * (scripts/install-ml-reference.mjs) and runs bench/python/ml_ref.py there. When the reference
 * cannot be installed, `reference()` says why once and the benches print SKIP for that side.
 * Also the small helpers the ml-* benches share: machine load, ratio targets, quantiles, bootstrap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../runtime/temporal-cli';

export const ML_REF_DIR = join(PROJECT_ROOT, '.tools', 'ml-ref');
const SCRIPT = join(PROJECT_ROOT, 'bench', 'python', 'ml_ref.py');
const python = process.env.PYTHON ?? 'python3';

let status: { ok: boolean; reason?: string } | undefined;

/** Installs the reference on first use; ok false (with the installer's reason) when it cannot. */
export function reference(): { ok: boolean; reason?: string } {
  if (status) return status;
  if (process.env.WX_BENCH_NO_REFERENCE === '1') return (status = { ok: false, reason: 'WX_BENCH_NO_REFERENCE=1' });
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'install-ml-reference.mjs')], { encoding: 'utf8' });
  const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').filter((l) => l.startsWith('[ml-ref]'));
  status = r.status === 0 ? { ok: true } : { ok: false, reason: said.at(-1) ?? `installer exited ${r.status ?? r.error?.message}` };
  if (status.ok) console.log(said.at(-1) ?? '[ml-ref] ready');
  else console.log(`SKIP the Python reference: ${status.reason}`);
  return status;
}

const env = () => ({ ...process.env, PYTHONPATH: ML_REF_DIR, PYTHONUNBUFFERED: '1' });

/** Runs one ml_ref.py subcommand to completion; returns its last stdout line as JSON. */
export async function runReference<T>(args: string[], extraEnv: Record<string, string> = {}): Promise<T> {
  const child = spawn(python, [SCRIPT, ...args], { env: { ...env(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`ml_ref.py ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(last) as T;
}

/**
 * An Optuna study in a Python child, asked and told over stdin/stdout, so the objective (our GBDT)
 * runs here in Node and both tuners score exactly the same function.
 */
export async function optunaAskTell(
  space: unknown,
  opts: { sampler: 'tpe' | 'random'; seed: number; trials: number },
  objective: (params: Record<string, number>) => Promise<number> | number,
): Promise<number[]> {
  const child = spawn(python, [SCRIPT, 'ask-tell', '--space', JSON.stringify(space), '--sampler', opts.sampler, '--seed', String(opts.seed), '--trials', String(opts.trials)], {
    env: env(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const values: number[] = [];
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const msg = JSON.parse(line) as { params?: Record<string, number>; done?: boolean };
    if (msg.done) break;
    const v = await objective(msg.params!);
    values.push(v);
    child.stdin.write(`${JSON.stringify(v)}\n`);
  }
  const code = await new Promise<number | null>((res) => (child.exitCode !== null ? res(child.exitCode) : child.on('close', res)));
  if (code !== 0 || values.length !== opts.trials) throw new Error(`ml_ref.py ask-tell exited ${code} after ${values.length} trials: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return values;
}

/** The 1/5/15-minute load averages, printed next to every timing (the machine is shared). */
export const loadLine = (): string => `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/**
 * Bootstrap 95% interval of median(a) - median(b) (seeds resampled with replacement, 2,000 draws,
 * a fixed LCG so the printed interval is reproducible).
 */
export function bootstrapMedianDiff(a: readonly number[], b: readonly number[], draws = 2000): [number, number] {
  let state = 12345;
  const rnd = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = (xs: readonly number[]) => Array.from(xs, () => xs[Math.floor(rnd() * xs.length)]!);
  const diffs: number[] = [];
  for (let i = 0; i < draws; i++) diffs.push(median(pick(a)) - median(pick(b)));
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}

/** "1.234x PASS" against a ratio target (lower is better). */
export const verdict = (ratio: number, limit: number): string => `${ratio.toFixed(3)}x ${ratio <= limit ? 'PASS' : 'MISS'} (<= ${limit}x)`;

export function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
