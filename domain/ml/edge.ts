/**
 * The edge classifier's data: candidate trades built from dataset rows and the bracket model's
 * probabilities, their features and their settled P&L after fees, and the threshold chooser.
 *
 * A candidate is one (snapshot, bracket) with a price to buy YES at: the ask (a taker order, whose fill
 * is certain at the quoted ask) or one cent above the bid (a resting maker order; the label then assumes
 * it filled, since whether it fills is the fill model's question, issue 10). Its edge is the model's
 * probability minus the price minus the fee per contract; its label is whether buying it made money
 * after fees once the event settled. Fees and P&L go through domain/fees.ts and domain/pnl.ts (exact
 * micro-dollars, Kalshi's rounding of the fee per order), reported here in cents per contract.
 *
 * The classifier is a meta-label over the model's signals: trained on the candidates whose edge
 * exceeds `minEdgeCents`, it says which of them to act on. Pure: the activity fits and writes.
 */
import { z } from 'zod';
import { BRACKETS, type Dataset } from '../features/build';
import { FeeScheduleSchema, tradeFee, type FeeSchedule } from '../fees';
import { CENTI_PER_CONTRACT, MICROS_PER_CENT } from '../money';
import { settlementPnl } from '../pnl';
import type { GbdtDataset } from './gbdt/dataset';
import { timeSeriesFolds, type FoldOptions } from './splits';

export const PRICE_RULES = ['ask', 'bid_plus_one'] as const;
export type PriceRule = (typeof PRICE_RULES)[number];

/**
 * The classifier's inputs, in this order (the ONNX model's feature order). Prices, fees and edges in
 * cents per contract; probabilities in 0..1; the quote's spread, volume so far and age as the dataset
 * holds them.
 */
export const EDGE_FEATURES = [
  'e.p_model',
  'e.price_c',
  'e.fee_c',
  'e.edge_c',
  'e.spread_c',
  'e.volume',
  'e.age_min',
  't.hours_to_close',
  'e.p_mkt',
  'e.index',
] as const;

export const EdgeTradeOptionsSchema = z
  .object({
    priceRule: z.enum(PRICE_RULES).default('ask'),
    fees: FeeScheduleSchema,
    /** Whole contracts per order: Kalshi rounds the fee of the whole order up to a cent, so the fee per contract depends on it. */
    contracts: z.number().int().min(1).max(100_000).default(10),
  })
  .strict();
export type EdgeTradeOptions = z.infer<typeof EdgeTradeOptionsSchema>;
export type EdgeTradeOptionsInput = z.input<typeof EdgeTradeOptionsSchema>;

/** The price a rule buys YES at, in cents; NaN when the rule has no price (no ask; no bid, or bid + 1 would cross the ask). */
export function entryPriceCents(rule: PriceRule, bidCents: number, askCents: number): number {
  if (rule === 'ask') return Number.isFinite(askCents) && askCents > 0 && askCents < 100 ? askCents : NaN;
  if (!Number.isFinite(bidCents)) return NaN;
  const price = bidCents + 1;
  // At or through the ask the order would take, not rest: that is the 'ask' rule's trade, not this one's.
  if (price >= 100 || (Number.isFinite(askCents) && price >= askCents)) return NaN;
  return price;
}

const toMicros = (cents: number) => Math.round(cents * MICROS_PER_CENT);

/** The fee per contract of an order of `contracts` at `priceCents`, in cents: the taker fee for 'ask', the maker fee for 'bid_plus_one'. */
export function feePerContractCents(o: EdgeTradeOptions, priceCents: number): number {
  const fee = tradeFee(o.fees, o.priceRule === 'ask' ? 'taker' : 'maker', toMicros(priceCents), o.contracts * CENTI_PER_CONTRACT);
  return fee / MICROS_PER_CENT / o.contracts;
}

/** Settled P&L per contract after fees, in cents, of buying YES at `priceCents` (the YES bracket pays 100¢). */
export function tradePnlCents(o: EdgeTradeOptions, priceCents: number, won: boolean): number {
  const count = o.contracts * CENTI_PER_CONTRACT;
  const price = toMicros(priceCents);
  const fees = tradeFee(o.fees, o.priceRule === 'ask' ? 'taker' : 'maker', price, count);
  return settlementPnl({ side: 'yes', price, count, fees }, { result: won ? 'yes' : 'no' }) / MICROS_PER_CENT / o.contracts;
}

