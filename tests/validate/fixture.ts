/**
 * A small hand-made dataset for Chicago, climate dates 2025-03-07..2025-03-10 (2025-03-09 is the
 * spring-forward day), with planted problems:
 * - observations (KMDW, iem-asos, one reading at :53 of every UTC hour): a +25 °F spike at
 *   2025-03-08T20:53Z, 35.0 °F stuck for 8 h (2025-03-10T08:53Z..16:53Z, 9 readings), 180 °F at 2025-03-09T12:53Z;
 * - forecasts: visualcrossing/default lead 0 and 1 every day; a 0 °F tempmax (lead 1 for 2025-03-10);
 *   open-meteo/gfs missing 2025-03-10 (coverage 75 %);
 * - settlements: cli, ghcn, asos; asos says 58 on 2025-03-09 where the others say 55 (spread 3 °F);
 * - markets: one per day with 1- and 60-minute candles over open..close; 90 minutes of 1-minute candles
 *   missing in the 2025-03-08 market.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { cliAvailableAt, forecastRunAvailableAt, ghcnAvailableAt, observationAvailableAt } from '../../domain/known-at';
import { kalshiMarket, wxForecastSnapshot, wxObservation, wxSettlement, wxSettlementConsolidated } from '../../schemas/db';

export const FROM = '2025-03-07';
export const TO = '2025-03-10';
export const AS_OF = '2025-03-11T12:00:00.000Z';
export const DATES = ['2025-03-07', '2025-03-08', '2025-03-09', '2025-03-10'] as const;
const HIGHS: Record<string, number> = { '2025-03-07': 45, '2025-03-08': 50, '2025-03-09': 55, '2025-03-10': 60 };

export const SPIKE_AT = '2025-03-08T20:53:00.000Z';
export const IMPOSSIBLE_AT = '2025-03-09T12:53:00.000Z';
export const STUCK_FROM = Date.parse('2025-03-10T08:53:00Z');
export const STUCK_TO = Date.parse('2025-03-10T16:53:00Z');
export const OBS_ROWS = 96;
export const GAP_MARKET = 'KXHIGHCHI-25MAR08-B50.5';
export const ZERO_FORECAST_KEY = { city_id: 'chicago', source: 'visualcrossing', model: 'default', target_date: '2025-03-10', basis_time: '2025-03-09T12:00:00.000Z' };

/** tempmax per (source/model, lead, date); undefined = no snapshot. */
const FORECASTS: Record<string, Record<number, Array<number | undefined>>> = {
  // errors vs 45, 50, 55, 60: lead 0: +1, +2, (+2: disagreement day, excluded), −3 → n 3, bias 0, MAE 2
  //                           lead 1: +3, −1, (0), 0 °F sentinel flagged     → n 2, bias 1, MAE 2
  'visualcrossing/default': { 0: [46, 52, 57, 57], 1: [48, 49, 55, 0] },
  // lead 0: −1, 0, (0), missing → n 2, bias −0.5, MAE 0.5; lead 1: −2, −2, (−1), missing → n 2, bias −2, MAE 2
  'open-meteo/gfs': { 0: [44, 50, 55, undefined], 1: [43, 48, 54, undefined] },
};

const HOUR = 3_600_000;
const MIN = 60_000;

