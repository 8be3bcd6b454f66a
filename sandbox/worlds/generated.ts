/**
 * A seeded world calibrated on real statistics (sandbox/worlds/calibration.json). Nothing is
 * precomputed: every (city, date) is generated on demand from streams keyed by (seed, city, date,
 * purpose) and cached modestly, so a long range costs nothing until asked and the same question
 * always gets the same answer (also across worlds with different ranges or clocks: a date's
 * weather and markets depend only on the seed, the city, the date and the inefficiency).
 *
 * The weather model is in generated/model.ts, the market in generated/market.ts. What `now()` hides:
 * observations, forecasts issued, CLI/GHCN values, candles, trades and market states are those known
 * at `now` (default: after the last date's settlement).
 */
import { DateTime } from 'luxon';
import { roundHalfUp, tenthsCToWholeFahrenheit } from '../../domain/fahrenheit';
import { CITY_IDS, getCity, findCityForSeries, type CityId } from '../../domain/cities';
import { assertIsoDate } from '../../domain/iso-date';
import { parseEventTicker, parseMarketTicker } from '../../domain/tickers';
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
import { seriesRowFor } from './series';
import type { DateRange, ForecastSource, Served, UtcRange, World } from '../world';
import { defaultCalibration, type WorldCalibration } from './generated/calibration';
import { bookAt, candlesOf, eventSpec, simulate, tradesIn, tradeSummary, type EventSpec, type Inefficiency, type MarketSim } from './generated/market';
import { Lru, round1 } from './generated/math';
import { addDays, CityModel, datesBetween, dayDiff, DAY, HOUR, MIN, type SourceKey } from './generated/model';

export type { Inefficiency } from './generated/market';

export interface GeneratedWorldOptions {
  seed: number | string;
  cities?: readonly CityId[];
  dates: DateRange;
  inefficiency?: Inefficiency;
  /** The world's clock; default: the day after the last date, 16:00Z (every event finalized). */
  now?: Date | DateTime;
  calibration?: WorldCalibration;
}

/** Model names in forecast rows, per source. */
export const FORECAST_MODELS: Record<ForecastSource, string> = { visualcrossing: 'best', 'open-meteo': 'best_match' };
/** UTC hours at which each source issues forecasts. */
export const FORECAST_ISSUE_HOURS: Record<ForecastSource, readonly number[]> = { visualcrossing: [0], 'open-meteo': [0, 12] };
export const OBSERVATION_SOURCE = 'iem-asos1min';
/** The CLI report is out this long after the climate day ends. */
export const CLI_DELAY_MS = 2 * HOUR;
const MAX_LEAD_DAYS = 7;

const MOS_RUNS: Record<'GFS' | 'NAM', Array<[dayOffset: number, hour: number]>> = {
  GFS: [[-2, 0], [-2, 12], [-1, 0], [-1, 12], [0, 0]],
  NAM: [[-1, 0], [-1, 12], [0, 0]],
};

/** GHCN tenths of °C whose °F conversion rounds half up to `f` (the one rule, domain/fahrenheit.ts). */
export function tenthsCFor(f: number): number {
  const base = Math.round(((f - 32) * 50) / 9);
  for (const t of [base, base - 1, base + 1]) {
    if (tenthsCToWholeFahrenheit(t) === f) return t;
  }
  return base;
}

/** Market simulations kept (events); see the constructor. */
const SIMULATION_CACHE_EVENTS = 384;

export class GeneratedWorld implements World {
  readonly kind = 'generated' as const;
  readonly description: string;
  readonly cities: readonly CityId[];
  readonly dates: DateRange;
  readonly inefficiency: Inefficiency;
  readonly seed: string;
  private readonly nowMs: number;
  private readonly cal: WorldCalibration;
  private readonly models = new Map<CityId, CityModel>();
  private readonly sims: Lru<string, MarketSim>;
  private readonly specs = new Map<string, EventSpec>();
  /** Event rows are fixed for a fixed clock: kept once built (small). */
  private readonly rows = new Map<string, { event: EventRow; markets: MarketRow[] }>();

