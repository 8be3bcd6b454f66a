/**
 * A trained model's report as one self-contained static HTML page (no scripts, no network), in the look
 * of the validation report: the held-out scores of the model next to the market-implied distribution,
 * the forecast-only normal and climatology on the very same rows; a reliability diagram per source; the
 * log loss by calendar month of the test days; the model's feature importance. Plots are vega-lite
 * rendered to inline SVG in Node (reports/validation-report.ts vegaLiteToSvg).
 */
import type { TopLevelSpec } from 'vega-lite';
import { REPORT_SOURCES, type ModelMetrics, type ModelReportDataParsed as ModelReportData, type ReportScores, type ReportSource } from '../schemas/model-report';
import { BASE_STYLE, CHART_CONFIG, esc, figure, table, vegaLiteToSvg } from './html';

export const SOURCE_LABELS: Record<ReportSource, string> = {
  model: 'model',
  market: 'market (normalised mids)',
  forecastNormal: 'forecast-only normal',
  climatology: 'climatology',
};

const COLORS: Record<ReportSource, string> = { model: '#4c78a8', market: '#f58518', forecastNormal: '#54a24b', climatology: '#9d755d' };

/** The scores the table shows, in its column order: lower is better except accuracy. */
export const SCORE_COLUMNS: ReadonlyArray<{ key: keyof ReportScores; label: string; better: 'low' | 'high' }> = [
  { key: 'logLoss', label: 'log loss', better: 'low' },
  { key: 'rps', label: 'RPS', better: 'low' },
  { key: 'brier', label: 'Brier', better: 'low' },
  { key: 'accuracy', label: 'accuracy', better: 'high' },
];

/** How a score is printed in the table (the browser test reads the cells back with the same rule). */
export const formatScore = (key: keyof ReportScores, x: number): string => (key === 'accuracy' ? `${(x * 100).toFixed(1)} %` : x.toFixed(4));

const n = (s: string) => `<span class="n">${esc(s)}</span>`;

const present = (data: ModelReportData): ReportSource[] => REPORT_SOURCES.filter((s) => data.sources[s] !== null);

async function reliabilityChart(data: ModelReportData, source: ReportSource): Promise<string | null> {
  const bins = data.sources[source]?.calibration.filter((b) => b.count > 0) ?? [];
  if (bins.length === 0) return null;
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: `Reliability — ${SOURCE_LABELS[source]}`,
    // Four side by side on a laptop screen.
    width: 220,
    height: 220,
    layer: [
      {
        data: { values: [{ p: 0, f: 0 }, { p: 1, f: 1 }] },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
        encoding: { x: { field: 'p', type: 'quantitative' }, y: { field: 'f', type: 'quantitative' } },
      },
      {
        data: { values: bins },
        mark: { type: 'line', point: { filled: true }, color: COLORS[source], strokeWidth: 2 },
        encoding: {
          x: { field: 'meanPredicted', type: 'quantitative', title: 'mean predicted probability', scale: { domain: [0, 1] } },
          y: { field: 'observedFrequency', type: 'quantitative', title: 'observed frequency', scale: { domain: [0, 1] } },
        },
      },
      {
        // Named so the SVG group says what it is (class "bins_marks"): one circle per non-empty bin.
        name: 'bins',
        data: { values: bins },
        mark: { type: 'circle', color: COLORS[source], opacity: 0.35 },
        encoding: {
          x: { field: 'meanPredicted', type: 'quantitative' },
          y: { field: 'observedFrequency', type: 'quantitative' },
          size: { field: 'count', type: 'quantitative', title: '(row, bracket) pairs', legend: null },
        },
      },
    ],
  } as TopLevelSpec);
}

async function monthChart(data: ModelReportData): Promise<string | null> {
  const values = data.byMonth.flatMap((m) =>
    present(data)
      .filter((s) => m.logLoss[s] !== null)
      .map((s) => ({ month: m.month, source: SOURCE_LABELS[s], order: REPORT_SOURCES.indexOf(s), logLoss: m.logLoss[s] })),
  );
  if (values.length === 0) return null;
  const shown = present(data);
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: 'Bracket log loss by month of the test days',
    width: Math.max(260, Math.min(900, data.byMonth.length * shown.length * 22)),
    height: 240,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: 'month', axis: { labelAngle: 0 } },
      xOffset: { field: 'source', sort: shown.map((s) => SOURCE_LABELS[s]) },
      y: { field: 'logLoss', type: 'quantitative', title: 'log loss (lower is better)' },
      color: { field: 'source', type: 'nominal', title: null, sort: shown.map((s) => SOURCE_LABELS[s]), scale: { domain: shown.map((s) => SOURCE_LABELS[s]), range: shown.map((s) => COLORS[s]) } },
    },
  } as TopLevelSpec);
}

async function importanceChart(data: ModelReportData): Promise<string | null> {
  const top = data.importance.top;
  if (top.length === 0) return null;
  return vegaLiteToSvg({
    config: CHART_CONFIG,
    title: `Feature importance (top ${top.length} of ${data.importance.used} used)`,
    width: 420,
    height: Math.max(60, top.length * 18),
    data: { values: top.map((f) => ({ ...f, pct: f.gainShare * 100 })) },
    mark: { type: 'bar', color: COLORS.model },
    encoding: {
      y: { field: 'name', type: 'nominal', title: null, sort: '-x' },
      x: { field: 'pct', type: 'quantitative', title: 'share of split gain %' },
      tooltip: [{ field: 'name' }, { field: 'split', title: 'splits' }],
    },
  } as TopLevelSpec);
}

