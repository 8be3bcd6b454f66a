/**
 * The model engine's seeded random streams; domain/ never uses Math.random, so a seed reproduces a
 * model or a study bit for bit.
 * - the trainer (bagging, feature subsets, binning sample): mulberry32, cheap enough to call once per
 *   row, with an independent stream per purpose (`streamFor`);
 * - the tuner's samplers: a string hash (cyrb128) of the seed and a stream label feeds sfc32, so every
 *   (seed, purpose, trial number) gets its own reproducible stream, whatever else was drawn before
 *   (`rngFor`); re-asking a trial after a crash proposes the same point.
 */

/** Uniform numbers in [0, 1). */
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

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function sfc32(a: number, b: number, c: number, d: number): Rng {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A stream in [0, 1) determined by its parts only (e.g. seed, 'tpe', trial number). */
export function rngFor(...parts: ReadonlyArray<string | number>): Rng {
  const [a, b, c, d] = cyrb128(parts.map(String).join('\u0000'));
  const rng = sfc32(a, b, c, d);
  // sfc32's first outputs are still correlated with the hash state: discard a few.
  for (let i = 0; i < 12; i++) rng();
  return rng;
}

/** Index drawn with probability proportional to weights (which sum to 1 up to rounding). */
export function choiceIndex(rng: Rng, weights: ArrayLike<number>): number {
  const u = rng();
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (u < acc) return i;
  }
  return weights.length - 1;
}
