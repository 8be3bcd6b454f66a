export interface SettlementValue {
  cityId: string;
  date: string;
  source: string;
  highF: number;
}

export interface SettlementDisagreement {
  cityId: string;
  date: string;
  /** Every source's high that day. */
  values: Record<string, number>;
  min: number;
  max: number;
  spread: number;
}

/**
 * Days on which the sources' settled highs spread by more than `toleranceF` (max − min). Days with one
 * source only cannot disagree. Sorted by city, then date.
 */
export function findSettlementDisagreements(rows: readonly SettlementValue[], toleranceF: number): SettlementDisagreement[] {
  const byDay = new Map<string, SettlementValue[]>();
  for (const r of rows) {
    const k = `${r.cityId}|${r.date}`;
    const list = byDay.get(k);
    if (list) list.push(r);
    else byDay.set(k, [r]);
  }
  const out: SettlementDisagreement[] = [];
  for (const list of byDay.values()) {
    if (list.length < 2) continue;
    const highs = list.map((r) => r.highF);
    const min = Math.min(...highs);
    const max = Math.max(...highs);
    if (max - min <= toleranceF) continue;
    const values = Object.fromEntries([...list].sort((a, b) => a.source.localeCompare(b.source)).map((r) => [r.source, r.highF]));
    out.push({ cityId: list[0]!.cityId, date: list[0]!.date, values, min, max, spread: max - min });
  }
  return out.sort((a, b) => a.cityId.localeCompare(b.cityId) || a.date.localeCompare(b.date));
}
