import { getCity } from '../../domain/cities';
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

/**
 * The city's events (with their markets) whose climate date lies in `span`, from every series ticker,
 * deduplicated by event ticker. Listed once per slice attempt: closes from the span's first day on.
 */
export async function fetchEvents(ctx: AdapterContext, kalshi: KalshiClient, span: DateSpan): Promise<Map<string, EventWithMarketsRow[]>> {
  const byTicker = new Map<string, EventWithMarketsRow>();
  for (const seriesTicker of seriesTickers(ctx)) {
    try {
      for await (const item of kalshi.listEvents({ seriesTicker, minCloseTs: new Date(`${span.from}T00:00:00Z`), withNestedMarkets: true })) {
        const date = item.event.eventDate;
        if (date < span.from || date > span.to || item.event.cityId !== ctx.city) continue;
        byTicker.set(item.event.eventTicker, { event: item.event, markets: item.markets });
      }
    } catch (err) {
      if (err instanceof NonRetryableHttpError && err.status === 404 && seriesTicker !== seriesTickers(ctx)[0]) continue;
      throw err;
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