  constructor(opts: GeneratedWorldOptions) {
    assertIsoDate(opts.dates.from, 'dates.from');
    assertIsoDate(opts.dates.to, 'dates.to');
    if (opts.dates.from > opts.dates.to) throw new Error(`generated world: dates.from ${opts.dates.from} is after dates.to ${opts.dates.to}`);
    this.seed = String(opts.seed);
    this.cities = Object.freeze([...(opts.cities ?? CITY_IDS)]);
    for (const c of this.cities) getCity(c);
    this.dates = { from: opts.dates.from, to: opts.dates.to };
    this.inefficiency = opts.inefficiency ?? 'none';
    this.cal = opts.calibration ?? defaultCalibration();
    const now = opts.now instanceof Date ? opts.now.getTime() : opts.now ? opts.now.toMillis() : undefined;
    this.nowMs = now ?? Date.parse(`${addDays(this.dates.to, 1)}T16:00:00Z`);
    this.description = `generated seed=${this.seed} inefficiency=${this.inefficiency}`;
    // ~100 KB per event (~40 MB at most): two months of six cities. A backfill lists a month's events of
    // every city (which simulates them) before it asks for their candles and trades; with room for a
    // few weeks only, most were simulated again (the sandbox's largest cost in bench/backfill.ts).
    this.sims = new Lru(SIMULATION_CACHE_EVENTS);
  }

  now(): DateTime {
    return DateTime.fromMillis(this.nowMs, { zone: 'utc' });
  }

  /** The per-city model (weather truth and information path); exposed for tests and diagnostics. */
  model(city: CityId): CityModel {
    let m = this.models.get(city);
    if (!m) {
      m = new CityModel(this.seed, city, this.cal);
      this.models.set(city, m);
    }
    return m;
  }

  private has(city: CityId): boolean {
    return this.cities.includes(city);
  }

  private datesIn(range: DateRange): string[] {
    const from = range.from > this.dates.from ? range.from : this.dates.from;
    const to = range.to < this.dates.to ? range.to : this.dates.to;
    return from <= to ? datesBetween(from, to) : [];
  }

  // ── settlement truth ──────────────────────────────────────────────────────────────────────────

  cliReports(city: CityId, dates: DateRange): Served<SettlementRow>[] {
    if (!this.has(city)) return [];
    const m = this.model(city);
    return this.datesIn(dates).flatMap((date) => {
      const d = m.day(date);
      const issuedMs = d.dayEndMs + CLI_DELAY_MS;
      if (issuedMs > this.nowMs) return [];
      return [{ cityId: city, date, source: 'cli', highF: d.cli, lowF: m.low(date), issuedAt: new Date(issuedMs), isPreliminary: false }];
    });
  }

  ghcnDaily(city: CityId, dates: DateRange): GhcnDailyValue[] {
    const ghcnId = getCity(city).station.ghcnId;
    return this.cliReports(city, dates).map((r) => ({
      ghcnId,
      date: r.date,
      tmaxTenthsC: tenthsCFor(r.highF),
      ...(r.lowF != null ? { tminTenthsC: tenthsCFor(r.lowF) } : {}),
    }));
  }

  // ── observations ──────────────────────────────────────────────────────────────────────────────

  observations(city: CityId, range: UtcRange): Served<ObservationRow>[] {
    if (!this.has(city)) return [];
    const m = this.model(city);
    const station = getCity(city).station.icao;
    const fromMs = range.from.getTime();
    const toMs = Math.min(range.to.getTime(), this.nowMs + 1);
    if (toMs <= fromMs) return [];
    const first = new Date(fromMs + m.offsetMs).toISOString().slice(0, 10);
    const last = new Date(toMs - 1 + m.offsetMs).toISOString().slice(0, 10);
    const out: Served<ObservationRow>[] = [];
    for (const date of this.datesIn({ from: first, to: last })) {
      const d = m.day(date);
      const obs = m.reported(date);
      const k0 = Math.max(0, Math.ceil((fromMs - d.dayStartMs) / MIN));
      const k1 = Math.min(1440, Math.ceil((toMs - d.dayStartMs) / MIN));
      for (let k = k0; k < k1; k++) {
        out.push({ station, source: OBSERVATION_SOURCE, observedAt: new Date(d.dayStartMs + k * MIN), tempF: obs[k]! });
      }
    }
    return out;
  }

