import { z } from 'zod';
import { InvalidBracketError, LadderError, describeValue, parseWith } from './errors';
import { roundHalfUp } from './fahrenheit';

/*
 * A bracket is built from strike_type, floor_strike and cap_strike only — never from the
 * ticker (see tickers.ts). Settlement highs are whole °F, so every bracket is a set of
 * integers and an event's brackets must partition the integers.
 */

export const STRIKE_TYPES = ['between', 'less', 'greater', 'less_or_equal', 'greater_or_equal'] as const;
export const StrikeTypeSchema = z.enum(STRIKE_TYPES);
export type StrikeType = z.infer<typeof StrikeTypeSchema>;

const Strike = z.number().int();
const Ticker = z.string().min(1);

export const BracketSchema = z.discriminatedUnion('strikeType', [
  /** floor <= T <= cap, both inclusive. */
  z.object({ ticker: Ticker, strikeType: z.literal('between'), floor: Strike, cap: Strike }),
  /** T < cap. */
  z.object({ ticker: Ticker, strikeType: z.literal('less'), cap: Strike }),
  /** T <= cap. */
  z.object({ ticker: Ticker, strikeType: z.literal('less_or_equal'), cap: Strike }),
  /** T > floor. */
  z.object({ ticker: Ticker, strikeType: z.literal('greater'), floor: Strike }),
  /** T >= floor. */
  z.object({ ticker: Ticker, strikeType: z.literal('greater_or_equal'), floor: Strike }),
]);
export type Bracket = z.infer<typeof BracketSchema>;

/** The Kalshi market fields a bracket is built from, as the API names them. */
export const MarketStrikeSchema = z.object({
  ticker: z.string(),
  strike_type: z.string().nullish(),
  floor_strike: z.number().nullish(),
  cap_strike: z.number().nullish(),
});
export type MarketStrike = z.infer<typeof MarketStrikeSchema>;

/** Integers covered by a bracket; an unbounded side is ±Infinity. */
export interface IntegerRange {
  min: number;
  max: number;
}

function requireStrike(market: MarketStrike, field: 'floor_strike' | 'cap_strike'): number {
  const value = market[field];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidBracketError(
      `market ${describeValue(market.ticker)}: ${field} is ${describeValue(value)} but strike_type ${describeValue(market.strike_type)} needs it`,
    );
  }
  // Settlement values are whole °F, and a fractional strike would make the integer rules ambiguous.
  if (!Number.isSafeInteger(value)) {
    throw new InvalidBracketError(
      `market ${describeValue(market.ticker)}: ${field} ${describeValue(value)} is not an integer`,
    );
  }
  return value;
}

export function buildBracket(market: MarketStrike): Bracket {
  const ticker = market.ticker;
  if (typeof ticker !== 'string' || ticker.length === 0) {
    throw new InvalidBracketError(`market ticker ${describeValue(ticker)} is missing or empty`);
  }
  const parsedType = StrikeTypeSchema.safeParse(market.strike_type);
  if (!parsedType.success) {
    throw new InvalidBracketError(
      `market ${describeValue(ticker)}: strike_type ${describeValue(market.strike_type)} is not one of ${STRIKE_TYPES.join(', ')}`,
    );
  }
  const strikeType = parsedType.data;
  switch (strikeType) {
    case 'between': {
      const floor = requireStrike(market, 'floor_strike');
      const cap = requireStrike(market, 'cap_strike');
      if (floor > cap) {
        throw new InvalidBracketError(
          `market ${describeValue(ticker)}: floor_strike ${floor} is above cap_strike ${cap}`,
        );
      }
      return { ticker, strikeType, floor, cap };
    }
    case 'less':
    case 'less_or_equal':
      return { ticker, strikeType, cap: requireStrike(market, 'cap_strike') };
    case 'greater':
    case 'greater_or_equal':
      return { ticker, strikeType, floor: requireStrike(market, 'floor_strike') };
  }
}

