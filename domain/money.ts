import { z } from 'zod';
import { InvalidCountError, InvalidMoneyError, describeValue } from './errors';

/*
 * One exact representation for everything money-like, so no binary float ever touches a price:
 * - prices and money amounts: integer micro-dollars (1 dollar = 1_000_000, 1 cent = 10_000),
 *   which holds every dollar string Kalshi sends (4 decimals in market data, up to 6 in
 *   portfolio fields);
 * - contract counts: integer centi-contracts (1 contract = 100), which holds Kalshi's `_fp`
 *   counts (2 decimals, fractional since 2026).
 * Both are plain numbers kept within Number.isSafeInteger; products go through BigInt.
 */

/** Integer micro-dollars. */
export type Micros = number;
/** Integer hundredths of a contract. */
export type CentiContracts = number;

export const MICROS_PER_DOLLAR = 1_000_000;
export const MICROS_PER_CENT = 10_000;
export const CENTI_PER_CONTRACT = 100;

const DOLLAR_DECIMALS = 6;
const COUNT_DECIMALS = 2;
const FIXED_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

type ErrorCtor = new (message: string) => Error;

function toSafe(value: bigint, field: string, text: unknown, ErrorClass: ErrorCtor): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ErrorClass(`${field} ${describeValue(text)} is too large to hold exactly`);
  }
  const n = Number(value);
  return n === 0 ? 0 : n;
}

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
/** Whole-part digits the fast path takes: 9 digits x 10^6 stays below 2^53, so every step is exact. */
const FAST_WHOLE_DIGITS = 9;

/**
 * The common case without a regex or BigInt: `-?\d{1,9}(\.\d{1,decimals})?`, accumulated in integer
 * arithmetic below 2^53 (exact). Returns undefined for anything else (longer numbers, bad input), which
 * the exact general path then parses or rejects with its message. Decoding candle payloads calls this
 * about fifteen times per candle, so it matters for backfill throughput (docs/performance.md).
 */
function parseFixedFast(text: string, decimals: number): number | undefined {
  const n = text.length;
  let i = 0;
  let negative = false;
  if (n > 0 && text.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let whole = 0;
  const wholeStart = i;
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits === 0 || wholeDigits > FAST_WHOLE_DIGITS) return undefined;
  let frac = 0;
  let fracDigits = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 46) return undefined; // '.'
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      frac = frac * 10 + c;
      if (++fracDigits > decimals) return undefined;
    }
    if (fracDigits === 0) return undefined; // '1.' is not a decimal string
  }
  const magnitude = whole * POW10[decimals]! + frac * POW10[decimals - fracDigits]!;
  return negative && magnitude !== 0 ? -magnitude : magnitude;
}

// Parses the decimal text digit by digit; multiplying a parsed float would round (0.29 * 100 = 28.999…).
function parseFixed(text: unknown, decimals: number, field: string, what: string, ErrorClass: ErrorCtor): number {
  if (typeof text === 'string') {
    const fast = parseFixedFast(text, decimals);
    if (fast !== undefined) return fast;
  }
  if (typeof text !== 'string') {
    throw new ErrorClass(`invalid ${field} ${describeValue(text)}: expected a decimal string such as ${what}`);
  }
  const m = FIXED_RE.exec(text);
  if (!m) throw new ErrorClass(`invalid ${field} ${describeValue(text)}: expected a decimal string such as ${what}`);
  const [, sign, whole = '0', frac = ''] = m;
  if (frac.length > decimals) {
    throw new ErrorClass(`invalid ${field} ${describeValue(text)}: ${frac.length} decimals, at most ${decimals} are allowed`);
  }
  const magnitude = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
  return toSafe(sign ? -magnitude : magnitude, field, text, ErrorClass);
}

export function assertMicros(value: unknown, field = 'amount'): Micros {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidMoneyError(`invalid ${field} ${describeValue(value)}: expected integer micro-dollars`);
  }
  return value === 0 ? 0 : value;
}

/** A price per contract: 0..$1 in micro-dollars. */
export function assertPriceMicros(value: unknown, field = 'price'): Micros {
  return checkPriceRange(assertMicros(value, field), field, value);
}

