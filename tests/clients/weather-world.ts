/**
 * A small hand-built world for the weather client tests (Chicago and Denver, climate dates
 * 2026-07-14 … 2026-07-16, clock 2026-07-16T18:00Z), written in the conventions the clients produce:
 *   - CLI rows with issue times (a final and an intermediate report), GHCN tenths incl. a half-degree case;
 *   - 5-minute observations with two-decimal values (what every API can carry exactly);
 *   - Visual Crossing runs at 2026-07-14T00Z (historical) and 2026-07-16T12Z (current);
 *   - Open-Meteo runs at D 00Z for D = 07-12 … 07-16 (historical / previous runs) and 2026-07-16T12Z (current);
 *   - GFS and NBM MOS runs.
 */
import { StaticWorld } from '../../sandbox/worlds/static';
import type { CityId } from '../../domain/cities';
import { getCity } from '../../domain/cities';
import type { DailyForecastRow, GhcnDailyValue, HourlyForecastRow, MosForecast, ObservationRow, SettlementRow } from '../../schemas/records';
import type { Served } from '../../sandbox/world';
import { addDays, civilDayWindow, daysBetween, eachDate, localDateOf, round2 } from '../../clients/weather-shared';

export const NOW = new Date('2026-07-16T18:00:00Z');
export const DATES = { from: '2026-07-14', to: '2026-07-16' };
export const CITIES_IN_WORLD: CityId[] = ['chicago', 'denver'];
export const VC_BASIS_DATE = '2026-07-14';
export const VC_CURRENT_BASIS = new Date('2026-07-16T12:00:00Z');
export const OM_CURRENT_BASIS = new Date('2026-07-16T12:00:00Z');

const H = 3_600_000;

/** A smooth diurnal temperature curve (two decimals), peaking mid-afternoon local time. */
function temp(city: CityId, t: number, shift = 0): number {
  const base = city === 'chicago' ? 80 : 78;
  const localHour = ((t / H + getCity(city).standardOffsetMinutes / 60) % 24 + 24) % 24;
  return round2(base + shift + 8 * Math.sin(((localHour - 9) / 24) * 2 * Math.PI) + ((t / H) % 7) * 0.13);
}