export function integerRange(bracket: Bracket): IntegerRange {
  switch (bracket.strikeType) {
    case 'between':
      return { min: bracket.floor, max: bracket.cap };
    case 'less':
      return { min: -Infinity, max: bracket.cap - 1 };
    case 'less_or_equal':
      return { min: -Infinity, max: bracket.cap };
    case 'greater':
      return { min: bracket.floor + 1, max: Infinity };
    case 'greater_or_equal':
      return { min: bracket.floor, max: Infinity };
  }
}

function requireInteger(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidBracketError(`${field} ${describeValue(value)} is not an integer °F`);
  }
  return value;
}

export function bracketContains(bracket: Bracket, t: number): boolean {
  requireInteger(t, 'temperature');
  const { min, max } = integerRange(bracket);
  return min <= t && t <= max;
}

/** Human label in Kalshi's yes_sub_title style ("85° to 86°", "84° or below"), derived from strikes. */
export function bracketLabel(bracket: Bracket): string {
  const { min, max } = integerRange(bracket);
  if (min === -Infinity) return `${max}° or below`;
  if (max === Infinity) return `${min}° or above`;
  return min === max ? `${min}°` : `${min}° to ${max}°`;
}

// Subtraction would give NaN for two infinite tails.
const compare = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

const fmtRange = (min: number, max: number): string =>
  min === -Infinity ? `..${max}` : max === Infinity ? `${min}..` : `${min}..${max}`;

/** An event's brackets, sorted from the low tail up, proven to partition the integers. */
export interface Ladder {
  readonly brackets: readonly Bracket[];
}

/**
 * Builds and sorts an event's brackets and checks that every integer falls in exactly one
 * (exactly one lower tail, one upper tail, no gap, no overlap). Markets may be raw API
 * strike fields or already-built brackets.
 */
export function buildLadder(markets: ReadonlyArray<MarketStrike | Bracket>): Ladder {
  if (markets.length === 0) throw new LadderError('ladder is empty: an event needs at least a lower and an upper tail');
  const brackets = markets.map((m) => ('strikeType' in m ? validateBracket(m) : buildBracket(m)));

  const seen = new Set<string>();
  for (const b of brackets) {
    if (seen.has(b.ticker)) throw new LadderError(`ladder lists market ${describeValue(b.ticker)} twice`);
    seen.add(b.ticker);
  }

  const withRanges = brackets
    .map((b) => ({ b, r: integerRange(b) }))
    .sort((x, y) => compare(x.r.min, y.r.min) || compare(x.r.max, y.r.max));

  const lowerTails = withRanges.filter((x) => x.r.min === -Infinity);
  const upperTails = withRanges.filter((x) => x.r.max === Infinity);
  const names = (xs: typeof withRanges): string => xs.map((x) => x.b.ticker).join(', ');
  if (lowerTails.length === 0) {
    const first = withRanges[0]!;
    throw new LadderError(
      `ladder has no lower tail: integers below ${first.r.min} are not covered (lowest market ${describeValue(first.b.ticker)})`,
    );
  }
  if (lowerTails.length > 1) throw new LadderError(`ladder has ${lowerTails.length} lower tails: ${names(lowerTails)}`);
  if (upperTails.length === 0) {
    const last = withRanges[withRanges.length - 1]!;
    throw new LadderError(
      `ladder has no upper tail: integers above ${last.r.max} are not covered (highest market ${describeValue(last.b.ticker)})`,
    );
  }
  if (upperTails.length > 1) throw new LadderError(`ladder has ${upperTails.length} upper tails: ${names(upperTails)}`);

  for (let i = 1; i < withRanges.length; i++) {
    const prev = withRanges[i - 1]!;
    const next = withRanges[i]!;
    if (next.r.min > prev.r.max + 1) {
      throw new LadderError(
        `ladder has a gap: ${fmtRange(prev.r.max + 1, next.r.min - 1)} is covered by no market (between ${describeValue(prev.b.ticker)} and ${describeValue(next.b.ticker)})`,
      );
    }
    if (next.r.min <= prev.r.max) {
      throw new LadderError(
        `ladder has an overlap: ${fmtRange(next.r.min, Math.min(prev.r.max, next.r.max))} is covered by both ${describeValue(prev.b.ticker)} and ${describeValue(next.b.ticker)}`,
      );
    }
  }
  return Object.freeze({ brackets: Object.freeze(withRanges.map((x) => x.b)) });
}

