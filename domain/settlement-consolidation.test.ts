import { describe, expect, it } from 'vitest';
import { consolidateDay, consolidateSettlements, precedenceOf } from './settlement-consolidation';

const row = (source: string, highF: number, extra: { date?: string; cityId?: string; isPreliminary?: boolean } = {}) => ({
  cityId: extra.cityId ?? 'chicago',
  date: extra.date ?? '2025-03-01',
  source,
  highF,
  ...(extra.isPreliminary !== undefined ? { isPreliminary: extra.isPreliminary } : {}),
});

describe('settlement consolidation', () => {
  it('takes CLI first, then Kalshi, then GHCN, then the others alphabetically', () => {
    expect(consolidateDay([row('ghcn', 50), row('kalshi', 51), row('cli', 52)])).toMatchObject({ highF: 52, source: 'cli' });
    expect(consolidateDay([row('ghcn', 50), row('kalshi', 51)])).toMatchObject({ highF: 51, source: 'kalshi' });
    expect(consolidateDay([row('twc', 49), row('ghcn', 50)])).toMatchObject({ highF: 50, source: 'ghcn' });
    expect(consolidateDay([row('twc', 49), row('asos', 48)])).toMatchObject({ highF: 48, source: 'asos' });
    expect(precedenceOf(['twc', 'asos', 'cli'])).toEqual(['cli', 'kalshi', 'ghcn', 'asos', 'twc']);
  });

  it('records every source value and flags a disagreement instead of hiding it', () => {
    const c = consolidateDay([row('cli', 87), row('ghcn', 88), row('kalshi', 87)])!;
    expect(c).toEqual({
      cityId: 'chicago',
      date: '2025-03-01',
      highF: 87,
      source: 'cli',
      precedence: ['cli', 'kalshi', 'ghcn'],
      disagreement: true,
      sourceValues: { cli: 87, kalshi: 87, ghcn: 88 },
    });
    expect(consolidateDay([row('cli', 87), row('ghcn', 87)])!.disagreement).toBe(false);
    expect(consolidateDay([row('ghcn', 70)])).toMatchObject({ highF: 70, disagreement: false, sourceValues: { ghcn: 70 } });
  });

  it('ranks a preliminary report after the final reports, and keeps its value visible', () => {
    const c = consolidateDay([row('cli', 60, { isPreliminary: true }), row('ghcn', 61)])!;
    expect(c).toMatchObject({ highF: 61, source: 'ghcn', disagreement: true, sourceValues: { ghcn: 61, cli: 60 } });
    // Only a preliminary value: it is still the best there is.
    expect(consolidateDay([row('cli', 60, { isPreliminary: true })])).toMatchObject({ highF: 60, source: 'cli' });
  });

  it('groups by city and date, in order, and returns nothing for no rows', () => {
    const out = consolidateSettlements([
      row('ghcn', 40, { date: '2025-03-02' }),
      row('cli', 41, { date: '2025-03-01' }),
      row('cli', 80, { cityId: 'austin', date: '2025-03-02' }),
      row('kalshi', 42, { date: '2025-03-02' }),
    ]);
    expect(out.map((c) => [c.cityId, c.date, c.highF, c.source, c.disagreement])).toEqual([
      ['austin', '2025-03-02', 80, 'cli', false],
      ['chicago', '2025-03-01', 41, 'cli', false],
      ['chicago', '2025-03-02', 42, 'kalshi', true],
    ]);
    expect(consolidateSettlements([])).toEqual([]);
    expect(consolidateDay([])).toBeUndefined();
    expect(() => consolidateDay([row('cli', 1), row('cli', 2, { date: '2025-03-02' })])).toThrow(/mixed/);
  });
});