/** Candidate trades, one per (snapshot, bracket) with a price: features row-major [n × EDGE_FEATURES]. */
export interface EdgeCandidates {
  n: number;
  /** Dataset row and bracket index of each candidate. */
  row: Int32Array;
  bracket: Int32Array;
  /** The row's day (days since 1970-01-01). */
  day: Int32Array;
  x: Float64Array;
  priceCents: Float64Array;
  /** Model probability minus price minus fee per contract, in cents. */
  edgeCents: Float64Array;
  /** Settled P&L per contract after fees, in cents; NaN where the event is not settled. */
  pnlCents: Float64Array;
}

/**
 * Candidate trades of dataset rows `rows`, with the model's probabilities `pModel` ([rows × 6] in the
 * order of `rows`, as predictBrackets returns them).
 */
export function edgeCandidates(d: Dataset, rows: Int32Array, pModel: ArrayLike<number>, optionsInput: EdgeTradeOptionsInput): EdgeCandidates {
  const o = EdgeTradeOptionsSchema.parse(optionsInput);
  if (pModel.length !== rows.length * BRACKETS) throw new RangeError(`edgeCandidates: ${pModel.length} probabilities for ${rows.length} rows × ${BRACKETS} brackets`);
  const col = (name: string) => d.features.column(name);
  const q = Array.from({ length: BRACKETS }, (_, j) => ({
    bid: col(`m${j}.bid`),
    ask: col(`m${j}.ask`),
    spread: col(`m${j}.spread`),
    volume: col(`m${j}.volume`),
    age: col(`m${j}.age_min`),
    pMkt: col(`mkt.p${j}`),
  }));
  const toClose = col('t.hours_to_close');
  const nf = EDGE_FEATURES.length;
  const out = { row: [] as number[], bracket: [] as number[], day: [] as number[], x: [] as number[], price: [] as number[], edge: [] as number[], pnl: [] as number[] };
  rows.forEach((r, i) => {
    for (let j = 0; j < BRACKETS; j++) {
      const price = entryPriceCents(o.priceRule, q[j]!.bid[r]!, q[j]!.ask[r]!);
      if (Number.isNaN(price)) continue;
      const p = pModel[i * BRACKETS + j]!;
      const fee = feePerContractCents(o, price);
      const edge = 100 * p - price - fee;
      const settled = d.yBracket[r]!;
      out.row.push(r);
      out.bracket.push(j);
      out.day.push(d.date[r]!);
      out.price.push(price);
      out.edge.push(edge);
      out.pnl.push(Number.isNaN(settled) ? NaN : tradePnlCents(o, price, settled === j));
      out.x.push(p, price, fee, edge, q[j]!.spread[r]!, q[j]!.volume[r]!, q[j]!.age[r]!, toClose[r]!, q[j]!.pMkt[r]!, j);
    }
  });
  const n = out.row.length;
  if (out.x.length !== n * nf) throw new Error(`edgeCandidates: ${out.x.length} feature values for ${n} candidates × ${nf}`);
  return {
    n,
    row: Int32Array.from(out.row),
    bracket: Int32Array.from(out.bracket),
    day: Int32Array.from(out.day),
    x: Float64Array.from(out.x),
    priceCents: Float64Array.from(out.price),
    edgeCents: Float64Array.from(out.edge),
    pnlCents: Float64Array.from(out.pnl),
  };
}

/** Indices of the candidates that pass `keep`, in order. */
export function selectCandidates(c: EdgeCandidates, keep: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < c.n; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
}

/** The classifier's training matrix over candidates `ix`: label 1 where the trade's P&L after fees is > 0. */
export function edgeMatrix(c: EdgeCandidates, ix: Int32Array): GbdtDataset {
  const y = new Float64Array(ix.length);
  ix.forEach((i, k) => {
    const pnl = c.pnlCents[i]!;
    if (Number.isNaN(pnl)) throw new RangeError(`edgeMatrix: candidate ${i} (row ${c.row[i]}, bracket ${c.bracket[i]}) is not settled`);
    y[k] = pnl > 0 ? 1 : 0;
  });
  return { x: edgeFeatures(c, ix), rows: ix.length, featureNames: [...EDGE_FEATURES], y };
}

