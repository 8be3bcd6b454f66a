/**
 * The market side of a snapshot: each bracket's last quote known at the snapshot (forward-filled from
 * the latest candle that had ended by then, with its age as the densification flag), the volume
 * traded so far, and the market-implied distribution over the ladder.
 */
import { integerRange, type Bracket } from '../brackets';
import { latestKnown } from './asof';
import type { QuoteColumns } from './inputs';

export interface QuoteState {
  /** Cents; NaN when nobody bids (a 0 bid) or offers (a 100 ask), or before the first quote. */
  bid: number;
  ask: number;
  mid: number;
  /** Contracts traded up to the snapshot. */
  volume: number;
  /** When the quote used was known (the candle's end); NaN before the first quote. */
  knownAt: number;
}

const NO_QUOTE: QuoteState = { bid: NaN, ask: NaN, mid: NaN, volume: NaN, knownAt: NaN };

/**
 * A mid that a one-sided book does not distort: with no bid (or no ask) the half-spread counts at most
 * 5 cents, so a 0/99 book of a near-certain loser reads as about 5 cents, not 50.
 */
export function quoteMid(bid: number, ask: number): number {
  const hasBid = bid > 0;
  const hasAsk = ask < 100;
  if (hasBid && hasAsk) return (bid + ask) / 2;
  if (hasAsk) return ask - Math.min(5, ask / 2);
  if (hasBid) return bid + Math.min(5, (100 - bid) / 2);
  return NaN;
}

/** Running volume of a quote stream (prefix sums), computed once per market. */
export function cumulativeVolume(q: QuoteColumns): Float64Array {
  const out = new Float64Array(q.volume.length);
  let s = 0;
  for (let i = 0; i < out.length; i++) out[i] = s += Number.isFinite(q.volume[i]!) ? q.volume[i]! : 0;
  return out;
}

export function quoteAt(q: QuoteColumns | undefined, cumVolume: Float64Array | undefined, t: number): QuoteState {
  if (!q) return NO_QUOTE;
  const i = latestKnown(q.endMs, t);
  if (i < 0) return NO_QUOTE;
  const rawBid = q.bid[i]!;
  const rawAsk = q.ask[i]!;
  const bid = rawBid > 0 ? rawBid : NaN;
  const ask = rawAsk < 100 ? rawAsk : NaN;
  return { bid, ask, mid: quoteMid(Number.isFinite(rawBid) ? rawBid : 0, Number.isFinite(rawAsk) ? rawAsk : 100), volume: cumVolume![i]!, knownAt: q.endMs[i]! };
}

/**
 * The degree each bracket stands for in the implied moments: a bin's middle, a tail 1 °F beyond its edge
 * (about where the mass of a tail sits when the ladder is centred on the forecast).
 */
export function bracketCentre(b: Bracket): number {
  const { min, max } = integerRange(b);
  if (min === -Infinity) return max - 1;
  if (max === Infinity) return min + 1;
  return (min + max) / 2;
}

export interface ImpliedDistribution {
  /** Normalised over the ladder; NaN everywhere when fewer than `minQuoted` brackets have a mid. */
  p: Float64Array;
  mean: number;
  sd: number;
  skew: number;
  /** Sum of the raw mids in dollars (above 1: the book's overround). */
  overround: number;
  quoted: number;
}

/** Mids clipped to [0.5, 99.5] cents; a bracket with no mid counts 0.5 cents (the cheapest a maker quotes). */
export function impliedDistribution(mids: ArrayLike<number>, brackets: readonly Bracket[], minQuoted = 4): ImpliedDistribution {
  const K = brackets.length;
  const p = new Float64Array(K);
  let quoted = 0;
  let sum = 0;
  let raw = 0;
  for (let j = 0; j < K; j++) {
    const m = mids[j]!;
    if (Number.isFinite(m)) {
      quoted++;
      raw += m / 100;
    }
    p[j] = Number.isFinite(m) ? Math.min(99.5, Math.max(0.5, m)) : 0.5;
    sum += p[j]!;
  }
  if (quoted < minQuoted) return { p: p.fill(NaN), mean: NaN, sd: NaN, skew: NaN, overround: quoted ? raw : NaN, quoted };
  for (let j = 0; j < K; j++) p[j] = p[j]! / sum;
  return { p, ...impliedMoments(p, brackets), overround: raw, quoted };
}

export interface ImpliedMoments {
  mean: number;
  sd: number;
  skew: number;
}

/** Mean, sd and skew of a distribution over the ladder (normalised here), each bracket at its centre. */
export function impliedMoments(probs: ArrayLike<number>, brackets: readonly Bracket[]): ImpliedMoments {
  if (probs.length !== brackets.length) throw new RangeError(`impliedMoments: ${probs.length} probabilities for ${brackets.length} brackets`);
  let total = 0;
  for (let j = 0; j < probs.length; j++) total += probs[j]!;
  if (!(total > 0)) return { mean: NaN, sd: NaN, skew: NaN };
  let mean = 0;
  for (let j = 0; j < probs.length; j++) mean += (probs[j]! / total) * bracketCentre(brackets[j]!);
  let m2 = 0;
  let m3 = 0;
  for (let j = 0; j < probs.length; j++) {
    const d = bracketCentre(brackets[j]!) - mean;
    const w = probs[j]! / total;
    m2 += w * d * d;
    m3 += w * d * d * d;
  }
  const sd = Math.sqrt(m2);
  return { mean, sd, skew: sd > 0 ? m3 / (sd * sd * sd) : 0 };
}
