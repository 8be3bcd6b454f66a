import { describe, expect, it } from 'vitest';
import { InvalidMoneyError, InvalidSettlementError } from './errors';
import { takerFee } from './fees';
import { centsToMicros, countFromInt, parseCountFp, parseDollars } from './money';
import {
  payoutPerContract,
  settlementFromMarket,
  settlementPayout,
  settlementPnl,
  type Settlement,
} from './pnl';

const c = (cents: number) => centsToMicros(cents);
const n = (contracts: number) => countFromInt(contracts);
const YES: Settlement = { result: 'yes' };
const NO: Settlement = { result: 'no' };
const scalar = (dollars: string): Settlement => ({ result: 'scalar', value: parseDollars(dollars) });

describe('payoutPerContract', () => {
  it.each([
    ['yes', YES, 1_000_000],
    ['no', YES, 0],
    ['yes', NO, 0],
    ['no', NO, 1_000_000],
    ['yes', scalar('0.35'), 350_000],
    ['no', scalar('0.35'), 650_000],
    ['yes', scalar('0'), 0],
    ['no', scalar('1'), 0],
  ] as const)('%s on %j pays %d', (side, settlement, micros) => {
    expect(payoutPerContract(side, settlement)).toBe(micros);
  });

  it('rejects scalar values outside $0..$1 and unknown results', () => {
    expect(() => payoutPerContract('yes', { result: 'scalar', value: 1_000_001 })).toThrow(InvalidSettlementError);
    expect(() => payoutPerContract('yes', { result: 'scalar', value: 1_000_001 })).toThrow(/settlement\.value 1000001/);
    expect(() => payoutPerContract('yes', { result: 'void' } as unknown as Settlement)).toThrow(/invalid settlement\.result "void"/);
  });
});

describe('settlementPayout', () => {
  it.each([
    ['yes', n(10), YES, 10_000_000],
    ['no', n(10), YES, 0],
    ['no', n(10), NO, 10_000_000],
    ['yes', n(10), scalar('0.35'), 3_500_000],
    ['no', n(10), scalar('0.35'), 6_500_000],
    ['yes', parseCountFp('0.01'), YES, 10_000], // one hundredth of a contract pays one cent
    ['yes', parseCountFp('2.50'), YES, 2_500_000],
    ['no', parseCountFp('3.33'), scalar('0.3500'), 2_164_500],
    ['yes', 0, YES, 0],
  ] as const)('%s x %d on %j -> %d micros', (side, count, settlement, micros) => {
    expect(settlementPayout({ side, count }, settlement)).toBe(micros);
  });

  it('rejects bad positions, naming the field', () => {
    expect(() => settlementPayout({ side: 'maybe' as 'yes', count: 100 }, YES)).toThrow(/invalid position\.side "maybe"/);
    expect(() => settlementPayout({ side: 'yes', count: -100 }, YES)).toThrow(/invalid position\.count -100/);
    expect(() => settlementPayout({ side: 'yes', count: 1.5 }, YES)).toThrow(/invalid position\.count 1\.5/);
  });

  it('throws rather than rounds a payout finer than a micro-dollar', () => {
    // 0.01 contract x $0.123457 = $0.00123457
    expect(() => settlementPayout({ side: 'yes', count: 1 }, { result: 'scalar', value: 123_457 })).toThrow(InvalidMoneyError);
  });
});

