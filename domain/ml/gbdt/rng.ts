/**
 * The trainer's seeded random stream (bagging, feature subsets, binning sample): mulberry32, a
 * 32-bit generator good enough for sampling and cheap enough to call once per row. domain/ never
 * uses Math.random, so a seed reproduces a model bit for bit.
 */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent stream per purpose, so drawing more bags does not shift the feature subsets. */
export function streamFor(seed: number, purpose: number): Rng {
  const mix = mulberry32((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(purpose + 1, 0x85ebca77)) >>> 0);
  mix();
  return mulberry32((mix() * 4294967296) >>> 0);
}

/**
 * `k` of `n` indices in increasing order (Knuth's selection sampling): sorted bags keep the
 * histogram passes walking memory forwards.
 */
export function sampleSorted(n: number, k: number, rng: Rng, out: Uint32Array): number {
  let chosen = 0;
  for (let i = 0; i < n && chosen < k; i++) {
    if ((n - i) * rng() < k - chosen) out[chosen++] = i;
  }
  return chosen;
}
