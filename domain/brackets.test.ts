import { describe, expect, it } from 'vitest';
import {
  BracketSchema,
  bracketContains,
  bracketLabel,
  buildBracket,
  buildLadder,
  findBracketForTemp,
  inferMissingBracket,
  integerRange,
  roundHalfUp,
  winningBracket,
  type Bracket,
  type MarketStrike,
} from './brackets';
import { InvalidBracketError, LadderError } from './errors';

const between = (ticker: string, floor: number, cap: number): MarketStrike => ({
  ticker,
  strike_type: 'between',
  floor_strike: floor,
  cap_strike: cap,
});
const less = (ticker: string, cap: number): MarketStrike => ({ ticker, strike_type: 'less', cap_strike: cap, floor_strike: null });
const greater = (ticker: string, floor: number): MarketStrike => ({ ticker, strike_type: 'greater', floor_strike: floor, cap_strike: null });

/** A standard 6-market ladder with low-tail cap `c`: ..c-1 | c..c+1 | c+2..c+3 | c+4..c+5 | c+6..c+7 | c+8.. */
function ladderFrom(c: number): MarketStrike[] {
  return [
    less(`E-T${c}`, c),
    between(`E-B${c + 0.5}`, c, c + 1),
    between(`E-B${c + 2.5}`, c + 2, c + 3),
    between(`E-B${c + 4.5}`, c + 4, c + 5),
    between(`E-B${c + 6.5}`, c + 6, c + 7),
    greater(`E-T${c + 7}`, c + 7),
  ];
}

describe('buildBracket', () => {
  it.each([
    [between('b', 85, 86), { ticker: 'b', strikeType: 'between', floor: 85, cap: 86 }],
    [less('l', 84), { ticker: 'l', strikeType: 'less', cap: 84 }],
    [greater('g', 91), { ticker: 'g', strikeType: 'greater', floor: 91 }],
    [{ ticker: 'le', strike_type: 'less_or_equal', cap_strike: 84 }, { ticker: 'le', strikeType: 'less_or_equal', cap: 84 }],
    [{ ticker: 'ge', strike_type: 'greater_or_equal', floor_strike: 91 }, { ticker: 'ge', strikeType: 'greater_or_equal', floor: 91 }],
    // An irrelevant strike on a tail is ignored rather than trusted.
    [{ ticker: 'g2', strike_type: 'greater', floor_strike: 91, cap_strike: 5 }, { ticker: 'g2', strikeType: 'greater', floor: 91 }],
  ] as const)('%j', (input, expected) => {
    const b = buildBracket(input);
    expect(b).toEqual(expected);
    expect(BracketSchema.parse(b)).toEqual(b);
  });

  it.each([
    [{ ticker: 'X-1', strike_type: 'between', cap_strike: 86 }, 'market "X-1": floor_strike is undefined but strike_type "between" needs it'],
    [{ ticker: 'X-1', strike_type: 'between', floor_strike: 85, cap_strike: null }, 'market "X-1": cap_strike is null but strike_type "between" needs it'],
    [{ ticker: 'X-1', strike_type: 'between', floor_strike: Number.NaN, cap_strike: 86 }, 'market "X-1": floor_strike is NaN but strike_type "between" needs it'],
    [{ ticker: 'X-2', strike_type: 'less', floor_strike: 84 }, 'market "X-2": cap_strike is undefined but strike_type "less" needs it'],
    [{ ticker: 'X-3', strike_type: 'greater', cap_strike: 91 }, 'market "X-3": floor_strike is undefined but strike_type "greater" needs it'],
    [{ ticker: 'X-4', strike_type: 'less_or_equal' }, 'market "X-4": cap_strike is undefined'],
    [{ ticker: 'X-5', strike_type: 'greater_or_equal', floor_strike: Number.NaN }, 'market "X-5": floor_strike is NaN'],
    [{ ticker: 'X-6', strike_type: 'between', floor_strike: 85.5, cap_strike: 86 }, 'market "X-6": floor_strike 85.5 is not an integer'],
    [{ ticker: 'X-7', strike_type: 'greater', floor_strike: Infinity }, 'market "X-7": floor_strike Infinity is not an integer'],
    [{ ticker: 'X-8', strike_type: 'between', floor_strike: 87, cap_strike: 86 }, 'market "X-8": floor_strike 87 is above cap_strike 86'],
    [{ ticker: 'X-9', strike_type: 'functional' }, 'market "X-9": strike_type "functional" is not one of between, less, greater, less_or_equal, greater_or_equal'],
    [{ ticker: 'X-10', strike_type: null }, 'market "X-10": strike_type null is not one of'],
    [{ ticker: 'X-11' }, 'market "X-11": strike_type undefined is not one of'],
    [{ ticker: '', strike_type: 'less', cap_strike: 3 }, 'market ticker "" is missing or empty'],
  ])('rejects %j', (input, message) => {
    expect(() => buildBracket(input)).toThrow(InvalidBracketError);
    expect(() => buildBracket(input)).toThrow(message);
  });
});

