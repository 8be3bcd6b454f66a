/** A synthetic, realistic-looking report (two cities, a month) for rendering and browser tests. */
import { checkDstDayCounts, coverageCells, datesBetween, dstTransitions, findCandleGaps, gapHistogram, skillSums, stalenessHours } from '../../domain/validation';
import { buildReport } from '../../activities/validate/report';
import { emptyPart, type ValidationPart } from '../../activities/validate/parts';
import { ValidationThresholdsSchema, type ValidationReport } from '../../schemas/validation';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function sampleReport(): ValidationReport {
  const from = '2025-02-20';
  const to = '2025-03-19';
  const asOf = '2025-03-20T12:00:00.000Z';
  const dates = datesBetween(from, to);
  const rand = rng(7);
  const parts: ValidationPart[] = [];
  for (const city of ['chicago', 'denver'] as const) {
    const zone = city === 'chicago' ? 'America/Chicago' : 'America/Denver';
    const obs = emptyPart(city, 'observations');
    const counts = dates.flatMap((date) => [
      { source: 'obs:iem-asos1min', date, count: date === '2025-03-04' ? 700 : 1440 - Math.floor(rand() * 12) },
      ...(city === 'denver' && date >= '2025-03-12' && date <= '2025-03-13' ? [] : [{ source: 'obs:iem-asos', date, count: 24 + Math.floor(rand() * 6) }]),
      { source: 'obs:nws-api', date, count: 24 },
    ]);
    obs.coverage = coverageCells(dates, counts, 'median').map((c) => ({ city, ...c }));
    obs.dst = checkDstDayCounts(
      counts.map((c) => ({ ...c, hours: c.source === 'obs:nws-api' && city === 'denver' && c.date === '2025-03-09' ? 23 : 24, minutes: c.source === 'obs:iem-asos1min' ? c.count : c.count })),
      dstTransitions(zone, from, to),
      { minuteTolerance: 30 },
    ).map((f) => ({ city, ...f }));
    obs.freshness = ['obs:iem-asos', 'obs:iem-asos1min', 'obs:nws-api'].map((source, i) => {
      const newest = new Date(Date.parse(asOf) - (2 + i * 3) * 3_600_000).toISOString();
      return { city, source, newest, stalenessHours: stalenessHours(newest, asOf) };
    });
    obs.checkedRows = 40_000;
    obs.flaggedRows = city === 'chicago' ? 14 : 3;
    obs.flags = [
      { table: 'wx.observation', rule: 'obs_spike', found: city === 'chicago' ? 3 : 1, inserted: 0 },
      { table: 'wx.observation', rule: 'obs_stuck', found: city === 'chicago' ? 10 : 0, inserted: city === 'chicago' ? 10 : 0 },
      { table: 'wx.observation', rule: 'obs_impossible', found: city === 'chicago' ? 1 : 2, inserted: 1 },
    ];
    obs.flagExamples = [
      { table: 'wx.observation', rule: 'obs_spike', rowKey: { station: city === 'chicago' ? 'KMDW' : 'KDEN', source: 'iem-asos', observed_at: '2025-03-02T20:53:00.000Z' }, detail: '72.0 °F between 47.0 °F at 2025-03-02T19:53:00.000Z and 47.5 °F at 2025-03-02T21:53:00.000Z (120 min; peak +25.0 °F)' },
    ];
    parts.push(obs);

    const fc = emptyPart(city, 'forecasts');
    fc.coverage = coverageCells(
      dates,
      dates.flatMap((date) => [
        { source: 'forecast:visualcrossing', date, count: 8 },
        ...(date === '2025-03-15' ? [] : [{ source: 'forecast:open-meteo', date, count: 16 }]),
      ]),
      'presence',
    ).map((c) => ({ city, ...c }));
    fc.freshness = [
      { city, source: 'forecast:open-meteo', newest: '2025-03-20T06:00:00.000Z', stalenessHours: 6 },
      { city, source: 'forecast:visualcrossing', newest: '2025-03-19T12:00:00.000Z', stalenessHours: 24 },
    ];
    fc.checkedRows = 700;
    fc.flaggedRows = 1;
    fc.flags = [
      { table: 'wx.forecast_snapshot', rule: 'forecast_zero', found: 1, inserted: 1 },
      { table: 'wx.forecast_snapshot', rule: 'forecast_impossible', found: 0, inserted: 0 },
      { table: 'wx.forecast_snapshot', rule: 'forecast_max_below_min', found: 0, inserted: 0 },
    ];
    parts.push(fc);

    const st = emptyPart(city, 'settlements');
    st.coverage = coverageCells(
      dates,
      dates.flatMap((date) => ['cli', 'ghcn', 'asos', 'consolidated'].filter((s) => !(s === 'ghcn' && date >= '2025-03-17')).map((s) => ({ source: `settlement:${s}`, date, count: 1 }))),
      'presence',
    ).map((c) => ({ city, ...c }));
    st.freshness = [{ city, source: 'settlement:cli', newest: '2025-03-20T06:00:00.000Z', stalenessHours: 6 }];
    if (city === 'chicago') {
      st.settlementDisagreements = [
        { city, date: '2025-03-05', values: { asos: 58, cli: 55, ghcn: 55 }, spread: 3, consolidated: { highF: 55, source: 'cli', disagreement: true } },
      ];
      st.flags = [{ table: 'wx.settlement_consolidated', rule: 'settlement_disagreement', found: 1, inserted: 1 }];
    }
    parts.push(st);

    const mk = emptyPart(city, 'markets');
    mk.coverage = dates.flatMap((date) => [
      { city, source: 'market:kalshi', date, count: 6, pct: 100 },
      { city, source: 'candle:1m', date, count: 6, pct: date === '2025-03-08' ? 50 : 100 },
      { city, source: 'candle:60m', date, count: 6, pct: 100 },
    ]);
    const gaps = Array.from({ length: 25 }, () => {
      const minutes = [1, 1, 2, 3, 7, 20, 75, 200][Math.floor(rand() * 8)]!;
      return { periodMinutes: 1, minutes };
    });
    const g = findCandleGaps({ periodMinutes: 60, openMs: Date.parse('2025-03-07T15:00:00Z'), closeMs: Date.parse('2025-03-09T06:00:00Z'), islands: [{ start: Date.parse('2025-03-07T15:00:00Z'), end: Date.parse('2025-03-08T10:00:00Z') }, { start: Date.parse('2025-03-08T13:00:00Z'), end: Date.parse('2025-03-09T05:00:00Z') }] });
    const all = [...gaps, ...g.map((x) => ({ periodMinutes: 60, minutes: x.minutes }))];
    mk.candleGaps = {
      summary: [
        { city, periodMinutes: 1, marketsChecked: 168, marketsWithGaps: 20, gaps: gaps.length, missingMinutes: gaps.reduce((a, x) => a + x.minutes, 0), maxGapMinutes: Math.max(...gaps.map((x) => x.minutes)) },
        { city, periodMinutes: 60, marketsChecked: 168, marketsWithGaps: 1, gaps: g.length, missingMinutes: 120, maxGapMinutes: 120 },
      ],
      histogram: gapHistogram(all),
      longest: [
        { city, market: `KXHIGH${city === 'chicago' ? 'CHI' : 'DEN'}-25MAR08-B45.5`, periodMinutes: 1, start: '2025-03-08T01:00:00.000Z', minutes: 200, kind: 'inner' },
        { city, market: `KXHIGH${city === 'chicago' ? 'CHI' : 'DEN'}-25MAR08-T50`, periodMinutes: 60, start: '2025-03-08T11:00:00.000Z', minutes: 120, kind: 'inner' },
      ],
      overLimit: 4,
    };
    mk.freshness = [{ city, source: 'candle:1m', newest: '2025-03-20T11:59:00.000Z', stalenessHours: 0 }];
    parts.push(mk);

    const sk = emptyPart(city, 'skill');
    const pairs = dates.flatMap((date, i) =>
      [0, 1, 2, 3, 5, 7].flatMap((lead) => [
        { key: 'visualcrossing/default', leadDays: lead, forecastF: 50 + (rand() - 0.4) * (2 + lead), observedF: 50 },
        { key: 'open-meteo/gfs', leadDays: lead, forecastF: 50 + (rand() - 0.6) * (1.5 + 1.3 * lead), observedF: 50 },
        ...(i % 2 ? [{ key: 'iem-mos/nbm', leadDays: lead, forecastF: 50 + (rand() - 0.5) * (1 + lead), observedF: 50 }] : []),
      ]),
    );
    sk.skill = skillSums(pairs).map((s) => ({ city, ...s }));
    parts.push(sk);
  }
  return buildReport(
    {
      id: 'sample',
      workflowId: 'validate/chicago+denver/2025-02-20..2025-03-19',
      generatedAt: '2025-03-20T12:00:05.000Z',
      asOf,
      from,
      to,
      cities: ['chicago', 'denver'],
      thresholds: ValidationThresholdsSchema.parse({}),
    },
    parts,
    13,
  );
}
