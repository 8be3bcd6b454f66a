import { describe, expect, it } from 'vitest';
import { InvalidMoneyError, UnsupportedFeeTypeError } from './errors';
import {
  FeeScheduleSchema,
  feeScheduleFromApi,
  isFeeWaived,
  makerFee,
  takerFee,
  tradeFee,
  type FeeSchedule,
} from './fees';
import { centsToMicros, countFromInt, parseCountFp } from './money';

const QUAD: FeeSchedule = { feeType: 'quadratic', feeMultiplier: 1 };
const QUAD_MAKER: FeeSchedule = { feeType: 'quadratic_with_maker_fees', feeMultiplier: 1 };
const WAIVED: FeeSchedule = { feeType: 'quadratic', feeMultiplier: 0 };

const c = (cents: number) => centsToMicros(cents);
const n = (contracts: number) => countFromInt(contracts);

/** Reference: fee_cents = ceil(k * C * p * (100 - p) / 10000) for whole contracts and cents, k = 7 (taker) or 1.75 (maker). */
function refCents(k4: number, contracts: number, p: number): number {
  // k4 = 4k keeps the maker case integral: 28 for taker, 7 for maker.
  const num = k4 * contracts * p * (100 - p);
  const den = 4 * 10000;
  return Math.ceil(num / den);
}

describe('takerFee: worked examples (kalshi-api.md §9)', () => {
  it.each([
    [66, 30, 98], // 0.9702 -> $0.98
    [1, 5, 1], // 0.003325 -> $0.01
    [100, 50, 175], // exactly $1.75
    [10, 50, 18], // 0.175 -> $0.18: rounding is on the whole order, not per contract
    [1, 50, 2], // 0.0175 -> $0.02
    [1, 1, 1], // 0.000693 -> $0.01
    [1, 99, 1],
    [1000, 50, 1750],
    [0, 50, 0],
    [100, 0, 0],
    [100, 100, 0],
  ])('%d contracts @ %d¢ -> %d¢', (contracts, p, cents) => {
    expect(takerFee(QUAD, c(p), n(contracts))).toBe(c(cents));
  });

  it('10 single-contract fills at 50¢ cost more than one 10-lot', () => {
    const tenFills = 10 * takerFee(QUAD, c(50), n(1));
    expect(tenFills).toBe(c(20));
    expect(takerFee(QUAD, c(50), n(10))).toBe(c(18));
  });

  it('agrees with the integer-cent formula for every price and a range of sizes', () => {
    for (let p = 0; p <= 100; p++) {
      for (const contracts of [1, 2, 3, 7, 10, 25, 66, 100, 333, 1000]) {
        expect(takerFee(QUAD, c(p), n(contracts)), `${contracts}@${p}`).toBe(c(refCents(28, contracts, p)));
      }
    }
  });

  it('is symmetric in P and 1 - P', () => {
    for (let p = 0; p <= 100; p++) {
      for (const count of [1, 50, 100, 1234, 6600]) {
        expect(takerFee(QUAD, c(p), count)).toBe(takerFee(QUAD, c(100 - p), count));
        expect(makerFee(QUAD_MAKER, c(p), count)).toBe(makerFee(QUAD_MAKER, c(100 - p), count));
      }
    }
  });

  it('handles fractional counts (centi-contracts)', () => {
    // 0.5 contract @ 50c: 0.07 * 0.5 * 0.25 = 0.00875 -> $0.01
    expect(takerFee(QUAD, c(50), parseCountFp('0.50'))).toBe(c(1));
    // 10.5 @ 30c: 0.07 * 10.5 * 0.21 = 0.15435 -> $0.16
    expect(takerFee(QUAD, c(30), parseCountFp('10.50'))).toBe(c(16));
  });

  it('handles sub-cent prices exactly', () => {
    // 100 @ $0.4250: 0.07 * 100 * 0.425 * 0.575 = 1.7106... -> $1.72
    expect(takerFee(QUAD, 425_000, n(100))).toBe(c(172));
  });

  it('always returns whole cents and never less than the exact amount', () => {
    for (let p = 1; p < 100; p += 7) {
      for (let count = 1; count <= 2000; count += 97) {
        const fee = takerFee(QUAD, c(p), count);
        expect(fee % 10_000).toBe(0);
        const exactMicros = (0.07 * (count / 100) * (p / 100) * (1 - p / 100)) * 1e6;
        expect(fee).toBeGreaterThanOrEqual(exactMicros - 1e-6);
        expect(fee - exactMicros).toBeLessThan(10_000);
      }
    }
  });
});

describe('makerFee', () => {
  it.each([
    [100, 50, 44], // 0.4375 -> $0.44
    [10, 50, 5], // 0.04375 -> $0.05
    [1, 50, 1], // 0.004375 -> $0.01
    [66, 30, 25], // 0.24255 -> $0.25
    [400, 50, 175], // exactly $1.75
    [0, 50, 0],
    [100, 0, 0],
  ])('quadratic_with_maker_fees: %d @ %d¢ -> %d¢', (contracts, p, cents) => {
    expect(makerFee(QUAD_MAKER, c(p), n(contracts))).toBe(c(cents));
    expect(tradeFee(QUAD_MAKER, 'maker', c(p), n(contracts))).toBe(c(cents));
  });

  it('agrees with the integer formula at every price', () => {
    for (let p = 0; p <= 100; p++) {
      for (const contracts of [1, 4, 10, 66, 100, 1000]) {
        expect(makerFee(QUAD_MAKER, c(p), n(contracts))).toBe(c(refCents(7, contracts, p)));
      }
    }
  });

  it('is zero on plain quadratic series (weather)', () => {
    expect(makerFee(QUAD, c(50), n(100))).toBe(0);
  });

  it('takers pay the same on both quadratic types', () => {
    expect(takerFee(QUAD_MAKER, c(30), n(66))).toBe(c(98));
  });
});