describe('integerRange / bracketContains / bracketLabel', () => {
  const cases: Array<[Bracket, number, number, string]> = [
    [{ ticker: 'b', strikeType: 'between', floor: 85, cap: 86 }, 85, 86, '85° to 86°'],
    [{ ticker: 'b', strikeType: 'between', floor: -3, cap: -2 }, -3, -2, '-3° to -2°'],
    [{ ticker: 'b', strikeType: 'between', floor: 70, cap: 70 }, 70, 70, '70°'],
    [{ ticker: 'l', strikeType: 'less', cap: 84 }, -Infinity, 83, '83° or below'],
    [{ ticker: 'l', strikeType: 'less', cap: 0 }, -Infinity, -1, '-1° or below'],
    [{ ticker: 'le', strikeType: 'less_or_equal', cap: 84 }, -Infinity, 84, '84° or below'],
    [{ ticker: 'g', strikeType: 'greater', floor: 91 }, 92, Infinity, '92° or above'],
    [{ ticker: 'ge', strikeType: 'greater_or_equal', floor: 91 }, 91, Infinity, '91° or above'],
  ];

  it.each(cases)('%j covers %d..%d', (b, min, max, label) => {
    expect(integerRange(b)).toEqual({ min, max });
    expect(bracketLabel(b)).toBe(label);
  });

  it.each(cases)('%j: membership at and around each boundary', (b, min, max) => {
    const lo = Number.isFinite(min) ? min : max - 50;
    const hi = Number.isFinite(max) ? max : min + 50;
    for (let t = lo - 2; t <= hi + 2; t++) {
      expect(bracketContains(b, t), `t=${t}`).toBe(t >= min && t <= max);
    }
  });

  it('between is inclusive at both ends; less and greater are strict', () => {
    const b = buildBracket(between('b', 85, 86));
    expect([84, 85, 86, 87].map((t) => bracketContains(b, t))).toEqual([false, true, true, false]);
    const l = buildBracket(less('l', 84));
    expect([83, 84].map((t) => bracketContains(l, t))).toEqual([true, false]);
    const g = buildBracket(greater('g', 91));
    expect([91, 92].map((t) => bracketContains(g, t))).toEqual([false, true]);
    const le = buildBracket({ ticker: 'le', strike_type: 'less_or_equal', cap_strike: 84 });
    expect([84, 85].map((t) => bracketContains(le, t))).toEqual([true, false]);
    const ge = buildBracket({ ticker: 'ge', strike_type: 'greater_or_equal', floor_strike: 91 });
    expect([90, 91].map((t) => bracketContains(ge, t))).toEqual([false, true]);
  });

  it.each([85.5, Number.NaN, Infinity])('bracketContains refuses the non-integer %d', (t) => {
    expect(() => bracketContains(buildBracket(between('b', 85, 86)), t)).toThrow(InvalidBracketError);
    expect(() => bracketContains(buildBracket(between('b', 85, 86)), t)).toThrow(`temperature ${t} is not an integer °F`);
  });
});

