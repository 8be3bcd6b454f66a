/**
 * Thresholds and their evaluation. The zod schema with defaults is schemas/validation.ts
 * (ValidationThresholdsSchema); this is the plain shape the pure evaluation reads.
 */
export interface ValidationThresholds {
  minCoveragePct: number;
  maxStalenessHours: number;
  maxCandleGapMinutes: number;
  maxSettlementDisagreements: number;
  settlementToleranceF: number;
  maxDstDeviations: number;
  maxFlaggedPct: number;
  spikeJumpF: number;
  spikeWindowMinutes: number;
  stuckHours: number;
  stuckMaxGapMinutes: number;
  dstMinuteTolerance: number;
}

export interface ThresholdInputs {
  coverage: ReadonlyArray<{ city: string; source: string; pct: number }>;
  freshness: ReadonlyArray<{ city: string; source: string; stalenessHours: number | null }>;
  /**
   * The longest candle gaps of missing data (gaps while the market was active; idle stretches are not
   * passed here), any number, longest first not required, and how many exceed the limit.
   */
  longestCandleGaps: ReadonlyArray<{ market: string; periodMinutes: number; start: string; minutes: number }>;
  candleGapsOverLimit: number;
  settlementDisagreements: number;
  dstDeviations: number;
  /** Distinct rows flagged and rows checked (observations with a temperature, forecasts with a high). */
  flaggedRows: number;
  checkedRows: number;
}

export const THRESHOLD_NAMES = [
  'min_coverage_pct',
  'max_staleness_hours',
  'max_candle_gap_minutes',
  'max_settlement_disagreements',
  'max_dst_deviations',
  'max_flagged_pct',
] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];

export interface ThresholdCheck {
  name: ThresholdName;
  description: string;
  /** 'min' : value must be ≥ limit; 'max': value must be ≤ limit. */
  direction: 'min' | 'max';
  limit: number;
  /** The worst value seen; null when nothing was measured (or a series has no data at all). */
  value: number | null;
  ok: boolean;
  /** The verdict in words, saying which side of the limit the value is, e.g. `54 < min 72`. */
  message: string;
  detail: string;
}

const SIGN = { min: { ok: '≥', bad: '<' }, max: { ok: '≤', bad: '>' } } as const;

/**
 * The check's verdict as one phrase that cannot contradict it: `54 < min 72` (crossed), `99.5 ≥ min 95`
 * (passed), or, without a value, `no value (max 72)`. `ok` is derived from the same comparison, so a
 * row never reads as passing while it fails.
 */
export function thresholdVerdict(direction: 'min' | 'max', limit: number, value: number | null, noValue = 'no value'): { ok: boolean; message: string } {
  if (value === null) return { ok: false, message: `${noValue} (${direction} ${limit})` };
  const ok = direction === 'min' ? value >= limit : value <= limit;
  return { ok, message: `${value} ${ok ? SIGN[direction].ok : SIGN[direction].bad} ${direction} ${limit}` };
}

const list = (xs: string[], n = 8) => (xs.length > n ? `${xs.slice(0, n).join('; ')}; … (${xs.length - n} more)` : xs.join('; '));

