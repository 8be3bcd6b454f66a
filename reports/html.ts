/** The pieces every static HTML report shares: escaping, the chart style, charts as inline SVG and the figure frame. */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a vega-lite spec to an SVG string (headless; text is measured by estimate). */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  // vega tags data objects (Symbol(vega_id)): render a copy so that the caller's report stays untouched.
  const view = new vega.View(vega.parse(compile(structuredClone(spec)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}


export const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** vega-lite config of every report's charts. */
export const CHART_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, anchor: 'start' },
  view: { stroke: '#ddd' },
} as const;

/** A plot with its caption; `data-plot` names it for the browser tests. No SVG: an empty figure that says so. */
export function figure(svg: string | null, caption: string, id: string): string {
  if (!svg) return `<figure class="plot empty" data-plot="${esc(id)}"><figcaption>${esc(caption)}</figcaption><p class="none">no data</p></figure>`;
  return `<figure class="plot" data-plot="${esc(id)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Numeric cells (a span of class n) align right; a column's best score (span class "n best") is marked on its cell too. */
const cellClass = (c: string): string => (c.startsWith('<span class="n best"') ? ' class="n best"' : c.startsWith('<span class="n"') ? ' class="n"' : '');

/**
 * A table of HTML cells (escape values with esc). `rowClass` marks rows (e.g. 'crossed'); `rowAttrs`
 * adds raw attributes to a row (e.g. ` data-source="model"`). No rows: a line that says none.
 */
export function table(headers: string[], rows: string[][], cls = '', rowClass: (i: number) => string = () => '', rowAttrs: (i: number) => string = () => ''): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table class="${cls}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r, i) => `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ''}${rowAttrs(i)}>${r.map((c) => `<td${cellClass(c)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The page style both reports share; each adds its own rules after it. */
export const BASE_STYLE = `
  body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 24px 32px; max-width: 1400px; }
  .row { display: flex; flex-wrap: wrap; align-items: flex-start; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
  h3 { font-size: 15px; margin: 16px 0 6px; }
  .meta { color: #555; margin: 0 0 12px; }
  .verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: bold; color: white; }
  table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
  th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  figure.plot { margin: 8px 24px 16px 0; display: inline-table; vertical-align: top; }
  figure.plot figcaption { display: table-caption; caption-side: bottom; }
  figure.plot svg { display: block; }
  figcaption { color: #666; font-size: 12px; }
  .none { color: #888; font-style: italic; }
  .summary span { display: inline-block; margin: 0 18px 6px 0; } .summary b { font-size: 16px; }
  code { font-size: 12px; }
`;