describe('fee multiplier (unverified: assumed to scale the coefficient)', () => {
  it.each([
    [0.5, 100, 50, 88], // 0.875 -> $0.88
    [2, 100, 50, 350],
    [1.25, 10, 50, 22], // 0.21875 -> $0.22
    [0.000001, 1, 50, 1],
  ])('x%d: %d @ %d¢ -> %d¢', (mult, contracts, p, cents) => {
    expect(takerFee({ feeType: 'quadratic', feeMultiplier: mult }, c(p), n(contracts))).toBe(c(cents));
  });

  it('multiplier 0 waives taker and maker fees', () => {
    expect(isFeeWaived(WAIVED)).toBe(true);
    expect(isFeeWaived(QUAD)).toBe(false);
    expect(takerFee(WAIVED, c(50), n(100))).toBe(0);
    expect(makerFee({ feeType: 'quadratic_with_maker_fees', feeMultiplier: 0 }, c(50), n(100))).toBe(0);
  });

  it('rejects multipliers it cannot read exactly', () => {
    expect(() => takerFee({ feeType: 'quadratic', feeMultiplier: 1e-7 }, c(50), n(1))).toThrow('invalid feeMultiplier 1e-7');
    expect(() => takerFee({ feeType: 'quadratic', feeMultiplier: 0.1234567 }, c(50), n(1))).toThrow(InvalidMoneyError);
    expect(() => takerFee({ feeType: 'quadratic', feeMultiplier: -1 }, c(50), n(1))).toThrow(/fee schedule\.feeMultiplier -1/);
  });
});

describe('unsupported fee types', () => {
  it.each(['flat', 'quadratic_with_combo_maker_fees'] as const)('%s throws instead of guessing', (feeType) => {
    expect(() => takerFee({ feeType, feeMultiplier: 1 }, c(50), n(10))).toThrow(UnsupportedFeeTypeError);
    expect(() => takerFee({ feeType, feeMultiplier: 1 }, c(50), n(10))).toThrow(`fee_type "${feeType}" is not modelled`);
  });

  it('an unknown fee type fails schema validation, naming the field', () => {
    expect(() => takerFee({ feeType: 'fee_free' as 'flat', feeMultiplier: 1 }, c(50), n(10))).toThrow(
      /invalid fee schedule\.feeType "fee_free"/,
    );
  });
});

describe('input validation', () => {
  it('rejects bad prices, counts and roles', () => {
    expect(() => takerFee(QUAD, c(101), n(1))).toThrow('invalid price 1010000');
    expect(() => takerFee(QUAD, -1, n(1))).toThrow(InvalidMoneyError);
    expect(() => takerFee(QUAD, c(50), 1.5)).toThrow('invalid count 1.5');
    expect(() => takerFee(QUAD, c(50), -100)).toThrow('invalid count -100');
    expect(() => tradeFee(QUAD, 'both' as 'maker', c(50), 100)).toThrow('invalid fee role "both"');
  });
});

describe('FeeScheduleSchema / feeScheduleFromApi', () => {
  it('reads the series fields (recorded KXHIGHLAX series: quadratic x1)', () => {
    expect(feeScheduleFromApi({ fee_type: 'quadratic', fee_multiplier: 1 })).toEqual(QUAD);
  });

  it('applies event overrides when present', () => {
    expect(
      feeScheduleFromApi({ fee_type: 'quadratic', fee_multiplier: 1 }, { fee_type_override: 'quadratic_with_maker_fees', fee_multiplier_override: 0.5 }),
    ).toEqual({ feeType: 'quadratic_with_maker_fees', feeMultiplier: 0.5 });
    expect(feeScheduleFromApi({ fee_type: 'quadratic', fee_multiplier: 1 }, { fee_type_override: null, fee_multiplier_override: 0 })).toEqual(WAIVED);
  });

  it('rejects unknown types with the field and value named', () => {
    expect(() => feeScheduleFromApi({ fee_type: 'percentage', fee_multiplier: 1 })).toThrow(/invalid fee schedule\.feeType "percentage"/);
    expect(() => feeScheduleFromApi({ fee_type: 'quadratic', fee_multiplier: Number.NaN })).toThrow(/invalid fee schedule\.feeMultiplier NaN/);
  });

  it('schema parses all four API fee types', () => {
    for (const t of ['quadratic', 'quadratic_with_maker_fees', 'quadratic_with_combo_maker_fees', 'flat']) {
      expect(FeeScheduleSchema.parse({ feeType: t, feeMultiplier: 1 }).feeType).toBe(t);
    }
  });
});
