/**
 * Ladder completeness of the city's Kalshi events (domain/validation/ladder.ts): every event whose
 * markets are not six contiguous brackets with one winner (or a scalar result) once settled is flagged
 * on kalshi.event (rule 'ladder_incomplete'); later stages skip it with eventNotFlagged().
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { Logger } from '../../lib/logger';
import { checkLadder, LADDER_RULE, type LadderMarket } from '../../domain/validation/ladder';
import { eventKey, upsertFlags } from './flags';
import { addFlagCounts, type CityCheckInput, type ValidationPart } from './parts';

const EXAMPLES = 5;

/** What the ladder check adds to the markets part. */
export interface LadderPart {
  checked: number;
  incomplete: Array<{ city: string; eventTicker: string; date: string; problems: string[] }>;
}

export async function checkLadders(
  { db, log }: { db: Db; log: Logger },
  input: CityCheckInput,
): Promise<{ ladders: LadderPart; flags: ValidationPart['flags']; flagExamples: ValidationPart['flagExamples']; flagsInserted: number }> {
  const res = await db.execute(
    sql`select e.event_ticker, to_char(e.event_date, 'YYYY-MM-DD') as date,
               m.ticker, m.strike_type, m.floor_strike, m.cap_strike, coalesce(m.result, '') as result
        from kalshi.event e left join kalshi.market m on m.event_ticker = e.event_ticker
        where e.city_id = ${input.city} and e.event_date between ${input.from}::date and ${input.to}::date
        order by e.event_ticker, m.ticker`,
  );
  const events = new Map<string, { date: string; markets: LadderMarket[] }>();
  for (const r of res.rows as Array<{ event_ticker: string; date: string; ticker: string | null; strike_type: string | null; floor_strike: number | null; cap_strike: number | null; result: string }>) {
    const e = events.get(r.event_ticker) ?? { date: r.date, markets: [] };
    if (r.ticker !== null) {
      e.markets.push({
        ticker: r.ticker,
        strikeType: r.strike_type,
        floorStrike: r.floor_strike === null ? null : Number(r.floor_strike),
        capStrike: r.cap_strike === null ? null : Number(r.cap_strike),
        result: r.result,
      });
    }
    events.set(r.event_ticker, e);
  }
  const incomplete: LadderPart['incomplete'] = [];
  for (const [eventTicker, e] of events) {
    const c = checkLadder(eventTicker, e.markets);
    if (!c.complete) incomplete.push({ city: input.city, eventTicker, date: e.date, problems: c.problems });
  }
  const rows = incomplete.map((x) => ({ table: 'kalshi.event' as const, rule: LADDER_RULE, rowKey: eventKey(x), detail: x.problems.join('; ') }));
  const { inserted } = await upsertFlags(db, rows);
  const counts = new Map<string, { table: string; rule: string; found: number; inserted: number }>();
  addFlagCounts(counts, 'kalshi.event', LADDER_RULE, rows.length, inserted);
  log.info({ city: input.city, events: events.size, incomplete: incomplete.length, inserted }, 'validate: ladders checked');
  return {
    ladders: { checked: events.size, incomplete },
    flags: [...counts.values()],
    flagExamples: rows.slice(0, EXAMPLES).map((r) => ({ table: r.table, rule: r.rule, rowKey: r.rowKey, detail: r.detail })),
    flagsInserted: inserted,
  };
}
