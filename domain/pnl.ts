import { z } from 'zod';
import { InvalidSettlementError, describeValue, parseWith } from './errors';
import {
  CentiContractsSchema,
  MICROS_PER_DOLLAR,
  MicrosSchema,
  PriceMicrosSchema,
  normalizePrice,
  notionalMicros,
  type Micros,
} from './money';

/*
 * Settlement P&L of a bought position (kalshi-api.md §10): YES pays $1 per contract on
 * "yes", NO pays $1 on "no"; a "scalar" result pays YES the settlement value v per contract
 * and NO 1 - v. Settlement carries no fee; `fees` are the trading fees already paid.
 */

export const SideSchema = z.enum(['yes', 'no']);
export type Side = z.infer<typeof SideSchema>;

export const PositionSchema = z.object({
  side: SideSchema,
  /** Price paid per contract for the side held, in micro-dollars. */
  price: PriceMicrosSchema,
  count: CentiContractsSchema.min(0),
  /** Trading fees paid to open the position, in micro-dollars. */
  fees: MicrosSchema.min(0).default(0),
});
export type Position = z.infer<typeof PositionSchema>;
export type PositionInput = z.input<typeof PositionSchema>;

export const SettlementSchema = z.discriminatedUnion('result', [
  z.object({ result: z.literal('yes') }),
  z.object({ result: z.literal('no') }),
  /** `value` is the YES payout per contract in micro-dollars (0..$1). */
  z.object({ result: z.literal('scalar'), value: PriceMicrosSchema }),
]);
export type Settlement = z.infer<typeof SettlementSchema>;

/** What one contract of `side` pays at settlement, in micro-dollars. */
export function payoutPerContract(side: Side, settlement: Settlement): Micros {
  const s = parseWith(SettlementSchema, settlement, 'settlement', InvalidSettlementError);
  const yesValue = s.result === 'yes' ? MICROS_PER_DOLLAR : s.result === 'no' ? 0 : s.value;
  return side === 'yes' ? yesValue : MICROS_PER_DOLLAR - yesValue;
}

export function settlementPayout(position: Pick<PositionInput, 'side' | 'count'>, settlement: Settlement): Micros {
  const side = parseWith(SideSchema, position.side, 'position.side', InvalidSettlementError);
  const count = parseWith(PositionSchema.shape.count, position.count, 'position.count', InvalidSettlementError);
  return notionalMicros(payoutPerContract(side, settlement), count, 'settlement payout');
}

/** Payout minus cost minus fees, in micro-dollars. */
export function settlementPnl(position: PositionInput, settlement: Settlement): Micros {
  const p = parseWith(PositionSchema, position, 'position', InvalidSettlementError);
  const cost = notionalMicros(p.price, p.count, 'position cost');
  return settlementPayout(p, settlement) - cost - p.fees;
}

/** The Kalshi market fields that say how it settled; either era's settlement value field. */
export interface MarketSettlementFields {
  ticker?: string;
  result: string | null | undefined;
  settlement_value_dollars?: string | null | undefined;
  settlement_value?: number | null | undefined;
}

/**
 * Reads a determined market's result. A yes/no result is cross-checked against the
 * settlement value when one is present, since a mismatch means the payload is not what we
 * think it is.
 */
export function settlementFromMarket(market: MarketSettlementFields): Settlement {
  const name = market.ticker ? `market ${describeValue(market.ticker)}` : 'market';
  const hasValue = market.settlement_value_dollars != null || market.settlement_value != null;
  const value = hasValue
    ? normalizePrice({ dollars: market.settlement_value_dollars, cents: market.settlement_value }, 'settlement_value')
    : undefined;
  switch (market.result) {
    case 'yes':
    case 'no': {
      const expected = market.result === 'yes' ? MICROS_PER_DOLLAR : 0;
      if (value !== undefined && value !== expected) {
        throw new InvalidSettlementError(
          `${name}: result ${describeValue(market.result)} but settlement value is ${value} micro-dollars`,
        );
      }
      return { result: market.result };
    }
    case 'scalar':
      if (value === undefined) {
        throw new InvalidSettlementError(`${name}: result "scalar" needs settlement_value_dollars or settlement_value`);
      }
      return { result: 'scalar', value };
    default:
      throw new InvalidSettlementError(
        `${name}: result ${describeValue(market.result)} is not one of "yes", "no", "scalar" (an empty result means not yet determined)`,
      );
  }
}