/** The classifier's features of candidates `ix`, row-major [ix × EDGE_FEATURES] (Float32Array.from for the ONNX Predictor). */
export function edgeFeatures(c: EdgeCandidates, ix: Int32Array): Float64Array {
  const nf = EDGE_FEATURES.length;
  const x = new Float64Array(ix.length * nf);
  ix.forEach((i, k) => x.set(c.x.subarray(i * nf, (i + 1) * nf), k * nf));
  return x;
}

/** A gate: take a trade when its score is at least `threshold`; null refuses every trade. */
export interface EdgeThreshold {
  threshold: number | null;
  /** On the rows it was chosen on: trades taken and their total P&L after fees (cents per contract, summed). */
  trades: number;
  totalPnlCents: number;
}

export const passes = (score: number, threshold: number | null): boolean => threshold !== null && score >= threshold;

/**
 * The threshold maximising the total P&L after fees of the trades it takes (score >= threshold), over
 * every distinct score. Ties go to the higher threshold (fewer trades for the same money); when no
 * threshold makes money, null: refuse all.
 */
export function chooseThreshold(scores: ArrayLike<number>, pnlCents: ArrayLike<number>): EdgeThreshold {
  if (scores.length !== pnlCents.length) throw new RangeError(`chooseThreshold: ${scores.length} scores for ${pnlCents.length} P&L values`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let best: EdgeThreshold = { threshold: null, trades: 0, totalPnlCents: 0 };
  let total = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const pnl = pnlCents[i]!;
    if (!Number.isFinite(pnl) || !Number.isFinite(scores[i]!)) throw new RangeError(`chooseThreshold: candidate ${i} has score ${scores[i]} and P&L ${pnl}`);
    total += pnl;
    // Only where the next score differs: a threshold takes every trade of its score or none.
    if (k + 1 < order.length && scores[order[k + 1]!] === scores[i]) continue;
    // Strictly greater: scanning downwards, an equal total at a lower threshold loses the tie.
    if (total > best.totalPnlCents + 1e-9) best = { threshold: scores[i]!, trades: k + 1, totalPnlCents: total };
  }
  return best;
}

/** What a set of trades made: count, win rate, total and per-trade P&L after fees (cents per contract). */
export interface TradeSummary {
  trades: number;
  /** Null without trades. */
  winRate: number | null;
  totalPnlCents: number;
  pnlPerTradeCents: number | null;
}

export function summariseTrades(pnlCents: ArrayLike<number>, ix: ArrayLike<number>): TradeSummary {
  let total = 0;
  let wins = 0;
  for (let k = 0; k < ix.length; k++) {
    const pnl = pnlCents[ix[k]!]!;
    total += pnl;
    if (pnl > 0) wins++;
  }
  const n = ix.length;
  return { trades: n, winRate: n ? wins / n : null, totalPnlCents: total, pnlPerTradeCents: n ? total / n : null };
}

/**
 * Out-of-fold bracket probabilities over day-grouped expanding time-series folds of `rows`: each fold's
 * validation days are predicted by a model fitted (by `fit`) on the days before its gap only, so no
 * row's probability comes from a model that saw its day. The first training block has no prediction
 * and is left out. Returns the covered rows (in the order of `rows`) and their [covered × 6] probabilities.
 */
export function outOfFoldBrackets(
  d: Dataset,
  rows: Int32Array,
  fit: (trainRows: Int32Array) => (predictRows: Int32Array) => Float64Array,
  folds: FoldOptions = {},
): { rows: Int32Array; p: Float64Array; folds: Array<{ trainDays: number; validDays: string[] }> } {
  const split = timeSeriesFolds(Array.from(rows, (r) => d.date[r]!), folds);
  const pick = (ix: Int32Array) => Int32Array.from(ix, (i) => rows[i]!);
  const covered: Int32Array[] = [];
  const probs: Float64Array[] = [];
  for (const f of split) {
    const valid = pick(f.test.rows);
    covered.push(valid);
    probs.push(fit(pick(f.train.rows))(valid));
  }
  const n = covered.reduce((s, c) => s + c.length, 0);
  const outRows = new Int32Array(n);
  const p = new Float64Array(n * BRACKETS);
  let o = 0;
  covered.forEach((c, k) => {
    outRows.set(c, o);
    p.set(probs[k]!, o * BRACKETS);
    o += c.length;
  });
  return { rows: outRows, p, folds: split.map((f) => ({ trainDays: f.train.days.length, validDays: f.test.days })) };
}

export type { FeeSchedule };
