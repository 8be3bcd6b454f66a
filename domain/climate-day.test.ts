import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CITY_IDS, getCity, type CityId } from './cities';
import {
  climateDateOf,
  climateDayWindowUtc,
  climateZone,
  isInClimateDay,
  localCivilDate,
} from './climate-day';
import { InvalidDateError } from './errors';

const utc = (iso: string): DateTime => DateTime.fromISO(iso, { zone: 'utc' });

// UTC hour at which each city's climate day starts (= -standard offset).
const START_HOUR: Record<CityId, number> = {
  chicago: 6,
  austin: 6,
  denver: 7,
  los_angeles: 8,
  miami: 5,
  philadelphia: 5,
};
const STD_ABBR: Record<CityId, [string, string]> = {
  chicago: ['CST', 'CDT'],
  austin: ['CST', 'CDT'],
  denver: ['MST', 'MDT'],
  los_angeles: ['PST', 'PDT'],
  miami: ['EST', 'EDT'],
  philadelphia: ['EST', 'EDT'],
};

const SPRING_FORWARD = ['2024-03-10', '2025-03-09'];
const FALL_BACK = ['2024-11-03', '2025-11-02'];
const ORDINARY = ['2025-01-15', '2025-07-04', '2024-02-29', '2025-12-31'];

const nextDay = (d: string): string => DateTime.fromISO(d).plus({ days: 1 }).toISODate()!;
const pad = (h: number): string => String(h).padStart(2, '0');

