import { describe, expect, it } from 'vitest';
import { evaluateThresholds, thresholdVerdict, THRESHOLD_NAMES, type ThresholdInputs, type ValidationThresholds } from './thresholds';

const T: ValidationThresholds = {
  minCoveragePct: 95,
  maxStalenessHours: 72,
  maxCandleGapMinutes: 60,
  maxSettlementDisagreements: 0,
  settlementToleranceF: 1,
  maxDstDeviations: 0,
  maxFlaggedPct: 0.5,
  spikeJumpF: 10,
  spikeWindowMinutes: 120,
  stuckHours: 6,
  stuckMaxGapMinutes: 180,
  dstMinuteTolerance: 30,
};

const clean: ThresholdInputs = {
  coverage: [{ city: 'chicago', source: 'obs:iem-asos', pct: 99.5 }],
  freshness: [{ city: 'chicago', source: 'obs:iem-asos', stalenessHours: 2 }],
  longestCandleGaps: [{ market: 'KXHIGHCHI-25JUL01-B86.5', periodMinutes: 1, start: '2025-07-01T15:00:00.000Z', minutes: 5 }],
  candleGapsOverLimit: 0,
  settlementDisagreements: 0,
  dstDeviations: 0,
  flaggedRows: 1,
  checkedRows: 1000,
};

describe('evaluateThresholds', () => {
  it('passes clean inputs, one check per threshold in order', () => {
    const checks = evaluateThresholds(clean, T);
    expect(checks.map((c) => c.name)).toEqual([...THRESHOLD_NAMES]);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.find((c) => c.name === 'max_flagged_pct')!.value).toBe(0.1);
  });

  it('reports each crossed threshold with the worst value', () => {
    const checks = evaluateThresholds(
      {
        coverage: [...clean.coverage, { city: 'austin', source: 'settlement:cli', pct: 66.7 }],
        freshness: [...clean.freshness, { city: 'austin', source: 'forecast:vc', stalenessHours: 100 }, { city: 'austin', source: 'obs:x', stalenessHours: null }],
        longestCandleGaps: [...clean.longestCandleGaps, { market: 'M', periodMinutes: 1, start: '2025-07-01T16:00:00.000Z', minutes: 90 }],
        candleGapsOverLimit: 1,
        settlementDisagreements: 1,
        dstDeviations: 2,
        flaggedRows: 10,
        checkedRows: 1000,
      },
      T,
    );
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([...THRESHOLD_NAMES]);
    expect(byName.min_coverage_pct).toMatchObject({ value: 66.7, detail: 'austin settlement:cli 66.7%' });
    // A series without any data is staler than any number: the value is unknown and the message says why.
    expect(byName.max_staleness_hours).toMatchObject({ value: null, message: '1 series with no data before asOf (max 72)', detail: 'austin forecast:vc 100 h; austin obs:x no data before asOf' });
    expect(byName.min_coverage_pct!.message).toBe('66.7 < min 95');
    expect(byName.max_candle_gap_minutes!.message).toBe('90 > max 60');
    expect(byName.max_candle_gap_minutes!.value).toBe(90);
    expect(byName.max_flagged_pct!.value).toBe(1);
    // Looser limits pass the same inputs.
    const loose = evaluateThresholds({ ...clean, settlementDisagreements: 1, dstDeviations: 2 }, { ...T, maxSettlementDisagreements: 5, maxDstDeviations: 2 });
    expect(loose.every((c) => c.ok)).toBe(true);
  });

  it('says which side of the limit the value is, in agreement with the verdict (a "54 vs limit 72" row read as passing)', () => {
    expect(thresholdVerdict('min', 72, 54)).toEqual({ ok: false, message: '54 < min 72' });
    expect(thresholdVerdict('min', 72, 72)).toEqual({ ok: true, message: '72 ≥ min 72' });
    expect(thresholdVerdict('max', 60, 61)).toEqual({ ok: false, message: '61 > max 60' });
    expect(thresholdVerdict('max', 60, 5)).toEqual({ ok: true, message: '5 ≤ max 60' });
    expect(thresholdVerdict('max', 60, null)).toEqual({ ok: false, message: 'no value (max 60)' });
    const fresh = { ...clean, freshness: [{ city: 'chicago', source: 'obs:iem-asos', stalenessHours: 80 }] };
    for (const inputs of [clean, fresh, { ...clean, coverage: [{ city: 'c', source: 's', pct: 54 }] }, { ...clean, flaggedRows: 54, checkedRows: 100 }]) {
      for (const c of evaluateThresholds(inputs, T)) {
        if (c.value === null) continue;
        const sign = c.message.split(' ')[1];
        expect({ name: c.name, ok: c.ok, sign }).toEqual({ name: c.name, ok: c.ok, sign: c.ok ? (c.direction === 'min' ? '≥' : '≤') : c.direction === 'min' ? '<' : '>' });
        expect(c.message).toContain(`${c.direction} ${c.limit}`);
      }
    }
  });
});