describe('buildLadder', () => {
  it('sorts shuffled markets from the low tail up', () => {
    const markets = ladderFrom(84);
    const shuffled = [markets[3]!, markets[5]!, markets[0]!, markets[2]!, markets[4]!, markets[1]!];
    const ladder = buildLadder(shuffled);
    expect(ladder.brackets.map((b) => b.ticker)).toEqual(markets.map((m) => m.ticker));
    expect(Object.isFrozen(ladder.brackets)).toBe(true);
  });

  it('accepts already-built brackets', () => {
    const built = ladderFrom(84).map(buildBracket);
    expect(buildLadder(built).brackets).toEqual(built);
  });

  it('accepts the _or_equal strike types', () => {
    const ladder = buildLadder([
      { ticker: 'lo', strike_type: 'less_or_equal', cap_strike: 79 },
      between('mid', 80, 81),
      { ticker: 'hi', strike_type: 'greater_or_equal', floor_strike: 82 },
    ]);
    expect(ladder.brackets.map((b) => b.ticker)).toEqual(['lo', 'mid', 'hi']);
  });

  it('accepts a two-market ladder (just the tails) and a five-market day', () => {
    expect(buildLadder([less('l', 50), { ticker: 'g', strike_type: 'greater_or_equal', floor_strike: 50 }]).brackets).toHaveLength(2);
    expect(buildLadder(ladderFrom(60).filter((_, i) => i !== 4).map((m, i) => (i === 4 ? greater(m.ticker, 65) : m))).brackets).toHaveLength(5);
  });

  it.each([
    ['a gap', [less('T84', 84), between('B84.5', 84, 85), between('B88.5', 88, 89), greater('T89', 89)], 'ladder has a gap: 86..87 is covered by no market (between "B84.5" and "B88.5")'],
    ['a one-degree gap', [less('T84', 84), between('B84.5', 84, 85), greater('T86', 86)], 'ladder has a gap: 86..86 is covered by no market'],
    ['a gap after the low tail', [less('T84', 84), between('B85.5', 85, 86), greater('T86', 86)], 'ladder has a gap: 84..84 is covered by no market (between "T84" and "B85.5")'],
    ['an overlap', [less('T84', 84), between('B84.5', 84, 85), between('B85.5', 85, 86), greater('T86', 86)], 'ladder has an overlap: 85..85 is covered by both "B84.5" and "B85.5"'],
    ['a tail overlapping a bracket', [less('T85', 85), between('B84.5', 84, 85), greater('T85b', 85)], 'ladder has an overlap: 84..84 is covered by both "T85" and "B84.5"'],
    ['the upper tail overlapping', [less('T84', 84), between('B84.5', 84, 85), greater('T84b', 84)], 'ladder has an overlap: 85..85 is covered by both "B84.5" and "T84b"'],
    ['no lower tail', [between('B84.5', 84, 85), greater('T85', 85)], 'ladder has no lower tail: integers below 84 are not covered (lowest market "B84.5")'],
    ['no upper tail', [less('T84', 84), between('B84.5', 84, 85)], 'ladder has no upper tail: integers above 85 are not covered (highest market "B84.5")'],
    ['two lower tails', [less('T84', 84), less('T80', 80), greater('T83', 83)], 'ladder has 2 lower tails: T80, T84'],
    ['two upper tails', [less('T84', 84), greater('T83', 83), greater('T90', 90)], 'ladder has 2 upper tails: T83, T90'],
    ['a duplicate ticker', [less('T84', 84), less('T84', 84), greater('T83', 83)], 'ladder lists market "T84" twice'],
    ['no markets', [], 'ladder is empty'],
  ] as const)('rejects %s', (_name, markets, message) => {
    expect(() => buildLadder(markets as readonly MarketStrike[])).toThrow(LadderError);
    expect(() => buildLadder(markets as readonly MarketStrike[])).toThrow(message);
  });

  it('passes on bracket validation errors', () => {
    expect(() => buildLadder([less('T84', 84), { ticker: 'bad', strike_type: 'between', floor_strike: 84 }])).toThrow(
      'market "bad": cap_strike is undefined',
    );
    expect(() => buildLadder([{ ticker: 'x', strikeType: 'between', floor: 5, cap: 4 }])).toThrow(
      'bracket "x": floor 5 is above cap 4',
    );
    expect(() => buildLadder([{ ticker: 'y', strikeType: 'less', cap: 4.5 }])).toThrow(/invalid bracket "y"\.cap 4\.5/);
  });
});

