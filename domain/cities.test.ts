import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  CITIES,
  CITY_IDS,
  CitySchema,
  allSeriesForCity,
  cityForSeries,
  findCityForSeries,
  getCity,
  parseCityId,
  seriesForCity,
  type CityId,
} from './cities';
import { InvalidCityError } from './errors';

describe('CITIES', () => {
  it('has exactly the six cities, in id order', () => {
    expect(CITIES.map((c) => c.id)).toEqual([...CITY_IDS]);
    expect(CITIES).toHaveLength(6);
  });

  it('every entry satisfies CitySchema', () => {
    for (const c of CITIES) expect(CitySchema.parse(c)).toEqual(c);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(CITIES)).toBe(true);
    expect(Object.isFrozen(CITIES[0])).toBe(true);
  });

  it.each([
    ['chicago', 'Chicago', 'America/Chicago', -360, 'KMDW', 'USW00014819', 'LOT', 'MDW', 'KXHIGHCHI'],
    ['austin', 'Austin', 'America/Chicago', -360, 'KAUS', 'USW00013904', 'EWX', 'AUS', 'KXHIGHAUS'],
    ['denver', 'Denver', 'America/Denver', -420, 'KDEN', 'USW00003017', 'BOU', 'DEN', 'KXHIGHDEN'],
    ['los_angeles', 'Los Angeles', 'America/Los_Angeles', -480, 'KLAX', 'USW00023174', 'LOX', 'LAX', 'KXHIGHLAX'],
    ['miami', 'Miami', 'America/New_York', -300, 'KMIA', 'USW00012839', 'MFL', 'MIA', 'KXHIGHMIA'],
    ['philadelphia', 'Philadelphia', 'America/New_York', -300, 'KPHL', 'USW00013739', 'PHI', 'PHL', 'KXHIGHPHIL'],
  ] as const)('%s: reference table values', (id, name, zone, offset, icao, ghcn, site, issuedBy, series) => {
    const c = getCity(id);
    expect(c.displayName).toBe(name);
    expect(c.timeZone).toBe(zone);
    expect(c.standardOffsetMinutes).toBe(offset);
    expect(c.station.icao).toBe(icao);
    expect(c.station.ghcnId).toBe(ghcn);
    expect(c.station.cli).toEqual({ site, issuedBy });
    expect(c.seriesTicker).toBe(series);
  });

  it.each(CITY_IDS)('%s: standard offset equals the IANA zone offset in January and is one hour behind July', (id) => {
    const c = getCity(id);
    expect(DateTime.fromISO('2025-01-15T12:00', { zone: c.timeZone }).offset).toBe(c.standardOffsetMinutes);
    expect(DateTime.fromISO('2025-07-15T12:00', { zone: c.timeZone }).offset).toBe(c.standardOffsetMinutes + 60);
  });

  it.each(CITY_IDS)('%s: station coordinates lie in the continental US', (id) => {
    const { latitude, longitude } = getCity(id).station;
    expect(latitude).toBeGreaterThan(24);
    expect(latitude).toBeLessThan(50);
    expect(longitude).toBeGreaterThan(-125);
    expect(longitude).toBeLessThan(-66);
  });

  it('Chicago settles at Midway, not O\u2019Hare; Austin at Bergstrom, not Camp Mabry', () => {
    expect(getCity('chicago').station.icao).toBe('KMDW');
    expect(getCity('austin').station.ghcnId).toBe('USW00013904');
  });

  it('series tickers are unique across cities', () => {
    const all = CITIES.flatMap((c) => [c.seriesTicker, ...c.legacySeriesTickers]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('legacy prefixes are those seen in real data only', () => {
    expect(getCity('chicago').legacySeriesTickers).toEqual(['HIGHCHI']);
    expect(getCity('austin').legacySeriesTickers).toEqual(['HIGHAUS']);
    expect(getCity('miami').legacySeriesTickers).toEqual(['HIGHMIA']);
    expect(getCity('denver').legacySeriesTickers).toEqual([]);
    expect(getCity('los_angeles').legacySeriesTickers).toEqual([]);
    expect(getCity('philadelphia').legacySeriesTickers).toEqual([]);
  });
});

describe('getCity', () => {
  it('throws for an unknown id, listing the valid ones', () => {
    expect(() => getCity('boston' as CityId)).toThrow(InvalidCityError);
    expect(() => getCity('boston' as CityId)).toThrow(
      'unknown city id "boston": expected one of chicago, austin, denver, los_angeles, miami, philadelphia',
    );
  });
});

describe('parseCityId', () => {
  it.each([
    ['chicago', 'chicago'],
    ['Chicago', 'chicago'],
    ['  CHICAGO ', 'chicago'],
    ['los_angeles', 'los_angeles'],
    ['Los Angeles', 'los_angeles'],
    ['los-angeles', 'los_angeles'],
    ['LOS ANGELES', 'los_angeles'],
    ['Los_Angeles', 'los_angeles'],
    ['philadelphia', 'philadelphia'],
    ['Miami', 'miami'],
    ['DENVER', 'denver'],
    ['austin', 'austin'],
  ])('%j -> %s', (input, id) => {
    expect(parseCityId(input)).toBe(id);
  });

  it.each(['LA', 'la', 'NYC', 'new york', 'KMDW', 'chi', 'phl', '', 'losangeles'])('refuses %j', (input) => {
    expect(() => parseCityId(input)).toThrow(InvalidCityError);
  });

  it('names the input and the valid ids in the error', () => {
    expect(() => parseCityId('LA')).toThrow(/unknown city "LA": expected one of chicago, austin, denver, los_angeles/);
  });
});

describe('series lookups', () => {
  it.each([
    ['KXHIGHCHI', 'chicago'],
    ['HIGHCHI', 'chicago'],
    ['KXHIGHAUS', 'austin'],
    ['HIGHAUS', 'austin'],
    ['KXHIGHDEN', 'denver'],
    ['KXHIGHLAX', 'los_angeles'],
    ['KXHIGHMIA', 'miami'],
    ['HIGHMIA', 'miami'],
    ['KXHIGHPHIL', 'philadelphia'],
  ])('cityForSeries(%s) = %s', (series, id) => {
    expect(cityForSeries(series).id).toBe(id);
    expect(findCityForSeries(series)?.id).toBe(id);
  });

  it.each(['KXHIGHNY', 'HIGHNY', 'KXHIGHPHL', 'HIGHDEN', 'kxhighchi', 'KXLOWTCHI', ''])('%j is not one of ours', (s) => {
    expect(findCityForSeries(s)).toBeUndefined();
    expect(() => cityForSeries(s)).toThrow(InvalidCityError);
  });

  it('the error lists the known series', () => {
    expect(() => cityForSeries('KXHIGHNY')).toThrow(/unknown series ticker "KXHIGHNY": expected one of KXHIGHCHI, HIGHCHI, KXHIGHAUS/);
  });

  it.each(CITY_IDS)('seriesForCity(%s) round-trips through cityForSeries', (id) => {
    expect(cityForSeries(seriesForCity(id)).id).toBe(id);
    for (const s of allSeriesForCity(id)) expect(cityForSeries(s).id).toBe(id);
    expect(allSeriesForCity(id)[0]).toBe(seriesForCity(id));
  });
});