function validateBracket(b: Bracket): Bracket {
  const parsed = parseWith(BracketSchema, b, `bracket ${describeValue(b.ticker)}`, InvalidBracketError);
  if (parsed.strikeType === 'between' && parsed.floor > parsed.cap) {
    throw new InvalidBracketError(`bracket ${describeValue(b.ticker)}: floor ${parsed.floor} is above cap ${parsed.cap}`);
  }
  return parsed;
}

/** The market that settles YES for an integer settlement high (the CLI max, whole °F). */
export function winningBracket(ladder: Ladder, highInt: number): Bracket {
  requireInteger(highInt, 'settlement high');
  const hit = ladder.brackets.find((b) => bracketContains(b, highInt));
  // buildLadder proved the partition, so this only fires for a hand-made Ladder object.
  if (!hit) throw new LadderError(`no bracket contains ${highInt}; the ladder is not a partition`);
  return hit;
}

// The one °F rounding rule lives in fahrenheit.ts; re-exported for the callers that import it from here.
export { roundHalfUp };

/**
 * Maps a real-valued forecast to the bracket it would settle in, by the one documented rule:
 * round half up to a whole °F (as the CLI reports whole degrees), then apply the integer rule.
 */
export function findBracketForTemp(ladder: Ladder, x: number): Bracket {
  return winningBracket(ladder, roundHalfUp(x));
}

/**
 * Recovers the strikes of the one market in an event that arrived without them, from the
 * integers the other markets leave uncovered. Real payloads need this: in Jan 16 – Feb 9 2025
 * the settled-YES market of every recorded event lacks strike_type, floor_strike and cap_strike.
 * The ticker is still not consulted; the result only holds if the rest is a partition-with-one-hole.
 */
export function inferMissingBracket(markets: readonly MarketStrike[]): Bracket[] {
  const lacks = (m: MarketStrike): boolean => m.strike_type == null && m.floor_strike == null && m.cap_strike == null;
  const missing = markets.filter(lacks);
  if (missing.length !== 1) {
    throw new LadderError(`can infer exactly one market without strikes, found ${missing.length}`);
  }
  const hole = missing[0]!;
  const known = markets.filter((m) => !lacks(m)).map(buildBracket);
  const ranges = known.map((b) => integerRange(b)).sort((x, y) => compare(x.min, y.min));
  if (ranges.length === 0) throw new LadderError(`cannot infer market ${describeValue(hole.ticker)}: no other market has strikes`);

  let inferred: Bracket | undefined;
  if (ranges[0]!.min !== -Infinity) {
    inferred = { ticker: hole.ticker, strikeType: 'less', cap: ranges[0]!.min };
  } else if (ranges[ranges.length - 1]!.max !== Infinity) {
    inferred = { ticker: hole.ticker, strikeType: 'greater', floor: ranges[ranges.length - 1]!.max };
  } else {
    for (let i = 1; i < ranges.length; i++) {
      const prevMax = ranges[i - 1]!.max;
      const nextMin = ranges[i]!.min;
      if (nextMin > prevMax + 1) {
        inferred = { ticker: hole.ticker, strikeType: 'between', floor: prevMax + 1, cap: nextMin - 1 };
        break;
      }
    }
  }
  if (!inferred) throw new LadderError(`cannot infer market ${describeValue(hole.ticker)}: the other markets leave no hole`);
  const all = markets.map((m) => (m === hole ? inferred : buildBracket(m)));
  // Validates the result: a second hole or an overlap elsewhere still throws.
  buildLadder(all);
  return all;
}
