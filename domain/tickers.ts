import { DateTime } from 'luxon';
import { InvalidTickerError, describeValue } from './errors';
import type { IsoDate } from './iso-date';
import { assertIsoDate } from './iso-date';

/*
 * Tickers are parsed for routing (which series, which climate date) and display. Strike semantics
 * come from the market's strike_type/floor_strike/cap_strike (see brackets.ts): a "T91" does not say
 * which tail it is, Kalshi tells clients not to infer meaning from tickers, and the number format has
 * changed over time. The one exception is a market whose payload omits its strikes: deriveStrikes
 * (below) reads them from its ticker and subtitle, requiring the two to agree.
 */

export const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

export type MarketKind = 'B' | 'T';

export interface ParsedEventTicker {
  series: string;
  eventTicker: string;
  /** The climate date the event measures (not the trading date). */
  date: IsoDate;
}

export interface ParsedMarketTicker extends ParsedEventTicker {
  marketTicker: string;
  /** B = a bracket, T = a tail; display-only, see the note at the top of this file. */
  kind: MarketKind;
  /** The number after B/T: B numbers are floor+0.5 (B85.5 = 85..86), T numbers are a strike. */
  number: number;
}

export type ParsedTicker = ParsedEventTicker & Partial<Pick<ParsedMarketTicker, 'marketTicker' | 'kind' | 'number'>>;

const EVENT_RE = /^(?<series>[A-Z]+)-(?<yy>\d{2})(?<mon>[A-Z]{3})(?<dd>\d{2})$/;
// Real ladders reach below zero (HIGHCHI-22DEC23-B-2.5), so the number may carry a minus.
const MARKET_SUFFIX_RE = /^(?<kind>[BT])(?<num>-?\d+(?:\.\d+)?)$/;
const NUMBER_TEXT_RE = /^-?\d+(?:\.\d+)?$/;

function fail(what: string, ticker: unknown, why: string): never {
  throw new InvalidTickerError(`invalid ${what} ticker ${describeValue(ticker)}: ${why}`);
}

function parseEventPart(what: string, whole: string, eventPart: string): ParsedEventTicker {
  const m = EVENT_RE.exec(eventPart);
  if (!m?.groups) {
    fail(what, whole, 'expected SERIES-YYMONDD such as KXHIGHCHI-25JUL04');
  }
  const { series, yy, mon, dd } = m.groups as { series: string; yy: string; mon: string; dd: string };
  const monthIndex = (MONTHS as readonly string[]).indexOf(mon);
  if (monthIndex < 0) fail(what, whole, `month ${describeValue(mon)} is not one of ${MONTHS[0]}..${MONTHS[11]}`);
  const dt = DateTime.fromObject(
    { year: 2000 + Number(yy), month: monthIndex + 1, day: Number(dd) },
    { zone: 'utc' },
  );
  if (!dt.isValid) fail(what, whole, `date ${yy}${mon}${dd} does not exist`);
  return { series, eventTicker: eventPart, date: dt.toISODate() as IsoDate };
}

export function parseEventTicker(ticker: string): ParsedEventTicker {
  if (typeof ticker !== 'string') fail('event', ticker, 'expected a string');
  return parseEventPart('event', ticker, ticker);
}

export function parseMarketTicker(ticker: string): ParsedMarketTicker {
  if (typeof ticker !== 'string') fail('market', ticker, 'expected a string');
  // The event part never contains a second hyphen, so the suffix starts after the second one.
  const first = ticker.indexOf('-');
  const second = first < 0 ? -1 : ticker.indexOf('-', first + 1);
  if (second < 0) fail('market', ticker, 'expected SERIES-YYMONDD-B<n> or SERIES-YYMONDD-T<n>');
  const event = parseEventPart('market', ticker, ticker.slice(0, second));
  const suffix = ticker.slice(second + 1);
  const m = MARKET_SUFFIX_RE.exec(suffix);
  if (!m?.groups) fail('market', ticker, `suffix ${describeValue(suffix)} is not B<number> or T<number>`);
  const { kind, num } = m.groups as { kind: MarketKind; num: string };
  return { ...event, marketTicker: ticker, kind, number: Number(num) };
}

/** Parses either form; kind/number/marketTicker are present only for market tickers. */
export function parseTicker(ticker: string): ParsedTicker {
  if (typeof ticker !== 'string') fail('event or market', ticker, 'expected a string');
  const hyphens = ticker.split('-').length - 1;
  return hyphens <= 1 ? parseEventTicker(ticker) : parseMarketTicker(ticker);
}

