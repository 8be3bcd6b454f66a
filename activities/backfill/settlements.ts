/**
 * Source `settlements`: per week, the NWS CLI highs (IEM), GHCN-Daily (NCEI) and the Kalshi markets'
 * expiration values as wx.settlement rows (one per source), then, in the same transaction, the
 * consolidated high of each date from every source the database holds (domain/settlement-consolidation).
 */
import type pg from 'pg';
import { bulkUpsert } from '../../db/bulk-upsert';
import type { CityId } from '../../domain/cities';
import { kalshiResultAvailableAt } from '../../domain/known-at';
import { consolidateSettlements } from '../../domain/settlement-consolidation';
import { wxSettlement, wxSettlementConsolidated } from '../../schemas/db';
import type { SettlementRow } from '../../schemas/records';
import { eventsIn, fetchEvents, type EventWithMarketsRow } from './kalshi-events';
import type { AdapterFactory } from './types';

/** The settlement row of an event from its markets' expiration value (undefined until Kalshi set one). */
export function kalshiSettlementRow(cityId: CityId, { event, markets }: EventWithMarketsRow): SettlementRow | undefined {
  const settled = markets.find((m) => m.expirationValue != null && m.expirationValue.trim() !== '' && Number.isFinite(Number(m.expirationValue)));
  if (!settled) return undefined;
  return {
    cityId,
    date: event.eventDate,
    source: 'kalshi',
    highF: Math.round(Number(settled.expirationValue)),
    lowF: null,
    issuedAt: settled.settlementTs ?? null,
    isPreliminary: false,
    availableAt: kalshiResultAvailableAt(cityId, event.eventDate, settled),
    raw: { event_ticker: event.eventTicker, market_ticker: settled.ticker, expiration_value: settled.expirationValue },
  };
}

export const settlementsAdapter: AdapterFactory = (ctx) => {
  const cliByYear = new Map<number, Promise<SettlementRow[]>>();
  let events: Promise<Map<string, EventWithMarketsRow[]>> | undefined;
  const cli = (year: number) => {
    let p = cliByYear.get(year);
    if (!p) {
      p = ctx.clients.iem().cliReports(ctx.city, year);
      p.catch(() => cliByYear.delete(year));
      cliByYear.set(year, p);
    }
    return p;
  };
  const listEvents = () =>
    (events ??= fetchEvents(ctx, ctx.clients.kalshi(), ctx.slice).catch((err: unknown) => {
      events = undefined;
      throw err;
    }));

  return {
    async fetch(chunk) {
      const years = [...new Set([Number(chunk.from.slice(0, 4)), Number(chunk.to.slice(0, 4))])];
      const inChunk = (r: SettlementRow) => r.date >= chunk.from && r.date <= chunk.to;
      const rows: SettlementRow[] = [];
      for (const y of years) rows.push(...(await cli(y)).filter(inChunk));
      rows.push(...(await ctx.clients.ncei().ghcnDaily(ctx.city, chunk)).filter(inChunk));
      for (const e of eventsIn(await listEvents(), chunk)) {
        const row = kalshiSettlementRow(ctx.city, e);
        if (row) rows.push(row);
      }
      return [{ table: wxSettlement, rows }];
    },

    async afterUpsert(client: pg.PoolClient, chunk) {
      const res = await client.query<{ city_id: string; date: string; source: string; high_f: number; is_preliminary: boolean }>(
        `SELECT city_id, to_char(date, 'YYYY-MM-DD') AS date, source, high_f, is_preliminary
           FROM wx.settlement WHERE city_id = $1 AND date BETWEEN $2 AND $3`,
        [ctx.city, chunk.from, chunk.to],
      );
      const consolidated = consolidateSettlements(
        res.rows.map((r) => ({ cityId: r.city_id, date: r.date, source: r.source, highF: r.high_f, isPreliminary: r.is_preliminary })),
      );
      // consolidated_at is the time the consolidated value last changed.
      const out = await bulkUpsert(client, wxSettlementConsolidated, consolidated, { touchColumns: ['consolidated_at'] });
      return out.rows;
    },
  };
};