  // ── forecasts ─────────────────────────────────────────────────────────────────────────────────

  dailyForecasts(city: CityId, source: ForecastSource, basisTime: Date, targets: DateRange): Served<DailyForecastRow>[] {
    const ms = basisTime.getTime();
    if (!this.has(city) || ms > this.nowMs) return [];
    const m = this.model(city);
    const basisDate = DateTime.fromMillis(ms, { zone: getCity(city).timeZone }).toISODate()!;
    return this.datesIn(targets).flatMap((targetDate) => {
      const leadDays = dayDiff(targetDate, basisDate);
      if (leadDays < 0 || leadDays > MAX_LEAD_DAYS) return [];
      const hi = m.forecastHigh(targetDate, source, ms);
      const lo = m.forecastLow(targetDate, source, ms);
      return [
        {
          cityId: city,
          source,
          model: FORECAST_MODELS[source],
          targetDate,
          basisTime: new Date(ms),
          basisDate,
          leadDays,
          tempmaxF: round1(hi),
          tempminF: round1(lo),
          tempF: round1((hi + lo) / 2),
        },
      ];
    });
  }

  hourlyForecasts(city: CityId, source: ForecastSource, basisTime: Date, range: UtcRange): Served<HourlyForecastRow>[] {
    const ms = basisTime.getTime();
    if (!this.has(city) || ms > this.nowMs) return [];
    const m = this.model(city);
    const start = Math.max(range.from.getTime(), ms);
    const end = Math.min(range.to.getTime(), ms + (MAX_LEAD_DAYS + 1) * DAY);
    const out: Served<HourlyForecastRow>[] = [];
    const curves = new Map<string, (h: number) => number>();
    for (let v = Math.ceil(start / HOUR) * HOUR; v < end; v += HOUR) {
      const lst = v + m.offsetMs;
      const date = new Date(lst).toISOString().slice(0, 10);
      if (date < this.dates.from || date > this.dates.to) continue;
      let curve = curves.get(date);
      if (!curve) {
        curve = m.forecastCurve(date, source, ms);
        curves.set(date, curve);
      }
      const hour = (lst - Date.parse(`${date}T00:00:00Z`)) / HOUR;
      out.push({ cityId: city, source, model: FORECAST_MODELS[source], basisTime: new Date(ms), validTime: new Date(v), tempF: round1(curve(hour)) });
    }
    return out;
  }

  forecastBasisTimes(city: CityId, source: ForecastSource, range: UtcRange): Date[] {
    if (!this.has(city)) return [];
    const first = Date.parse(`${addDays(this.dates.from, -(MAX_LEAD_DAYS + 1))}T00:00:00Z`);
    const last = Math.min(this.nowMs, Date.parse(`${addDays(this.dates.to, 1)}T00:00:00Z`));
    const from = Math.max(range.from.getTime(), first);
    const to = Math.min(range.to.getTime(), last + 1);
    const out: Date[] = [];
    for (let d = Math.floor(from / DAY) * DAY; d < to; d += DAY) {
      for (const h of FORECAST_ISSUE_HOURS[source]) {
        const t = d + h * HOUR;
        if (t >= from && t < to) out.push(new Date(t));
      }
    }
    return out;
  }

  mosForecasts(city: CityId, model: string, targets: DateRange): MosForecast[] {
    const key = model.toUpperCase();
    if (!this.has(city) || (key !== 'GFS' && key !== 'NAM')) return [];
    const m = this.model(city);
    const station = getCity(city).station.icao;
    const out: MosForecast[] = [];
    for (const targetDate of this.datesIn(targets)) {
      for (const [off, hour] of MOS_RUNS[key]) {
        const run = Date.parse(`${addDays(targetDate, off)}T00:00:00Z`) + hour * HOUR;
        if (run > this.nowMs) continue;
        out.push({ station, model: key, runTime: new Date(run), targetDate, tmaxF: roundHalfUp(m.forecastHigh(targetDate, key as SourceKey, run)) });
      }
    }
    return out;
  }

