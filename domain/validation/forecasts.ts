import { MAX_PLAUSIBLE_F, MIN_PLAUSIBLE_F } from './observations';

export type ForecastRule = 'forecast_zero' | 'forecast_impossible' | 'forecast_max_below_min';

export interface ForecastValues {
  tempmaxF: number | null;
  tempminF: number | null;
}

export interface ForecastFlag {
  rule: ForecastRule;
  detail: string;
}

/**
 * What is wrong with one daily forecast (empty when nothing):
 * - `forecast_zero`: a high of exactly 0 °F while the low (if any) is not below zero — a whole day sitting
 *   at 0 °F is a missing-value sentinel, not weather (a 0 °F high with a −8 °F low is plausible and kept);
 * - `forecast_impossible`: a high or low outside [−60, 135] °F or not a finite number;
 * - `forecast_max_below_min`: high below low.
 * A missing high is not flagged here (coverage counts it).
 */
export function checkForecastValues(f: ForecastValues): ForecastFlag[] {
  const out: ForecastFlag[] = [];
  const { tempmaxF: max, tempminF: min } = f;
  const bad = (v: number | null) => v !== null && (!Number.isFinite(v) || v < MIN_PLAUSIBLE_F || v > MAX_PLAUSIBLE_F);
  if (bad(max) || bad(min)) {
    out.push({ rule: 'forecast_impossible', detail: `tempmax ${max} °F, tempmin ${min} °F: outside [${MIN_PLAUSIBLE_F}, ${MAX_PLAUSIBLE_F}]` });
    return out;
  }
  if (max === 0 && (min === null || min >= 0)) {
    out.push({ rule: 'forecast_zero', detail: `tempmax 0 °F with tempmin ${min === null ? 'missing' : `${min} °F`}: a zero sentinel` });
  }
  if (max !== null && min !== null && max < min) {
    out.push({ rule: 'forecast_max_below_min', detail: `tempmax ${max} °F below tempmin ${min} °F` });
  }
  return out;
}

/**
 * A SQL-side pre-filter must let through every row `checkForecastValues` could flag; this says which
 * (the activity narrows with it, then decides with `checkForecastValues`).
 */
export const FORECAST_CANDIDATE_BOUNDS = { min: MIN_PLAUSIBLE_F, max: MAX_PLAUSIBLE_F } as const;