export function formatEventTicker(series: string, date: IsoDate): string {
  if (typeof series !== 'string' || !/^[A-Z]+$/.test(series)) {
    throw new InvalidTickerError(`invalid series ${describeValue(series)}: expected upper-case letters such as KXHIGHCHI`);
  }
  assertIsoDate(date, 'event date');
  const dt = DateTime.fromISO(date, { zone: 'utc' });
  if (dt.year < 2000 || dt.year > 2099) {
    throw new InvalidTickerError(`invalid event date ${describeValue(date)}: tickers carry a two-digit year, so 2000..2099 only`);
  }
  const yy = String(dt.year - 2000).padStart(2, '0');
  const dd = String(dt.day).padStart(2, '0');
  return `${series}-${yy}${MONTHS[dt.month - 1]}${dd}`;
}

export function formatMarketTicker(eventTicker: string, kind: MarketKind, number: number): string {
  parseEventTicker(eventTicker);
  if (kind !== 'B' && kind !== 'T') {
    throw new InvalidTickerError(`invalid market kind ${describeValue(kind)}: expected "B" or "T"`);
  }
  const text = Object.is(number, -0) ? '0' : String(number);
  // String() of a finite number is its shortest round-trip form; exponent forms are refused.
  if (!Number.isFinite(number) || !NUMBER_TEXT_RE.test(text)) {
    throw new InvalidTickerError(`invalid market number ${describeValue(number)}: expected a plain decimal such as 85.5`);
  }
  return `${eventTicker}-${kind}${text}`;
}

/** Strike fields as Kalshi's market object names their meaning (floor/cap as in brackets.ts). */
export interface DerivedStrikes {
  strikeType: 'between' | 'less' | 'greater';
  floorStrike: number | null;
  capStrike: number | null;
}

// "12° to 13°", "5° or below", "14° or above" (the degree sign and spaces vary across eras).
const SUB_BETWEEN_RE = /^\s*(-?\d+)\s*°?\s*(?:to|-|–)\s*(-?\d+)\s*°?\s*$/i;
const SUB_BELOW_RE = /^\s*(-?\d+)\s*°?\s*or\s+(?:below|less|lower)\s*$/i;
const SUB_ABOVE_RE = /^\s*(-?\d+)\s*°?\s*or\s+(?:above|more|higher)\s*$/i;

/** The strikes a yes_sub_title states, in Kalshi's convention ("5° or below" = less than 6), or undefined. */
export function strikesFromSubtitle(subtitle: string | null | undefined): DerivedStrikes | undefined {
  if (typeof subtitle !== 'string') return undefined;
  let m = SUB_BETWEEN_RE.exec(subtitle);
  if (m) {
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    return lo <= hi ? { strikeType: 'between', floorStrike: lo, capStrike: hi } : undefined;
  }
  m = SUB_BELOW_RE.exec(subtitle);
  if (m) return { strikeType: 'less', floorStrike: null, capStrike: Number(m[1]) + 1 };
  m = SUB_ABOVE_RE.exec(subtitle);
  if (m) return { strikeType: 'greater', floorStrike: Number(m[1]) - 1, capStrike: null };
  return undefined;
}

/**
 * Strikes for a market whose payload omits strike_type / floor_strike / cap_strike (real payloads of
 * 2025-01-16..02-09 do, for the market that settled YES). Kalshi's tickers and subtitles follow one
 * convention, read here: B<n> is the bracket floor n−0.5 .. cap n+0.5 ("12° to 13°" = B12.5); T<n> is a
 * tail whose strike is n ("5° or below" = less than 6 = T6; "14° or above" = greater than 13 = T13).
 * A T ticker does not say which tail, so the subtitle decides, or else `tail` (the caller knows from the
 * event's other markets whether n lies below or above them). Ticker and subtitle must agree; undefined
 * when they disagree or neither says enough. Payload strikes, when present, always win over this.
 */
export function deriveStrikes(ticker: string, subtitle: string | null | undefined, tail?: 'less' | 'greater'): DerivedStrikes | undefined {
  const fromSub = strikesFromSubtitle(subtitle);
  let parsed: ParsedMarketTicker | undefined;
  try {
    parsed = parseMarketTicker(ticker);
  } catch {
    parsed = undefined;
  }
  if (!parsed) return fromSub;
  let fromTicker: DerivedStrikes | undefined;
  if (parsed.kind === 'B') {
    const floor = parsed.number - 0.5;
    if (Number.isSafeInteger(floor)) fromTicker = { strikeType: 'between', floorStrike: floor, capStrike: floor + 1 };
  } else {
    const side = fromSub?.strikeType === 'less' || fromSub?.strikeType === 'greater' ? fromSub.strikeType : tail;
    if (side === 'less') fromTicker = { strikeType: 'less', floorStrike: null, capStrike: parsed.number };
    else if (side === 'greater') fromTicker = { strikeType: 'greater', floorStrike: parsed.number, capStrike: null };
  }
  if (!fromTicker) return fromSub;
  if (!fromSub) return fromTicker;
  const same = fromSub.strikeType === fromTicker.strikeType && fromSub.floorStrike === fromTicker.floorStrike && fromSub.capStrike === fromTicker.capStrike;
  return same ? fromTicker : undefined;
}
