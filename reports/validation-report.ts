/**
 * The validation report as one self-contained static HTML page: no scripts, no network. Plots are
 * vega-lite specs compiled and rendered to inline SVG in Node (renderer 'none' + toSVG).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ValidationReport } from '../schemas/validation';
import { BASE_STYLE, CHART_CONFIG, esc, figure, table, vegaLiteToSvg } from './html';

const num = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(digits));

/** `rows` cells are HTML already (escape values with esc); `rowClass` marks rows (e.g. 'crossed'). */
async function coverageHeatmap(report: ValidationReport, city: string): Promise<string | null> {
  const cells = report.coverage.filter((c) => c.city === city);
  if (cells.length === 0) return null;
  const dates = new Set(cells.map((c) => c.date)).size;
  const sources = new Set(cells.map((c) => c.source)).size;
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: `Coverage — ${city}`,
    width: Math.max(240, Math.min(960, dates * 16)),
    height: Math.max(60, sources * 20),
    data: { values: cells },
    mark: { type: 'rect', stroke: 'white', strokeWidth: dates > 120 ? 0 : 0.5 },
    encoding: {
      x: { field: 'date', type: 'ordinal', title: 'climate date', axis: { labelAngle: -60, labelExpr: dates > 40 ? "slice(datum.value, 8) == '01' ? datum.value : ''" : 'datum.value' } },
      y: { field: 'source', type: 'nominal', title: null },
      color: { field: 'pct', type: 'quantitative', title: 'coverage %', scale: { domain: [0, 100], scheme: 'redyellowgreen' } },
    },
  } as TopLevelSpec);
}

async function skillChart(report: ValidationReport, metric: 'bias' | 'mae'): Promise<string | null> {
  const rows = report.skill.filter((r) => r.city === 'all');
  if (rows.length === 0) return null;
  const leads = rows.map((r) => r.leadDays);
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: metric === 'bias' ? 'Forecast bias by lead (forecast − settled high)' : 'Forecast MAE by lead',
    width: 300,
    height: 240,
    data: { values: rows },
    layer: [
      ...(metric === 'bias' ? [{ mark: { type: 'rule', color: '#888', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } }] : []),
      {
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: { field: 'leadDays', type: 'quantitative', title: 'lead (days)', scale: { domain: [Math.min(...leads), Math.max(...leads, Math.min(...leads) + 1)] }, axis: { tickMinStep: 1, format: 'd' } },
          y: { field: metric, type: 'quantitative', title: metric === 'bias' ? 'bias °F' : 'MAE °F' },
          color: { field: 'source', type: 'nominal', title: 'source/model' },
        },
      },
    ],
  } as TopLevelSpec);
}

async function gapHistogramChart(report: ValidationReport): Promise<string | null> {
  const bins = report.candleGaps.histogram.map((b) => ({ ...b, period: `${b.periodMinutes}-min candles` }));
  if (bins.length === 0) return null;
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: 'Candle gaps by length',
    width: 460,
    height: 220,
    data: { values: bins },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'label', type: 'ordinal', title: 'gap length', sort: { field: 'order' }, axis: { labelAngle: 0 } },
      xOffset: { field: 'period' },
      y: { field: 'count', type: 'quantitative', title: 'gaps', axis: { tickMinStep: 1 } },
      color: { field: 'period', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#f58518'] } },
    },
  } as TopLevelSpec);
}

async function flagChart(report: ValidationReport): Promise<string | null> {
  const rows = report.flags.byRule;
  if (rows.length === 0) return null;
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: 'Flagged rows by rule (this run)',
    width: 420,
    height: Math.max(60, rows.length * 22),
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'rule', type: 'nominal', title: null, sort: '-x' },
      x: { field: 'found', type: 'quantitative', title: 'rows', axis: { tickMinStep: 1 } },
      color: { field: 'table', type: 'nominal', title: 'table' },
    },
  } as TopLevelSpec);
}

const STYLE = `${BASE_STYLE}
  .verdict.ok, .pass { background: #2e7d32; } .verdict.failed, .fail { background: #c62828; }
  .pass, .fail { color: white; padding: 1px 8px; border-radius: 3px; font-weight: bold; font-size: 12px; }
  tr.crossed td { background: #fdecea; } tr.bad td { background: #fff4e5; }
`;

