/**
 * Source `forecasts`, per week of TARGET dates [a, b] (so that chunks never overlap):
 *   - Visual Crossing historical daily and hourly forecasts issued on basis dates D..D-k (lead 0, the
 *     snapshot of D 00Z, is the same-day forecast);
 *   - Open-Meteo previous runs (0..k days back);
 *   - IEM MOS (GFS, NAM) runs of a-k .. b (same-day runs included).
 * Every row carries the availableAt its client stamped (domain/known-at.ts), the time datasets join on.
 */
import { addDays } from '../../schemas/backfill';
import { wxForecastSnapshot, wxForecastSnapshotHourly } from '../../schemas/db';
import type { DailyForecastRow, HourlyForecastRow } from '../../schemas/records';
import type { AdapterFactory } from './types';

export const MOS_MODELS = ['gfs', 'nam'] as const;

export const forecastsAdapter: AdapterFactory = (ctx) => {
  const k = ctx.forecastLeadDays;
  return {
    async fetch(chunk) {
      const daily: DailyForecastRow[] = [];
      const hourly: HourlyForecastRow[] = [];
      const vc = ctx.clients.visualCrossing();
      for (let basis = addDays(chunk.from, -k); basis <= chunk.to; basis = addDays(basis, 1)) {
        const first = basis > chunk.from ? basis : chunk.from;
        const last = addDays(basis, k) < chunk.to ? addDays(basis, k) : chunk.to;
        if (first > last) continue;
        const targets = { from: first, to: last };
        daily.push(...(await vc.historicalDailyForecast(ctx.city, basis, targets)).filter((r) => r.targetDate >= first && r.targetDate <= last));
        hourly.push(...(await vc.historicalHourlyForecast(ctx.city, basis, targets)));
      }
      const daysBack = Array.from({ length: k + 1 }, (_, i) => i);
      const om = await ctx.clients.openMeteo().previousRuns(ctx.city, chunk, daysBack);
      daily.push(...om.daily.filter((r) => r.targetDate >= chunk.from && r.targetDate <= chunk.to));
      hourly.push(...om.hourly);
      for (const model of MOS_MODELS) {
        const rows = await ctx.clients.iem().mosForecasts(ctx.city, model, { from: addDays(chunk.from, -k), to: chunk.to });
        daily.push(...rows.filter((r) => r.targetDate >= chunk.from && r.targetDate <= chunk.to));
      }
      return [
        { table: wxForecastSnapshot, rows: daily },
        { table: wxForecastSnapshotHourly, rows: hourly },
      ];
    },
  };
};
