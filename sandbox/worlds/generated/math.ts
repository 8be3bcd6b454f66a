/** Small numeric helpers for the generated world: seeded streams, normals, the normal tail. */
import seedrandom from 'seedrandom';

export type Rng = () => number;

/** A deterministic stream for one purpose, e.g. rngFor(seed, 'chicago', '2025-01-05', 'obs'). */
export function rngFor(...parts: Array<string | number>): Rng {
  return seedrandom.alea(parts.join('|'));
}

export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Poisson draw by inversion (small means only). */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng();
  while (p > l && k < 1000) {
    k++;
    p *= rng();
  }
  return k;
}

/** erfc with relative accuracy ~1.2e-7 everywhere (Numerical Recipes erfcc), so far tails stay meaningful. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Upper tail P(Z >= x) of the standard normal. */
export function normalSf(x: number): number {
  if (x === Infinity) return 0;
  if (x === -Infinity) return 1;
  return 0.5 * erfc(x / Math.SQRT2);
}

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
export const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A hex id shaped like a UUID v4, drawn from a seeded stream. */
export function uuidFrom(rng: Rng): string {
  const h = (): string => ((rng() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
  const a = h();
  const b = h();
  const c = h();
  const d = h();
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[c.charCodeAt(0) & 3]}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

/** A small least-recently-used cache. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const value = make();
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
    return value;
  }
}
