/*
 * Forecast skill by lead time: bias (mean of forecast − observed) and MAE (mean |forecast − observed|)
 * of the forecast daily high against the consolidated settled high.
 */

export interface SkillPair {
  /** Series key, e.g. 'visualcrossing/default'. */
  key: string;
  leadDays: number;
  forecastF: number;
  observedF: number;
}

/** Sums as SQL returns them: n, Σ(f − o), Σ|f − o|. */
export interface SkillSums {
  key: string;
  leadDays: number;
  n: number;
  sumErr: number;
  sumAbsErr: number;
}

export interface SkillRow {
  key: string;
  leadDays: number;
  n: number;
  bias: number;
  mae: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Adds sums with the same (key, lead) together (e.g. several cities into one series). */
export function mergeSkillSums(rows: readonly SkillSums[]): SkillSums[] {
  const m = new Map<string, SkillSums>();
  for (const r of rows) {
    const k = `${r.key}|${r.leadDays}`;
    const cur = m.get(k);
    if (cur) {
      cur.n += r.n;
      cur.sumErr += r.sumErr;
      cur.sumAbsErr += r.sumAbsErr;
    } else m.set(k, { ...r });
  }
  return [...m.values()].sort((a, b) => a.key.localeCompare(b.key) || a.leadDays - b.leadDays);
}

/** Bias and MAE (rounded to 1/1000 °F) from sums, per (key, lead), sorted by key then lead. */
export function skillFromSums(rows: readonly SkillSums[]): SkillRow[] {
  return mergeSkillSums(rows)
    .filter((r) => r.n > 0)
    .map((r) => ({ key: r.key, leadDays: r.leadDays, n: r.n, bias: round3(r.sumErr / r.n), mae: round3(r.sumAbsErr / r.n) }));
}

/** The sums of forecast/observation pairs. */
export function skillSums(pairs: readonly SkillPair[]): SkillSums[] {
  return mergeSkillSums(
    pairs.map((p) => ({ key: p.key, leadDays: p.leadDays, n: 1, sumErr: p.forecastF - p.observedF, sumAbsErr: Math.abs(p.forecastF - p.observedF) })),
  );
}

/** Bias and MAE per (key, lead) of forecast/observation pairs. */
export function forecastSkill(pairs: readonly SkillPair[]): SkillRow[] {
  return skillFromSums(skillSums(pairs));
}
