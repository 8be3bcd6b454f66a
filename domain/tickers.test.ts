import { describe, expect, it } from 'vitest';
import { buildBracket, integerRange } from './brackets';
import { InvalidTickerError } from './errors';
import {
  formatEventTicker,
  formatMarketTicker,
  parseEventTicker,
  parseMarketTicker,
  parseTicker,
  deriveStrikes,
  strikesFromSubtitle,
} from './tickers';

describe('parseEventTicker', () => {
  it.each([
    ['KXHIGHCHI-25JUL04', 'KXHIGHCHI', '2025-07-04'],
    ['KXHIGHPHIL-26SEP20', 'KXHIGHPHIL', '2026-09-20'],
    ['HIGHCHI-24AUG16', 'HIGHCHI', '2024-08-16'], // legacy prefix (cpratim events)
    ['HIGHMIA-23OCT02', 'HIGHMIA', '2023-10-02'], // legacy (marzbana event snapshot)
    ['HIGHNY-22DEC23', 'HIGHNY', '2022-12-23'], // Kalshi WS docs example
    ['KXHIGHAUS-24FEB29', 'KXHIGHAUS', '2024-02-29'], // leap day
    ['KXHIGHDEN-25JAN01', 'KXHIGHDEN', '2025-01-01'],
    ['KXHIGHLAX-25DEC31', 'KXHIGHLAX', '2025-12-31'],
  ])('%s', (ticker, series, date) => {
    expect(parseEventTicker(ticker)).toEqual({ series, eventTicker: ticker, date });
  });

  it.each([
    ['KXHIGHCHI-25JXL04', 'month "JXL" is not one of JAN..DEC'],
    ['KXHIGHCHI-25FEB30', 'date 25FEB30 does not exist'],
    ['KXHIGHCHI-25FEB29', 'date 25FEB29 does not exist'],
    ['KXHIGHCHI-25APR31', 'date 25APR31 does not exist'],
    ['KXHIGHCHI-25JUL00', 'date 25JUL00 does not exist'],
    ['KXHIGHCHI-25jul04', 'expected SERIES-YYMONDD'],
    ['kxhighchi-25JUL04', 'expected SERIES-YYMONDD'],
    ['KXHIGHCHI-2025JUL04', 'expected SERIES-YYMONDD'],
    ['KXHIGHCHI-25JUL4', 'expected SERIES-YYMONDD'],
    ['KXHIGHCHI25JUL04', 'expected SERIES-YYMONDD'],
    ['KXHIGHCHI-25JUL04-B85.5', 'expected SERIES-YYMONDD'],
    ['', 'expected SERIES-YYMONDD'],
  ])('rejects %j (%s)', (ticker, why) => {
    expect(() => parseEventTicker(ticker)).toThrow(InvalidTickerError);
    expect(() => parseEventTicker(ticker)).toThrow(`invalid event ticker ${JSON.stringify(ticker)}: ${why}`);
  });
});

