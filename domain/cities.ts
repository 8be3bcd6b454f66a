import { z } from 'zod';
import { InvalidCityError, describeValue } from './errors';

export const CITY_IDS = ['chicago', 'austin', 'denver', 'los_angeles', 'miami', 'philadelphia'] as const;

export const CityIdSchema = z.enum(CITY_IDS);
export type CityId = z.infer<typeof CityIdSchema>;

export const SettlementStationSchema = z.object({
  icao: z.string().regex(/^K[A-Z]{3}$/),
  ghcnId: z.string().regex(/^USW\d{8}$/),
  name: z.string().min(1),
  /** NWS Daily Climate Report (CLI) product: `site` is the WFO, `issuedBy` the station's CLI id. */
  cli: z.object({
    site: z.string().regex(/^[A-Z]{3}$/),
    issuedBy: z.string().regex(/^[A-Z]{3}$/),
  }),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});
export type SettlementStation = z.infer<typeof SettlementStationSchema>;

const SeriesTickerSchema = z.string().regex(/^[A-Z]+$/);

export const CitySchema = z.object({
  id: CityIdSchema,
  displayName: z.string().min(1),
  /** IANA zone: only for civil (DST-aware) local time; climate days use `standardOffsetMinutes`. */
  timeZone: z.string().min(1),
  /** UTC offset of local standard time, e.g. -360 for CST; the NWS climate day never shifts with DST. */
  standardOffsetMinutes: z.number().int().min(-720).max(840),
  station: SettlementStationSchema,
  seriesTicker: SeriesTickerSchema,
  /**
   * Prefixes seen on events from before Kalshi's KX rename (about Oct 2024). Only those that
   * appear in real data are listed: Denver, Los Angeles and Philadelphia were first listed
   * after the rename, so they have none.
   */
  legacySeriesTickers: z.array(SeriesTickerSchema).readonly(),
});
export type City = z.infer<typeof CitySchema>;

// Stations, CLI ids and coordinates: shared/reference/kalshi-weather-markets.md §1.
// Legacy prefixes: observed in shared/data/real (cpratim events, Logan tables, marzbana HIGHMIA).
const CITY_TABLE: readonly City[] = [
  {
    id: 'chicago',
    displayName: 'Chicago',
    timeZone: 'America/Chicago',
    standardOffsetMinutes: -360,
    station: {
      icao: 'KMDW',
      ghcnId: 'USW00014819',
      name: 'Chicago Midway Airport',
      cli: { site: 'LOT', issuedBy: 'MDW' },
      latitude: 41.78412,
      longitude: -87.75514,
    },
    seriesTicker: 'KXHIGHCHI',
    legacySeriesTickers: ['HIGHCHI'],
  },
  {
    id: 'austin',
    displayName: 'Austin',
    timeZone: 'America/Chicago',
    standardOffsetMinutes: -360,
    station: {
      icao: 'KAUS',
      ghcnId: 'USW00013904',
      name: 'Austin-Bergstrom International Airport',
      cli: { site: 'EWX', issuedBy: 'AUS' },
      latitude: 30.18311,
      longitude: -97.67989,
    },
    seriesTicker: 'KXHIGHAUS',
    legacySeriesTickers: ['HIGHAUS'],
  },
  {
    id: 'denver',
    displayName: 'Denver',
    timeZone: 'America/Denver',
    standardOffsetMinutes: -420,
    station: {
      icao: 'KDEN',
      ghcnId: 'USW00003017',
      name: 'Denver International Airport',
      cli: { site: 'BOU', issuedBy: 'DEN' },
      latitude: 39.84657,
      longitude: -104.65623,
    },
    seriesTicker: 'KXHIGHDEN',
    legacySeriesTickers: [],
  },
  {
    id: 'los_angeles',
    displayName: 'Los Angeles',
    timeZone: 'America/Los_Angeles',
    standardOffsetMinutes: -480,
    station: {
      icao: 'KLAX',
      ghcnId: 'USW00023174',
      name: 'Los Angeles International Airport',
      cli: { site: 'LOX', issuedBy: 'LAX' },
      latitude: 33.93816,
      longitude: -118.3866,
    },
    seriesTicker: 'KXHIGHLAX',
    legacySeriesTickers: [],
  },
  {
    id: 'miami',
    displayName: 'Miami',
    timeZone: 'America/New_York',
    standardOffsetMinutes: -300,
    station: {
      icao: 'KMIA',
      ghcnId: 'USW00012839',
      name: 'Miami International Airport',
      cli: { site: 'MFL', issuedBy: 'MIA' },
      latitude: 25.78805,
      longitude: -80.31694,
    },
    seriesTicker: 'KXHIGHMIA',
    legacySeriesTickers: ['HIGHMIA'],
  },
  {
    id: 'philadelphia',
    displayName: 'Philadelphia',
    timeZone: 'America/New_York',
    standardOffsetMinutes: -300,
    station: {
      icao: 'KPHL',
      ghcnId: 'USW00013739',
      name: 'Philadelphia International Airport',
      cli: { site: 'PHI', issuedBy: 'PHL' },
      latitude: 39.87326,
      longitude: -75.22681,
    },
    // Kalshi spells this one PHIL, not PHL.
    seriesTicker: 'KXHIGHPHIL',
    legacySeriesTickers: [],
  },
];

