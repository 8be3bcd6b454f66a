import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidCountError, InvalidMoneyError } from './errors';
import {
  MICROS_PER_CENT,
  assertMicros,
  assertPriceMicros,
  centsToMicros,
  countFromInt,
  formatCountFp,
  microsToCents,
  microsToDollarString,
  normalizeCount,
  normalizeMoney,
  normalizePrice,
  notionalMicros,
  parseCountFp,
  parseDollars,
  parsePriceDollars,
  zCents,
  zCountFp,
  zCountInt,
  zDollars,
  zPriceDollars,
} from './money';

describe('parseDollars', () => {
  it.each([
    ['0.4200', 420_000],
    ['0.42', 420_000],
    ['0.0100', 10_000],
    ['1.0000', 1_000_000],
    ['0.0000', 0],
    ['0', 0],
    ['1', 1_000_000],
    ['0.000001', 1],
    ['0.123456', 123_456],
    ['0.2900', 290_000], // 0.29 * 100 is 28.999999999999996 as a float
    ['0.5700', 570_000],
    ['12345.678901', 12_345_678_901],
    ['-0.0100', -10_000],
    ['-1443.3300', -1_443_330_000],
    ['-0.0000', 0],
    ['007.5', 7_500_000],
  ])('%j -> %d', (text, micros) => {
    expect(Object.is(parseDollars(text), micros)).toBe(true);
  });

  it.each([
    ['0.1234567', '7 decimals, at most 6 are allowed'],
    ['', 'expected a decimal string'],
    ['abc', 'expected a decimal string'],
    ['.42', 'expected a decimal string'],
    ['0.', 'expected a decimal string'],
    ['+0.42', 'expected a decimal string'],
    [' 0.42', 'expected a decimal string'],
    ['0.42 ', 'expected a decimal string'],
    ['1e-2', 'expected a decimal string'],
    ['0,42', 'expected a decimal string'],
    ['$0.42', 'expected a decimal string'],
    ['NaN', 'expected a decimal string'],
    ['99999999999.000000', 'is too large to hold exactly'],
  ])('rejects %j', (text, why) => {
    expect(() => parseDollars(text, 'yes_bid_dollars')).toThrow(InvalidMoneyError);
    expect(() => parseDollars(text, 'yes_bid_dollars')).toThrow(`yes_bid_dollars ${JSON.stringify(text)}`);
    expect(() => parseDollars(text, 'yes_bid_dollars')).toThrow(why);
  });

  it('rejects non-strings, naming the field', () => {
    expect(() => parseDollars(0.42 as unknown as string, 'price_dollars')).toThrow(
      'invalid price_dollars 0.42: expected a decimal string such as "0.4200"',
    );
    expect(() => parseDollars(null as unknown as string)).toThrow('invalid dollars null');
  });

  it('agrees with centsToMicros for every whole-cent price', () => {
    for (let c = 0; c <= 100; c++) {
      const text = `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}00`;
      expect(parseDollars(text)).toBe(centsToMicros(c));
    }
  });
});

describe('parsePriceDollars / assertPriceMicros', () => {
  it('accepts 0..1', () => {
    expect(parsePriceDollars('0.0000')).toBe(0);
    expect(parsePriceDollars('1.0000')).toBe(1_000_000);
    expect(parsePriceDollars('0.5500')).toBe(550_000);
  });
  it.each(['1.0001', '-0.0100', '2'])('rejects %j as a price', (text) => {
    expect(() => parsePriceDollars(text, 'yes_ask_dollars')).toThrow(`invalid yes_ask_dollars ${JSON.stringify(text)}: a price must be between $0 and $1`);
  });
  it('assertPriceMicros names the field', () => {
    expect(() => assertPriceMicros(1.5, 'limit')).toThrow('invalid limit 1.5: expected integer micro-dollars');
    expect(() => assertPriceMicros(1_000_001, 'limit')).toThrow('invalid limit 1000001');
  });
});