describe('parseMarketTicker', () => {
  it.each([
    ['KXHIGHCHI-25JUL04-B85.5', 'KXHIGHCHI', 'KXHIGHCHI-25JUL04', '2025-07-04', 'B', 85.5],
    ['KXHIGHCHI-25JUL04-T91', 'KXHIGHCHI', 'KXHIGHCHI-25JUL04', '2025-07-04', 'T', 91],
    ['HIGHCHI-23AUG01-B86', 'HIGHCHI', 'HIGHCHI-23AUG01', '2023-08-01', 'B', 86], // integer B (reported legacy form)
    ['HIGHCHI-24AUG16-T82', 'HIGHCHI', 'HIGHCHI-24AUG16', '2024-08-16', 'T', 82],
    ['HIGHCHI-22DEC23-B-2.5', 'HIGHCHI', 'HIGHCHI-22DEC23', '2022-12-23', 'B', -2.5], // real, below zero
    ['HIGHCHI-22DEC23-B-0.5', 'HIGHCHI', 'HIGHCHI-22DEC23', '2022-12-23', 'B', -0.5],
    ['KXHIGHCHI-25JAN21-T0', 'KXHIGHCHI', 'KXHIGHCHI-25JAN21', '2025-01-21', 'T', 0],
    ['KXHIGHCHI-25JAN21-B0.5', 'KXHIGHCHI', 'KXHIGHCHI-25JAN21', '2025-01-21', 'B', 0.5],
    ['KXHIGHNY-22DEC23-T-5', 'KXHIGHNY', 'KXHIGHNY-22DEC23', '2022-12-23', 'T', -5],
    ['KXHIGHPHIL-26SEP20-T75', 'KXHIGHPHIL', 'KXHIGHPHIL-26SEP20', '2026-09-20', 'T', 75],
  ])('%s', (ticker, series, eventTicker, date, kind, number) => {
    expect(parseMarketTicker(ticker)).toEqual({ series, eventTicker, date, marketTicker: ticker, kind, number });
  });

  it.each([
    // A real artifact in one third-party CSV; not a Kalshi format.
    ['HIGHAUS--23MAY11-B84.5', 'expected SERIES-YYMONDD'],
    ['KXHIGHCHI-25JUL04', 'expected SERIES-YYMONDD-B<n> or SERIES-YYMONDD-T<n>'],
    ['KXHIGHCHI-25JUL04-', 'suffix "" is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-X85', 'suffix "X85" is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-B85.', 'suffix "B85." is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-B.5', 'suffix "B.5" is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-b85.5', 'suffix "b85.5" is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-B85.5-X', 'suffix "B85.5-X" is not B<number> or T<number>'],
    ['KXHIGHCHI-25JUL04-B1e3', 'suffix "B1e3" is not B<number> or T<number>'],
    ['KXHIGHCHI-25FEB30-B85.5', 'date 25FEB30 does not exist'],
    ['KXHIGHCHI-25JXL04-T91', 'month "JXL" is not one of JAN..DEC'],
  ])('rejects %j (%s)', (ticker, why) => {
    expect(() => parseMarketTicker(ticker)).toThrow(InvalidTickerError);
    expect(() => parseMarketTicker(ticker)).toThrow(`invalid market ticker ${JSON.stringify(ticker)}: ${why}`);
  });
});

describe('parseTicker', () => {
  it('returns only event fields for an event ticker', () => {
    const t = parseTicker('KXHIGHCHI-25JUL04');
    expect(t).toEqual({ series: 'KXHIGHCHI', eventTicker: 'KXHIGHCHI-25JUL04', date: '2025-07-04' });
    expect(t.kind).toBeUndefined();
    expect(t.number).toBeUndefined();
  });

  it('returns kind and number for a market ticker', () => {
    expect(parseTicker('KXHIGHCHI-25JUL04-B85.5')).toMatchObject({ kind: 'B', number: 85.5, date: '2025-07-04' });
    expect(parseTicker('HIGHCHI-22DEC23-B-2.5')).toMatchObject({ kind: 'B', number: -2.5 });
  });

  it('throws for garbage', () => {
    expect(() => parseTicker('nonsense')).toThrow(InvalidTickerError);
    expect(() => parseTicker('A-B-C')).toThrow(InvalidTickerError);
  });
});

