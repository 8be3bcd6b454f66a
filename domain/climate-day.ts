import { DateTime, FixedOffsetZone } from 'luxon';
import { getCity, type CityId } from './cities';
import { InvalidDateError, describeValue } from './errors';
import { assertIsoDate, type IsoDate } from './iso-date';

/*
 * The NWS climate day (what the CLI max, hence the market, measures) runs midnight to
 * midnight local STANDARD time all year; in daylight time that is 01:00 -> 01:00 on the
 * clock. So in UTC it is a fixed 24 h window per city, e.g. Chicago D 06:00Z -> D+1 06:00Z.
 * Civil-day sources (Open-Meteo daily, Visual Crossing, IEM local stamps) are off by an
 * hour in summer; aggregate hourly data over this window instead.
 */

export interface ClimateDayWindow {
  /** Inclusive start, in UTC. */
  start: DateTime;
  /** Exclusive end, in UTC; always start + 24 h. */
  end: DateTime;
}

/** The zone the climate day is defined in: fixed at the city's standard offset, never DST. */
export function climateZone(cityId: CityId): FixedOffsetZone {
  return FixedOffsetZone.instance(getCity(cityId).standardOffsetMinutes);
}

export function climateDayWindowUtc(cityId: CityId, date: IsoDate): ClimateDayWindow {
  assertIsoDate(date, 'climate date');
  const start = DateTime.fromISO(date, { zone: climateZone(cityId) }).startOf('day');
  return { start: start.toUTC(), end: start.plus({ hours: 24 }).toUTC() };
}

function toInstant(instant: DateTime | Date, field: string): DateTime {
  const dt = instant instanceof Date ? DateTime.fromJSDate(instant) : instant;
  if (!DateTime.isDateTime(dt) || !dt.isValid) {
    throw new InvalidDateError(`invalid ${field} ${describeValue(String(instant))}: expected a valid instant`);
  }
  return dt;
}

/** The climate date an instant falls in: windows are half-open, so D+1 06:00Z in Chicago is D+1. */
export function climateDateOf(cityId: CityId, instant: DateTime | Date): IsoDate {
  return toInstant(instant, 'instant').setZone(climateZone(cityId)).toISODate() as IsoDate;
}

/** The civil (DST-aware, wall-clock) date, which is what most weather APIs call "the day". */
export function localCivilDate(cityId: CityId, instant: DateTime | Date): IsoDate {
  return toInstant(instant, 'instant').setZone(getCity(cityId).timeZone).toISODate() as IsoDate;
}

export function isInClimateDay(cityId: CityId, date: IsoDate, instant: DateTime | Date): boolean {
  const { start, end } = climateDayWindowUtc(cityId, date);
  const t = toInstant(instant, 'instant').toMillis();
  return start.toMillis() <= t && t < end.toMillis();
}