// Parsing the table through its own schema catches typos in the literals at import time.
export const CITIES: readonly City[] = Object.freeze(
  CITY_TABLE.map((c) => Object.freeze(CitySchema.parse(c))),
);

const BY_ID = new Map<CityId, City>(CITIES.map((c) => [c.id, c]));
const BY_SERIES = new Map<string, City>(
  CITIES.flatMap((c) => [c.seriesTicker, ...c.legacySeriesTickers].map((s) => [s, c] as const)),
);

const validIds = (): string => CITY_IDS.join(', ');

export function getCity(id: CityId): City {
  const city = BY_ID.get(id);
  if (!city) throw new InvalidCityError(`unknown city id ${describeValue(id)}: expected one of ${validIds()}`);
  return city;
}

const normalizeName = (s: string): string => s.trim().toLowerCase().replace(/[\s_-]+/g, '_');

/**
 * Accepts a city id or a display name, ignoring case and treating spaces, hyphens and
 * underscores alike ("Los Angeles", "los-angeles", "LOS_ANGELES"). Abbreviations such as
 * "LA" or station codes are refused on purpose: a guessed city is a wrong trade.
 */
export function parseCityId(input: string): CityId {
  const key = typeof input === 'string' ? normalizeName(input) : '';
  const city = CITIES.find((c) => c.id === key || normalizeName(c.displayName) === key);
  if (!city) {
    throw new InvalidCityError(
      `unknown city ${describeValue(input)}: expected one of ${validIds()} (or their display names)`,
    );
  }
  return city.id;
}

/** The city whose current or legacy series ticker this is, or undefined (e.g. KXHIGHNY is out of scope). */
export function findCityForSeries(seriesTicker: string): City | undefined {
  return BY_SERIES.get(seriesTicker);
}

export function cityForSeries(seriesTicker: string): City {
  const city = findCityForSeries(seriesTicker);
  if (!city) {
    const known = CITIES.flatMap((c) => [c.seriesTicker, ...c.legacySeriesTickers]).join(', ');
    throw new InvalidCityError(`unknown series ticker ${describeValue(seriesTicker)}: expected one of ${known}`);
  }
  return city;
}

/** The series ticker to query today. */
export function seriesForCity(id: CityId): string {
  return getCity(id).seriesTicker;
}

/** Current series first, then legacy prefixes, for matching historical event tickers. */
export function allSeriesForCity(id: CityId): readonly string[] {
  const city = getCity(id);
  return [city.seriesTicker, ...city.legacySeriesTickers];
}
