/**
 * The one settled outcome per (city, climate date) that P&L and training labels use, with the weather
 * truth kept beside it.
 *
 * The label follows the market: where Kalshi settled the event, the settled bracket is Kalshi's own
 * result (the market that settled YES, or a scalar result) and the settled high is Kalshi's expiration
 * value, even when the weather sources say otherwise: a contract pays what Kalshi decided. Where Kalshi
 * has no result (no event, or not settled yet), the high comes from the weather truth.
 *
 * The weather truth is the highest-precedence weather source that reported: 'cli' (the NWS Daily
 * Climate Report, what the rules name) → 'ghcn' (NCEI GHCN-Daily) → 'asos' → any other, alphabetically;
 * a preliminary report ranks after every final one.
 *
 * Disagreements are never hidden: every source's value is kept, and every disagreement is recorded in
 * words — between two sources' highs, and between Kalshi's winning bracket and a high outside it.
 */
import { integerRange, type Bracket } from './brackets';

/** The weather sources, most trusted first (any other source ranks after them, alphabetically). */
export const WEATHER_PRECEDENCE = ['cli', 'ghcn', 'asos'] as const;
/** The full order recorded on each row: the market first, then the weather truth. */
export const SETTLEMENT_PRECEDENCE = ['kalshi', ...WEATHER_PRECEDENCE] as const;

export interface SettlementInput {
  cityId: string;
  date: string;
  source: string;
  highF: number;
  /** A preliminary report (e.g. an intermediate CLI) ranks after final reports of any source. */
  isPreliminary?: boolean;
  /** When the value was published (wx.settlement.available_at). */
  availableAt?: Date | null;
}

/** Kalshi's settlement of one (city, date) event, from its markets. */
export interface MarketOutcome {
  cityId: string;
  date: string;
  eventTicker: string;
  /** The market that settled YES; null when none did (unsettled, scalar, or a ladder without a winner). */
  winningTicker: string | null;
  /** The winning market's bracket when its strikes are known (for the check against the weather high). */
  winningBracket?: Bracket | null;
  /** True when the event settled with a scalar result instead of a YES market. */
  scalar?: boolean;
  /** Kalshi's expiration value as a whole °F, when it set one. */
  expirationHighF?: number | null;
  /** When Kalshi's result was published. */
  availableAt?: Date | null;
}

export interface ConsolidatedSettlement {
  cityId: string;
  date: string;
  /** The settled high: Kalshi's expiration value where Kalshi settled, else the weather truth; null when none. */
  highF: number | null;
  /** Where the label came from: 'kalshi' when Kalshi settled, else the weather source taken. */
  source: string;
  /** The market that settled YES (the label's bracket); null when Kalshi has no YES market. */
  winningMarketTicker: string | null;
  kalshiHighF: number | null;
  /** The weather truth beside the label: the best weather source's high, and which source it is. */
  weatherHighF: number | null;
  weatherSource: string | null;
  /** The precedence applied, highest first: the known sources, then the others present. */
  precedence: string[];
  disagreement: boolean;
  /** Every disagreement found, in words (e.g. "kalshi 84 vs cli 85"); empty when none. */
  disagreements: string[];
  /** Every source's high (a preliminary one under `<source>:preliminary` when a final one exists too). */
  sourceValues: Record<string, number>;
  /** When the label could first be known: the publication time of what it was taken from; null if unknown. */
  availableAt: Date | null;
}

/** The sources in the order they are trusted (known first, then the others alphabetically). */
export function precedenceOf(sources: Iterable<string>): string[] {
  const known = SETTLEMENT_PRECEDENCE as readonly string[];
  const others = [...new Set(sources)].filter((s) => !known.includes(s)).sort();
  return [...known, ...others];
}

const rangeText = (b: Bracket): string => {
  const { min, max } = integerRange(b);
  return min === -Infinity ? `..${max}` : max === Infinity ? `${min}..` : `${min}..${max}`;
};

/**
 * Consolidates one (city, date) from its settlement rows and Kalshi's outcome; undefined when there is
 * neither a row nor a Kalshi result.
 */