describe('cents <-> micros', () => {
  it.each([
    [0, 0],
    [1, 10_000],
    [42, 420_000],
    [99, 990_000],
    [100, 1_000_000],
    [-1443330, -14_433_300_000],
  ])('centsToMicros(%d) = %d and back', (cents, micros) => {
    expect(centsToMicros(cents)).toBe(micros);
    expect(microsToCents(micros)).toBe(cents);
  });

  it.each([42.5, Number.NaN, Infinity, 2 ** 53])('centsToMicros rejects %d', (c) => {
    expect(() => centsToMicros(c, 'yes_bid')).toThrow(InvalidMoneyError);
    expect(() => centsToMicros(c, 'yes_bid')).toThrow(/^invalid yes_bid /);
  });

  it('centsToMicros refuses overflow', () => {
    expect(() => centsToMicros(Number.MAX_SAFE_INTEGER, 'x')).toThrow('too large');
  });

  it('microsToCents refuses sub-cent amounts instead of rounding', () => {
    expect(() => microsToCents(420_001, 'fee')).toThrow('invalid fee 420001: 420001 micro-dollars is not a whole number of cents');
    expect(() => microsToCents(1.5)).toThrow('expected integer micro-dollars');
  });

  it('MICROS_PER_CENT is 10_000', () => {
    expect(MICROS_PER_CENT).toBe(10_000);
  });
});

describe('microsToDollarString', () => {
  it.each([
    [420_000, 4, '0.4200'],
    [420_000, 2, '0.42'],
    [420_000, 6, '0.420000'],
    [1_000_000, 4, '1.0000'],
    [0, 4, '0.0000'],
    [-10_000, 4, '-0.0100'],
    [12_345_678_901, 6, '12345.678901'],
    [5_000_000, 0, '5'],
    [1, 6, '0.000001'],
  ])('%d with %d decimals -> %s', (m, d, s) => {
    expect(microsToDollarString(m, d)).toBe(s);
    expect(parseDollars(s)).toBe(m);
  });

  it('defaults to 4 decimals', () => {
    expect(microsToDollarString(420_000)).toBe('0.4200');
  });

  it('refuses to round', () => {
    expect(() => microsToDollarString(123_456)).toThrow('amount 123456 micro-dollars needs more than 4 decimals');
    expect(() => microsToDollarString(1, 5)).toThrow(InvalidMoneyError);
  });

  it('validates its arguments', () => {
    expect(() => microsToDollarString(0.5)).toThrow('expected integer micro-dollars');
    expect(() => microsToDollarString(0, 7)).toThrow('invalid decimals 7');
    expect(() => microsToDollarString(0, 1.5)).toThrow('invalid decimals 1.5');
  });
});

describe('counts', () => {
  it.each([
    ['10.00', 1000],
    ['0.01', 1],
    ['3436.52', 343_652],
    ['35869.00', 3_586_900],
    ['0.00', 0],
    ['10', 1000],
    ['10.5', 1050],
    ['-2.00', -200],
  ])('parseCountFp(%j) = %d', (text, centi) => {
    expect(parseCountFp(text)).toBe(centi);
  });

  it.each([
    ['10.001', '3 decimals, at most 2 are allowed'],
    ['ten', 'expected a decimal string such as "10.00"'],
    ['', 'expected a decimal string'],
    ['1e3', 'expected a decimal string'],
  ])('parseCountFp rejects %j', (text, why) => {
    expect(() => parseCountFp(text, 'volume_fp')).toThrow(InvalidCountError);
    expect(() => parseCountFp(text, 'volume_fp')).toThrow(`invalid volume_fp ${JSON.stringify(text)}: ${why}`);
  });

  it.each([
    [10, 1000],
    [0, 0],
    [1, 100],
    [39750, 3_975_000],
    [-3, -300],
  ])('countFromInt(%d) = %d', (n, centi) => {
    expect(countFromInt(n)).toBe(centi);
  });

  it.each([1.5, Number.NaN])('countFromInt rejects %d', (n) => {
    expect(() => countFromInt(n, 'volume')).toThrow(`invalid volume ${n}: expected an integer number of contracts`);
  });

  it.each([
    [1000, '10.00'],
    [1, '0.01'],
    [343_652, '3436.52'],
    [0, '0.00'],
    [-200, '-2.00'],
    [-5, '-0.05'],
  ])('formatCountFp(%d) = %s and back', (c, s) => {
    expect(formatCountFp(c)).toBe(s);
    expect(parseCountFp(s)).toBe(c);
  });
});

