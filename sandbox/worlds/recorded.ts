/**
 * A world read from a directory laid out like ../shared/data/real (whatever dates its files hold),
 * loaded into a StaticWorld. It serves exactly what the files hold, in the API's shape, and repairs
 * nothing: gaps in the files are gaps in the payloads, for the product to cope with (strikes derived
 * from tickers in clients/kalshi-payloads.ts; incomplete ladders flagged by validation). What is read:
 *
 *   cpratim_kalshi_weather/<series>/events/*.json  -> events + markets as recorded (integer-cent
 *       payloads; legacy HIGHCHI-… event tickers keep series_ticker KXHIGHCHI as recorded). Strike
 *       fields are served as the file has them, absent where it lacks them (the YES market of
 *       2025-01-16..02-09); the settlement source is what the market's rules_primary names.
 *       Series dirs outside the six cities (kxhighny) are skipped.
 *   cpratim_kalshi_weather/<series>/trades/*.json  -> trades, and 1/60/1440-minute candles derived
 *       from the prints (trade-price OHLC, volume; no bid/ask) for buckets that have trades.
 *   logan_weather_prediction/kalshi/real_kalshi_<c>_all.csv -> events/markets/results for events
 *       cpratim does not hold, one market per row and no other (series_ticker = the city's KX series,
 *       as cpratim records legacy ones; open/close times unknown -> null; strikes from the
 *       threshold columns, whose half-open [low, high) convention is converted to Kalshi's inclusive
 *       one; settlement source unknown -> null). A five-bracket day stays five brackets without a
 *       winner. The 'HIGHAUS--' double hyphen is normalised.
 *   logan_weather_prediction/kalshi/kalshi_presettlement_<c>.csv -> one 60-minute candle per row,
 *       bucket ending at snapshot_time_utc, yes bid/ask close, volume, open interest (merged into a
 *       trade-derived candle of the same bucket, whose volume wins).
 *   logan_weather_prediction/ghcn/USW*.dly (preferred, QC flags kept: a value that failed quality
 *       control is served with its QFLAG, as NCEI serves it) and USW*.csv (°F floats -> tenths °C)
 *       -> ghcnDaily.
 *   logan_weather_prediction/mos/combined_mos_k???.csv -> mosForecasts (GFS and NAM; KORD is kept as
 *       the station name and served for Chicago as a documented proxy).
 *   logan_weather_prediction/asos_daily -> nothing (daily aggregates, not minute observations), so
 *       observations() is [] for every city; no forecasts either (the corpus has none).
 *   cliReports -> none. No file of the corpus in the cities' event range is an NWS CLI report:
 *       Kalshi's expiration_value is the market's own settlement (the backfill stores it as source
 *       'kalshi'), Logan's actual_tmax is the author's GHCN conversion, NOWData (marzbana) is an xmACIS
 *       table, and GHCN is served by NCEI. None of them is served as a CLI.
 * New York (and any unknown series) is ignored without error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bracketLabel, type Bracket } from '../../domain/brackets';
import { settlementSourceOf } from '../../clients/kalshi-payloads';
import { CITY_IDS, findCityForSeries, getCity, type CityId } from '../../domain/cities';
import { parseEventTicker } from '../../domain/tickers';
import type { CandleRow, EventRow, GhcnDailyValue, MarketRow, MosForecast, TradeRow } from '../../schemas/records';
import type { DateRange } from '../world';
import { num, readCsv, readDly, fToTenthsC } from './recorded/csv';
import { StaticWorld, type StaticWorldData } from './static';

import { seriesRowFor } from './series';

export interface RecordedWorldOptions {
  /** Cities to load (default: all six). */
  cities?: readonly CityId[];
  /** Restrict to these climate dates (default: the span of the Kalshi events found). */
  dates?: DateRange;
  /** The world's clock (default: the end of the last date). */
  now?: Date;
}

/** MOS stations served for a city although they are not its settlement station. */
export const MOS_PROXY_STATIONS: Readonly<Record<string, CityId>> = { KORD: 'chicago' };

const CENT = 10_000;
const ts = (s: unknown): Date | null => (typeof s === 'string' && s ? new Date(s) : null);
const cents = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) * CENT : null);

interface CpratimMarket {
  [k: string]: unknown;
  ticker: string;
  strike_type?: string | null;
  floor_strike?: number | null;
  cap_strike?: number | null;
  rules_primary?: string;
  event_ticker?: string;
  yes_sub_title?: string;
  open_time?: string;
  close_time?: string;
  expiration_time?: string;
  latest_expiration_time?: string;
  status?: string;
  result?: string;
  settlement_value?: number;
  expiration_value?: string;
  last_price?: number;
  yes_bid?: number;
  yes_ask?: number;
  volume?: number;
  open_interest?: number;
}

