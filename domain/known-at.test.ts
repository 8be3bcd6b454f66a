import { describe, expect, it } from 'vitest';
import {
  cliAvailableAt,
  forecastDelayMs,
  forecastRunAvailableAt,
  ghcnAvailableAt,
  kalshiResultAvailableAt,
  latestOf,
  observationAvailableAt,
  openMeteoRunValueAvailableAt,
  receivedAvailableAt,
} from './known-at';

const at = (iso: string) => new Date(iso);
const H = 3_600_000;

describe('forecast known-at', () => {
  it('adds the per-source, per-model publication delay to the run time', () => {
    const run = at('2025-07-15T00:00:00Z');
    expect(forecastRunAvailableAt('iem-mos', 'gfs', run)).toEqual(at('2025-07-15T05:00:00Z'));
    expect(forecastRunAvailableAt('iem-mos', 'nam', run)).toEqual(at('2025-07-15T04:00:00Z'));
    expect(forecastRunAvailableAt('iem-mos', 'nbm', run)).toEqual(at('2025-07-15T02:00:00Z'));
    expect(forecastRunAvailableAt('visualcrossing', 'best_match', run)).toEqual(at('2025-07-15T01:00:00Z'));
    expect(forecastRunAvailableAt('nws', 'ndfd', run)).toEqual(at('2025-07-15T00:20:00Z'));
    // An unknown model of a known source takes the source's default.
    expect(forecastDelayMs('iem-mos', 'lamp')).toBe(5 * H);
  });

  it('refuses a source it has no delay for, rather than stamping it early', () => {
    expect(() => forecastRunAvailableAt('mystery', 'x', at('2025-07-15T00:00:00Z'))).toThrow(/mystery/);
    expect(() => observationAvailableAt('mystery-obs', at('2025-07-15T00:00:00Z'))).toThrow(/mystery-obs/);
  });

  it('stamps an Open-Meteo day-N value by the latest run that can have produced it, not by 00Z of D-N', () => {
    // previous_day1 for 2025-07-15 23:00 CDT (04:00Z on the 16th) comes from a run at most 24 h earlier.
    const valid = at('2025-07-16T04:00:00Z');
    const stamp = openMeteoRunValueAvailableAt('best_match', valid, 1);
    expect(stamp).toEqual(at('2025-07-15T10:00:00Z'));
    // 00Z of D-1 (the nominal basis) plus the delay would have been 04:00Z on the 14th: a day and more too early.
    expect(stamp.getTime() - at('2025-07-14T00:00:00Z').getTime()).toBeGreaterThan(24 * H);
    expect(openMeteoRunValueAvailableAt('best_match', valid, 0)).toEqual(at('2025-07-16T10:00:00Z'));
    expect(openMeteoRunValueAvailableAt('ecmwf_ifs025', valid, 0)).toEqual(at('2025-07-16T12:00:00Z'));
    expect(() => openMeteoRunValueAvailableAt('best_match', valid, -1)).toThrow(/daysBack/);
  });

  it('a derived value is known when the last of its inputs is', () => {
    expect(latestOf([at('2025-07-15T01:00:00Z'), at('2025-07-15T09:00:00Z'), at('2025-07-15T03:00:00Z')])).toEqual(at('2025-07-15T09:00:00Z'));
    expect(() => latestOf([])).toThrow();
  });

  it('a live answer without a run time is known when received, never before the time it describes', () => {
    expect(receivedAvailableAt(at('2025-07-15T12:07:00Z'), at('2025-07-15T12:00:00Z'))).toEqual(at('2025-07-15T12:07:00Z'));
    expect(receivedAvailableAt(at('2025-07-15T12:07:00Z'), at('2025-07-15T12:15:00Z'))).toEqual(at('2025-07-15T12:15:00Z'));
    expect(receivedAvailableAt(at('2025-07-15T12:07:00Z'))).toEqual(at('2025-07-15T12:07:00Z'));
  });
});

describe('observation known-at', () => {
  it('adds each feed its reporting delay', () => {
    const t = at('2025-07-15T18:53:00Z');
    expect(observationAvailableAt('iem-asos', t)).toEqual(at('2025-07-15T19:08:00Z'));
    expect(observationAvailableAt('nws-api', t)).toEqual(at('2025-07-15T19:13:00Z'));
    expect(observationAvailableAt('iem-asos1min', t)).toEqual(at('2025-07-16T18:53:00Z'));
    expect(observationAvailableAt('vc-obs', t)).toEqual(at('2025-07-15T19:53:00Z'));
  });
});

describe('settlement known-at', () => {
  it('a CLI with an issue time is known then; without one, at 10:00 local standard time the morning after', () => {
    expect(cliAvailableAt('chicago', '2025-07-15', at('2025-07-16T06:29:00Z'))).toEqual(at('2025-07-16T06:29:00Z'));
    // Chicago's climate day 2025-07-15 ends 2025-07-16 06:00Z (CST midnight); +10 h.
    expect(cliAvailableAt('chicago', '2025-07-15', null)).toEqual(at('2025-07-16T16:00:00Z'));
    expect(cliAvailableAt('los_angeles', '2025-01-05', undefined)).toEqual(at('2025-01-06T18:00:00Z'));
  });

  it('GHCN-Daily is known three days after the climate day', () => {
    expect(ghcnAvailableAt('miami', '2025-07-15')).toEqual(at('2025-07-19T05:00:00Z'));
  });

  it('a Kalshi result is known at settlement, else at the latest expiration, else a week after the day', () => {
    const settlementTs = at('2025-07-16T15:02:00Z');
    const latestExpirationTime = at('2025-07-22T14:00:00Z');
    expect(kalshiResultAvailableAt('chicago', '2025-07-15', { settlementTs, latestExpirationTime })).toEqual(settlementTs);
    expect(kalshiResultAvailableAt('chicago', '2025-07-15', { settlementTs: null, latestExpirationTime })).toEqual(latestExpirationTime);
    expect(kalshiResultAvailableAt('chicago', '2025-07-15', { expirationTime: at('2025-07-16T14:00:00Z') })).toEqual(at('2025-07-16T14:00:00Z'));
    expect(kalshiResultAvailableAt('chicago', '2025-07-15', {})).toEqual(at('2025-07-23T06:00:00Z'));
  });
});
