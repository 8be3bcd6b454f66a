import { z } from 'zod';
import { InvalidMoneyError, UnsupportedFeeTypeError, describeValue, parseWith } from './errors';
import {
  MICROS_PER_CENT,
  MICROS_PER_DOLLAR,
  assertCentiContracts,
  assertPriceMicros,
  type CentiContracts,
  type Micros,
} from './money';

/*
 * Kalshi trading fees (kalshi-api.md §9, formulas verified second-hand only):
 *   taker: ceil_to_cent(0.07   x C x P x (1 - P))
 *   maker: ceil_to_cent(0.0175 x C x P x (1 - P)), only on `quadratic_with_maker_fees` series
 * C is the whole order or fill, not one contract: 10 @ $0.50 is $0.175 -> $0.18, not 10 x $0.02.
 * Settlement itself is free. Prefer the fee Kalshi reports on a fill for live P&L; this is
 * for backtests, sizing and checks.
 */

export const FEE_TYPES = ['quadratic', 'quadratic_with_maker_fees', 'quadratic_with_combo_maker_fees', 'flat'] as const;
export const FeeTypeSchema = z.enum(FEE_TYPES);
export type FeeType = z.infer<typeof FeeTypeSchema>;

export const FeeScheduleSchema = z.object({
  feeType: FeeTypeSchema,
  /**
   * Scales the coefficient (0.5 halves the fee, 0 waives it). **Unverified**: Kalshi does not
   * document how fee_multiplier enters the formula; multiplying the coefficient is the
   * reading third parties use. Weather series observed at 1.
   */
  feeMultiplier: z.number().finite().nonnegative(),
});
export type FeeSchedule = z.infer<typeof FeeScheduleSchema>;

export type FeeRole = 'taker' | 'maker';

/** The series fields as the API names them, plus an event's optional overrides. */
export interface SeriesFeeFields {
  fee_type: string;
  fee_multiplier: number;
}
export interface EventFeeOverrides {
  fee_type_override?: string | null | undefined;
  fee_multiplier_override?: number | null | undefined;
}

export function feeScheduleFromApi(series: SeriesFeeFields, event?: EventFeeOverrides): FeeSchedule {
  return parseWith(
    FeeScheduleSchema,
    {
      feeType: event?.fee_type_override ?? series.fee_type,
      feeMultiplier: event?.fee_multiplier_override ?? series.fee_multiplier,
    },
    'fee schedule',
  );
}

// Coefficients as exact fractions: 0.07 = 7/100, 0.0175 = 175/10000.
const TAKER = { num: 7n, den: 100n } as const;
const MAKER = { num: 175n, den: 10_000n } as const;

const MULT_RE = /^(\d+)(?:\.(\d{1,6}))?$/;

// The multiplier arrives as a JSON double; its shortest decimal text (String(0.5) = "0.5")
// is what the API wrote, so read that text exactly as millionths.
function multiplierMillionths(multiplier: number): bigint {
  const text = String(multiplier);
  const m = MULT_RE.exec(text);
  if (!Number.isFinite(multiplier) || multiplier < 0 || !m) {
    throw new InvalidMoneyError(`invalid feeMultiplier ${describeValue(multiplier)}: expected a non-negative decimal with at most 6 places`);
  }
  return BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

export function isFeeWaived(schedule: FeeSchedule): boolean {
  return schedule.feeMultiplier === 0;
}

/**
 * Fee for one order or fill, in micro-dollars, always a whole number of cents.
 * `price` is the price actually paid per contract for the side traded (YES or NO); the
 * formula is symmetric in P and 1 - P, so the side does not matter.
 */
export function tradeFee(schedule: FeeSchedule, role: FeeRole, price: Micros, count: CentiContracts): Micros {
  const s = parseWith(FeeScheduleSchema, schedule, 'fee schedule');
  assertPriceMicros(price, 'price');
  assertCentiContracts(count, 'count');
  if (count < 0) throw new InvalidMoneyError(`invalid count ${count}: a fee is charged on a non-negative count`);
  if (role !== 'taker' && role !== 'maker') {
    throw new InvalidMoneyError(`invalid fee role ${describeValue(role)}: expected "taker" or "maker"`);
  }

  if (s.feeType === 'flat' || s.feeType === 'quadratic_with_combo_maker_fees') {
    // Guessing zero here would quietly overstate profits; no weather series uses these.
    throw new UnsupportedFeeTypeError(`fee_type ${describeValue(s.feeType)} is not modelled: only quadratic and quadratic_with_maker_fees are`);
  }
  const mult = multiplierMillionths(s.feeMultiplier);
  if (mult === 0n || count === 0) return 0;
  if (role === 'maker' && s.feeType !== 'quadratic_with_maker_fees') return 0;
  const coef = role === 'taker' ? TAKER : MAKER;

  // fee in cents = coef x (count/100) x (p/1e6) x ((1e6-p)/1e6) x (mult/1e6) x 100
  const p = BigInt(price);
  const numerator = coef.num * BigInt(count) * p * (BigInt(MICROS_PER_DOLLAR) - p) * mult;
  const denominator = coef.den * 10n ** 18n;
  const micros = ((numerator + denominator - 1n) / denominator) * BigInt(MICROS_PER_CENT);
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidMoneyError(`fee for ${count} centi-contracts at ${price} micro-dollars is too large to hold exactly`);
  }
  return Number(micros);
}

export function takerFee(schedule: FeeSchedule, price: Micros, count: CentiContracts): Micros {
  return tradeFee(schedule, 'taker', price, count);
}

export function makerFee(schedule: FeeSchedule, price: Micros, count: CentiContracts): Micros {
  return tradeFee(schedule, 'maker', price, count);
}