interface CpratimEvent {
  event: { event_ticker: string; series_ticker: string; title?: string; sub_title?: string; mutually_exclusive?: boolean; strike_date?: string };
  markets: CpratimMarket[];
}

interface Acc {
  cities: Set<CityId>;
  range?: DateRange;
  events: Map<string, { event: EventRow; markets: MarketRow[] }>;
  /** (city|date) -> event ticker, to skip Logan rows for events cpratim holds. */
  eventByDay: Map<string, string>;
  trades: TradeRow[];
  candles: Map<string, CandleRow>;
  ghcn: Map<string, GhcnDailyValue>;
  mos: MosForecast[];
}

/** A JSON file's content; a file that is not JSON is named in the error (a SyntaxError alone names none). */
function readJsonFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The parser quotes the bytes it met: binary garbage would corrupt the terminal line.
    const reason = (err as Error).message.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
    throw new Error(`${path} is not valid JSON (${reason})`);
  }
}

const inRange = (date: string, r?: DateRange): boolean => !r || (date >= r.from && date <= r.to);

const strikeFields = (b: Bracket | undefined) =>
  b
    ? { strikeType: b.strikeType, floorStrike: 'floor' in b ? b.floor : null, capStrike: 'cap' in b ? b.cap : null }
    : { strikeType: null, floorStrike: null, capStrike: null };

