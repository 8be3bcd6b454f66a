/*
 * Candle gaps: buckets missing inside a market's trading window. Kalshi's candles are sparse: a period
 * without a trade or a quote change has no candle (shared/reference/kalshi-api.md 4.6; the real minute
 * exports carry data in about half an event's minutes). So a gap is an error only when the stored data
 * show the market was active in it (missing data); an idle stretch is not. The activity loads each
 * market's candles as "islands" (runs of consecutive buckets) with the evidence at each gap's edges.
 */

/** A run of consecutive buckets: the first and the last bucket start, epoch ms. */
export interface BucketIsland {
  start: number;
  end: number;
}

export type GapKind = 'leading' | 'inner' | 'trailing';

export interface CandleGap {
  /** First missing bucket start, epoch ms. */
  start: number;
  /** Missing buckets x period. */
  minutes: number;
  buckets: number;
  kind: GapKind;
}

export interface CandleWindow {
  periodMinutes: number;
  /** Market open, epoch ms (inclusive). */
  openMs: number;
  /** Market close or the reference time if earlier, epoch ms (exclusive). */
  closeMs: number;
  islands: readonly BucketIsland[];
}

/**
 * Missing buckets between the market's open and close: the expected buckets are those whose period
 * overlaps [open, close), i.e. from the bucket containing the open up to the last starting before close.
 * A market without any candle is not reported here (coverage counts it) and yields no gaps.
 */
export function findCandleGaps(w: CandleWindow): CandleGap[] {
  const p = w.periodMinutes * 60_000;
  const first = Math.floor(w.openMs / p) * p;
  const islands = [...w.islands].filter((r) => r.end >= first && r.start < w.closeMs).sort((a, b) => a.start - b.start);
  if (islands.length === 0 || w.closeMs <= first) return [];
  const gaps: CandleGap[] = [];
  let cursor = first;
  islands.forEach((r, n) => {
    if (r.start > cursor) {
      const buckets = Math.round((r.start - cursor) / p);
      gaps.push({ start: cursor, buckets, minutes: buckets * w.periodMinutes, kind: n === 0 ? 'leading' : 'inner' });
    }
    cursor = Math.max(cursor, r.end + p);
  });
  if (cursor < w.closeMs) {
    const buckets = Math.ceil((w.closeMs - cursor) / p);
    gaps.push({ start: cursor, buckets, minutes: buckets * w.periodMinutes, kind: 'trailing' });
  }
  return gaps;
}

/** What the stored data say about the market during a gap. */
export interface GapEvidence {
  /**
   * Inner gaps: the quotes that opened the candle after the gap equal those that closed the candle
   * before it (the book stood still). null when unknown (leading and trailing gaps).
   */
  quotesUnchanged: boolean | null;
  /**
   * Inner gaps: the next candle's previous trade price differs from the last trade price known before
   * the gap, so a trade happened inside it. null when unknown.
   */
  lastPriceChanged: boolean | null;
  /** Trade prints stored inside the gap. */
  trades: number;
  /** A coarser candle (an hourly one for a 1-minute gap) lies wholly inside the gap: something happened there. */
  coarserCandleInside: boolean;
}

export type GapVerdict = 'idle' | 'missing';

/**
 * Idle (no trade, unchanged quotes: Kalshi has no candle to give) or missing (the market was active
 * and the candles are not there). Any sign of activity makes it missing; without a sign it is idle.
 */
export function classifyCandleGap(e: GapEvidence): GapVerdict {
  if (e.trades > 0 || e.coarserCandleInside || e.quotesUnchanged === false || e.lastPriceChanged === true) return 'missing';
  return 'idle';
}

/** Idle stretches per period, summed: how sparse the candles are without counting as missing data. */
export interface IdleGapSummary {
  periodMinutes: number;
  gaps: number;
  minutes: number;
  longestMinutes: number;
}

/** Histogram bins of gap lengths in minutes: [lo, hi). */
export const GAP_BINS: ReadonlyArray<{ label: string; lo: number; hi: number }> = [
  { label: '1 min', lo: 1, hi: 2 },
  { label: '2–4 min', lo: 2, hi: 5 },
  { label: '5–14 min', lo: 5, hi: 15 },
  { label: '15–59 min', lo: 15, hi: 60 },
  { label: '1–3 h', lo: 60, hi: 180 },
  { label: '3–12 h', lo: 180, hi: 720 },
  { label: '≥ 12 h', lo: 720, hi: Number.POSITIVE_INFINITY },
];

export interface GapHistogramBin {
  periodMinutes: number;
  label: string;
  order: number;
  count: number;
}

/** Counts gaps per period and length bin (every bin present, zeros included). */
export function gapHistogram(gaps: ReadonlyArray<{ periodMinutes: number; minutes: number }>, periods: readonly number[] = [1, 60]): GapHistogramBin[] {
  const out: GapHistogramBin[] = [];
  for (const periodMinutes of periods) {
    GAP_BINS.forEach((b, order) => {
      const count = gaps.filter((g) => g.periodMinutes === periodMinutes && g.minutes >= b.lo && g.minutes < b.hi).length;
      out.push({ periodMinutes, label: b.label, order, count });
    });
  }
  return out;
}

/** Adds two histograms bin by bin (same bins). */
export function addHistograms(a: readonly GapHistogramBin[], b: readonly GapHistogramBin[]): GapHistogramBin[] {
  const key = (x: GapHistogramBin) => `${x.periodMinutes}|${x.order}`;
  const m = new Map(a.map((x) => [key(x), { ...x }]));
  for (const x of b) {
    const cur = m.get(key(x));
    if (cur) cur.count += x.count;
    else m.set(key(x), { ...x });
  }
  return [...m.values()].sort((x, y) => x.periodMinutes - y.periodMinutes || x.order - y.order);
}
