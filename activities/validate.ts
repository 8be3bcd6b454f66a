import { ApplicationFailure } from '@temporalio/common';
import { CityIdSchema } from '../domain/cities';
import type { ValidationThresholds } from '../domain/validation/thresholds';
import { renderValidationHtml } from '../reports/validation-report';
import type { ValidateResult } from '../schemas/validation';
import type { ActivityDeps } from './index';
import { checkForecasts, checkMarkets, checkObservations, checkSettlements, checkSkill, type CheckDeps } from './validate/checks';
import { checkLadders } from './validate/ladders';
import { readPart, reportPaths, writeFileAtomic, writePart, type CheckFamily, type CityCheckInput, type CityCheckResult, type ValidationPart } from './validate/parts';
import { buildReport } from './validate/report';

export type { CityCheckInput, CityCheckResult } from './validate/parts';

/** Input of writeValidationReport: references to the part files and the run's parameters. */
export interface WriteValidationReportInput {
  reportId: string;
  workflowId: string;
  cities: string[];
  from: string;
  to: string;
  asOf: string;
  thresholds: ValidationThresholds;
  parts: CityCheckResult[];
}

/**
 * Stage `validate`: per-city checks (each writes its findings to a part file and flags bad rows in
 * wx.data_flag, idempotently) and the report step (merges the parts, evaluates the thresholds, writes
 * data/reports/validation/<id>.json and .html). Only paths and counts are returned.
 */
export function createValidateActivities({ db, log, config }: ActivityDeps) {
  const deps: CheckDeps = { db, log };

  const perCity =
    (family: CheckFamily, check: (d: CheckDeps, input: CityCheckInput) => Promise<ValidationPart & { flagsInserted: number }>) =>
    async (input: CityCheckInput): Promise<CityCheckResult> => {
      if (!CityIdSchema.safeParse(input.city).success) {
        throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `city: unknown city ${JSON.stringify(input.city)}` });
      }
      const { flagsInserted, ...part } = await check(deps, input);
      const partPath = await writePart(config, input.reportId, part);
      return { city: input.city, family, partPath, checkedRows: part.checkedRows, flaggedRows: part.flaggedRows, flagsInserted };
    };

  return {
    /** Coverage, freshness, DST-day counts; spikes, stuck runs and impossible values flagged. */
    validateObservations: perCity('observations', checkObservations),
    /** Coverage and freshness per source; 0 °F sentinels, impossible values, max < min flagged. */
    validateForecasts: perCity('forecasts', checkForecasts),
    /** Coverage and freshness per source; disagreements between sources flagged on the consolidated row. */
    validateSettlements: perCity('settlements', checkSettlements),
    /** Market and candle coverage, freshness, candle gaps inside open..close; incomplete ladders flagged. */
    validateMarkets: perCity('markets', async (d, input) => {
      const part = await checkMarkets(d, input);
      const l = await checkLadders(d, input);
      return {
        ...part,
        ladders: l.ladders,
        flags: [...part.flags, ...l.flags],
        flagExamples: [...part.flagExamples, ...l.flagExamples],
        flagsInserted: part.flagsInserted + l.flagsInserted,
      };
    }),
    /** Bias and MAE of tempmax by lead vs the consolidated high, flagged rows excluded (run after the flaggers). */
    validateForecastSkill: perCity('skill', checkSkill),

    /** Merges the parts, evaluates the thresholds, writes the JSON and HTML report. */
    async writeValidationReport(input: WriteValidationReportInput): Promise<ValidateResult> {
      const parts = await Promise.all(input.parts.map((p) => readPart(p.partPath)));
      const report = buildReport(
        {
          id: input.reportId,
          workflowId: input.workflowId,
          generatedAt: new Date().toISOString(),
          asOf: input.asOf,
          from: input.from,
          to: input.to,
          cities: input.cities,
          thresholds: input.thresholds,
        },
        parts,
        input.parts.reduce((a, p) => a + p.flagsInserted, 0),
      );
      const { jsonPath, htmlPath } = reportPaths(config, input.reportId);
      await writeFileAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(htmlPath, await renderValidationHtml(report));
      log.info({ reportId: input.reportId, ok: report.ok, crossed: report.crossed, jsonPath, htmlPath }, 'validate: report written');
      return {
        reportId: input.reportId,
        jsonPath,
        htmlPath,
        ok: report.ok,
        summary: report.summary,
        crossed: report.checks.filter((c) => !c.ok).map((c) => ({ name: c.name, limit: c.limit, value: c.value, message: c.message, detail: c.detail })),
      };
    },
  };
}

export type ValidateActivities = ReturnType<typeof createValidateActivities>;
