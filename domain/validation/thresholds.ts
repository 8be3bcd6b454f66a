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
  /** The longest candle gaps (any number, longest first is not required) and how many exceed the limit. */
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
  /** The worst value seen; null when nothing was measured. */
  value: number | null;
  ok: boolean;
  detail: string;
}

const list = (xs: string[], n = 8) => (xs.length > n ? `${xs.slice(0, n).join('; ')}; … (${xs.length - n} more)` : xs.join('; '));

/** Every threshold, passed or crossed, in THRESHOLD_NAMES order. */
export function evaluateThresholds(x: ThresholdInputs, t: ValidationThresholds): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];

  const low = x.coverage.filter((c) => c.pct < t.minCoveragePct);
  const worstCoverage = x.coverage.length ? Math.min(...x.coverage.map((c) => c.pct)) : null;
  checks.push({
    name: 'min_coverage_pct',
    description: 'lowest mean daily coverage of any (city, source)',
    direction: 'min',
    limit: t.minCoveragePct,
    value: worstCoverage,
    ok: low.length === 0,
    detail: low.length ? list(low.map((c) => `${c.city} ${c.source} ${c.pct}%`)) : `${x.coverage.length} (city, source) series at or above ${t.minCoveragePct}%`,
  });

  const stale = x.freshness.filter((f) => f.stalenessHours === null || f.stalenessHours > t.maxStalenessHours);
  const known = x.freshness.map((f) => f.stalenessHours).filter((h): h is number => h !== null);
  checks.push({
    name: 'max_staleness_hours',
    description: 'hours from the newest data of any (city, source) to asOf',
    direction: 'max',
    limit: t.maxStalenessHours,
    value: known.length ? Math.max(...known) : null,
    ok: stale.length === 0,
    detail: stale.length ? list(stale.map((f) => `${f.city} ${f.source} ${f.stalenessHours === null ? 'no data before asOf' : `${f.stalenessHours} h`}`)) : `${x.freshness.length} sources fresh`,
  });

  const longGaps = [...x.longestCandleGaps].filter((g) => g.minutes > t.maxCandleGapMinutes).sort((a, b) => b.minutes - a.minutes);
  const gapsOver = Math.max(x.candleGapsOverLimit, longGaps.length);
  checks.push({
    name: 'max_candle_gap_minutes',
    description: 'longest run of missing candles inside a market window',
    direction: 'max',
    limit: t.maxCandleGapMinutes,
    value: x.longestCandleGaps.length ? Math.max(...x.longestCandleGaps.map((g) => g.minutes)) : 0,
    ok: gapsOver === 0,
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
    ok: x.settlementDisagreements <= t.maxSettlementDisagreements,
    detail: `${x.settlementDisagreements} day(s)`,
  });

  checks.push({
    name: 'max_dst_deviations',
    description: 'DST-change days whose observation counts differ from other days',
    direction: 'max',
    limit: t.maxDstDeviations,
    value: x.dstDeviations,
    ok: x.dstDeviations <= t.maxDstDeviations,
    detail: `${x.dstDeviations} (source, day) pair(s)`,
  });

  const pct = x.checkedRows > 0 ? Math.round((x.flaggedRows / x.checkedRows) * 100 * 1000) / 1000 : 0;
  checks.push({
    name: 'max_flagged_pct',
    description: 'flagged rows as a share of checked observation and forecast rows',
    direction: 'max',
    limit: t.maxFlaggedPct,
    value: pct,
    ok: pct <= t.maxFlaggedPct,
    detail: `${x.flaggedRows} of ${x.checkedRows} rows`,
  });
  return checks;
}