describe('formatEventTicker / formatMarketTicker', () => {
  it.each([
    ['KXHIGHCHI', '2025-07-04', 'KXHIGHCHI-25JUL04'],
    ['KXHIGHPHIL', '2026-09-20', 'KXHIGHPHIL-26SEP20'],
    ['HIGHCHI', '2023-08-01', 'HIGHCHI-23AUG01'],
    ['KXHIGHAUS', '2024-02-29', 'KXHIGHAUS-24FEB29'],
    ['KXHIGHDEN', '2000-01-09', 'KXHIGHDEN-00JAN09'],
  ])('formatEventTicker(%s, %s) = %s and round-trips', (series, date, ticker) => {
    expect(formatEventTicker(series, date)).toBe(ticker);
    expect(parseEventTicker(ticker)).toEqual({ series, eventTicker: ticker, date });
  });

  it('rejects bad inputs with the field named', () => {
    expect(() => formatEventTicker('kxhighchi', '2025-07-04')).toThrow('invalid series "kxhighchi"');
    expect(() => formatEventTicker('KXHIGHCHI', '2025-02-30')).toThrow('invalid event date "2025-02-30"');
    expect(() => formatEventTicker('KXHIGHCHI', '1999-12-31')).toThrow(/2000\.\.2099/);
    expect(() => formatEventTicker('KXHIGHCHI', '2100-01-01')).toThrow(/2000\.\.2099/);
  });

  it.each([
    ['KXHIGHCHI-25JUL04', 'B', 85.5, 'KXHIGHCHI-25JUL04-B85.5'],
    ['KXHIGHCHI-25JUL04', 'T', 91, 'KXHIGHCHI-25JUL04-T91'],
    ['HIGHCHI-23AUG01', 'B', 86, 'HIGHCHI-23AUG01-B86'],
    ['HIGHCHI-22DEC23', 'B', -2.5, 'HIGHCHI-22DEC23-B-2.5'],
    ['KXHIGHCHI-25JAN21', 'T', 0, 'KXHIGHCHI-25JAN21-T0'],
    ['KXHIGHCHI-25JAN21', 'T', -0, 'KXHIGHCHI-25JAN21-T0'],
  ] as const)('formatMarketTicker(%s, %s, %d) = %s and round-trips', (event, kind, n, ticker) => {
    expect(formatMarketTicker(event, kind, n)).toBe(ticker);
    expect(parseMarketTicker(ticker)).toMatchObject({ eventTicker: event, kind, number: n === 0 ? 0 : n });
  });

  it('rejects numbers that do not print as plain decimals', () => {
    expect(() => formatMarketTicker('KXHIGHCHI-25JUL04', 'B', Number.NaN)).toThrow('invalid market number NaN');
    expect(() => formatMarketTicker('KXHIGHCHI-25JUL04', 'B', Infinity)).toThrow(InvalidTickerError);
    expect(() => formatMarketTicker('KXHIGHCHI-25JUL04', 'B', 1e21)).toThrow(InvalidTickerError);
    expect(() => formatMarketTicker('KXHIGHCHI-25JUL04', 'X' as 'B', 85)).toThrow('invalid market kind "X"');
    expect(() => formatMarketTicker('KXHIGHCHI-25JXL04', 'B', 85)).toThrow(InvalidTickerError);
  });
});

describe('the ticker is never relied on for strike semantics', () => {
  it('the same T number can be either tail; strike_type decides', () => {
    // KXHIGHAUS-24OCT25-T91-style tickers exist for both tails on different days.
    const low = buildBracket({ ticker: 'KXHIGHCHI-25JUL04-T91', strike_type: 'less', cap_strike: 91 });
    const high = buildBracket({ ticker: 'KXHIGHCHI-25JUL04-T91', strike_type: 'greater', floor_strike: 91 });
    expect(integerRange(low)).toEqual({ min: -Infinity, max: 90 });
    expect(integerRange(high)).toEqual({ min: 92, max: Infinity });
  });

  it('a bracket whose ticker disagrees with its strikes follows the strikes', () => {
    const b = buildBracket({ ticker: 'KXHIGHCHI-25JUL04-B85.5', strike_type: 'between', floor_strike: 60, cap_strike: 61 });
    expect(integerRange(b)).toEqual({ min: 60, max: 61 });
  });

  it('a bracket builds even when its ticker does not parse', () => {
    const b = buildBracket({ ticker: 'not-a-ticker', strike_type: 'greater', floor_strike: 50 });
    expect(integerRange(b)).toEqual({ min: 51, max: Infinity });
    expect(() => parseMarketTicker('not-a-ticker')).toThrow(InvalidTickerError);
  });

  it('legacy integer B numbers and current half-degree B numbers mean the same kind of bracket', () => {
    // HIGHAUS-24MAY24-B86 vs KXHIGHAUS-24OCT25-B86.5: only the strikes say which integers.
    expect(parseMarketTicker('HIGHAUS-24MAY24-B86').number).toBe(86);
    expect(parseMarketTicker('KXHIGHAUS-24OCT25-B86.5').number).toBe(86.5);
  });
});