describe('settlementPnl', () => {
  it.each([
    // side, price¢, contracts, fees¢, settlement, pnl micros
    ['yes', 30, 66, 98, YES, 66 * 700_000 - 980_000], // win: (1 - 0.30) x 66 - 0.98 = 45.22
    ['yes', 30, 66, 98, NO, -66 * 300_000 - 980_000], // loss: -19.80 - 0.98
    ['no', 70, 10, 15, NO, 10 * 300_000 - 150_000],
    ['no', 70, 10, 15, YES, -10 * 700_000 - 150_000],
    ['yes', 40, 10, 0, scalar('0.35'), 10 * (350_000 - 400_000)], // scalar below cost
    ['no', 60, 10, 0, scalar('0.35'), 10 * (650_000 - 600_000)], // NO side receives 1 - 0.35
    ['yes', 99, 1, 1, YES, 10_000 - 10_000],
    ['yes', 1, 100, 7, NO, -1_000_000 - 70_000],
  ] as const)('%s @ %d¢ x %d, fees %d¢, %j -> %d', (side, p, contracts, fees, settlement, pnl) => {
    expect(settlementPnl({ side, price: c(p), count: n(contracts), fees: c(fees) }, settlement)).toBe(pnl);
  });

  it('fees default to zero', () => {
    expect(settlementPnl({ side: 'yes', price: c(42), count: n(1) }, YES)).toBe(580_000);
  });

  it('fractional counts', () => {
    // 2.50 YES @ 40¢, fee 1¢, wins: 2.5 x 0.60 - 0.01 = 1.49
    expect(settlementPnl({ side: 'yes', price: c(40), count: parseCountFp('2.50'), fees: c(1) }, YES)).toBe(1_490_000);
    // 0.33 NO @ 55¢ loses: -0.1815
    expect(settlementPnl({ side: 'no', price: c(55), count: parseCountFp('0.33') }, YES)).toBe(-181_500);
  });

  it('a YES and a NO of the same size at complementary prices sum to minus the fees', () => {
    for (const settlement of [YES, NO, scalar('0.35'), scalar('0.5000')]) {
      for (let p = 1; p < 100; p += 7) {
        const feeY = takerFee({ feeType: 'quadratic', feeMultiplier: 1 }, c(p), n(10));
        const feeN = takerFee({ feeType: 'quadratic', feeMultiplier: 1 }, c(100 - p), n(10));
        const y = settlementPnl({ side: 'yes', price: c(p), count: n(10), fees: feeY }, settlement);
        const no = settlementPnl({ side: 'no', price: c(100 - p), count: n(10), fees: feeN }, settlement);
        expect(y + no).toBe(-(feeY + feeN));
      }
    }
  });

  it('with the taker fee from fees.ts (66 @ 30¢ wins)', () => {
    const fees = takerFee({ feeType: 'quadratic', feeMultiplier: 1 }, c(30), n(66));
    expect(fees).toBe(980_000);
    expect(settlementPnl({ side: 'yes', price: c(30), count: n(66), fees }, YES)).toBe(45_220_000);
  });

  it('rejects bad inputs, naming the field', () => {
    expect(() => settlementPnl({ side: 'yes', price: c(101), count: n(1) }, YES)).toThrow(/invalid position\.price 1010000/);
    expect(() => settlementPnl({ side: 'yes', price: 0.5, count: n(1) }, YES)).toThrow(/invalid position\.price 0\.5/);
    expect(() => settlementPnl({ side: 'yes', price: c(50), count: n(1), fees: -1 }, YES)).toThrow(/invalid position\.fees -1/);
  });
});

describe('settlementFromMarket', () => {
  it.each([
    // dollars-only era (tmer234 fixture)
    [{ result: 'no', settlement_value_dollars: '0.0000' }, NO],
    [{ result: 'yes', settlement_value_dollars: '1.0000' }, YES],
    // dual era (orestiskait): both present
    [{ result: 'no', settlement_value: 0, settlement_value_dollars: '0.0000' }, NO],
    // cents era (cpratim 2025): integer cents
    [{ result: 'yes', settlement_value: 100 }, YES],
    // cpratim 2024: no settlement value at all
    [{ result: 'yes', settlement_value: null }, YES],
    [{ result: 'scalar', settlement_value_dollars: '0.3500' }, scalar('0.35')],
    [{ result: 'scalar', settlement_value: 35 }, scalar('0.35')],
  ])('%j', (market, settlement) => {
    expect(settlementFromMarket(market)).toEqual(settlement);
  });

  it.each([
    [{ ticker: 'T', result: '' }, 'market "T": result "" is not one of "yes", "no", "scalar" (an empty result means not yet determined)'],
    [{ ticker: 'T', result: null }, 'market "T": result null is not one of'],
    [{ ticker: 'T', result: 'yes', settlement_value_dollars: '0.0000' }, 'market "T": result "yes" but settlement value is 0 micro-dollars'],
    [{ ticker: 'T', result: 'no', settlement_value: 100 }, 'market "T": result "no" but settlement value is 1000000 micro-dollars'],
    [{ ticker: 'T', result: 'scalar' }, 'market "T": result "scalar" needs settlement_value_dollars or settlement_value'],
    [{ result: 'scalar', settlement_value_dollars: '1.2000' }, 'invalid settlement_value_dollars "1.2000"'],
  ])('rejects %j', (market, message) => {
    expect(() => settlementFromMarket(market)).toThrow(message);
  });
});