export function assertCentiContracts(value: unknown, field = 'count'): CentiContracts {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidCountError(`invalid ${field} ${describeValue(value)}: expected integer centi-contracts`);
  }
  return value === 0 ? 0 : value;
}

/** "0.4200" -> 420_000. Up to 6 decimals; a leading minus is allowed for balances and P&L. */
export function parseDollars(text: string, field = 'dollars'): Micros {
  return parseFixed(text, DOLLAR_DECIMALS, field, '"0.4200"', InvalidMoneyError);
}

/** Like parseDollars, but the value must be a price per contract ($0..$1). */
export function parsePriceDollars(text: string, field = 'price_dollars'): Micros {
  return checkPriceRange(parseDollars(text, field), field, text);
}

function checkPriceRange(micros: Micros, field: string, original: unknown): Micros {
  if (micros < 0 || micros > MICROS_PER_DOLLAR) {
    throw new InvalidMoneyError(`invalid ${field} ${describeValue(original)}: a price must be between $0 and $1`);
  }
  return micros;
}

export function centsToMicros(cents: number, field = 'cents'): Micros {
  if (typeof cents !== 'number' || !Number.isSafeInteger(cents)) {
    throw new InvalidMoneyError(`invalid ${field} ${describeValue(cents)}: expected integer cents`);
  }
  return toSafe(BigInt(cents) * BigInt(MICROS_PER_CENT), field, cents, InvalidMoneyError);
}

/** Exact conversion; sub-cent amounts throw rather than round. */
export function microsToCents(micros: Micros, field = 'amount'): number {
  assertMicros(micros, field);
  if (micros % MICROS_PER_CENT !== 0) {
    throw new InvalidMoneyError(`invalid ${field} ${describeValue(micros)}: ${micros} micro-dollars is not a whole number of cents`);
  }
  const cents = micros / MICROS_PER_CENT;
  return cents === 0 ? 0 : cents;
}

/** 420_000 -> "0.4200". Refuses to round: a value finer than `decimals` throws. */
export function microsToDollarString(micros: Micros, decimals = 4): string {
  assertMicros(micros, 'amount');
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > DOLLAR_DECIMALS) {
    throw new InvalidMoneyError(`invalid decimals ${describeValue(decimals)}: expected an integer 0..${DOLLAR_DECIMALS}`);
  }
  const unit = 10 ** (DOLLAR_DECIMALS - decimals);
  if (micros % unit !== 0) {
    throw new InvalidMoneyError(`amount ${micros} micro-dollars needs more than ${decimals} decimals to write exactly`);
  }
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_DOLLAR);
  const frac = String(abs % MICROS_PER_DOLLAR).padStart(DOLLAR_DECIMALS, '0').slice(0, decimals);
  return `${micros < 0 ? '-' : ''}${whole}${decimals > 0 ? `.${frac}` : ''}`;
}

/** "10.00" -> 1000. Up to 2 decimals; a leading minus is allowed for signed positions. */
export function parseCountFp(text: string, field = 'count_fp'): CentiContracts {
  return parseFixed(text, COUNT_DECIMALS, field, '"10.00"', InvalidCountError);
}

/** Integer contracts (pre-2026 payloads) -> centi-contracts. */
export function countFromInt(contracts: number, field = 'count'): CentiContracts {
  if (typeof contracts !== 'number' || !Number.isSafeInteger(contracts)) {
    throw new InvalidCountError(`invalid ${field} ${describeValue(contracts)}: expected an integer number of contracts`);
  }
  return toSafe(BigInt(contracts) * BigInt(CENTI_PER_CONTRACT), field, contracts, InvalidCountError);
}

/** 1000 -> "10.00", the `_fp` wire form. */
export function formatCountFp(count: CentiContracts): string {
  assertCentiContracts(count);
  const abs = Math.abs(count);
  const frac = String(abs % CENTI_PER_CONTRACT).padStart(COUNT_DECIMALS, '0');
  return `${count < 0 ? '-' : ''}${Math.floor(abs / CENTI_PER_CONTRACT)}.${frac}`;
}