describe('winningBracket', () => {
  // Mixed parity: ladders start on odd and even floors from day to day.
  it.each([84, 85, 0, -1, -3, 99])('partition of ladderFrom(%d): every integer has exactly one winner', (c) => {
    const ladder = buildLadder(ladderFrom(c));
    for (let t = c - 20; t <= c + 30; t++) {
      const winners = ladder.brackets.filter((b) => bracketContains(b, t));
      expect(winners, `t=${t}`).toHaveLength(1);
      expect(winningBracket(ladder, t)).toBe(winners[0]);
    }
  });

  it.each([
    // [t, winner] for the ladder ..83 | 84-85 | 86-87 | 88-89 | 90-91 | 92..
    [-40, 'E-T84'],
    [83, 'E-T84'],
    [84, 'E-B84.5'],
    [85, 'E-B84.5'],
    [86, 'E-B86.5'],
    [87, 'E-B86.5'],
    [88, 'E-B88.5'],
    [89, 'E-B88.5'],
    [90, 'E-B90.5'],
    [91, 'E-B90.5'],
    [92, 'E-T91'],
    [130, 'E-T91'],
  ])('even-floor ladder: %d -> %s', (t, ticker) => {
    expect(winningBracket(buildLadder(ladderFrom(84)), t).ticker).toBe(ticker);
  });

  it.each([
    // ..84 | 85-86 | 87-88 | 89-90 | 91-92 | 93..
    [84, 'E-T85'],
    [85, 'E-B85.5'],
    [86, 'E-B85.5'],
    [87, 'E-B87.5'],
    [92, 'E-B91.5'],
    [93, 'E-T92'],
  ])('odd-floor ladder: %d -> %s', (t, ticker) => {
    expect(winningBracket(buildLadder(ladderFrom(85)), t).ticker).toBe(ticker);
  });

  it.each([85.5, 85.0000001, Number.NaN, Infinity, -Infinity])('refuses the non-integer high %d', (t) => {
    expect(() => winningBracket(buildLadder(ladderFrom(84)), t)).toThrow(`settlement high ${t} is not an integer °F`);
  });

  it('reports a hand-made non-partition instead of returning nothing', () => {
    const fake = { brackets: [buildBracket(between('b', 1, 2))] };
    expect(() => winningBracket(fake, 5)).toThrow(LadderError);
  });
});

describe('roundHalfUp', () => {
  it.each([
    [84.5, 85],
    [84.49, 84],
    [84.51, 85],
    [85, 85],
    [84.4999999, 84],
    [0.49999999999999994, 0], // Math.floor(x + 0.5) gets this one wrong
    [0.5, 1],
    [0, 0],
    [-0, 0],
    [-0.4, 0],
    [-0.5, 0],
    [-0.51, -1],
    [-1.5, -1],
    [-2.5, -2],
    [-2.6, -3],
    [99.99, 100],
  ])('%d -> %d', (x, r) => {
    expect(Object.is(roundHalfUp(x), r)).toBe(true);
  });

  it.each([Number.NaN, Infinity, -Infinity])('refuses %d', (x) => {
    expect(() => roundHalfUp(x)).toThrow(`temperature ${x} is not a finite number`);
  });
});

describe('findBracketForTemp', () => {
  const ladder = buildLadder(ladderFrom(84)); // ..83 | 84-85 | 86-87 | 88-89 | 90-91 | 92..
  it.each([
    [83.49, 'E-T84'],
    [83.5, 'E-B84.5'], // ties go up
    [85.49, 'E-B84.5'],
    [85.5, 'E-B86.5'],
    [91.49, 'E-B90.5'],
    [91.5, 'E-T91'],
    [-100.2, 'E-T84'],
    [150, 'E-T91'],
    [86, 'E-B86.5'],
  ])('%d -> %s', (x, ticker) => {
    expect(findBracketForTemp(ladder, x).ticker).toBe(ticker);
  });

  it('handles the tie below zero the same way (-0.5 -> 0)', () => {
    const l = buildLadder(ladderFrom(0)); // ..-1 | 0-1 | ...
    expect(findBracketForTemp(l, -0.5).ticker).toBe('E-B0.5');
    expect(findBracketForTemp(l, -0.51).ticker).toBe('E-T0');
  });

  it('refuses NaN', () => {
    expect(() => findBracketForTemp(ladder, Number.NaN)).toThrow(InvalidBracketError);
  });
});

