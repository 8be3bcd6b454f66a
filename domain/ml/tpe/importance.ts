/**
 * Parameter importance from finished trials. Optuna uses fANOVA (a random forest's functional ANOVA);
 * this is a simpler, documented stand-in with the same reading (the share of the objective's
 * variation each parameter explains on its own):
 *
 * - objective values are used as they are (as fANOVA does), so the result does not change under an
 *   affine change of the objective's scale; ranks were tried and rejected: they turn a negligible
 *   effect into a large share of the rank variance;
 * - each parameter's values are grouped into quantile bins (min(10, floor(sqrt(n))) of about equal
 *   count, so the result is the same whether a parameter is seen on a linear or a log scale; one
 *   group per choice for categorical ones);
 * - its raw score is the between-group share of the objective's variance, corrected for the share that
 *   many groups would explain by chance: epsilon^2 = (SSB - (k - 1) * SSW / (n - k)) / SST,
 *   clipped at 0;
 * - scores are normalised to sum to 1.
 *
 * It sees main effects only (no interactions), like fANOVA's first-order terms.
 */
import { toInternal } from './space';
import type { Distribution, FrozenTrial, SearchSpace } from './types';

/** Group index per trial for one parameter. */
function groups(d: Distribution, xs: readonly number[]): { group: Int32Array; count: number } {
  const n = xs.length;
  const group = new Int32Array(n);
  if (d.type === 'categorical') {
    xs.forEach((x, i) => (group[i] = x));
    return { group, count: d.choices.length };
  }
  const t = xs;
  const bins = Math.max(2, Math.min(10, Math.floor(Math.sqrt(n))));
  const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]!);
  let previous = NaN;
  let previousBin = 0;
  order.forEach((idx, pos) => {
    // Equal values share a bin, so a parameter that never varies explains nothing.
    const bin = t[idx] === previous ? previousBin : Math.floor((pos * bins) / n);
    group[idx] = bin;
    previous = t[idx]!;
    previousBin = bin;
  });
  return { group, count: bins };
}

function epsilonSquared(y: Float64Array, group: Int32Array, count: number): number {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  const sum = new Float64Array(count);
  const cnt = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    sum[group[i]!] = sum[group[i]!]! + y[i]!;
    cnt[group[i]!] = cnt[group[i]!]! + 1;
  }
  let sst = 0;
  let ssb = 0;
  let used = 0;
  for (let i = 0; i < n; i++) sst += (y[i]! - mean) ** 2;
  for (let g = 0; g < count; g++) {
    if (cnt[g] === 0) continue;
    used++;
    ssb += cnt[g]! * (sum[g]! / cnt[g]! - mean) ** 2;
  }
  if (sst === 0 || used < 2) return 0;
  const ssw = sst - ssb;
  const msw = n > used ? ssw / (n - used) : 0;
  return Math.max(0, (ssb - (used - 1) * msw) / sst);
}

/**
 * Importance of each parameter of the space (in the space's order), from the complete trials that
 * carry every parameter. All zero when nothing can be told apart: fewer than 3 such trials, a
 * constant objective, or no parameter explaining more than chance.
 */
export function paramImportance(trials: readonly FrozenTrial[], space: SearchSpace): Record<string, number> {
  const names = Object.keys(space);
  const usable = trials.filter(
    (t) =>
      t.state === 'complete' &&
      typeof t.value === 'number' &&
      Number.isFinite(t.value) &&
      names.every((name) => {
        const d = space[name]!;
        const v = t.params[name];
        return v !== undefined && (d.type === 'categorical' ? d.choices.includes(v) : typeof v === 'number');
      }),
  );
  const out: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  if (usable.length < 3) return out;
  const y = Float64Array.from(usable, (t) => t.value!);
  const raw = names.map((name) => {
    const d = space[name]!;
    const { group, count } = groups(
      d,
      usable.map((t) => toInternal(d, t.params[name]!)),
    );
    return epsilonSquared(y, group, count);
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (total > 0) names.forEach((name, i) => (out[name] = raw[i]! / total));
  return out;
}