function loadCpratim(dir: string, acc: Acc): void {
  const root = join(dir, 'cpratim_kalshi_weather');
  if (!existsSync(root)) return;
  for (const sub of readdirSync(root, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    const city = findCityForSeries(sub.name.toUpperCase());
    if (!city || !acc.cities.has(city.id)) continue;
    const evDir = join(root, sub.name, 'events');
    const tickers = new Set<string>();
    if (existsSync(evDir)) {
      for (const f of readdirSync(evDir).filter((n) => n.endsWith('.json')).sort()) {
        const payload = readJsonFile(join(evDir, f)) as CpratimEvent;
        const e = payload.event;
        const date = parseEventTicker(e.event_ticker).date;
        if (!inRange(date, acc.range)) continue;
        const event: EventRow = {
          eventTicker: e.event_ticker,
          seriesTicker: e.series_ticker,
          cityId: city.id,
          eventDate: date,
          title: e.title ?? null,
          subTitle: e.sub_title ?? null,
          mutuallyExclusive: e.mutually_exclusive ?? null,
          strikeDate: ts(e.strike_date),
          raw: e,
        };
        const markets: MarketRow[] = payload.markets.map((m) => {
          tickers.add(m.ticker);
          const settled = m.result === 'yes' || m.result === 'no';
          return {
            ticker: m.ticker,
            eventTicker: m.event_ticker ?? e.event_ticker,
            seriesTicker: e.series_ticker,
            cityId: city.id,
            eventDate: date,
            strikeType: m.strike_type ?? null,
            floorStrike: m.floor_strike ?? null,
            capStrike: m.cap_strike ?? null,
            yesSubTitle: m.yes_sub_title ?? null,
            openTime: ts(m.open_time),
            closeTime: ts(m.close_time),
            expirationTime: ts(m.expiration_time),
            latestExpirationTime: ts(m.latest_expiration_time),
            status: m.status ?? null,
            result: m.result ?? '',
            settlementValueMicros: settled ? cents(m.settlement_value) : null,
            expirationValue: m.expiration_value ? m.expiration_value : null,
            settlementSource: settlementSourceOf(m.rules_primary),
            settlementTs: null,
            lastPriceMicros: cents(m.last_price),
            yesBidMicros: cents(m.yes_bid),
            yesAskMicros: cents(m.yes_ask),
            volume: typeof m.volume === 'number' ? m.volume * 100 : null,
            openInterest: typeof m.open_interest === 'number' ? m.open_interest * 100 : null,
            payloadEra: 'cents',
            raw: m,
          };
        });
        acc.events.set(e.event_ticker, { event, markets });
        acc.eventByDay.set(`${city.id}|${date}`, e.event_ticker);
      }
    }
    const trDir = join(root, sub.name, 'trades');
    if (!existsSync(trDir)) continue;
    for (const f of readdirSync(trDir).filter((n) => n.endsWith('.json')).sort()) {
      const payload = readJsonFile(join(trDir, f)) as Record<
        string,
        Array<{ trade_id: string; ticker: string; count: number; created_time: string; yes_price: number; no_price?: number; taker_side?: string }>
      >;
      for (const [ticker, list] of Object.entries(payload)) {
        const date = parseEventTicker(ticker.split('-').slice(0, 2).join('-')).date;
        if (!inRange(date, acc.range)) continue;
        for (const t of list) {
          acc.trades.push({
            tradeId: t.trade_id,
            marketTicker: t.ticker ?? ticker,
            createdTime: new Date(t.created_time),
            yesPriceMicros: t.yes_price * CENT,
            noPriceMicros: typeof t.no_price === 'number' ? t.no_price * CENT : null,
            count: t.count * 100,
            takerSide: t.taker_side ?? null,
            isBlockTrade: null,
          });
        }
      }
    }
  }
}

/** Candles from trade prints: one per bucket that has trades. */
export function candlesFromTrades(trades: readonly TradeRow[], periodMinutes: 1 | 60 | 1440): CandleRow[] {
  const P = periodMinutes * 60_000;
  const byTicker = new Map<string, TradeRow[]>();
  for (const t of trades) {
    const l = byTicker.get(t.marketTicker);
    if (l) l.push(t);
    else byTicker.set(t.marketTicker, [t]);
  }
  const out: CandleRow[] = [];
  for (const [ticker, list] of byTicker) {
    list.sort((a, b) => a.createdTime.getTime() - b.createdTime.getTime() || a.tradeId.localeCompare(b.tradeId));
    let prevClose: number | null = null;
    let i = 0;
    while (i < list.length) {
      const b = Math.floor(list[i]!.createdTime.getTime() / P) * P;
      let j = i;
      let volume = 0;
      let notional = 0;
      let hi = -1;
      let lo = Infinity;
      while (j < list.length && list[j]!.createdTime.getTime() < b + P) {
        const t = list[j]!;
        volume += t.count;
        notional += t.yesPriceMicros * t.count;
        hi = Math.max(hi, t.yesPriceMicros);
        lo = Math.min(lo, t.yesPriceMicros);
        j++;
      }
      const close = list[j - 1]!.yesPriceMicros;
      out.push({
        marketTicker: ticker,
        periodMinutes,
        bucketStart: new Date(b),
        priceOpen: list[i]!.yesPriceMicros,
        priceHigh: hi,
        priceLow: lo,
        priceClose: close,
        priceMean: volume > 0 ? Math.round(notional / volume) : null,
        pricePrevious: prevClose,
        volume,
      });
      prevClose = close;
      i = j;
    }
  }
  return out;
}

const normTicker = (t: string): string => t.replace(/--/g, '-');

function loganFiles(dir: string, prefix: string): string[] {
  const k = join(dir, 'logan_weather_prediction', 'kalshi');
  if (!existsSync(k)) return [];
  return readdirSync(k)
    .filter((n) => n.startsWith(prefix) && n.endsWith('.csv'))
    .sort()
    .map((n) => join(k, n));
}

function cityOfTicker(ticker: string): { city: CityId; date: string; series: string } | undefined {
  try {
    const p = parseEventTicker(ticker.split('-').slice(0, 2).join('-'));
    const c = findCityForSeries(p.series);
    return c ? { city: c.id, date: p.date, series: p.series } : undefined;
  } catch {
    return undefined;
  }
}

function loganBracket(ticker: string, r: Record<string, string>): Bracket | undefined {
  const low = num(r.threshold_low);
  const high = num(r.threshold_high);
  // Logan's thresholds are half-open [low, high): between 32..34 = 32 or 33 °F.
  if (r.strike_type === 'between' && low !== undefined && high !== undefined) return { ticker, strikeType: 'between', floor: low, cap: high - 1 };
  if (r.strike_type === 'less' && high !== undefined) return { ticker, strikeType: 'less', cap: high };
  if (r.strike_type === 'greater' && low !== undefined) return { ticker, strikeType: 'greater', floor: low };
  return undefined;
}

function loadLoganMarkets(dir: string, acc: Acc): void {
  for (const file of loganFiles(dir, 'real_kalshi_')) {
    const groups = new Map<string, Array<Record<string, string>>>();
    for (const r of readCsv(file)) {
      const eventTicker = normTicker(r.event_ticker ?? '');
      const loc = cityOfTicker(eventTicker);
      if (!loc || !acc.cities.has(loc.city) || !inRange(loc.date, acc.range)) continue;
      if (acc.eventByDay.has(`${loc.city}|${loc.date}`) && !groups.has(eventTicker)) continue;
      const l = groups.get(eventTicker);
      if (l) l.push(r);
      else groups.set(eventTicker, [r]);
    }
    for (const [eventTicker, rows] of groups) {
      const loc = cityOfTicker(eventTicker)!;
      const city = getCity(loc.city);
      const brackets: Bracket[] = [];
      for (const r of rows) {
        const b = loganBracket(normTicker(r.ticker ?? ''), r);
        if (b) brackets.push(b);
      }
      const markets: MarketRow[] = rows.map((r) => {
        const ticker = normTicker(r.ticker ?? '');
        const b = brackets.find((x) => x.ticker === ticker);
        const result = r.result === 'yes' || r.result === 'no' ? r.result : '';
        const bid = num(r.bid_price);
        const ask = num(r.ask_price);
        const sv = num(r.settlement_value);
        return {
          ticker,
          eventTicker,
          seriesTicker: city.seriesTicker,
          cityId: city.id,
          eventDate: loc.date,
          ...strikeFields(b),
          yesSubTitle: b ? bracketLabel(b) : null,
          status: result ? 'finalized' : null,
          result,
          settlementValueMicros: result && sv !== undefined ? Math.round(sv) * CENT : null,
          // The CSV does not say which source settled the market.
          settlementSource: null,
          yesBidMicros: bid !== undefined ? Math.round(bid * 1_000_000) : null,
          yesAskMicros: ask !== undefined ? Math.round(ask * 1_000_000) : null,
          volume: num(r.volume) !== undefined ? Math.round(num(r.volume)!) * 100 : null,
          payloadEra: 'logan-csv',
          raw: r,
        };
      });
      acc.events.set(eventTicker, {
        event: { eventTicker, seriesTicker: city.seriesTicker, cityId: city.id, eventDate: loc.date, mutuallyExclusive: true, raw: { from: 'logan real_kalshi csv' } },
        markets,
      });
      acc.eventByDay.set(`${city.id}|${loc.date}`, eventTicker);
    }
  }
}

function loadPresettlement(dir: string, acc: Acc): void {
  for (const file of loganFiles(dir, 'kalshi_presettlement_')) {
    for (const r of readCsv(file)) {
      const ticker = normTicker(r.ticker ?? '');
      const loc = cityOfTicker(ticker);
      if (!loc || !acc.cities.has(loc.city) || !inRange(loc.date, acc.range)) continue;
      const snap = (r.snapshot_time_utc ?? '').replace(' UTC', 'Z').replace(' ', 'T');
      const end = Date.parse(snap);
      if (!Number.isFinite(end)) continue;
      const bucketStart = new Date(end - 3_600_000);
      const key = `${ticker}|60|${bucketStart.getTime()}`;
      const bid = num(r.bid_cents);
      const ask = num(r.ask_cents);
      const vol = num(r.volume);
      const oi = num(r.open_interest);
      const prev = acc.candles.get(key);
      const row: CandleRow = {
        ...(prev ?? { marketTicker: ticker, periodMinutes: 60, bucketStart, volume: vol !== undefined ? Math.round(vol) * 100 : 0 }),
        yesBidClose: bid !== undefined ? Math.round(bid) * CENT : null,
        yesAskClose: ask !== undefined ? Math.round(ask) * CENT : null,
        openInterest: oi !== undefined ? Math.round(oi) * 100 : null,
      };
      acc.candles.set(key, row);
    }
  }
}

function loadGhcn(dir: string, acc: Acc): void {
  const g = join(dir, 'logan_weather_prediction', 'ghcn');
  if (!existsSync(g)) return;
  const wanted = new Set([...acc.cities].map((c) => getCity(c).station.ghcnId));
  const files = readdirSync(g).sort();
  for (const f of files.filter((n) => n.endsWith('.dly'))) {
    const id = f.replace('.dly', '');
    if (!wanted.has(id)) continue;
    for (const v of readDly(join(g, f))) acc.ghcn.set(`${id}|${v.date}`, v);
  }
  for (const f of files.filter((n) => /^USW\d{8}\.csv$/.test(n))) {
    const id = f.replace('.csv', '');
    if (!wanted.has(id)) continue;
    for (const r of readCsv(join(g, f))) {
      const key = `${id}|${r.date}`;
      if (acc.ghcn.has(key) || !r.date) continue;
      const tmax = num(r.TMAX);
      const tmin = num(r.TMIN);
      if (tmax === undefined && tmin === undefined) continue;
      acc.ghcn.set(key, {
        ghcnId: id,
        date: r.date,
        ...(tmax !== undefined ? { tmaxTenthsC: fToTenthsC(tmax) } : {}),
        ...(tmin !== undefined ? { tminTenthsC: fToTenthsC(tmin) } : {}),
      });
    }
  }
}

function loadMos(dir: string, acc: Acc): void {
  const m = join(dir, 'logan_weather_prediction', 'mos');
  if (!existsSync(m)) return;
  for (const f of readdirSync(m).sort()) {
    const match = /^combined_mos_(k[a-z]{3})\.csv$/i.exec(f);
    if (!match) continue;
    const station = match[1]!.toUpperCase();
    const city = MOS_PROXY_STATIONS[station] ?? CITY_IDS.find((c) => getCity(c).station.icao === station);
    if (!city || !acc.cities.has(city)) continue;
    for (const r of readCsv(join(m, f))) {
      for (const [model, col, run] of [
        ['GFS', 'gfs_mos_tmax_f', 'gfs_runtime'],
        ['NAM', 'nam_mos_tmax_f', 'nam_runtime'],
      ] as const) {
        const v = num(r[col]);
        const rt = Date.parse(`${(r[run] ?? '').replace(' ', 'T')}Z`);
        if (v === undefined || !Number.isFinite(rt) || !r.date) continue;
        acc.mos.push({ station, model, runTime: new Date(rt), targetDate: r.date, tmaxF: v });
      }
    }
  }
}

/** A StaticWorld that also serves MOS proxy stations (KORD for Chicago). */
export class RecordedWorld extends StaticWorld {
  constructor(
    description: string,
    data: StaticWorldData,
    private readonly mosRows: readonly MosForecast[],
  ) {
    super('recorded', description, data);
  }

  override mosForecasts(city: CityId, model: string, targets: DateRange): MosForecast[] {
    const station = getCity(city).station.icao;
    return this.mosRows.filter(
      (m) =>
        (m.station === station || MOS_PROXY_STATIONS[m.station] === city) &&
        m.model.toLowerCase() === model.toLowerCase() &&
        m.targetDate >= targets.from &&
        m.targetDate <= targets.to,
    );
  }
}

export function loadRecordedWorld(dir: string, opts: RecordedWorldOptions = {}): RecordedWorld {
  if (!existsSync(dir)) throw new Error(`recorded world: no directory ${dir}`);
  const acc: Acc = {
    cities: new Set(opts.cities ?? CITY_IDS),
    ...(opts.dates ? { range: opts.dates } : {}),
    events: new Map(),
    eventByDay: new Map(),
    trades: [],
    candles: new Map(),
    ghcn: new Map(),
    mos: [],
  };
  loadCpratim(dir, acc);
  loadLoganMarkets(dir, acc);
  for (const period of [1, 60, 1440] as const) {
    for (const c of candlesFromTrades(acc.trades, period)) acc.candles.set(`${c.marketTicker}|${period}|${c.bucketStart.getTime()}`, c);
  }
  loadPresettlement(dir, acc);
  loadGhcn(dir, acc);
  loadMos(dir, acc);

  const eventDates = [...acc.events.values()].map((e) => e.event.eventDate).sort();
  const dates: DateRange = opts.dates ?? {
    from: eventDates[0] ?? '1970-01-01',
    to: eventDates[eventDates.length - 1] ?? '1970-01-01',
  };

  const ghcn = [...acc.ghcn.values()];

  const events = [...acc.events.values()].sort(
    (a, b) => a.event.eventDate.localeCompare(b.event.eventDate) || a.event.cityId.localeCompare(b.event.cityId),
  );
  const cities = CITY_IDS.filter((c) => acc.cities.has(c));
  const series = cities.map(seriesRowFor);
  const data: StaticWorldData = {
    cities,
    dates,
    ...(opts.now ? { now: opts.now } : {}),
    // No CLI file in the corpus (see the header): the IEM CLI route serves nothing.
    cli: [],
    ghcn,
    observations: [],
    dailyForecasts: [],
    hourlyForecasts: [],
    mos: acc.mos,
    series,
    events,
    candles: [...acc.candles.values()],
    trades: acc.trades,
    orderbooks: [],
  };
  return new RecordedWorld(`recorded dir=${dir} ${dates.from}..${dates.to}`, data, acc.mos);
}