describe('real ladders', () => {
  // cpratim_kalshi_weather/kxhighchi/events/2024-08-16.json: legacy event ticker, series_ticker KXHIGHCHI.
  const HIGHCHI_24AUG16: MarketStrike[] = [
    { ticker: 'HIGHCHI-24AUG16-T82', strike_type: 'less', floor_strike: null, cap_strike: 82 },
    { ticker: 'HIGHCHI-24AUG16-B82.5', strike_type: 'between', floor_strike: 82, cap_strike: 83 },
    { ticker: 'HIGHCHI-24AUG16-B84.5', strike_type: 'between', floor_strike: 84, cap_strike: 85 },
    { ticker: 'HIGHCHI-24AUG16-B86.5', strike_type: 'between', floor_strike: 86, cap_strike: 87 },
    { ticker: 'HIGHCHI-24AUG16-B88.5', strike_type: 'between', floor_strike: 88, cap_strike: 89 },
    { ticker: 'HIGHCHI-24AUG16-T89', strike_type: 'greater', floor_strike: 89, cap_strike: null },
  ];
  // marzbana_miami/event_HIGHMIA-23OCT02.pyrepr.txt (odd floors).
  const HIGHMIA_23OCT02: MarketStrike[] = [
    { ticker: 'HIGHMIA-23OCT02-T81', strike_type: 'less', floor_strike: null, cap_strike: 81 },
    { ticker: 'HIGHMIA-23OCT02-B81.5', strike_type: 'between', floor_strike: 81, cap_strike: 82 },
    { ticker: 'HIGHMIA-23OCT02-B83.5', strike_type: 'between', floor_strike: 83, cap_strike: 84 },
    { ticker: 'HIGHMIA-23OCT02-B85.5', strike_type: 'between', floor_strike: 85, cap_strike: 86 },
    { ticker: 'HIGHMIA-23OCT02-B87.5', strike_type: 'between', floor_strike: 87, cap_strike: 88 },
    { ticker: 'HIGHMIA-23OCT02-T88', strike_type: 'greater', floor_strike: 88, cap_strike: null },
  ];
  // cpratim kxhighchi/events/2025-01-21.json: crosses zero; the YES market (B2.5) came without strikes.
  const KXHIGHCHI_25JAN21: MarketStrike[] = [
    { ticker: 'KXHIGHCHI-25JAN21-T0', strike_type: 'less', floor_strike: null, cap_strike: 0 },
    { ticker: 'KXHIGHCHI-25JAN21-B0.5', strike_type: 'between', floor_strike: 0, cap_strike: 1 },
    { ticker: 'KXHIGHCHI-25JAN21-B2.5' },
    { ticker: 'KXHIGHCHI-25JAN21-B4.5', strike_type: 'between', floor_strike: 4, cap_strike: 5 },
    { ticker: 'KXHIGHCHI-25JAN21-B6.5', strike_type: 'between', floor_strike: 6, cap_strike: 7 },
    { ticker: 'KXHIGHCHI-25JAN21-T7', strike_type: 'greater', floor_strike: 7, cap_strike: null },
  ];
  // cpratim kxhighaus/events/2025-01-17.json: the YES low tail (T63, "62° or below") came without strikes.
  const KXHIGHAUS_25JAN17: MarketStrike[] = [
    { ticker: 'KXHIGHAUS-25JAN17-T63' },
    { ticker: 'KXHIGHAUS-25JAN17-B63.5', strike_type: 'between', floor_strike: 63, cap_strike: 64 },
    { ticker: 'KXHIGHAUS-25JAN17-B65.5', strike_type: 'between', floor_strike: 65, cap_strike: 66 },
    { ticker: 'KXHIGHAUS-25JAN17-B67.5', strike_type: 'between', floor_strike: 67, cap_strike: 68 },
    { ticker: 'KXHIGHAUS-25JAN17-B69.5', strike_type: 'between', floor_strike: 69, cap_strike: 70 },
    { ticker: 'KXHIGHAUS-25JAN17-T70', strike_type: 'greater', floor_strike: 70, cap_strike: null },
  ];

  it('HIGHCHI-24AUG16 settled at 88 on B88.5', () => {
    const ladder = buildLadder(HIGHCHI_24AUG16);
    expect(winningBracket(ladder, 88).ticker).toBe('HIGHCHI-24AUG16-B88.5');
    expect(ladder.brackets.map(bracketLabel)).toEqual([
      '81° or below', '82° to 83°', '84° to 85°', '86° to 87°', '88° to 89°', '90° or above',
    ]);
  });

  it('HIGHMIA-23OCT02 boundaries', () => {
    const ladder = buildLadder(HIGHMIA_23OCT02);
    expect(winningBracket(ladder, 80).ticker).toBe('HIGHMIA-23OCT02-T81');
    expect(winningBracket(ladder, 81).ticker).toBe('HIGHMIA-23OCT02-B81.5');
    expect(winningBracket(ladder, 88).ticker).toBe('HIGHMIA-23OCT02-B87.5');
    expect(winningBracket(ladder, 89).ticker).toBe('HIGHMIA-23OCT02-T88');
  });

  it('a market without strikes makes buildLadder fail loudly', () => {
    expect(() => buildLadder(KXHIGHCHI_25JAN21)).toThrow('market "KXHIGHCHI-25JAN21-B2.5": strike_type undefined is not one of');
  });

  it('inferMissingBracket recovers a missing middle bracket (settled at 2)', () => {
    const completed = inferMissingBracket(KXHIGHCHI_25JAN21);
    expect(completed[2]).toEqual({ ticker: 'KXHIGHCHI-25JAN21-B2.5', strikeType: 'between', floor: 2, cap: 3 });
    const ladder = buildLadder(completed);
    expect(winningBracket(ladder, 2).ticker).toBe('KXHIGHCHI-25JAN21-B2.5');
    expect(winningBracket(ladder, -1).ticker).toBe('KXHIGHCHI-25JAN21-T0');
  });

  it('inferMissingBracket recovers a missing low tail (settled at 61)', () => {
    const completed = inferMissingBracket(KXHIGHAUS_25JAN17);
    expect(completed[0]).toEqual({ ticker: 'KXHIGHAUS-25JAN17-T63', strikeType: 'less', cap: 63 });
    expect(winningBracket(buildLadder(completed), 61).ticker).toBe('KXHIGHAUS-25JAN17-T63');
  });

  it('inferMissingBracket recovers a missing high tail', () => {
    const markets = HIGHCHI_24AUG16.map((m, i) => (i === 5 ? { ticker: m.ticker } : m));
    expect(inferMissingBracket(markets)[5]).toEqual({ ticker: 'HIGHCHI-24AUG16-T89', strikeType: 'greater', floor: 89 });
  });

  it('inferMissingBracket refuses what it cannot infer', () => {
    expect(() => inferMissingBracket(HIGHCHI_24AUG16)).toThrow('can infer exactly one market without strikes, found 0');
    const two = KXHIGHCHI_25JAN21.map((m, i) => (i === 3 ? { ticker: m.ticker } : m));
    expect(() => inferMissingBracket(two)).toThrow('found 2');
    const extra = [...HIGHCHI_24AUG16, { ticker: 'EXTRA' }];
    expect(() => inferMissingBracket(extra)).toThrow('the other markets leave no hole');
    // Two holes: one gets filled, the other still fails the partition check.
    const gappy = KXHIGHCHI_25JAN21.filter((_, i) => i !== 4);
    expect(() => inferMissingBracket(gappy)).toThrow(LadderError);
    expect(() => inferMissingBracket([{ ticker: 'only' }])).toThrow('no other market has strikes');
  });
});
