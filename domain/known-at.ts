/**
 * Known-at time: the earliest instant a user of a source could have had a value (`available_at` on
 * forecasts, observations and settlements). Datasets, backtests and the trader join on it, so every
 * stamp errs late, never early: an upper bound of the run time plus an upper bound of the source's
 * publication delay. Backfill and live ingest stamp through these functions only (the clients call
 * them while parsing). Every delay is listed with its reference in docs/decisions.md ("Known-at
 * delays").
 */
import { DateTime } from 'luxon';
import type { CityId } from './cities';
import { climateDayWindowUtc } from './climate-day';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ── forecasts ───────────────────────────────────────────────────────────────────────────────────

/**
 * Time from a model run's nominal (initialisation / basis) time to when the source served its output,
 * per source and model; `*` is the source's default. Sources are the row `source` values.
 */
export const FORECAST_DELAY_MS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // VC keeps one snapshot per basis date, taken at 00:00Z: a user at that instant had it. The hour
  // covers the snapshot not being exactly instantaneous (unverified first-hand).
  visualcrossing: { '*': 1 * HOUR },
  // Open-Meteo serves a run once the model is computed and distributed: GFS ~3 h 40 min for its first
  // day, ECMWF IFS from 05:45 (00Z run). Open-Meteo's own docs: "typically 4…" hours after init.
  'open-meteo': { '*': 6 * HOUR, ecmwf_ifs025: 8 * HOUR, ecmwf_ifs: 8 * HOUR },
  // MOS text bulletins follow the model run they post-process (4 cycles a day for GFS/NAM, hourly NBM).
  'iem-mos': { gfs: 5 * HOUR, nam: 4 * HOUR, nbm: 2 * HOUR, '*': 5 * HOUR },
  // The NWS hourly forecast's basis is its `updateTime` (the grid's last edit); api.weather.gov caches.
  nws: { '*': 20 * MINUTE },
};

export function forecastDelayMs(source: string, model: string): number {
  const bySource = FORECAST_DELAY_MS[source];
  if (!bySource) throw new RangeError(`known-at: no publication delay for forecast source ${JSON.stringify(source)}`);
  const ms = bySource[model] ?? bySource['*'];
  if (ms === undefined) throw new RangeError(`known-at: no publication delay for ${source} model ${JSON.stringify(model)}`);
  return ms;
}

/** A forecast from one run whose (nominal) run time is known: VC basis 00Z, MOS runtime, NWS updateTime. */
export function forecastRunAvailableAt(source: string, model: string, runTime: Date): Date {
  return new Date(runTime.getTime() + forecastDelayMs(source, model));
}

/**
 * An Open-Meteo value for `validTime` taken from a run at least `daysBack` × 24 h older than it:
 * `<var>_previous_dayN` (previous-runs API), N = 0 for the plain variable and for the historical-forecast
 * API (stitched from the first hours of successive runs, so the run is at or before the valid time).
 * The run is at most validTime − N days (the latest one contributing), so that instant plus the delay
 * bounds when the value was out. A day-N value for hour 23 of day D is therefore known about a day
 * after D − N 00Z, not at it.
 */
export function openMeteoRunValueAvailableAt(model: string, validTime: Date, daysBack: number): Date {
  if (!Number.isInteger(daysBack) || daysBack < 0) throw new RangeError(`known-at: daysBack must be a non-negative integer, got ${daysBack}`);
  return new Date(validTime.getTime() - daysBack * DAY + forecastDelayMs('open-meteo', model));
}

/** A value derived from several stamped values (a daily max of hourly values): known once the last of them is. */
export function latestOf(stamps: readonly Date[]): Date {
  if (stamps.length === 0) throw new RangeError('known-at: latestOf needs at least one stamp');
  return new Date(Math.max(...stamps.map((d) => d.getTime())));
}

/**
 * A current forecast fetched live whose run time the payload does not tell (Open-Meteo `current.time`,
 * Visual Crossing `currentConditions` are the clock of the answer, not of the run): known when received,
 * and never before the time the answer describes.
 */
export function receivedAvailableAt(receivedAt: Date, answerTime?: Date): Date {
  return answerTime && answerTime.getTime() > receivedAt.getTime() ? answerTime : receivedAt;
}

// ── observations ────────────────────────────────────────────────────────────────────────────────

/** Time from an observation's timestamp to when each feed carried it, by row `source`. */
export const OBSERVATION_DELAY_MS: Readonly<Record<string, number>> = {
  // METARs are sent within minutes of hh:51-53 and IEM ingests the NWS feed as it arrives.
  'iem-asos': 15 * MINUTE,
  // NCEI's one-minute ASOS files reach IEM about a day late (weather-apis.md §2.3).
  'iem-asos1min': 24 * HOUR,
  // api.weather.gov observations: up-to-20-min delays (third party, weather-apis.md §3).
  'nws-api': 20 * MINUTE,
  // Visual Crossing's station observations: its ingest latency is undocumented; an hour of margin.
  'vc-obs': 1 * HOUR,
};

export function observationAvailableAt(source: string, observedAt: Date): Date {
  const ms = OBSERVATION_DELAY_MS[source];
  if (ms === undefined) throw new RangeError(`known-at: no reporting delay for observation source ${JSON.stringify(source)}`);
  return new Date(observedAt.getTime() + ms);
}

// ── settlements ─────────────────────────────────────────────────────────────────────────────────

/** Hours after the end of the climate day (local standard midnight) by which the final CLI is out. */
export const CLI_FALLBACK_HOURS_AFTER_DAY = 10;
/** GHCN-Daily appears 1–3 days after the date (weather-apis.md §5): the late end of that range. */
export const GHCN_LAG_DAYS = 3;
/** Kalshi's latest expiration: one week after the date (kalshi-weather-markets.md §6). */
export const KALSHI_FALLBACK_DAYS = 7;

function dayEnd(cityId: CityId, date: string): DateTime {
  return climateDayWindowUtc(cityId, date).end;
}

/**
 * A CLI report: its issue time when the product id tells it (a preliminary CLI of the same day, a
 * correction days later), else the morning after the climate day, 10:00 local standard time (the final
 * CLI is usually posted 06–08 local; Kalshi's NWS-era expiration was 10:00 ET the day after).
 */
export function cliAvailableAt(cityId: CityId, date: string, issuedAt: Date | null | undefined): Date {
  if (issuedAt) return issuedAt;
  return dayEnd(cityId, date).plus({ hours: CLI_FALLBACK_HOURS_AFTER_DAY }).toJSDate();
}

/** A GHCN-Daily value: its usual lag after the climate day. */
export function ghcnAvailableAt(cityId: CityId, date: string): Date {
  return dayEnd(cityId, date).plus({ days: GHCN_LAG_DAYS }).toJSDate();
}

/**
 * A Kalshi market result / expiration value: the settlement time once finalized, else the latest
 * expiration time the market announced (the value is known by then), else a week after the date.
 */
export function kalshiResultAvailableAt(
  cityId: CityId,
  date: string,
  market: { settlementTs?: Date | null; latestExpirationTime?: Date | null; expirationTime?: Date | null },
): Date {
  const t = market.settlementTs ?? market.latestExpirationTime ?? market.expirationTime;
  if (t) return t;
  return dayEnd(cityId, date).plus({ days: KALSHI_FALLBACK_DAYS }).toJSDate();
}