/** Every threshold, passed or crossed, in THRESHOLD_NAMES order. */
export function evaluateThresholds(x: ThresholdInputs, t: ValidationThresholds): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];

  const low = x.coverage.filter((c) => c.pct < t.minCoveragePct);
  const worstCoverage = x.coverage.length ? Math.min(...x.coverage.map((c) => c.pct)) : null;
  // Nothing to cover is not a failure of coverage.
  const coverage = worstCoverage === null ? { ok: true, message: `no series (min ${t.minCoveragePct})` } : thresholdVerdict('min', t.minCoveragePct, worstCoverage);
  checks.push({
    name: 'min_coverage_pct',
    description: 'lowest mean daily coverage of any (city, source)',
    direction: 'min',
    limit: t.minCoveragePct,
    value: worstCoverage,
    ...coverage,
    detail: low.length ? list(low.map((c) => `${c.city} ${c.source} ${c.pct}%`)) : `${x.coverage.length} (city, source) series at or above ${t.minCoveragePct}%`,
  });

  const stale = x.freshness.filter((f) => f.stalenessHours === null || f.stalenessHours > t.maxStalenessHours);
  const known = x.freshness.map((f) => f.stalenessHours).filter((h): h is number => h !== null);
  const empty = x.freshness.length - known.length;
  // A series with no data before asOf is the stalest of all: the value is then unknown, and the check fails.
  const staleness =
    x.freshness.length === 0
      ? { value: null, ok: true, message: `no series (max ${t.maxStalenessHours})` }
      : empty > 0
        ? { value: null, ...thresholdVerdict('max', t.maxStalenessHours, null, `${empty} series with no data before asOf`) }
        : { value: Math.max(...known), ...thresholdVerdict('max', t.maxStalenessHours, Math.max(...known)) };
  checks.push({
    name: 'max_staleness_hours',
    description: 'hours from the newest data of any (city, source) to asOf',
    direction: 'max',
    limit: t.maxStalenessHours,
    ...staleness,
    detail: stale.length ? list(stale.map((f) => `${f.city} ${f.source} ${f.stalenessHours === null ? 'no data before asOf' : `${f.stalenessHours} h`}`)) : `${x.freshness.length} sources fresh`,
  });

  const longGaps = [...x.longestCandleGaps].filter((g) => g.minutes > t.maxCandleGapMinutes).sort((a, b) => b.minutes - a.minutes);
  const gapsOver = Math.max(x.candleGapsOverLimit, longGaps.length);
  const longestGap = x.longestCandleGaps.length ? Math.max(...x.longestCandleGaps.map((g) => g.minutes)) : 0;
  checks.push({
    name: 'max_candle_gap_minutes',
    description: 'longest run of missing candles while the market was active (idle stretches without trades or quote changes are not gaps)',
    direction: 'max',
    limit: t.maxCandleGapMinutes,
    value: longestGap,
    ...thresholdVerdict('max', t.maxCandleGapMinutes, longestGap),
    detail: gapsOver
      ? `${gapsOver} gap(s) longer than ${t.maxCandleGapMinutes} min, e.g. ${list(longGaps.slice(0, 3).map((g) => `${g.market} ${g.periodMinutes}-min ${g.minutes} min from ${g.start}`))}`
      : 'no gap longer than the limit',
  });

  checks.push({
    name: 'max_settlement_disagreements',
    description: `days whose settlement sources spread by more than ${t.settlementToleranceF} °F`,
    direction: 'max',
    limit: t.maxSettlementDisagreements,
    value: x.settlementDisagreements,
    ...thresholdVerdict('max', t.maxSettlementDisagreements, x.settlementDisagreements),
    detail: `${x.settlementDisagreements} day(s)`,
  });

  checks.push({
    name: 'max_dst_deviations',
    description: 'DST-change days whose observation counts differ from other days',
    direction: 'max',
    limit: t.maxDstDeviations,
    value: x.dstDeviations,
    ...thresholdVerdict('max', t.maxDstDeviations, x.dstDeviations),
    detail: `${x.dstDeviations} (source, day) pair(s)`,
  });

  const pct = x.checkedRows > 0 ? Math.round((x.flaggedRows / x.checkedRows) * 100 * 1000) / 1000 : 0;
  checks.push({
    name: 'max_flagged_pct',
    description: 'flagged rows as a share of checked observation and forecast rows',
    direction: 'max',
    limit: t.maxFlaggedPct,
    value: pct,
    ...thresholdVerdict('max', t.maxFlaggedPct, pct),
    detail: `${x.flaggedRows} of ${x.checkedRows} rows`,
  });
  return checks;
}