/**
 * Cost or proceeds of `count` contracts at `price` per contract, exactly. A product that
 * is not a whole micro-dollar (sub-cent price times a fractional count) throws instead of
 * rounding, since no rule for that rounding is documented.
 */
export function notionalMicros(price: Micros, count: CentiContracts, field = 'notional'): Micros {
  assertMicros(price, `${field} price`);
  assertCentiContracts(count, `${field} count`);
  const product = BigInt(price) * BigInt(count);
  const divisor = BigInt(CENTI_PER_CONTRACT);
  if (product % divisor !== 0n) {
    throw new InvalidMoneyError(
      `${field}: ${price} micro-dollars x ${count} centi-contracts is not a whole micro-dollar`,
    );
  }
  return toSafe(product / divisor, field, `${price} x ${count}`, InvalidMoneyError);
}

/**
 * Payload eras (kalshi-api.md §0): before Aug 2025 prices are integer cents (`yes_bid: 42`),
 * then both forms, and from Mar 2026 only dollar strings (`yes_bid_dollars: "0.4200"`).
 * The dollar string is preferred because it can carry sub-cent precision.
 */
export interface PriceSources {
  dollars?: string | null | undefined;
  cents?: number | null | undefined;
}

/** `field` is the base API name ("yes_bid"); messages name `${field}_dollars` or `${field}`. */
export function normalizeMoney(src: PriceSources, field: string): Micros {
  if (src.dollars != null) return parseDollars(src.dollars, `${field}_dollars`);
  if (src.cents != null) return centsToMicros(src.cents, field);
  throw new InvalidMoneyError(`missing ${field}: neither ${field}_dollars nor ${field} (cents) is present`);
}

export function normalizePrice(src: PriceSources, field: string): Micros {
  const micros = normalizeMoney(src, field);
  return src.dollars != null
    ? checkPriceRange(micros, `${field}_dollars`, src.dollars)
    : checkPriceRange(micros, field, src.cents);
}

/** Counts: `_fp` strings from Jan 2026, integer counts before (removed Mar 2026). */
export interface CountSources {
  fp?: string | null | undefined;
  int?: number | null | undefined;
}

export function normalizeCount(src: CountSources, field: string): CentiContracts {
  if (src.fp != null) return parseCountFp(src.fp, `${field}_fp`);
  if (src.int != null) return countFromInt(src.int, field);
  throw new InvalidCountError(`missing ${field}: neither ${field}_fp nor ${field} (integer) is present`);
}

// zod helpers for API payload schemas: the wire form goes in, the exact integer comes out.

function transformWith<T>(fn: (input: T) => number) {
  return (input: T, ctx: z.RefinementCtx): number => {
    try {
      return fn(input);
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: e instanceof Error ? e.message : String(e), input });
      return z.NEVER;
    }
  };
}

export const MicrosSchema = z.number().int().refine(Number.isSafeInteger, { message: 'expected a safe integer' });
export const PriceMicrosSchema = MicrosSchema.min(0).max(MICROS_PER_DOLLAR);
export const CentiContractsSchema = z.number().int().refine(Number.isSafeInteger, { message: 'expected a safe integer' });

/** "0.4200" -> 420_000 micro-dollars (any sign, up to 6 decimals). */
export const zDollars = z.string().transform(transformWith((s: string) => parseDollars(s)));
/** "0.4200" -> 420_000, limited to a per-contract price $0..$1. */
export const zPriceDollars = z.string().transform(transformWith((s: string) => parsePriceDollars(s)));
/** 42 (legacy integer cents) -> 420_000 micro-dollars. */
export const zCents = z.number().transform(transformWith((n: number) => centsToMicros(n)));
/** "10.00" -> 1000 centi-contracts. */
export const zCountFp = z.string().transform(transformWith((s: string) => parseCountFp(s)));
/** 10 (legacy integer contracts) -> 1000 centi-contracts. */
export const zCountInt = z.number().transform(transformWith((n: number) => countFromInt(n)));
