import { describe, expect, it } from 'vitest';
import { addHistograms, classifyCandleGap, findCandleGaps, gapHistogram, type GapEvidence } from './candles';

const at = (hhmm: string) => Date.parse(`2025-01-05T${hhmm}:00Z`);
const one = (hhmm: string) => ({ start: at(hhmm), end: at(hhmm) });

describe('findCandleGaps', () => {
  it('finds inner gaps between islands of 1-minute buckets', () => {
    const gaps = findCandleGaps({
      periodMinutes: 1,
      openMs: at('15:00'),
      closeMs: at('15:10'),
      islands: [
        { start: at('15:00'), end: at('15:02') },
        { start: at('15:05'), end: at('15:09') },
      ],
    });
    expect(gaps).toEqual([{ start: at('15:03'), buckets: 2, minutes: 2, kind: 'inner' }]);
  });

  it('single buckets work as one-bucket islands, in any order; leading and trailing gaps count', () => {
    const gaps = findCandleGaps({ periodMinutes: 1, openMs: at('15:00'), closeMs: at('15:10'), islands: [one('15:06'), one('15:02'), one('15:03')] });
    expect(gaps).toEqual([
      { start: at('15:00'), buckets: 2, minutes: 2, kind: 'leading' },
      { start: at('15:04'), buckets: 2, minutes: 2, kind: 'inner' },
      { start: at('15:07'), buckets: 3, minutes: 3, kind: 'trailing' },
    ]);
  });

  it('60-minute buckets: the bucket containing the open is expected; a close inside a bucket expects that bucket', () => {
    const gaps = findCandleGaps({
      periodMinutes: 60,
      openMs: at('14:00') + 1000, // 14:00:01
      closeMs: at('20:30'),
      islands: [{ start: at('14:00'), end: at('16:00') }, one('19:00')],
    });
    expect(gaps).toEqual([
      { start: at('17:00'), buckets: 2, minutes: 120, kind: 'inner' },
      { start: at('20:00'), buckets: 1, minutes: 60, kind: 'trailing' },
    ]);
  });

  it('complete data and markets without candles have no gaps; buckets outside the window are ignored', () => {
    expect(findCandleGaps({ periodMinutes: 1, openMs: at('15:00'), closeMs: at('15:10'), islands: [{ start: at('14:50'), end: at('15:20') }] })).toEqual([]);
    expect(findCandleGaps({ periodMinutes: 1, openMs: at('15:00'), closeMs: at('15:10'), islands: [] })).toEqual([]);
  });
});

describe('gapHistogram', () => {
  it('counts gaps per period and length bin, zeros included', () => {
    const h = gapHistogram([
      { periodMinutes: 1, minutes: 1 },
      { periodMinutes: 1, minutes: 3 },
      { periodMinutes: 1, minutes: 4 },
      { periodMinutes: 1, minutes: 800 },
      { periodMinutes: 60, minutes: 60 },
    ]);
    expect(h).toHaveLength(14);
    const get = (p: number, label: string) => h.find((b) => b.periodMinutes === p && b.label === label)!.count;
    expect(get(1, '1 min')).toBe(1);
    expect(get(1, '2–4 min')).toBe(2);
    expect(get(1, '≥ 12 h')).toBe(1);
    expect(get(60, '1–3 h')).toBe(1);
    expect(h.reduce((a, b) => a + b.count, 0)).toBe(5);
    const doubled = addHistograms(h, h);
    expect(doubled.reduce((a, b) => a + b.count, 0)).toBe(10);
  });
});

describe('classifyCandleGap', () => {
  const idle: GapEvidence = { quotesUnchanged: true, lastPriceChanged: false, trades: 0, coarserCandleInside: false };
  it('an idle market (no trade, the book where it was) leaves a gap that is not missing data', () => {
    expect(classifyCandleGap(idle)).toBe('idle');
    // Leading and trailing gaps know no quotes: without a sign of activity they are idle too.
    expect(classifyCandleGap({ ...idle, quotesUnchanged: null, lastPriceChanged: null })).toBe('idle');
  });
  it('any sign of activity inside the gap makes it missing data', () => {
    expect(classifyCandleGap({ ...idle, quotesUnchanged: false })).toBe('missing');
    expect(classifyCandleGap({ ...idle, lastPriceChanged: true })).toBe('missing');
    expect(classifyCandleGap({ ...idle, trades: 1 })).toBe('missing');
    expect(classifyCandleGap({ ...idle, coarserCandleInside: true })).toBe('missing');
    expect(classifyCandleGap({ quotesUnchanged: null, lastPriceChanged: null, trades: 2, coarserCandleInside: false })).toBe('missing');
  });
});
