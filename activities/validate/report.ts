/** Merges the per-city parts into the report, evaluates the thresholds. Pure apart from the clock passed in. */
import { addHistograms, evaluateThresholds, gapHistogram, skillFromSums, summarizeCoverage, type GapHistogramBin } from '../../domain/validation';
import { ValidationReportSchema, type ValidationReport } from '../../schemas/validation';
import type { ValidationThresholds } from '../../domain/validation/thresholds';
import { datesBetween } from '../../domain/validation/coverage';
import type { ValidationPart } from './parts';

export interface ReportMeta {
  id: string;
  workflowId: string;
  generatedAt: string;
  asOf: string;
  from: string;
  to: string;
  cities: string[];
  thresholds: ValidationThresholds;
}

const EXAMPLES_PER_RULE = 5;

export function buildReport(meta: ReportMeta, parts: readonly ValidationPart[], flagsInserted: number): ValidationReport {
  const coverage = parts.flatMap((p) => p.coverage).sort((a, b) => a.city.localeCompare(b.city) || a.source.localeCompare(b.source) || a.date.localeCompare(b.date));
  const coverageSummary = meta.cities.flatMap((city) => summarizeCoverage(coverage.filter((c) => c.city === city)).map((s) => ({ city, ...s })));
  const freshness = parts.flatMap((p) => p.freshness).sort((a, b) => a.city.localeCompare(b.city) || a.source.localeCompare(b.source));
  const dst = parts.flatMap((p) => p.dst).sort((a, b) => a.city.localeCompare(b.city) || a.source.localeCompare(b.source) || a.date.localeCompare(b.date));

  const gapParts = parts.flatMap((p) => (p.candleGaps ? [p.candleGaps] : []));
  const histogram = gapParts.reduce<GapHistogramBin[]>((h, g) => addHistograms(h, g.histogram), gapHistogram([]));
  const longest = gapParts
    .flatMap((g) => g.longest)
    .sort((a, b) => b.minutes - a.minutes || a.start.localeCompare(b.start))
    .slice(0, 50);
  const overLimit = gapParts.reduce((a, g) => a + g.overLimit, 0);

  const settlementDisagreements = parts.flatMap((p) => p.settlementDisagreements).sort((a, b) => a.city.localeCompare(b.city) || a.date.localeCompare(b.date));

  const byRule = new Map<string, { table: string; rule: string; found: number; inserted: number }>();
  for (const f of parts.flatMap((p) => p.flags)) {
    const k = `${f.table}|${f.rule}`;
    const cur = byRule.get(k) ?? { table: f.table, rule: f.rule, found: 0, inserted: 0 };
    cur.found += f.found;
    cur.inserted += f.inserted;
    byRule.set(k, cur);
  }
  const examples: ValidationReport['flags']['examples'] = [];
  for (const e of parts.flatMap((p) => p.flagExamples)) {
    if (examples.filter((x) => x.table === e.table && x.rule === e.rule).length < EXAMPLES_PER_RULE) examples.push(e);
  }

  const incompleteLadders = parts.flatMap((p) => p.ladders?.incomplete ?? []).sort((a, b) => a.city.localeCompare(b.city) || a.date.localeCompare(b.date) || a.eventTicker.localeCompare(b.eventTicker));

  const sums = parts.flatMap((p) => p.skill);
  const skill = [
    ...skillFromSums(sums).map((r) => ({ city: 'all', source: r.key, leadDays: r.leadDays, n: r.n, bias: r.bias, mae: r.mae })),
    ...meta.cities.flatMap((city) => skillFromSums(sums.filter((s) => s.city === city)).map((r) => ({ city, source: r.key, leadDays: r.leadDays, n: r.n, bias: r.bias, mae: r.mae }))),
  ];

  const counted = parts.filter((p) => p.family === 'observations' || p.family === 'forecasts');
  const checkedRows = counted.reduce((a, p) => a + p.checkedRows, 0);
  const flaggedRows = counted.reduce((a, p) => a + p.flaggedRows, 0);
  const dstDeviations = dst.filter((d) => d.deviates).length;

  const checks = evaluateThresholds(
    {
      coverage: coverageSummary,
      freshness,
      longestCandleGaps: longest,
      candleGapsOverLimit: overLimit,
      settlementDisagreements: settlementDisagreements.length,
      dstDeviations,
      flaggedRows,
      checkedRows,
    },
    meta.thresholds,
  );
  const crossed = checks.filter((c) => !c.ok).map((c) => c.name);

  return ValidationReportSchema.parse({
    schemaVersion: 1,
    ...meta,
    ok: crossed.length === 0,
    summary: {
      cities: meta.cities.length,
      days: datesBetween(meta.from, meta.to).length,
      checkedRows,
      flaggedRows,
      flagsInserted,
      settlementDisagreements: settlementDisagreements.length,
      candleGaps: gapParts.reduce((a, g) => a + g.summary.reduce((b, s) => b + s.gaps, 0), 0),
      dstDeviations,
      thresholdsCrossed: crossed.length,
      laddersChecked: parts.reduce((a, p) => a + (p.ladders?.checked ?? 0), 0),
      incompleteLadders: incompleteLadders.length,
    },
    checks,
    crossed,
    coverage,
    coverageSummary,
    freshness,
    candleGaps: { summary: gapParts.flatMap((g) => g.summary), histogram, longest, idle: gapParts.flatMap((g) => g.idle ?? []) },
    settlementDisagreements,
    dst,
    flags: { byRule: [...byRule.values()].sort((a, b) => a.table.localeCompare(b.table) || a.rule.localeCompare(b.rule)), examples },
    skill,
    incompleteLadders,
  });
}