const STYLE = `${BASE_STYLE}
  .verdict { font-size: 14px; vertical-align: middle; }
  .verdict.better { background: #2e7d32; } .verdict.worse { background: #c62828; } .verdict.noise { background: #757575; }
  td.best { font-weight: bold; background: #e8f5e9; }
  tr.model td:first-child { font-weight: bold; }
`;

/** The model against the market, by the day-bootstrap interval of the log-loss difference. */
function verdict(m: ModelMetrics): { cls: string; text: string } {
  if (m.logLossDiff.hi < 0) return { cls: 'better', text: 'BEATS THE MARKET' };
  if (m.logLossDiff.lo > 0) return { cls: 'worse', text: 'WORSE THAN THE MARKET' };
  return { cls: 'noise', text: 'NO CLEAR DIFFERENCE FROM THE MARKET' };
}

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;

/** The report as a complete HTML document; `metrics` is the version's metrics.json, `data` its report.json. */
export async function renderModelReport(data: ModelReportData, metrics: ModelMetrics): Promise<string> {
  const sources = present(data);
  const [reliability, months, importance] = await Promise.all([
    Promise.all(sources.map(async (s) => figure(await reliabilityChart(data, s), `Each (snapshot, bracket) probability, in ${data.sources[s]!.calibration.length} bins, against how often that bracket settled; dot size = pairs in the bin`, `reliability-${s}`))),
    monthChart(data),
    importanceChart(data),
  ]);

  const scored = REPORT_SOURCES.filter((s) => metrics[s] !== null);
  const best = Object.fromEntries(
    SCORE_COLUMNS.map((c) => {
      const xs = scored.map((s) => metrics[s]![c.key]);
      return [c.key, c.better === 'low' ? Math.min(...xs) : Math.max(...xs)];
    }),
  ) as Record<keyof ReportScores, number>;
  const scoreRows = REPORT_SOURCES.map((s) => {
    const sc = metrics[s];
    return [esc(SOURCE_LABELS[s]), ...SCORE_COLUMNS.map((c) => (sc ? `<span class="n${sc[c.key] === best[c.key] ? ' best' : ''}" data-score="${c.key}">${esc(formatScore(c.key, sc[c.key]))}</span>` : '<span class="none">no daily forecast in the training days</span>'))];
  });
  const scoreTable = table(['', ...SCORE_COLUMNS.map((c) => c.label)], scoreRows, 'scores', (i) => REPORT_SOURCES[i]!, (i) => ` data-source="${REPORT_SOURCES[i]}"`);

  const calibrationRows = (s: ReportSource) =>
    data.sources[s]!.calibration.map((b) => [
      n(`${b.lo.toFixed(2)}–${b.hi.toFixed(2)}`),
      n(String(b.count)),
      n(b.meanPredicted === null ? '—' : b.meanPredicted.toFixed(3)),
      n(b.observedFrequency === null ? '—' : b.observedFrequency.toFixed(3)),
    ]);
  const monthRows = data.byMonth.map((m) => [esc(m.month), n(String(m.days)), n(String(m.rows)), ...sources.map((s) => n(m.logLoss[s] === null ? '—' : m.logLoss[s]!.toFixed(4))), n(signed(m.logLoss.model - m.logLoss.market))]);
  const featureRows = data.importance.top.map((f, i) => [n(String(i + 1)), `<code>${esc(f.name)}</code>`, n(f.gain.toPrecision(6)), n(`${(f.gainShare * 100).toFixed(1)} %`), n(String(f.split))]);
  const v = verdict(metrics);
  const d = metrics.logLossDiff;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wx ml report — ${esc(data.city)} ${esc(data.version)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Model report: ${esc(data.city)} <code>${esc(data.kind)}</code> <code>${esc(data.version)}</code> <span class="verdict ${v.cls}">${v.text}</span></h1>
<p class="meta">test days ${esc(data.test.from)} .. ${esc(data.test.to)} (${data.test.days} days, ${data.test.rows} snapshots) · trained on ${metrics.trainDays} earlier days · ${metrics.trees} trees · ${data.importance.used} of ${data.importance.features} features used</p>
<p class="summary">
  <span>model log loss <b data-summary="model">${esc(metrics.model.logLoss.toFixed(4))}</b></span><span>market log loss <b data-summary="market">${esc(metrics.market.logLoss.toFixed(4))}</b></span>
  <span>model − market <b data-summary="diff">${esc(signed(d.estimate))}</b> [${esc(signed(d.lo))}, ${esc(signed(d.hi))}] <span class="meta">(95 %, test days resampled)</span></span>
</p>

<h2 id="scores">Scores on the test days</h2>
<p class="meta">Every source is scored on the very same rows: the six brackets of each test snapshot. Lower is better, except accuracy (the most likely bracket settled); the best of each column is bold.</p>
${scoreTable}

<h2 id="reliability">Reliability</h2>
<div class="row">
${reliability.join('\n')}
</div>
${sources.map((s) => `<details><summary>Calibration table — ${esc(SOURCE_LABELS[s])}</summary>${table(['predicted', 'pairs', 'mean predicted', 'observed'], calibrationRows(s), `calibration calibration-${s}`)}</details>`).join('\n')}

<h2 id="months">Log loss by month</h2>
${figure(months, 'Mean bracket log loss over the test snapshots of each calendar month', 'months')}
${table(['month', 'days', 'snapshots', ...sources.map((s) => SOURCE_LABELS[s]), 'model − market'], monthRows, 'months')}

<h2 id="importance">Feature importance</h2>
${figure(importance, 'Share of the total split gain over the model’s trees', 'importance')}
${table(['#', 'feature', 'gain', 'share', 'splits'], featureRows, 'importance')}
</body>
</html>
`;
}