describe('deriveStrikes (payloads without strike fields)', () => {
  // The six markets of KXHIGHCHI-25JAN20 as recorded; B12.5 came without strike fields.
  it.each([
    ['KXHIGHCHI-25JAN20-T6', '5° or below', { strikeType: 'less', floorStrike: null, capStrike: 6 }],
    ['KXHIGHCHI-25JAN20-B6.5', '6° to 7°', { strikeType: 'between', floorStrike: 6, capStrike: 7 }],
    ['KXHIGHCHI-25JAN20-B12.5', '12° to 13°', { strikeType: 'between', floorStrike: 12, capStrike: 13 }],
    ['KXHIGHCHI-25JAN20-T13', '14° or above', { strikeType: 'greater', floorStrike: 13, capStrike: null }],
    ['HIGHCHI-22DEC23-B-2.5', '-3° to -2°', { strikeType: 'between', floorStrike: -3, capStrike: -2 }],
  ])('%s "%s" gives the strikes Kalshi sends for it', (ticker, sub, expected) => {
    expect(deriveStrikes(ticker, sub)).toEqual(expected);
    const b = buildBracket({ ticker, strike_type: expected.strikeType, floor_strike: expected.floorStrike, cap_strike: expected.capStrike });
    expect(integerRange(b)).toEqual(
      expected.strikeType === 'less'
        ? { min: -Infinity, max: expected.capStrike! - 1 }
        : expected.strikeType === 'greater'
          ? { min: expected.floorStrike! + 1, max: Infinity }
          : { min: expected.floorStrike, max: expected.capStrike },
    );
  });

  it('reads a bracket from its ticker alone, and a tail only when told which side', () => {
    expect(deriveStrikes('KXHIGHCHI-25JAN20-B12.5', null)).toEqual({ strikeType: 'between', floorStrike: 12, capStrike: 13 });
    expect(deriveStrikes('KXHIGHCHI-25JAN20-T6', null)).toBeUndefined();
    expect(deriveStrikes('KXHIGHCHI-25JAN20-T6', null, 'less')).toEqual({ strikeType: 'less', floorStrike: null, capStrike: 6 });
    expect(deriveStrikes('KXHIGHCHI-25JAN20-T13', undefined, 'greater')).toEqual({ strikeType: 'greater', floorStrike: 13, capStrike: null });
  });

  it('refuses when ticker and subtitle disagree, and falls back to the subtitle for an odd ticker', () => {
    expect(deriveStrikes('KXHIGHCHI-25JAN20-B12.5', '10° to 11°')).toBeUndefined();
    expect(deriveStrikes('KXHIGHCHI-25JAN20-T13', '14° or below')).toBeUndefined();
    expect(deriveStrikes('KXHIGHCHI-25JAN20-B12', '12° to 13°')).toEqual({ strikeType: 'between', floorStrike: 12, capStrike: 13 });
    expect(deriveStrikes('not-a-ticker', '84° or below')).toEqual({ strikeType: 'less', floorStrike: null, capStrike: 85 });
    expect(deriveStrikes('not-a-ticker', 'Sunny')).toBeUndefined();
  });

  it('parses the subtitle forms', () => {
    expect(strikesFromSubtitle('85° to 86°')).toEqual({ strikeType: 'between', floorStrike: 85, capStrike: 86 });
    expect(strikesFromSubtitle('84° or below')).toEqual({ strikeType: 'less', floorStrike: null, capStrike: 85 });
    expect(strikesFromSubtitle('92° or above')).toEqual({ strikeType: 'greater', floorStrike: 91, capStrike: null });
    expect(strikesFromSubtitle('86° to 85°')).toBeUndefined();
    expect(strikesFromSubtitle(undefined)).toBeUndefined();
  });
});