describe('notionalMicros', () => {
  it.each([
    [300_000, 6600, 19_800_000], // 66 @ 30c = $19.80
    [10_000, 100, 10_000],
    [500_000, 1, 5_000], // 0.01 contract @ 50c = half a cent
    [123_456, 100, 123_456],
    [0, 1000, 0],
    [1_000_000, 343_652, 3_436_520_000],
  ])('%d micros x %d centi = %d', (p, c, n) => {
    expect(notionalMicros(p, c)).toBe(n);
  });

  it('refuses a product that is not a whole micro-dollar', () => {
    expect(() => notionalMicros(123_457, 1, 'cost')).toThrow('cost: 123457 micro-dollars x 1 centi-contracts is not a whole micro-dollar');
  });

  it('validates its inputs', () => {
    expect(() => notionalMicros(0.5, 1)).toThrow(InvalidMoneyError);
    expect(() => notionalMicros(1, 0.5)).toThrow(InvalidCountError);
  });
});

describe('normalizePrice / normalizeMoney / normalizeCount (payload eras)', () => {
  it('prefers the dollar string when both are present', () => {
    expect(normalizePrice({ dollars: '0.4250', cents: 42 }, 'yes_bid')).toBe(425_000);
  });
  it('falls back to integer cents (pre-Aug-2025 payloads)', () => {
    expect(normalizePrice({ cents: 42 }, 'yes_bid')).toBe(420_000);
    expect(normalizePrice({ dollars: null, cents: 42 }, 'yes_bid')).toBe(420_000);
  });
  it('uses the dollar string alone (post-Mar-2026 payloads)', () => {
    expect(normalizePrice({ dollars: '0.0100' }, 'last_price')).toBe(10_000);
  });
  it('treats 0 cents as present, not missing', () => {
    expect(normalizePrice({ cents: 0 }, 'yes_bid')).toBe(0);
  });
  it('names the missing field', () => {
    expect(() => normalizePrice({}, 'yes_bid')).toThrow('missing yes_bid: neither yes_bid_dollars nor yes_bid (cents) is present');
  });
  it('names the field that held the bad value', () => {
    expect(() => normalizePrice({ dollars: 'x' }, 'yes_bid')).toThrow('invalid yes_bid_dollars "x"');
    expect(() => normalizePrice({ cents: 4.2 }, 'yes_bid')).toThrow('invalid yes_bid 4.2');
    expect(() => normalizePrice({ dollars: '1.5000' }, 'yes_bid')).toThrow('invalid yes_bid_dollars "1.5000": a price must be between $0 and $1');
    expect(() => normalizePrice({ cents: 101 }, 'yes_bid')).toThrow('invalid yes_bid 101: a price must be between $0 and $1');
  });
  it('normalizeMoney allows negative and large amounts', () => {
    expect(normalizeMoney({ cents: -1443330 }, 'liquidity')).toBe(-14_433_300_000);
    expect(normalizeMoney({ dollars: '250.000000' }, 'balance')).toBe(250_000_000);
  });
  it('counts: _fp first, then integer', () => {
    expect(normalizeCount({ fp: '35869.00', int: 35869 }, 'open_interest')).toBe(3_586_900);
    expect(normalizeCount({ int: 120 }, 'volume')).toBe(12_000);
    expect(normalizeCount({ fp: '0.50' }, 'count')).toBe(50);
    expect(() => normalizeCount({}, 'volume')).toThrow('missing volume: neither volume_fp nor volume (integer) is present');
    expect(() => normalizeCount({ fp: '1.234' }, 'volume')).toThrow('invalid volume_fp "1.234"');
  });
});

describe('assertMicros', () => {
  it('accepts safe integers and normalizes -0', () => {
    expect(assertMicros(5)).toBe(5);
    expect(Object.is(assertMicros(-0), 0)).toBe(true);
  });
  it.each([0.5, Number.NaN, 2 ** 53, '5'])('rejects %j', (v) => {
    expect(() => assertMicros(v, 'pnl')).toThrow(/^invalid pnl .*: expected integer micro-dollars$/);
  });
});

