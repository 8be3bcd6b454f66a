/**
 * Source `settlements`: per week, the NWS CLI highs (IEM), GHCN-Daily (NCEI) and the Kalshi markets'
 * expiration values as wx.settlement rows (one per source), then, in the same transaction, the
 * consolidated outcome of each date (domain/settlement-consolidation): Kalshi's winning market and
 * expiration value where Kalshi settled, the weather truth from every source the database holds
 * beside it, every disagreement recorded.
 */
import type pg from 'pg';
import { bulkUpsert } from '../../db/bulk-upsert';
import type { CityId } from '../../domain/cities';
import { kalshiResultAvailableAt } from '../../domain/known-at';
import { buildBracket, type Bracket } from '../../domain/brackets';
import { InvalidBracketError } from '../../domain/errors';
import { wholeFahrenheitFromText } from '../../domain/fahrenheit';
import { consolidateSettlements, type MarketOutcome } from '../../domain/settlement-consolidation';
import { wxSettlement, wxSettlementConsolidated } from '../../schemas/db';
import type { MarketRow, SettlementRow } from '../../schemas/records';
import { eventsIn, fetchEvents, type EventWithMarketsRow } from './kalshi-events';
import type { AdapterFactory } from './types';

/** The whole °F of a market's expiration value ("63.00", or free text that starts with the number). */
const expirationHigh = (m: MarketRow): number | undefined => wholeFahrenheitFromText(m.expirationValue);

/** The settlement row of an event from its markets' expiration value (undefined until Kalshi set one). */
export function kalshiSettlementRow(cityId: CityId, { event, markets }: EventWithMarketsRow): SettlementRow | undefined {
  const settled = markets.find((m) => expirationHigh(m) !== undefined);
  if (!settled) return undefined;
  return {
    cityId,
    date: event.eventDate,
    source: 'kalshi',
    highF: expirationHigh(settled)!,
    lowF: null,
    issuedAt: settled.settlementTs ?? null,
    isPreliminary: false,
    availableAt: kalshiResultAvailableAt(cityId, event.eventDate, settled),
    raw: { event_ticker: event.eventTicker, market_ticker: settled.ticker, expiration_value: settled.expirationValue },
  };
}

/**
 * Kalshi's settlement of an event: the market that settled YES (exactly one, else none), or a scalar
 * result; its bracket when its strikes are known; the expiration value. The label follows this.
 */
export function marketOutcome(cityId: CityId, { event, markets }: EventWithMarketsRow): MarketOutcome {
  const yes = markets.filter((m) => m.result === 'yes');
  const winner = yes.length === 1 ? yes[0]! : undefined;
  let winningBracket: Bracket | null = null;
  if (winner) {
    try {
      winningBracket = buildBracket({ ticker: winner.ticker, strike_type: winner.strikeType, floor_strike: winner.floorStrike, cap_strike: winner.capStrike });
    } catch (err) {
      // A winner without usable strikes still names the label; only the bracket check is lost.
      if (!(err instanceof InvalidBracketError)) throw err;
    }
  }
  const valued = markets.find((m) => expirationHigh(m) !== undefined);
  const decided = winner ?? markets.find((m) => m.result === 'scalar') ?? valued;
  return {
    cityId,
    date: event.eventDate,
    eventTicker: event.eventTicker,
    winningTicker: winner?.ticker ?? null,
    winningBracket,
    scalar: markets.some((m) => m.result === 'scalar'),
    expirationHighF: valued ? expirationHigh(valued)! : null,
    availableAt: decided ? kalshiResultAvailableAt(cityId, event.eventDate, decided) : null,
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
      const res = await client.query<{ city_id: string; date: string; source: string; high_f: number; is_preliminary: boolean; available_at: Date | null }>(
        `SELECT city_id, to_char(date, 'YYYY-MM-DD') AS date, source, high_f, is_preliminary, available_at
           FROM wx.settlement WHERE city_id = $1 AND date BETWEEN $2 AND $3`,
        [ctx.city, chunk.from, chunk.to],
      );
      // Kalshi's results come from the events this slice listed (the kalshi source may not have run yet).
      const outcomes = eventsIn(await listEvents(), chunk).map((e) => marketOutcome(ctx.city, e));
      const consolidated = consolidateSettlements(
        res.rows.map((r) => ({ cityId: r.city_id, date: r.date, source: r.source, highF: r.high_f, isPreliminary: r.is_preliminary, availableAt: r.available_at })),
        outcomes,
      );
      // consolidated_at is the time the consolidated value last changed.
      const out = await bulkUpsert(client, wxSettlementConsolidated, consolidated, { touchColumns: ['consolidated_at'] });
      return out.rows;
    },
  };
};
