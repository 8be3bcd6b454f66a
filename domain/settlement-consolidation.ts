/**
 * The one settled high per (city, climate date) that datasets and backtests use, from the per-source
 * settlement rows. The value comes from the highest-precedence source that reported one:
 *
 *   'cli' (the NWS Daily Climate Report, what Kalshi's rules name) → 'kalshi' (the market's
 *   expiration value) → 'ghcn' (NCEI GHCN-Daily) → any other source, alphabetically.
 *
 * Disagreements are never hidden: every source's value is kept, and `disagreement` is true as soon as
 * two sources differ.
 */

export const SETTLEMENT_PRECEDENCE = ['cli', 'kalshi', 'ghcn'] as const;

export interface SettlementInput {
  cityId: string;
  date: string;
  source: string;
  highF: number;
  /** A preliminary report (e.g. an intermediate CLI) ranks after final reports of any source. */
  isPreliminary?: boolean;
}

export interface ConsolidatedSettlement {
  cityId: string;
  date: string;
  highF: number;
  /** The source whose value was taken. */
  source: string;
  /** The precedence applied, highest first: the known sources, then the others present. */
  precedence: string[];
  disagreement: boolean;
  /** Every source's high (a preliminary one under `<source>:preliminary` when a final one exists too). */
  sourceValues: Record<string, number>;
}

/** The sources in the order they are trusted (known first, then the others alphabetically). */
export function precedenceOf(sources: Iterable<string>): string[] {
  const present = [...new Set(sources)];
  const rank = (s: string) => {
    const i = (SETTLEMENT_PRECEDENCE as readonly string[]).indexOf(s);
    return i === -1 ? SETTLEMENT_PRECEDENCE.length : i;
  };
  const others = present.filter((s) => rank(s) === SETTLEMENT_PRECEDENCE.length).sort();
  return [...SETTLEMENT_PRECEDENCE, ...others];
}

/** Consolidates one (city, date): undefined when no source has a value. */
export function consolidateDay(rows: readonly SettlementInput[]): ConsolidatedSettlement | undefined {
  if (rows.length === 0) return undefined;
  const { cityId, date } = rows[0]!;
  for (const r of rows) {
    if (r.cityId !== cityId || r.date !== date) {
      throw new Error(`consolidateDay: rows of ${cityId} ${date} and ${r.cityId} ${r.date} mixed`);
    }
  }
  const precedence = precedenceOf(rows.map((r) => r.source));
  const order = (r: SettlementInput) => (r.isPreliminary ? precedence.length : 0) + precedence.indexOf(r.source);
  // Final reports first, in precedence order; within a source a final report beats a preliminary one.
  const ranked = [...rows].sort((a, b) => order(a) - order(b));
  const chosen = ranked[0]!;
  const sourceValues: Record<string, number> = {};
  for (const r of ranked) {
    const key = sourceValues[r.source] === undefined ? r.source : `${r.source}:preliminary`;
    if (sourceValues[key] === undefined) sourceValues[key] = r.highF;
  }
  const values = new Set(Object.values(sourceValues));
  return { cityId, date, highF: chosen.highF, source: chosen.source, precedence, disagreement: values.size > 1, sourceValues };
}

/** Consolidates every (city, date) present, ordered by city then date. */
export function consolidateSettlements(rows: readonly SettlementInput[]): ConsolidatedSettlement[] {
  const groups = new Map<string, SettlementInput[]>();
  for (const r of rows) {
    const key = `${r.cityId}\u0001${r.date}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.keys()]
    .sort()
    .map((k) => consolidateDay(groups.get(k)!))
    .filter((c): c is ConsolidatedSettlement => c !== undefined);
}