describe('zod helpers', () => {
  const Market = z.object({
    yes_bid_dollars: zPriceDollars,
    liquidity_dollars: zDollars,
    volume_fp: zCountFp,
    yes_bid: zCents.optional(),
    volume: zCountInt.optional(),
  });

  it('transform wire strings into exact integers', () => {
    expect(
      Market.parse({ yes_bid_dollars: '0.4200', liquidity_dollars: '-1.5000', volume_fp: '3544.52', yes_bid: 42, volume: 3 }),
    ).toEqual({ yes_bid_dollars: 420_000, liquidity_dollars: -1_500_000, volume_fp: 354_452, yes_bid: 420_000, volume: 300 });
  });

  it('report the parser message at the right path', () => {
    const r = Market.safeParse({ yes_bid_dollars: '0.42000001', liquidity_dollars: '0', volume_fp: '1' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['yes_bid_dollars']);
    expect(r.error?.issues[0]?.message).toMatch(/8 decimals, at most 6/);
  });

  it.each([
    [zPriceDollars, '1.0100'],
    [zDollars, 'abc'],
    [zCountFp, '1.001'],
    [zCents, 4.5],
    [zCountInt, 1.5],
    [zDollars, 42],
  ])('schema %# rejects %j', (schema, value) => {
    expect((schema as z.ZodType).safeParse(value).success).toBe(false);
  });
});

describe('parseDollars / parseCountFp: fast path and exact path agree', () => {
  // An independent reference: BigInt over the digits, as the general path does.
  const reference = (text: string, decimals: number): bigint => {
    const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text)!;
    const v = BigInt(m[2]!) * 10n ** BigInt(decimals) + BigInt((m[3] ?? '').padEnd(decimals, '0'));
    return m[1] ? -v : v;
  };

  it.each([
    ['999999999.999999', 999_999_999_999_999], // the widest input the fast path takes
    ['1000000000.000000', 1_000_000_000_000_000], // ten whole digits: the general path
    ['9007199254.740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254.740991', -Number.MAX_SAFE_INTEGER],
    ['00000000000000000001.5', 1_500_000], // leading zeros beyond nine digits
    ['123456789', 123_456_789_000_000],
    ['-0', 0],
    ['0.000000', 0],
  ])('parseDollars(%j) = %d exactly', (text, micros) => {
    expect(Object.is(parseDollars(text), micros)).toBe(true);
    expect(BigInt(parseDollars(text))).toBe(reference(text, 6));
  });

  it.each([
    ['9007199254.740992', 'too large to hold exactly'],
    ['-', 'expected a decimal string'],
    ['1.', 'expected a decimal string'],
    ['-.5', 'expected a decimal string'],
    ['--1', 'expected a decimal string'],
    ['1.2.3', 'expected a decimal string'],
    ['\u0663', 'expected a decimal string'], // an Arabic-Indic digit is not a decimal digit here
    ['0.1234567', '7 decimals'],
    ['123456789.1234567', '7 decimals'],
  ])('parseDollars rejects %j (%s)', (text, why) => {
    expect(() => parseDollars(text)).toThrow(why);
  });

  it('agrees with the BigInt reference on 20,000 random decimal strings of every length', () => {
    // A fixed linear congruential sequence: the same strings on every run.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let k = 0; k < 20_000; k++) {
      const wholeDigits = 1 + (next() % 11);
      const fracDigits = next() % 7;
      let text = next() % 4 === 0 ? '-' : '';
      for (let i = 0; i < wholeDigits; i++) text += String(next() % 10);
      if (fracDigits > 0) text += '.' + Array.from({ length: fracDigits }, () => String(next() % 10)).join('');
      const ref = reference(text, 6);
      if (ref > BigInt(Number.MAX_SAFE_INTEGER) || ref < -BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(() => parseDollars(text)).toThrow('too large');
      } else {
        expect(BigInt(parseDollars(text)), text).toBe(ref);
      }
      const counts = text.includes('.') ? text.slice(0, text.indexOf('.') + Math.min(3, fracDigits + 1)) : text;
      expect(BigInt(parseCountFp(counts)), counts).toBe(reference(counts, 2));
    }
  });
});
