import { describe, expect, it } from 'vitest';
import { consolidateDay, consolidateSettlements, precedenceOf, type MarketOutcome } from './settlement-consolidation';

const row = (source: string, highF: number, extra: { date?: string; cityId?: string; isPreliminary?: boolean; availableAt?: Date } = {}) => ({
  cityId: extra.cityId ?? 'chicago',
  date: extra.date ?? '2025-03-01',
  source,
  highF,
  ...(extra.isPreliminary !== undefined ? { isPreliminary: extra.isPreliminary } : {}),
  ...(extra.availableAt ? { availableAt: extra.availableAt } : {}),
});

const outcome = (extra: Partial<MarketOutcome> = {}): MarketOutcome => ({
  cityId: 'chicago',
  date: '2025-03-01',
  eventTicker: 'KXHIGHCHI-25MAR01',
  winningTicker: 'KXHIGHCHI-25MAR01-B84.5',
  winningBracket: { ticker: 'KXHIGHCHI-25MAR01-B84.5', strikeType: 'between', floor: 84, cap: 85 },
  expirationHighF: 84,
  availableAt: new Date('2025-03-02T15:00:00Z'),
  ...extra,
});

describe('settlement consolidation: the label follows the market', () => {
  it("takes Kalshi's result and expiration value over every weather source, and records each disagreement", () => {
    const c = consolidateDay([row('cli', 86), row('ghcn', 85), row('kalshi', 84)], outcome())!;
    expect(c).toEqual({
      cityId: 'chicago',
      date: '2025-03-01',
      highF: 84,
      source: 'kalshi',
      winningMarketTicker: 'KXHIGHCHI-25MAR01-B84.5',
      kalshiHighF: 84,
      weatherHighF: 86,
      weatherSource: 'cli',
      precedence: ['kalshi', 'cli', 'ghcn', 'asos'],
      disagreement: true,
      disagreements: [
        'kalshi 84 vs cli 86',
        'kalshi 84 vs ghcn 85',
        'cli 86 vs ghcn 85',
        'winner KXHIGHCHI-25MAR01-B84.5 (84..85) does not contain cli 86',
      ],
      sourceValues: { kalshi: 84, cli: 86, ghcn: 85 },
      availableAt: new Date('2025-03-02T15:00:00Z'),
    });
  });

  it('agrees quietly when every source and the winning bracket agree', () => {
    const c = consolidateDay([row('kalshi', 85), row('ghcn', 85)], outcome({ expirationHighF: 85 }))!;
    expect(c).toMatchObject({ highF: 85, source: 'kalshi', weatherHighF: 85, weatherSource: 'ghcn', disagreement: false, disagreements: [] });
  });

  it('keeps the Kalshi winner as the label when no source gave a number (five-bracket CSV days, no GHCN)', () => {
    const c = consolidateDay([], outcome({ expirationHighF: null, winningBracket: null }))!;
    expect(c).toMatchObject({ highF: null, source: 'kalshi', winningMarketTicker: 'KXHIGHCHI-25MAR01-B84.5', kalshiHighF: null, weatherHighF: null, disagreement: false });
  });

  it('uses the expiration value from the kalshi settlement row when no market outcome is passed', () => {
    const c = consolidateDay([row('ghcn', 70), row('kalshi', 71, { availableAt: new Date('2025-03-02T16:00:00Z') })])!;
    expect(c).toMatchObject({ highF: 71, source: 'kalshi', winningMarketTicker: null, weatherHighF: 70, disagreements: ['kalshi 71 vs ghcn 70'] });
    expect(c.availableAt).toEqual(new Date('2025-03-02T16:00:00Z'));
  });

  it('falls back to the weather truth (CLI, then GHCN, then ASOS, then others) where Kalshi has no result', () => {
    expect(consolidateDay([row('ghcn', 50), row('cli', 52)])).toMatchObject({ highF: 52, source: 'cli', winningMarketTicker: null, kalshiHighF: null });
    expect(consolidateDay([row('twc', 49), row('ghcn', 50)])).toMatchObject({ highF: 50, source: 'ghcn' });
    expect(consolidateDay([row('twc', 49), row('asos', 48)])).toMatchObject({ highF: 48, source: 'asos' });
    expect(precedenceOf(['twc', 'asos', 'cli'])).toEqual(['kalshi', 'cli', 'ghcn', 'asos', 'twc']);
    // An event Kalshi has not settled does not override the weather truth.
    expect(consolidateDay([row('ghcn', 50)], outcome({ winningTicker: null, winningBracket: null, expirationHighF: null }))).toMatchObject({ highF: 50, source: 'ghcn' });
    // And alone it is no settlement at all.
    expect(consolidateDay([], outcome({ winningTicker: null, winningBracket: null, expirationHighF: null }))).toBeUndefined();
  });

  it('a scalar result settles the day without a winning market', () => {
    expect(consolidateDay([row('cli', 60)], outcome({ winningTicker: null, winningBracket: null, scalar: true, expirationHighF: 61 }))).toMatchObject({
      highF: 61,
      source: 'kalshi',
      winningMarketTicker: null,
      sourceValues: { kalshi: 61, cli: 60 },
      disagreements: ['kalshi 61 vs cli 60'],
    });
  });

  it('ranks a preliminary weather report after the final ones, and keeps its value visible', () => {
    const c = consolidateDay([row('cli', 60, { isPreliminary: true }), row('ghcn', 61)])!;
    expect(c).toMatchObject({ highF: 61, source: 'ghcn', disagreement: true, sourceValues: { ghcn: 61, cli: 60 } });
    expect(consolidateDay([row('cli', 60, { isPreliminary: true })])).toMatchObject({ highF: 60, source: 'cli' });
  });

  it('groups rows and outcomes by city and date, in order', () => {
    const out = consolidateSettlements(
      [row('ghcn', 40, { date: '2025-03-02' }), row('cli', 41, { date: '2025-03-01' }), row('cli', 80, { cityId: 'austin', date: '2025-03-02' })],
      [
        outcome({ date: '2025-03-02', winningTicker: 'KXHIGHCHI-25MAR02-T41', winningBracket: { ticker: 'KXHIGHCHI-25MAR02-T41', strikeType: 'greater', floor: 41 }, expirationHighF: 42 }),
        outcome({ date: '2025-03-03', expirationHighF: 85 }),
      ],
    );
    expect(out.map((c) => [c.cityId, c.date, c.highF, c.source, c.winningMarketTicker, c.disagreement])).toEqual([
      ['austin', '2025-03-02', 80, 'cli', null, false],
      ['chicago', '2025-03-01', 41, 'cli', null, false],
      ['chicago', '2025-03-02', 42, 'kalshi', 'KXHIGHCHI-25MAR02-T41', true],
      ['chicago', '2025-03-03', 85, 'kalshi', 'KXHIGHCHI-25MAR01-B84.5', false],
    ]);
    expect(out[2]!.disagreements).toEqual(['kalshi 42 vs ghcn 40', 'winner KXHIGHCHI-25MAR02-T41 (42..) does not contain ghcn 40']);
    expect(consolidateSettlements([])).toEqual([]);
    expect(consolidateDay([])).toBeUndefined();
    expect(() => consolidateDay([row('cli', 1), row('cli', 2, { date: '2025-03-02' })])).toThrow(/mixed/);
  });

  it('of a legacy and a current event on one day, uses the one that settled', () => {
    const unsettled = outcome({ eventTicker: 'HIGHCHI-25MAR01', winningTicker: null, winningBracket: null, expirationHighF: null });
    const [c] = consolidateSettlements([], [unsettled, outcome()]);
    expect(c).toMatchObject({ winningMarketTicker: 'KXHIGHCHI-25MAR01-B84.5', highF: 84 });
  });
});