/** The report as a complete HTML document. */
export async function renderValidationHtml(report: ValidationReport): Promise<string> {
  const s = report.summary;
  const [heatmaps, bias, mae, gaps, flags] = await Promise.all([
    Promise.all(report.cities.map(async (city) => figure(await coverageHeatmap(report, city), `Daily coverage % per source, ${city} (0 % = no data that day)`, `coverage-${city}`))),
    skillChart(report, 'bias'),
    skillChart(report, 'mae'),
    gapHistogramChart(report),
    flagChart(report),
  ]);

  const thresholds = table(
    ['threshold', 'what', 'limit', 'value', 'result', 'detail'],
    report.checks.map((c) => [
      `<code>${esc(c.name)}</code>`,
      esc(c.description),
      `<span class="n">${c.direction === 'min' ? '≥' : '≤'} ${esc(num(c.limit, 2))}</span>`,
      esc(c.message || num(c.value, 2)),
      c.ok ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>',
      esc(c.detail),
    ]),
    'thresholds',
    (i) => (report.checks[i]?.ok === false ? 'crossed' : ''),
  );

  const coverageRows = report.coverageSummary.map((c) => [
    esc(c.city),
    esc(c.source),
    `<span class="n">${c.daysWithData}/${c.days}</span>`,
    `${esc(num(c.pct))} %`,
  ]);
  const freshnessRows = report.freshness.map((f) => [esc(f.city), esc(f.source), esc(f.newest ?? 'no data'), esc(num(f.stalenessHours))]);
  const dstRows = report.dst.map((d) => [
    esc(d.city),
    esc(d.source),
    esc(`${d.date} (${d.kind})`),
    esc(d.hours),
    esc(d.minutes),
    esc(`${num(d.medianHours)} / ${num(d.medianMinutes)}`),
    d.deviates ? '<span class="fail">DEVIATES</span>' : '<span class="pass">OK</span>',
    esc(d.detail),
  ]);
  const dstClass = (i: number) => (report.dst[i]?.deviates ? 'bad' : '');
  const disagreementRows = report.settlementDisagreements.map((d) => [
    esc(d.city),
    esc(d.date),
    esc(
      Object.entries(d.values)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    ),
    esc(`${d.spread} °F`),
    esc(d.consolidated ? `${d.consolidated.highF} (${d.consolidated.source})` : 'not consolidated'),
  ]);
  const ladderRows = report.incompleteLadders.map((l) => [esc(l.city), esc(l.date), `<code>${esc(l.eventTicker)}</code>`, esc(l.problems.join('; '))]);
  const flagRows = report.flags.byRule.map((f) => [esc(f.table), `<code>${esc(f.rule)}</code>`, `<span class="n">${f.found}</span>`, `<span class="n">${f.inserted}</span>`]);
  const exampleRows = report.flags.examples.map((e) => [`<code>${esc(e.rule)}</code>`, `<code>${esc(JSON.stringify(e.rowKey))}</code>`, esc(e.detail)]);
  const gapSummaryRows = report.candleGaps.summary.map((g) => [
    esc(g.city),
    esc(`${g.periodMinutes} min`),
    esc(g.marketsChecked),
    esc(g.marketsWithGaps),
    esc(g.gaps),
    esc(g.missingMinutes),
    esc(g.maxGapMinutes),
  ]);
  const idleRows = report.candleGaps.idle.map((g) => [esc(g.city), esc(`${g.periodMinutes} min`), esc(g.gaps), esc(g.minutes), esc(g.longestMinutes)]);
  const longestRows = report.candleGaps.longest.slice(0, 15).map((g) => [esc(g.market), esc(`${g.periodMinutes} min`), esc(g.start), esc(g.minutes), esc(g.kind)]);
  const skillRows = report.skill
    .filter((r) => r.city !== 'all')
    .map((r) => [esc(r.city), esc(r.source), esc(r.leadDays), esc(r.n), esc(num(r.bias, 2)), esc(num(r.mae, 2))]);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wx validate — ${esc(report.id)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Data validation <span class="verdict ${report.ok ? 'ok' : 'failed'}">${report.ok ? 'PASSED' : `FAILED (${report.crossed.length} threshold${report.crossed.length === 1 ? '' : 's'} crossed)`}</span></h1>
<p class="meta">${esc(report.cities.join(', '))} · climate dates ${esc(report.from)} .. ${esc(report.to)} · as of ${esc(report.asOf)} · report <code>${esc(report.id)}</code> · workflow <code>${esc(report.workflowId)}</code> · generated ${esc(report.generatedAt)}</p>
<p class="summary">
  <span>rows checked <b>${s.checkedRows}</b></span><span>rows flagged <b>${s.flaggedRows}</b></span><span>new flags <b>${s.flagsInserted}</b></span>
  <span>settlement disagreements <b>${s.settlementDisagreements}</b></span><span>candle gaps <b>${s.candleGaps}</b></span><span>DST deviations <b>${s.dstDeviations}</b></span>
</p>

<h2 id="thresholds">Thresholds</h2>
${thresholds}

<h2 id="coverage">Coverage</h2>
${heatmaps.join('\n')}
<h3>Mean daily coverage per source</h3>
${table(['city', 'source', 'days with data', 'coverage'], coverageRows, 'coverage', (i) => ((report.coverageSummary[i]?.pct ?? 100) < report.thresholds.minCoveragePct ? 'bad' : ''))}
<h3>Freshness (newest data at or before as-of)</h3>
${table(['city', 'source', 'newest', 'staleness h'], freshnessRows, 'freshness', (i) => {
    const h = report.freshness[i]?.stalenessHours;
    return h === null || (h ?? 0) > report.thresholds.maxStalenessHours ? 'bad' : '';
  })}

<h2 id="skill">Forecast skill by lead</h2>
<div class="row">
${figure(bias, 'Mean of forecast high − consolidated settled high, all validated cities, flagged rows excluded', 'skill-bias')}
${figure(mae, 'Mean absolute error of the forecast high, all validated cities, flagged rows excluded', 'skill-mae')}
</div>
<details><summary>Per city</summary>${table(['city', 'source/model', 'lead', 'n', 'bias °F', 'MAE °F'], skillRows)}</details>

<h2 id="candles">Candle gaps</h2>
${figure(gaps, 'Runs of missing candles while the market was active, inside each market’s open..close window', 'candle-gaps')}
${table(['city', 'period', 'markets checked', 'with gaps', 'gaps', 'missing min', 'longest min'], gapSummaryRows)}
<h3>Idle stretches</h3>
<p>Buckets without a trade or a quote change have no candle (as on Kalshi); these runs are not gaps.</p>
${table(['city', 'period', 'idle runs', 'idle min', 'longest min'], idleRows)}
<h3>Longest gaps</h3>
${table(['market', 'period', 'first missing bucket', 'minutes', 'kind'], longestRows)}

<h2 id="settlements">Settlement disagreements</h2>
${table(['city', 'date', 'sources', 'spread', 'consolidated'], disagreementRows, 'disagreements')}

<h2 id="ladders">Incomplete ladders</h2>
<p class="meta">Events that are not six contiguous brackets with one winner (or a scalar result); flagged on kalshi.event and skipped by later stages.</p>
${table(['city', 'date', 'event', 'problems'], ladderRows, 'ladders')}

<h2 id="dst">DST-change days</h2>
<p class="meta">The climate day is a fixed 24 h UTC window, so these days must have as many hours and minutes of data as any other.</p>
${table(['city', 'source', 'date', 'hours', 'minutes', 'median h / min', 'result', 'detail'], dstRows, 'dst', dstClass)}

<h2 id="flags">Flagged rows</h2>
${figure(flags, 'Rows breaking each rule (kept in the tables, listed in wx.data_flag, left out of datasets)', 'flags')}
${table(['table', 'rule', 'found', 'new flags'], flagRows, 'flags')}
<h3>Examples</h3>
${table(['rule', 'row key', 'detail'], exampleRows)}
</body>
</html>
`;
}
