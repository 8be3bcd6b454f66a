import { describe, expect, it } from 'vitest';
import { checkLadder, type LadderMarket } from './ladder';

const E = 'KXHIGHPHIL-25JAN20';
const less = (cap: number, result = 'no'): LadderMarket => ({ ticker: `${E}-T${cap}`, strikeType: 'less', floorStrike: null, capStrike: cap, result });
const between = (floor: number, result = 'no'): LadderMarket => ({ ticker: `${E}-B${floor + 0.5}`, strikeType: 'between', floorStrike: floor, capStrike: floor + 1, result });
const greater = (floor: number, result = 'no'): LadderMarket => ({ ticker: `${E}-T${floor}`, strikeType: 'greater', floorStrike: floor, capStrike: null, result });
/** ..29 | 30-31 | 32-33 | 34-35 | 36-37 | 38.. */
const six = (winner = 2): LadderMarket[] =>
  [less(30), between(30), between(32), between(34), between(36), greater(37)].map((m, i) => ({ ...m, result: i === winner ? 'yes' : 'no' }));

describe('checkLadder', () => {
  it('accepts six contiguous brackets with exactly one winner', () => {
    expect(checkLadder(E, six())).toEqual({ eventTicker: E, complete: true, settled: true, problems: [] });
  });

  it('accepts an unsettled ladder and a scalar result', () => {
    expect(checkLadder(E, six().map((m) => ({ ...m, result: '' })))).toMatchObject({ complete: true, settled: false });
    expect(checkLadder(E, six().map((m, i) => ({ ...m, result: i === 0 ? 'scalar' : '' })))).toMatchObject({ complete: true });
  });

  it('flags a five-bracket day without a winner (the 2025-01-16..02-09 CSV rows)', () => {
    const five = six(-1).filter((_, i) => i !== 3);
    expect(checkLadder(E, five)).toEqual({
      eventTicker: E,
      complete: false,
      settled: true,
      problems: [
        '5 market(s), expected 6',
        `ladder has a gap: 34..35 is covered by no market (between "${E}-B32.5" and "${E}-B36.5")`,
        'settled without a market settling YES',
      ],
    });
  });

  it('flags missing strikes, extra brackets, overlaps and two winners', () => {
    const noStrikes = six().map((m, i) => (i === 2 ? { ...m, strikeType: null, floorStrike: null, capStrike: null } : m));
    expect(checkLadder(E, noStrikes).problems).toEqual([`market ${E}-B32.5 has no strikes`]);
    const eight = [...six(), between(38), greater(39)].filter((m) => m.ticker !== `${E}-T37` || m.strikeType !== 'greater');
    expect(checkLadder(E, eight).problems[0]).toBe('7 market(s), expected 6');
    const overlap = six().map((m, i) => (i === 3 ? { ...m, floorStrike: 33 } : m));
    expect(checkLadder(E, overlap).problems).toEqual([expect.stringMatching(/^ladder has an overlap: 33\.\.33/)]);
    expect(checkLadder(E, six().map((m, i) => ({ ...m, result: i < 2 ? 'yes' : 'no' }))).problems).toEqual(['2 markets settled YES']);
    expect(checkLadder(E, []).problems).toEqual(['0 market(s), expected 6']);
  });
});
