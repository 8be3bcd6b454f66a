import { getCity } from '../../domain/cities';
import { formatEventTicker } from '../../domain/tickers';
import { datesBetween } from '../../domain/validation/coverage';
import type { IsoDate } from '../../domain/iso-date';
import { NonRetryableHttpError } from '../../clients/http';
import type { KalshiClient } from '../../clients/kalshi';
import type { DateSpan } from '../../schemas/backfill';
import type { EventRow, MarketRow, SeriesRow } from '../../schemas/records';
import type { AdapterContext } from './types';

export interface EventWithMarketsRow {
  event: EventRow;
  markets: MarketRow[];
}

/** The city's series tickers: current first, then the legacy ones (pre-KX events). */
export function seriesTickers(ctx: AdapterContext): string[] {
  const city = getCity(ctx.city);
  return [city.seriesTicker, ...city.legacySeriesTickers];
}

/** The city's series rows that Kalshi knows (a legacy ticker it no longer serves is skipped). */
export async function fetchSeries(ctx: AdapterContext, kalshi: KalshiClient): Promise<SeriesRow[]> {
  const out: SeriesRow[] = [];
  for (const ticker of seriesTickers(ctx)) {
    try {
      const row = await kalshi.getSeries(ticker);
      // The registry owns city_id; never overwrite it with null.
      out.push({ ...row, cityId: row.cityId ?? ctx.city });
    } catch (err) {
      if (err instanceof NonRetryableHttpError && err.status === 404) continue;
      throw err;
    }
  }
  return out;
}

/** Event tickers per /events request: a slice (a month at most) is one request, well under a page (200). */
const TICKERS_PER_REQUEST = 62;

/**
 * The city's events (with their markets) whose climate date lies in `span`, from every series ticker,
 * deduplicated by event ticker. Listed once per slice attempt, asking only for the span's events: the
 * event tickers of its dates (SERIES-YYMONDD, domain/tickers.ts) in the API's `tickers` filter. /events
 * has `min_close_ts` but no `max_close_ts`, and a lower bound alone made every month list all later
 * events too (requests and rows growing with the square of the months).
 */
export async function fetchEvents(ctx: AdapterContext, kalshi: KalshiClient, span: DateSpan): Promise<Map<string, EventWithMarketsRow[]>> {
  const byTicker = new Map<string, EventWithMarketsRow>();
  const dates = datesBetween(span.from as IsoDate, span.to as IsoDate);
  for (const seriesTicker of seriesTickers(ctx)) {
    const wanted = dates.map((d) => formatEventTicker(seriesTicker, d));
    for (let i = 0; i < wanted.length; i += TICKERS_PER_REQUEST) {
      for await (const item of kalshi.listEvents({ tickers: wanted.slice(i, i + TICKERS_PER_REQUEST), withNestedMarkets: true })) {
        const date = item.event.eventDate;
        if (date < span.from || date > span.to || item.event.cityId !== ctx.city) continue;
        byTicker.set(item.event.eventTicker, { event: item.event, markets: item.markets });
      }
    }
  }
  const byDate = new Map<string, EventWithMarketsRow[]>();
  for (const e of [...byTicker.values()].sort((a, b) => a.event.eventTicker.localeCompare(b.event.eventTicker))) {
    const list = byDate.get(e.event.eventDate) ?? [];
    list.push(e);
    byDate.set(e.event.eventDate, list);
  }
  return byDate;
}

/** Events of dates in [from, to]. */
export function eventsIn(byDate: Map<string, EventWithMarketsRow[]>, chunk: DateSpan): EventWithMarketsRow[] {
  return [...byDate.entries()].filter(([d]) => d >= chunk.from && d <= chunk.to).flatMap(([, list]) => list);
}