export function consolidateDay(rows: readonly SettlementInput[], outcome?: MarketOutcome): ConsolidatedSettlement | undefined {
  const first = rows[0] ?? outcome;
  if (!first) return undefined;
  const { cityId, date } = first;
  for (const r of [...rows, ...(outcome ? [outcome] : [])]) {
    if (r.cityId !== cityId || r.date !== date) {
      throw new Error(`consolidateDay: rows of ${cityId} ${date} and ${r.cityId} ${r.date} mixed`);
    }
  }
  const precedence = precedenceOf(rows.map((r) => r.source));
  const order = (r: SettlementInput) => (r.isPreliminary ? precedence.length : 0) + precedence.indexOf(r.source);
  // Final reports first, in precedence order; within a source a final report beats a preliminary one.
  const ranked = [...rows].sort((a, b) => order(a) - order(b));
  const sourceValues: Record<string, number> = {};
  for (const r of ranked) {
    const key = sourceValues[r.source] === undefined ? r.source : `${r.source}:preliminary`;
    if (sourceValues[key] === undefined) sourceValues[key] = r.highF;
  }

  const kalshiRow = ranked.find((r) => r.source === 'kalshi');
  const kalshiHighF = outcome?.expirationHighF ?? kalshiRow?.highF ?? null;
  const weather = ranked.find((r) => r.source !== 'kalshi');
  const weatherHighF = weather?.highF ?? null;
  const kalshiSettled = Boolean(outcome?.winningTicker || outcome?.scalar || kalshiRow);
  // An event Kalshi has not settled, on a day no weather source reported: nothing is known yet.
  if (!kalshiSettled && !weather) return undefined;

  // Kalshi's value belongs among the sources even when it came only with the market outcome.
  const values: Record<string, number> = kalshiHighF !== null && sourceValues.kalshi === undefined ? { kalshi: kalshiHighF, ...sourceValues } : sourceValues;
  const disagreements: string[] = [];
  const entries = Object.entries(values);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [a, va] = entries[i]!;
      const [b, vb] = entries[j]!;
      if (va !== vb) disagreements.push(`${a} ${va} vs ${b} ${vb}`);
    }
  }
  const bracket = outcome?.winningBracket;
  if (bracket) {
    const { min, max } = integerRange(bracket);
    for (const [s, v] of entries) {
      if (v < min || v > max) disagreements.push(`winner ${bracket.ticker} (${rangeText(bracket)}) does not contain ${s} ${v}`);
    }
  }

  const availableAt = kalshiSettled ? (outcome?.availableAt ?? kalshiRow?.availableAt ?? null) : (weather?.availableAt ?? null);
  return {
    cityId,
    date,
    highF: kalshiSettled ? (kalshiHighF ?? weatherHighF) : weatherHighF,
    source: kalshiSettled ? 'kalshi' : weather!.source,
    winningMarketTicker: outcome?.winningTicker ?? null,
    kalshiHighF,
    weatherHighF,
    weatherSource: weather?.source ?? null,
    precedence,
    disagreement: disagreements.length > 0,
    disagreements,
    sourceValues: values,
    availableAt,
  };
}

const dayKey = (r: { cityId: string; date: string }) => `${r.cityId}\u0001${r.date}`;

/**
 * Consolidates every (city, date) present in the rows or the outcomes, ordered by city then date. Of
 * two outcomes for one day (a legacy and a current series ticker), the settled one is used.
 */
export function consolidateSettlements(rows: readonly SettlementInput[], outcomes: readonly MarketOutcome[] = []): ConsolidatedSettlement[] {
  const groups = new Map<string, SettlementInput[]>();
  for (const r of rows) {
    const list = groups.get(dayKey(r));
    if (list) list.push(r);
    else groups.set(dayKey(r), [r]);
  }
  const byDay = new Map<string, MarketOutcome>();
  for (const o of outcomes) {
    // Two events of one day (a legacy and a current series ticker): the one that settled wins.
    const had = byDay.get(dayKey(o));
    if (!had || (!had.winningTicker && !had.scalar)) byDay.set(dayKey(o), o);
  }
  return [...new Set([...groups.keys(), ...byDay.keys()])]
    .sort()
    .map((k) => consolidateDay(groups.get(k) ?? [], byDay.get(k)))
    .filter((c): c is ConsolidatedSettlement => c !== undefined);
}
