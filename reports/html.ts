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