  // ── Kalshi ────────────────────────────────────────────────────────────────────────────────────

  series(): SeriesRow[] {
    return this.cities.map(seriesRowFor);
  }

  /** The event's fixed facts (ladder, times), cached; cheap (no minute simulation). */
  spec(city: CityId, date: string): EventSpec {
    const key = `${city}|${date}`;
    let s = this.specs.get(key);
    if (!s) {
      s = eventSpec(this.model(city), date);
      this.specs.set(key, s);
    }
    return s;
  }

  /** The minute-by-minute market simulation of an event (quotes, fair probabilities, trades). */
  simulation(city: CityId, date: string): MarketSim {
    return this.sims.get(`${city}|${date}`, () => simulate(this.model(city), this.spec(city, date), this.inefficiency, this.cal, this.seed));
  }

  /**
   * Simulates the markets of the first dates of `dates` (every city, earliest first) one event at a
   * time, yielding to the event loop between events: a backfill's first requests list a month of events
   * of every city, which simulates them all (seconds of this thread) while every source waits behind
   * those requests. At most half the simulation cache: more would evict what was prepared before it is
   * asked for (a long range), work for nothing.
   */
  async prepare(dates: DateRange, signal: AbortSignal): Promise<void> {
    let budget = Math.floor(SIMULATION_CACHE_EVENTS / 2);
    for (const date of this.datesIn(dates)) {
      for (const city of this.cities) {
        if (budget-- <= 0) return;
        await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted) return;
        this.eventRows(city, date);
      }
    }
  }

  events(filter: { seriesTicker?: string; city?: CityId; dates?: DateRange } = {}): Array<{ event: EventRow; markets: MarketRow[] }> {
    let cities = [...this.cities];
    if (filter.seriesTicker) {
      const c = findCityForSeries(filter.seriesTicker);
      cities = c ? cities.filter((x) => x === c.id) : [];
    }
    if (filter.city) cities = cities.filter((x) => x === filter.city);
    const dates = this.datesIn(filter.dates ?? this.dates);
    return cities.flatMap((city) => dates.map((date) => this.eventRows(city, date)));
  }

  private status(spec: EventSpec): 'initialized' | 'active' | 'closed' | 'determined' | 'finalized' {
    const t = this.nowMs;
    if (t < spec.openMs) return 'initialized';
    if (t < spec.closeMs) return 'active';
    if (t < spec.determinedMs) return 'closed';
    if (t < spec.settledMs) return 'determined';
    return 'finalized';
  }

  private eventRows(city: CityId, date: string): { event: EventRow; markets: MarketRow[] } {
    const key = `${city}|${date}`;
    let hit = this.rows.get(key);
    if (!hit) {
      hit = this.buildEventRows(city, date);
      this.rows.set(key, hit);
    }
    return hit;
  }

  private buildEventRows(city: CityId, date: string): { event: EventRow; markets: MarketRow[] } {
    const spec = this.spec(city, date);
    const c = getCity(city);
    const when = DateTime.fromISO(date, { zone: 'utc' });
    const event: EventRow = {
      eventTicker: spec.eventTicker,
      seriesTicker: spec.seriesTicker,
      cityId: city,
      eventDate: date,
      title: `Highest temperature in ${c.displayName} on ${when.toFormat('LLL d, yyyy')}?`,
      subTitle: `On ${when.toFormat('LLL dd, yyyy')}`,
      mutuallyExclusive: true,
      strikeDate: new Date(spec.closeMs),
    };
    const status = this.status(spec);
    const settled = status === 'determined' || status === 'finalized';
    const cli = this.model(city).day(date).cli;
    const sim = status === 'initialized' ? undefined : this.simulation(city, date);
    const upto = Math.min(this.nowMs, spec.closeMs);
    const k = sim ? Math.min(sim.minutes - 1, Math.floor((upto - 1 - spec.openMs) / MIN)) : -1;
    const markets: MarketRow[] = spec.markets.map((m, j) => {
      const yes = m.lo <= cli && cli < m.hi;
      let volume = 0;
      let last: number | null = null;
      if (sim) ({ volume, lastMicros: last } = tradeSummary(sim, j, upto));
      const b = m.bracket;
      return {
        ticker: m.ticker,
        eventTicker: spec.eventTicker,
        seriesTicker: spec.seriesTicker,
        cityId: city,
        eventDate: date,
        strikeType: b.strikeType,
        floorStrike: 'floor' in b ? b.floor : null,
        capStrike: 'cap' in b ? b.cap : null,
        yesSubTitle: m.label,
        openTime: new Date(spec.openMs),
        closeTime: new Date(spec.closeMs),
        expirationTime: new Date(spec.latestExpirationMs),
        latestExpirationTime: new Date(spec.latestExpirationMs),
        status,
        result: settled ? (yes ? 'yes' : 'no') : '',
        settlementValueMicros: settled ? (yes ? 1_000_000 : 0) : null,
        expirationValue: settled ? `${cli}.00` : null,
        settlementSource: 'nws-cli',
        settlementTs: status === 'finalized' ? new Date(spec.settledMs) : null,
        lastPriceMicros: last,
        yesBidMicros: sim && k >= 0 ? sim.bid[k * 6 + j]! * 10_000 : null,
        yesAskMicros: sim && k >= 0 ? sim.ask[k * 6 + j]! * 10_000 : null,
        volume,
        openInterest: sim && k >= 0 ? sim.oi[k * 6 + j]! : 0,
      };
    });
    return { event, markets };
  }

  private locate(marketTicker: string): { city: CityId; date: string; j: number } | undefined {
    let parsed;
    try {
      parsed = parseMarketTicker(marketTicker);
    } catch {
      return undefined;
    }
    const city = findCityForSeries(parsed.series);
    if (!city || !this.has(city.id) || parsed.date < this.dates.from || parsed.date > this.dates.to) return undefined;
    const spec = this.spec(city.id, parsed.date);
    const j = spec.markets.findIndex((m) => m.ticker === marketTicker);
    return j < 0 ? undefined : { city: city.id, date: parsed.date, j };
  }

  candles(marketTicker: string, periodMinutes: 1 | 60 | 1440, range: UtcRange): CandleRow[] {
    const at = this.locate(marketTicker);
    if (!at) return [];
    const spec = this.spec(at.city, at.date);
    if (this.nowMs <= spec.openMs) return [];
    return candlesOf(this.simulation(at.city, at.date), at.j, periodMinutes, range.from.getTime(), range.to.getTime(), this.nowMs);
  }

  trades(marketTicker: string, range: UtcRange): TradeRow[] {
    const at = this.locate(marketTicker);
    if (!at) return [];
    const spec = this.spec(at.city, at.date);
    if (this.nowMs <= spec.openMs) return [];
    return tradesIn(this.simulation(at.city, at.date), at.j, range.from.getTime(), Math.min(range.to.getTime(), this.nowMs));
  }

  orderbook(marketTicker: string, at?: Date): OrderbookSnapshot | undefined {
    const loc = this.locate(marketTicker);
    if (!loc) return undefined;
    const ms = Math.min(at ? at.getTime() : this.nowMs, this.nowMs);
    const spec = this.spec(loc.city, loc.date);
    if (ms < spec.openMs || ms >= spec.closeMs) return { ticker: marketTicker, yes: [], no: [] };
    return bookAt(this.simulation(loc.city, loc.date), loc.j, ms, this.seed);
  }

  /** The event ticker's (city, date), or undefined when the world does not hold it. */
  eventOf(eventTicker: string): { city: CityId; date: string } | undefined {
    try {
      const p = parseEventTicker(eventTicker);
      const c = findCityForSeries(p.series);
      if (!c || !this.has(c.id) || p.date < this.dates.from || p.date > this.dates.to) return undefined;
      return { city: c.id, date: p.date };
    } catch {
      return undefined;
    }
  }
}

export function createGeneratedWorld(opts: GeneratedWorldOptions): GeneratedWorld {
  return new GeneratedWorld(opts);
}
