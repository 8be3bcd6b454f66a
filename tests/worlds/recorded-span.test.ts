/**
 * recordedEventSpan (what `wx start/backfill --world recorded` checks a range against) reads the same
 * span of event dates as loading the whole world does, per city and over several, on the real corpus;
 * and the CLI's check lets a recorded world serve what its files hold, before Open-Meteo's archive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CityId } from '../../domain/cities';
import { loadRecordedWorld } from '../../sandbox/worlds/recorded';
import { recordedEventSpan } from '../../sandbox/worlds/recorded/span';
import { checkServableRange, servedWorldSpan, UsageError } from '../../cli/args';
import { loadConfig } from '../../temporal.config';
import { sharedReal } from '../support/shared';

const real = sharedReal();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function worldDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wx-span-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const event = (ticker: string) => JSON.stringify({ event: { event_ticker: ticker, series_ticker: 'KXHIGHCHI' }, markets: [] });
const loganHeader = 'date,ticker,event_ticker,bucket,threshold,threshold_low,threshold_high,direction,strike_type,market_prob,actual_outcome,actual_tmax,result,settlement_value,volume,bid_price,ask_price';

describe('recordedEventSpan', () => {
  it('spans both recordings of the cities asked, and only theirs', () => {
    const dir = worldDir({
      'cpratim_kalshi_weather/kxhighchi/events/2024-08-16.json': event('HIGHCHI-24AUG16'),
      // Named otherwise: the date is the ticker's inside.
      'cpratim_kalshi_weather/kxhighchi/events/extra.json': event('KXHIGHCHI-25MAY08'),
      'cpratim_kalshi_weather/kxhighaus/events/2026-01-01.json': event('KXHIGHAUS-26JAN01'),
      'logan_weather_prediction/kalshi/real_kalshi_chi_all.csv': `${loganHeader}\n2022-12-22,HIGHCHI-22DEC22-T30,HIGHCHI-22DEC22,Below 30F,30.0,,30.0,below,less,0.01,0,34.0,no,0,198,0.0,0.01\n2023-01-02,x,not-a-ticker,,,,,,,,,,,,,,\n`,
      'logan_weather_prediction/kalshi/real_kalshi_aus_all.csv': `${loganHeader}\n2023-05-11,HIGHAUS--23MAY11-T80,HIGHAUS--23MAY11,,,,,,,,,,,,,,\n`,
    });
    expect(recordedEventSpan(dir, ['chicago'])).toEqual({ from: '2022-12-22', to: '2025-05-08' });
    expect(recordedEventSpan(dir, ['austin'])).toEqual({ from: '2023-05-11', to: '2026-01-01' });
    expect(recordedEventSpan(dir, ['chicago', 'austin'])).toEqual({ from: '2022-12-22', to: '2026-01-01' });
    expect(recordedEventSpan(dir, ['denver'])).toBeUndefined();
    expect(recordedEventSpan(join(dir, 'missing'), ['chicago'])).toBeUndefined();
  });

  it.skipIf(!real.present)('agrees with the loaded world on the real corpus', { timeout: 120_000 }, () => {
    for (const cities of [['chicago'], ['philadelphia'], ['chicago', 'austin', 'philadelphia']] as CityId[][]) {
      const world = loadRecordedWorld(real.path, { cities });
      const dates = cities.flatMap((city) => world.events({ city }).map((e) => e.event.eventDate)).sort();
      expect(recordedEventSpan(real.path, cities), cities.join(',')).toEqual({ from: dates[0], to: dates.at(-1) });
    }
  });
});

describe.skipIf(!real.present)('checkServableRange on a recorded world', () => {
  const recorded = loadConfig({ env: {}, cwd: tmpdir(), overrides: { world: { kind: 'recorded', dir: real.path } } });
  const generated = loadConfig({ env: {}, cwd: tmpdir(), overrides: { world: { kind: 'generated' } } });
  const chicago = ['chicago'] as CityId[];

  it('serves the files before Open-Meteo archives begin (2024-01-01), where the real sources refuse', () => {
    const flags = { from: '2023-06-01', to: '2024-04-30', cities: chicago };
    expect(() => checkServableRange(flags, recorded)).not.toThrow();
    expect(() => checkServableRange(flags, generated)).toThrow(/^--from: 2023-06-01 is before 2024-01-01: forecasts \(Open-Meteo/);
  });

  it('refuses an end outside the files, naming the flag, the value and the directory', () => {
    const span = servedWorldSpan(recorded, chicago)!;
    expect(span.what).toContain(real.path);
    const before = { from: '2000-01-01', to: '2024-04-30', cities: chicago };
    expect(() => checkServableRange(before, recorded)).toThrow(UsageError);
    expect(() => checkServableRange(before, recorded)).toThrow(`--from: 2000-01-01 is before ${span.from}: the recorded world in ${real.path} (chicago) holds Kalshi events from ${span.from} to ${span.to}`);
    expect(() => checkServableRange({ from: span.from, to: '2030-01-01', cities: chicago }, recorded)).toThrow(new RegExp(`^--to: 2030-01-01 is after ${span.to}: `));
  });
});
