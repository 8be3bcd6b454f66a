/**
 * Is a Kalshi event a complete ladder? The daily-high events of the six cities list six brackets that
 * partition the integers (a lower tail, four two-degree brackets, an upper tail), and once settled
 * exactly one of them settles YES (or the event settles with a scalar result). Real data breaks this:
 * CSV recordings with five of the six brackets and no winner (2025-01-16..02-09), markets without
 * strikes, ladders of eight. Such an event cannot price or label a day, so validation flags it and
 * later stages skip it (activities/validate/flags.ts).
 */
import { buildLadder } from '../brackets';
import { LadderError, InvalidBracketError } from '../errors';

/** Brackets per event in the cities' daily-high series. */
export const LADDER_SIZE = 6;
export const LADDER_RULE = 'ladder_incomplete';

export interface LadderMarket {
  ticker: string;
  strikeType: string | null;
  floorStrike: number | null;
  capStrike: number | null;
  /** 'yes' | 'no' | 'scalar' | '' (undetermined). */
  result: string;
}

export interface LadderCheck {
  eventTicker: string;
  complete: boolean;
  /** Whether any market has a result (an unsettled event is judged on its brackets only). */
  settled: boolean;
  /** Every problem found, in words; empty when complete. */
  problems: string[];
}

/** Checks one event's markets: six brackets, a partition of the integers, one winner or a scalar result once settled. */
export function checkLadder(eventTicker: string, markets: readonly LadderMarket[]): LadderCheck {
  const problems: string[] = [];
  if (markets.length !== LADDER_SIZE) problems.push(`${markets.length} market(s), expected ${LADDER_SIZE}`);
  const noStrikes = markets.filter((m) => m.strikeType == null);
  for (const m of noStrikes) problems.push(`market ${m.ticker} has no strikes`);
  if (markets.length > 0 && noStrikes.length === 0) {
    try {
      buildLadder(markets.map((m) => ({ ticker: m.ticker, strike_type: m.strikeType, floor_strike: m.floorStrike, cap_strike: m.capStrike })));
    } catch (err) {
      if (!(err instanceof LadderError || err instanceof InvalidBracketError)) throw err;
      problems.push(err.message);
    }
  }
  const settled = markets.some((m) => m.result !== '');
  if (settled && !markets.some((m) => m.result === 'scalar')) {
    const yes = markets.filter((m) => m.result === 'yes').length;
    if (yes !== 1) problems.push(yes === 0 ? 'settled without a market settling YES' : `${yes} markets settled YES`);
  }
  return { eventTicker, complete: problems.length === 0, settled, problems };
}
