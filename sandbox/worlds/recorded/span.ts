/**
 * The climate dates a recorded world's files hold Kalshi events for, read cheaply (file names and one
 * CSV column) so that the CLI can refuse a range before anything starts: loading the whole world takes
 * seconds, and the sandbox thread loads it again anyway. The same files as loadRecordedWorld's events
 * (sandbox/worlds/recorded.ts): cpratim_kalshi_weather/<series>/events/<YYYY-MM-DD>.json and the event
 * tickers of logan_weather_prediction/kalshi/real_kalshi_*.csv; tests/worlds check the two agree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCityForSeries, type CityId } from '../../../domain/cities';
import { parseEventTicker } from '../../../domain/tickers';
import type { DateRange } from '../../world';
import { readCsv } from './csv';

const EVENT_FILE = /^(\d{4}-\d{2}-\d{2})\.json$/;

function eventDateInside(path: string): string | undefined {
  try {
    const payload = JSON.parse(readFileSync(path, 'utf8')) as { event?: { event_ticker?: unknown } };
    return parseEventTicker(String(payload.event?.event_ticker)).date;
  } catch {
    // Not JSON or not an event: loadRecordedWorld refuses the directory naming this file.
    return undefined;
  }
}

/** First and last event date over the given cities, or undefined when the files hold none (or `dir` is missing). */
export function recordedEventSpan(dir: string, cities: readonly CityId[]): DateRange | undefined {
  const want = new Set<string>(cities);
  let from: string | undefined;
  let to: string | undefined;
  const see = (date: string) => {
    if (from === undefined || date < from) from = date;
    if (to === undefined || date > to) to = date;
  };
  const cpratim = join(dir, 'cpratim_kalshi_weather');
  if (existsSync(cpratim)) {
    for (const sub of readdirSync(cpratim, { withFileTypes: true })) {
      const city = sub.isDirectory() ? findCityForSeries(sub.name.toUpperCase()) : undefined;
      const events = join(cpratim, sub.name, 'events');
      if (!city || !want.has(city.id) || !existsSync(events)) continue;
      for (const f of readdirSync(events).filter((n) => n.endsWith('.json'))) {
        // The corpus names each file by its event's date (the loader parses the same date from the
        // ticker inside); a file named otherwise is opened, and one that is not an event is left to
        // the loader, which names it.
        const m = EVENT_FILE.exec(f);
        const date = m ? m[1]! : eventDateInside(join(events, f));
        if (date) see(date);
      }
    }
  }
  const logan = join(dir, 'logan_weather_prediction', 'kalshi');
  if (existsSync(logan)) {
    for (const f of readdirSync(logan).filter((n) => n.startsWith('real_kalshi_') && n.endsWith('.csv'))) {
      for (const r of readCsv(join(logan, f))) {
        const ticker = (r.event_ticker ?? '').replace(/--/g, '-');
        let parsed: { series: string; date: string };
        try {
          parsed = parseEventTicker(ticker);
        } catch {
          // The loader skips a row whose ticker is not an event ticker: so does the span.
          continue;
        }
        const city = findCityForSeries(parsed.series);
        if (city && want.has(city.id)) see(parsed.date);
      }
    }
  }
  return from !== undefined && to !== undefined ? { from, to } : undefined;
}
