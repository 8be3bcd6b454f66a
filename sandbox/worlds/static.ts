/**
 * A world backed by in-memory arrays of records: the recorded world loads files into one, tests build
 * small ones by hand. Every query filters by its range; nothing is derived that the data does not hold.
 */
import { DateTime } from 'luxon';
import type { CityId } from '../../domain/cities';
import { findCityForSeries, getCity } from '../../domain/cities';
import type {
  CandleRow,
  DailyForecastRow,
  EventRow,
  GhcnDailyValue,
  HourlyForecastRow,
  MarketRow,
  MosForecast,
  ObservationRow,
  OrderbookSnapshot,
  SeriesRow,
  SettlementRow,
  TradeRow,
} from '../../schemas/records';
import type { DateRange, ForecastSource, Served, UtcRange, World, WorldKind } from '../world';

export interface StaticWorldData {
  cities: readonly CityId[];
  dates: DateRange;
  /** The world's clock; defaults to the end of the last climate date. */
  now?: Date;
  cli?: Served<SettlementRow>[];
  ghcn?: GhcnDailyValue[];
  observations?: Served<ObservationRow>[];
  dailyForecasts?: Served<DailyForecastRow>[];
  hourlyForecasts?: Served<HourlyForecastRow>[];
  mos?: MosForecast[];
  series?: SeriesRow[];
  events?: Array<{ event: EventRow; markets: MarketRow[] }>;
  candles?: CandleRow[];
  trades?: TradeRow[];
  /** Books by ticker (a static world holds one book per market). */
  orderbooks?: OrderbookSnapshot[];
}

const inDates = (date: string, r: DateRange) => date >= r.from && date <= r.to;
const inUtc = (t: Date, r: UtcRange) => t.getTime() >= r.from.getTime() && t.getTime() < r.to.getTime();
const time = (d: Date) => d.getTime();

/** Groups rows by a key once, so queries over long ranges stay cheap. */
function indexBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}

export class StaticWorld implements World {
  private readonly obsByStation: Map<string, Served<ObservationRow>[]>;
  private readonly candlesByTicker: Map<string, CandleRow[]>;
  private readonly tradesByTicker: Map<string, TradeRow[]>;
  private readonly books: Map<string, OrderbookSnapshot>;

  constructor(
    readonly kind: WorldKind,
    readonly description: string,
    private readonly data: StaticWorldData,
  ) {
    this.obsByStation = indexBy(data.observations ?? [], (o) => o.station);
    for (const list of this.obsByStation.values()) list.sort((a, b) => time(a.observedAt) - time(b.observedAt));
    this.candlesByTicker = indexBy(data.candles ?? [], (c) => `${c.marketTicker}|${c.periodMinutes}`);
    for (const list of this.candlesByTicker.values()) list.sort((a, b) => time(a.bucketStart) - time(b.bucketStart));
    this.tradesByTicker = indexBy(data.trades ?? [], (t) => t.marketTicker);
    for (const list of this.tradesByTicker.values()) list.sort((a, b) => time(a.createdTime) - time(b.createdTime) || a.tradeId.localeCompare(b.tradeId));
    this.books = new Map((data.orderbooks ?? []).map((b) => [b.ticker, b]));
  }

  get cities(): readonly CityId[] {
    return this.data.cities;
  }

  get dates(): DateRange {
    return this.data.dates;
  }

  now(): DateTime {
    if (this.data.now) return DateTime.fromJSDate(this.data.now, { zone: 'utc' });
    // The end of the last climate day in the westernmost standard zone covers every city's last day.
    return DateTime.fromISO(this.data.dates.to, { zone: 'utc' }).plus({ days: 1, hours: 8 });
  }

  cliReports(city: CityId, dates: DateRange): Served<SettlementRow>[] {
    return (this.data.cli ?? []).filter((s) => s.cityId === city && inDates(s.date, dates));
  }

  ghcnDaily(city: CityId, dates: DateRange): GhcnDailyValue[] {
    const ghcnId = getCity(city).station.ghcnId;
    return (this.data.ghcn ?? []).filter((g) => g.ghcnId === ghcnId && inDates(g.date, dates));
  }

  observations(city: CityId, range: UtcRange): Served<ObservationRow>[] {
    return (this.obsByStation.get(getCity(city).station.icao) ?? []).filter((o) => inUtc(o.observedAt, range));
  }

  dailyForecasts(city: CityId, source: ForecastSource, basisTime: Date, targets: DateRange): Served<DailyForecastRow>[] {
    return (this.data.dailyForecasts ?? []).filter(
      (f) => f.cityId === city && f.source === source && time(f.basisTime) === time(basisTime) && inDates(f.targetDate, targets),
    );
  }

  hourlyForecasts(city: CityId, source: ForecastSource, basisTime: Date, range: UtcRange): Served<HourlyForecastRow>[] {
    return (this.data.hourlyForecasts ?? []).filter(
      (f) => f.cityId === city && f.source === source && time(f.basisTime) === time(basisTime) && inUtc(f.validTime, range),
    );
  }

  forecastBasisTimes(city: CityId, source: ForecastSource, range: UtcRange): Date[] {
    const times = new Set<number>();
    for (const f of [...(this.data.dailyForecasts ?? []), ...(this.data.hourlyForecasts ?? [])]) {
      if (f.cityId === city && f.source === source && inUtc(f.basisTime, range)) times.add(time(f.basisTime));
    }
    return [...times].sort((a, b) => a - b).map((t) => new Date(t));
  }

  mosForecasts(city: CityId, model: string, targets: DateRange): MosForecast[] {
    const station = getCity(city).station.icao;
    return (this.data.mos ?? []).filter(
      (m) => (m.station === station || m.station === station.slice(1)) && m.model.toLowerCase() === model.toLowerCase() && inDates(m.targetDate, targets),
    );
  }

  series(): SeriesRow[] {
    return this.data.series ?? [];
  }

  events(filter: { seriesTicker?: string; city?: CityId; dates?: DateRange } = {}): Array<{ event: EventRow; markets: MarketRow[] }> {
    return (this.data.events ?? []).filter(({ event }) => {
      if (filter.seriesTicker) {
        // Legacy events (HIGHCHI-...) carry the current series ticker; match either name of the city's series.
        const wanted = findCityForSeries(filter.seriesTicker);
        const has = findCityForSeries(event.seriesTicker);
        if (event.seriesTicker !== filter.seriesTicker && (!wanted || wanted.id !== has?.id)) return false;
      }
      if (filter.city && event.cityId !== filter.city) return false;
      if (filter.dates && !inDates(event.eventDate, filter.dates)) return false;
      return true;
    });
  }

  candles(marketTicker: string, periodMinutes: 1 | 60 | 1440, range: UtcRange): CandleRow[] {
    return (this.candlesByTicker.get(`${marketTicker}|${periodMinutes}`) ?? []).filter((c) => inUtc(c.bucketStart, range));
  }

  trades(marketTicker: string, range: UtcRange): TradeRow[] {
    return (this.tradesByTicker.get(marketTicker) ?? []).filter((t) => inUtc(t.createdTime, range));
  }

  orderbook(marketTicker: string): OrderbookSnapshot | undefined {
    return this.books.get(marketTicker);
  }
}