describe('climateDayWindowUtc', () => {
  it('Chicago 2025-07-04 is 06:00Z -> 06:00Z next day', () => {
    const { start, end } = climateDayWindowUtc('chicago', '2025-07-04');
    expect(start.toISO()).toBe('2025-07-04T06:00:00.000Z');
    expect(end.toISO()).toBe('2025-07-05T06:00:00.000Z');
    expect(start.zoneName).toBe('UTC');
    expect(end.zoneName).toBe('UTC');
  });

  const all = CITY_IDS.flatMap((id) => [...SPRING_FORWARD, ...FALL_BACK, ...ORDINARY].map((d) => [id, d] as const));

  it.each(all)('%s %s: 24 h starting at standard-offset midnight', (id, date) => {
    const { start, end } = climateDayWindowUtc(id, date);
    const h = pad(START_HOUR[id]);
    expect(start.toISO()).toBe(`${date}T${h}:00:00.000Z`);
    expect(end.toISO()).toBe(`${nextDay(date)}T${h}:00:00.000Z`);
    expect(end.diff(start, 'hours').hours).toBe(24);
    expect(end.toMillis() - start.toMillis()).toBe(86_400_000);
    const inStd = start.setZone(climateZone(id));
    expect(inStd.toFormat('yyyy-MM-dd HH:mm')).toBe(`${date} 00:00`);
    expect(inStd.offset).toBe(getCity(id).standardOffsetMinutes);
  });

  it.each(CITY_IDS.flatMap((id) => SPRING_FORWARD.map((d) => [id, d] as const)))(
    '%s spring-forward %s: wall clock runs 00:00 standard -> 01:00 daylight next day',
    (id, date) => {
      const { start, end } = climateDayWindowUtc(id, date);
      const zone = getCity(id).timeZone;
      const [std, dst] = STD_ABBR[id];
      expect(start.setZone(zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')).toBe(`${date} 00:00 ${std}`);
      expect(end.setZone(zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')).toBe(`${nextDay(date)} 01:00 ${dst}`);
      // Only 23 wall-clock hours elapse on the local calendar that day; the window stays 24 h.
      expect(end.diff(start, 'hours').hours).toBe(24);
    },
  );

  it.each(CITY_IDS.flatMap((id) => FALL_BACK.map((d) => [id, d] as const)))(
    '%s fall-back %s: wall clock runs 01:00 daylight -> 00:00 standard next day',
    (id, date) => {
      const { start, end } = climateDayWindowUtc(id, date);
      const zone = getCity(id).timeZone;
      const [std, dst] = STD_ABBR[id];
      expect(start.setZone(zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')).toBe(`${date} 01:00 ${dst}`);
      expect(end.setZone(zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')).toBe(`${nextDay(date)} 00:00 ${std}`);
      expect(end.diff(start, 'hours').hours).toBe(24);
    },
  );

  it.each(CITY_IDS)('%s summer day: 01:00 -> 01:00 daylight on the wall clock', (id) => {
    const { start, end } = climateDayWindowUtc(id, '2025-07-04');
    const zone = getCity(id).timeZone;
    expect(start.setZone(zone).toFormat('yyyy-MM-dd HH:mm')).toBe('2025-07-04 01:00');
    expect(end.setZone(zone).toFormat('yyyy-MM-dd HH:mm')).toBe('2025-07-05 01:00');
  });

  it.each(CITY_IDS)('%s winter day: midnight -> midnight on the wall clock', (id) => {
    const { start, end } = climateDayWindowUtc(id, '2025-01-15');
    const zone = getCity(id).timeZone;
    expect(start.setZone(zone).toFormat('yyyy-MM-dd HH:mm')).toBe('2025-01-15 00:00');
    expect(end.setZone(zone).toFormat('yyyy-MM-dd HH:mm')).toBe('2025-01-16 00:00');
  });

  it('consecutive windows tile time with no gap or overlap', () => {
    for (const id of CITY_IDS) {
      for (const from of ['2024-12-25', '2025-03-01', '2025-10-25']) {
        let d = from;
        for (let i = 0; i < 20; i++) {
        const next = nextDay(d);
          expect(climateDayWindowUtc(id, d).end.toMillis()).toBe(climateDayWindowUtc(id, next).start.toMillis());
          d = next;
        }
      }
    }
  });

  it('matches observed Kalshi close times (end of the LST climate day)', () => {
    // KXHIGHPHIL-26SEP20 close_time 2026-09-21T05:00:00Z; KXHIGHLAX 2025-01-05 fixture close 2025-01-06T08:00:00Z.
    expect(climateDayWindowUtc('philadelphia', '2026-09-20').end.toISO()).toBe('2026-09-21T05:00:00.000Z');
    expect(climateDayWindowUtc('los_angeles', '2025-01-05').end.toISO()).toBe('2025-01-06T08:00:00.000Z');
  });

  it.each(['2025-02-29', '2025-13-01', '20250704', ''])('rejects the date %j', (d) => {
    expect(() => climateDayWindowUtc('chicago', d)).toThrow(InvalidDateError);
    expect(() => climateDayWindowUtc('chicago', d)).toThrow(`invalid climate date ${JSON.stringify(d)}`);
  });

  it('rejects an unknown city', () => {
    expect(() => climateDayWindowUtc('boston' as CityId, '2025-07-04')).toThrow('unknown city id "boston"');
  });
});

describe('climateDateOf / isInClimateDay', () => {
  it.each(CITY_IDS.flatMap((id) => [...SPRING_FORWARD, ...FALL_BACK, '2025-07-04'].map((d) => [id, d] as const)))(
    '%s %s: instants just inside and just outside the window',
    (id, date) => {
      const { start, end } = climateDayWindowUtc(id, date);
      const prev = DateTime.fromISO(date).minus({ days: 1 }).toISODate()!;
      expect(climateDateOf(id, start)).toBe(date);
      expect(climateDateOf(id, start.minus({ milliseconds: 1 }))).toBe(prev);
      expect(climateDateOf(id, end.minus({ milliseconds: 1 }))).toBe(date);
      expect(climateDateOf(id, end)).toBe(nextDay(date));
      expect(isInClimateDay(id, date, start)).toBe(true);
      expect(isInClimateDay(id, date, end.minus({ milliseconds: 1 }))).toBe(true);
      expect(isInClimateDay(id, date, end)).toBe(false);
      expect(isInClimateDay(id, date, start.minus({ milliseconds: 1 }))).toBe(false);
    },
  );

  it('a summer 00:30 local reading belongs to the previous climate day but the same civil day', () => {
    // 2025-07-05 00:30 CDT = 05:30Z: civil date Jul 5, climate date Jul 4 (climate day ends 01:00 CDT).
    const t = utc('2025-07-05T05:30:00Z');
    expect(localCivilDate('chicago', t)).toBe('2025-07-05');
    expect(climateDateOf('chicago', t)).toBe('2025-07-04');
  });

  it('in winter the civil and climate dates agree', () => {
    const t = utc('2025-01-16T05:30:00Z'); // 23:30 CST Jan 15
    expect(localCivilDate('chicago', t)).toBe('2025-01-15');
    expect(climateDateOf('chicago', t)).toBe('2025-01-15');
    expect(climateDateOf('chicago', utc('2025-01-16T06:00:00Z'))).toBe('2025-01-16');
  });

  it.each([
    ['chicago', '2025-07-04T05:59:59.999Z', '2025-07-03', '2025-07-04'],
    ['chicago', '2025-07-04T06:00:00.000Z', '2025-07-04', '2025-07-04'],
    ['denver', '2025-07-04T06:30:00Z', '2025-07-03', '2025-07-04'],
    ['denver', '2025-07-04T07:00:00Z', '2025-07-04', '2025-07-04'],
    ['los_angeles', '2025-07-04T07:30:00Z', '2025-07-03', '2025-07-04'],
    ['los_angeles', '2025-07-04T08:00:00Z', '2025-07-04', '2025-07-04'],
    ['miami', '2025-07-04T04:30:00Z', '2025-07-03', '2025-07-04'],
    ['philadelphia', '2025-07-04T05:00:00Z', '2025-07-04', '2025-07-04'],
  ] as const)('%s %s: climate %s, civil %s', (id, iso, climate, civil) => {
    expect(climateDateOf(id, utc(iso))).toBe(climate);
    expect(localCivilDate(id, utc(iso))).toBe(civil);
  });

  it('accepts JS Dates and DateTimes in any zone', () => {
    const iso = '2025-11-02T06:30:00Z';
    expect(climateDateOf('chicago', new Date(iso))).toBe('2025-11-02');
    expect(climateDateOf('chicago', utc(iso).setZone('Asia/Tokyo'))).toBe('2025-11-02');
    expect(isInClimateDay('chicago', '2025-11-02', new Date(iso))).toBe(true);
  });

  it('rejects invalid instants', () => {
    expect(() => climateDateOf('chicago', new Date('nope'))).toThrow(InvalidDateError);
    expect(() => localCivilDate('chicago', DateTime.invalid('bad'))).toThrow('invalid instant');
  });
});