export function buildWorld() {
  const cli: Served<SettlementRow>[] = [
    { cityId: 'chicago', date: '2026-07-14', source: 'cli', highF: 84, lowF: 70, issuedAt: new Date('2026-07-15T06:33:00Z'), isPreliminary: false },
    { cityId: 'chicago', date: '2026-07-15', source: 'cli', highF: 87, lowF: 72, issuedAt: new Date('2026-07-16T06:29:00Z'), isPreliminary: false },
    { cityId: 'chicago', date: '2026-07-16', source: 'cli', highF: 90, lowF: null, issuedAt: new Date('2026-07-16T21:34:00Z'), isPreliminary: true },
    { cityId: 'denver', date: '2026-07-15', source: 'cli', highF: 94, lowF: 63, issuedAt: null, isPreliminary: false },
  ];
  const ghcn: GhcnDailyValue[] = [
    { ghcnId: 'USW00014819', date: '2026-07-14', tmaxTenthsC: 289, tminTenthsC: 211 },
    { ghcnId: 'USW00014819', date: '2026-07-15', tmaxTenthsC: 306, tminTenthsC: 222 },
    { ghcnId: 'USW00014819', date: '2026-07-16', tmaxTenthsC: 25 },
    { ghcnId: 'USW00003017', date: '2026-07-15', tmaxTenthsC: 344, tminTenthsC: -6 },
  ];

  const observations: Served<ObservationRow>[] = [];
  for (const city of CITIES_IN_WORLD) {
    const icao = getCity(city).station.icao;
    const start = Date.parse('2026-07-14T00:00:00Z');
    const end = Date.parse('2026-07-17T12:00:00Z');
    for (let t = start, i = 0; t < end; t += 5 * 60_000, i++) {
      observations.push({
        station: icao,
        source: 'iem-asos1min',
        observedAt: new Date(t),
        tempF: temp(city, t),
        dewpointF: round2(62 + (i % 11) * 0.37),
        relativeHumidity: round2(40 + (i % 23) * 1.13),
        windSpeedMph: round2(5 + (i % 9) * 1.21),
        windGustMph: i % 4 === 0 ? round2(18 + (i % 5)) : null,
        windDirectionDeg: (i * 10) % 360,
        pressureMb: round2(1010 + (i % 13) * 0.27),
        skyCover: i % 3 === 0 ? 'FEW' : i % 3 === 1 ? 'SCT BKN' : null,
        conditions: i % 17 === 0 ? 'RA' : null,
      });
    }
  }

  const dailyForecasts: Served<DailyForecastRow>[] = [];
  const hourlyForecasts: Served<HourlyForecastRow>[] = [];
  const vcDaily = (city: CityId, basisTime: Date, basisDate: string, target: string, k: number): Served<DailyForecastRow> => ({
    cityId: city,
    source: 'visualcrossing',
    model: 'best_match',
    targetDate: target,
    basisTime,
    basisDate,
    leadDays: daysBetween(basisDate, target),
    tempmaxF: round2(88.4 - k * 0.7),
    tempminF: round2(72 + k * 0.2),
    tempF: 80.2,
    feelslikemaxF: 90.4,
    dewF: 66.6,
    humidity: 61.2,
    precipIn: k === 2 ? 0.12 : 0,
    precipProb: 15,
    snowIn: 0,
    windspeedMph: 12.9,
    windgustMph: k === 1 ? null : 23.2,
    cloudcover: 31.4,
    pressureMb: 1014.2,
    conditions: 'Partially cloudy',
  });
  const hourly = (city: CityId, source: 'visualcrossing' | 'open-meteo', basisTime: Date, from: number, to: number, shift: number, withProb: boolean) => {
    for (let t = from; t < to; t += H) {
      hourlyForecasts.push({
        cityId: city,
        source,
        model: 'best_match',
        basisTime,
        validTime: new Date(t),
        tempF: temp(city, t, shift),
        dewF: round2(60 + ((t / H) % 5)),
        humidity: round2(50 + ((t / H) % 13)),
        precipIn: 0,
        precipProb: withProb ? 10 : null,
        windspeedMph: round2(6 + ((t / H) % 4) * 0.5),
        cloudcover: 20,
      });
    }
  };

  for (const city of CITIES_IN_WORLD) {
    // Visual Crossing: historical run at VC_BASIS_DATE 00Z for 7 days, current run.
    const hb = new Date(`${VC_BASIS_DATE}T00:00:00Z`);
    eachDate(VC_BASIS_DATE, addDays(VC_BASIS_DATE, 6)).forEach((d, k) => dailyForecasts.push(vcDaily(city, hb, VC_BASIS_DATE, d, k)));
    hourly(city, 'visualcrossing', hb, civilDayWindow(city, VC_BASIS_DATE).from.getTime(), civilDayWindow(city, addDays(VC_BASIS_DATE, 6)).to.getTime(), 0.5, true);
    const today = localDateOf(city, VC_CURRENT_BASIS);
    eachDate(today, addDays(today, 6)).forEach((d, k) => dailyForecasts.push(vcDaily(city, VC_CURRENT_BASIS, today, d, k + 3)));
    hourly(city, 'visualcrossing', VC_CURRENT_BASIS, civilDayWindow(city, today).from.getTime(), civilDayWindow(city, addDays(today, 6)).to.getTime(), -0.3, true);

    // Open-Meteo: runs at D 00Z (historical / previous runs), over D … D+3 local days (fixed July offset).
    for (const d of eachDate('2026-07-12', '2026-07-16')) {
      const basis = new Date(`${d}T00:00:00Z`);
      hourly(city, 'open-meteo', basis, civilDayWindow(city, d).from.getTime(), civilDayWindow(city, addDays(d, 3)).to.getTime(), daysBetween('2026-07-12', d) * 0.4, false);
      dailyForecasts.push({
        cityId: city,
        source: 'open-meteo',
        model: 'best_match',
        targetDate: d,
        basisTime: basis,
        basisDate: d,
        leadDays: 0,
        tempmaxF: round2(87.8 - daysBetween('2026-07-12', d)),
        tempminF: 71.4,
        feelslikemaxF: 91.2,
        precipIn: 0.01,
        precipProb: null,
        snowIn: 0,
        windspeedMph: 11.3,
        windgustMph: 22.1,
      });
    }
    // Open-Meteo current run.
    const omToday = localDateOf(city, OM_CURRENT_BASIS);
    hourly(city, 'open-meteo', OM_CURRENT_BASIS, civilDayWindow(city, omToday).from.getTime(), civilDayWindow(city, addDays(omToday, 6)).to.getTime(), 1.1, true);
    eachDate(omToday, addDays(omToday, 6)).forEach((d, k) =>
      dailyForecasts.push({
        cityId: city,
        source: 'open-meteo',
        model: 'best_match',
        targetDate: d,
        basisTime: OM_CURRENT_BASIS,
        basisDate: omToday,
        leadDays: k,
        tempmaxF: round2(86 + k * 0.5),
        tempminF: 70,
        feelslikemaxF: 89,
        precipIn: 0,
        precipProb: 20,
        snowIn: 0,
        windspeedMph: 10,
        windgustMph: 20,
      }),
    );
  }
  // A second model on the same run must not leak into best_match answers.
  dailyForecasts.push({ ...dailyForecasts.find((f) => f.source === 'open-meteo')!, model: 'gfs_seamless', tempmaxF: 99 });

  const mos: MosForecast[] = [];
  for (const [model, shift] of [['GFS', 0], ['NBM', 1]] as const) {
    for (const run of ['2026-07-14T00:00:00Z', '2026-07-14T12:00:00Z', '2026-07-15T00:00:00Z', '2026-07-15T12:00:00Z']) {
      const runTime = new Date(run);
      for (let k = 0; k < 3; k++) {
        mos.push({ station: 'KMDW', model, runTime, targetDate: addDays(run.slice(0, 10), k), tmaxF: 85 + k + shift });
      }
    }
  }

  const world = new StaticWorld('recorded', 'weather-client-test', {
    cities: CITIES_IN_WORLD,
    dates: DATES,
    now: NOW,
    cli,
    ghcn,
    observations,
    dailyForecasts,
    hourlyForecasts,
    mos,
  });
  return { world, cli, ghcn, observations, dailyForecasts, hourlyForecasts, mos };
}