export async function insertFixture(db: Db): Promise<void> {
  // Observations: 03-07 06:53Z .. 03-11 05:53Z, a smooth diurnal curve.
  const start = Date.parse('2025-03-07T06:53:00Z');
  const obs = Array.from({ length: OBS_ROWS }, (_, i) => {
    const t = start + i * HOUR;
    let v = Math.round((40 + 8 * Math.sin((2 * Math.PI * (i - 9)) / 24) + i * 0.05) * 10) / 10;
    const iso = new Date(t).toISOString();
    if (iso === SPIKE_AT) v += 25;
    if (iso === IMPOSSIBLE_AT) v = 180;
    if (t >= STUCK_FROM && t <= STUCK_TO) v = 35;
    return { station: 'KMDW', source: 'iem-asos', observedAt: new Date(t), availableAt: observationAvailableAt('iem-asos', new Date(t)), tempF: v };
  });
  await db.insert(wxObservation).values(obs);

  const forecasts = Object.entries(FORECASTS).flatMap(([key, byLead]) => {
    const [source, model] = key.split('/') as [string, string];
    return Object.entries(byLead).flatMap(([lead, values]) =>
      values.flatMap((tempmaxF, i) => {
        if (tempmaxF === undefined) return [];
        const targetDate = DATES[i]!;
        const basis = new Date(Date.parse(`${targetDate}T12:00:00Z`) - Number(lead) * 24 * HOUR);
        return [
          {
            cityId: 'chicago',
            source,
            model,
            targetDate,
            basisTime: basis,
            basisDate: basis.toISOString().slice(0, 10),
            leadDays: Number(lead),
            availableAt: forecastRunAvailableAt(source, model, basis),
            tempmaxF,
            tempminF: tempmaxF === 0 ? null : tempmaxF - 15,
          },
        ];
      }),
    );
  });
  await db.insert(wxForecastSnapshot).values(forecasts);

  const settlements = DATES.flatMap((date) => [
    { cityId: 'chicago', date, source: 'cli', highF: HIGHS[date]!, availableAt: cliAvailableAt('chicago', date, null) },
    { cityId: 'chicago', date, source: 'ghcn', highF: HIGHS[date]!, availableAt: ghcnAvailableAt('chicago', date) },
    // An ASOS-derived high is known once the climate day's last observation is reported.
    { cityId: 'chicago', date, source: 'asos', highF: date === '2025-03-09' ? 58 : HIGHS[date]!, availableAt: observationAvailableAt('iem-asos', climateDayWindowUtc('chicago', date).end.toJSDate()) },
  ]);
  await db.insert(wxSettlement).values(settlements);
  await db.insert(wxSettlementConsolidated).values(
    DATES.map((date) => ({
      cityId: 'chicago',
      date,
      highF: HIGHS[date]!,
      source: 'cli',
      precedence: ['cli', 'ghcn', 'asos'],
      disagreement: date === '2025-03-09',
      sourceValues: { cli: HIGHS[date]!, ghcn: HIGHS[date]!, asos: date === '2025-03-09' ? 58 : HIGHS[date]! },
    })),
  );

  for (const date of DATES) {
    const d = new Date(`${date}T00:00:00Z`);
    const ticker = `KXHIGHCHI-25MAR${date.slice(8)}-B${HIGHS[date]! + 0.5}`;
    const open = new Date(d.getTime() - 9 * HOUR); // D-1 15:00Z
    const close = new Date(d.getTime() + 30 * HOUR); // D+1 06:00Z (end of the Chicago climate day)
    await db.insert(kalshiMarket).values({
      ticker,
      eventTicker: ticker.replace(/-B.*$/, ''),
      seriesTicker: 'KXHIGHCHI',
      cityId: 'chicago',
      eventDate: date,
      strikeType: 'between',
      floorStrike: HIGHS[date]! - 0.5,
      capStrike: HIGHS[date]! + 0.5,
      openTime: open,
      closeTime: close,
    });
    const gapFrom = ticker === GAP_MARKET ? new Date(d.getTime() + HOUR) : new Date(0);
    const gapTo = ticker === GAP_MARKET ? new Date(d.getTime() + HOUR + 90 * MIN) : new Date(0);
    await db.execute(sql`
      insert into kalshi.candle (market_ticker, period_minutes, bucket_start, volume)
      select ${ticker}, 1, g, 0 from generate_series(${open.toISOString()}::timestamptz, ${close.toISOString()}::timestamptz - interval '1 minute', interval '1 minute') g
      where not (g >= ${gapFrom.toISOString()}::timestamptz and g < ${gapTo.toISOString()}::timestamptz)`);
    await db.execute(sql`
      insert into kalshi.candle (market_ticker, period_minutes, bucket_start, volume)
      select ${ticker}, 60, g, 0 from generate_series(${open.toISOString()}::timestamptz, ${close.toISOString()}::timestamptz - interval '60 minutes', interval '60 minutes') g`);
  }
}
