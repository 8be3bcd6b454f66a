import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ValidateActivities } from '../activities/validate';
import type { StageInput } from '../schemas/stage';
import { ValidateInputSchema, reportIdFor, type ValidateInput, type ValidateResult } from '../schemas/validation';

/*
 * Fan-out: per-city ACTIVITIES (four check families per city in parallel, then skill per city), not
 * per-city child workflows. Each city's checks are a handful of aggregate queries plus one bounded,
 * chunked scan of its observations; each activity is idempotent (flag upserts, part files rewritten
 * whole) and retried on its own, and the observation scan heartbeats per chunk. There is no multi-step
 * state inside a city that a child workflow's history would protect, so a child would only add a
 * history and a scheduling hop per city. Isolation per city where it matters — the pipeline — comes
 * from the pipeline itself, which runs `validateCityWorkflow` as one child per city.
 *
 * Only references and counts travel through history: each activity writes its findings to
 * data/reports/validation/parts/<id>/<city>.<family>.json and returns that path.
 */

const retry = { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput'] };

const { validateObservations } = proxyActivities<ValidateActivities>({
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: '5 minutes', // one heartbeat per 14-day chunk and source
  retry,
});
const { validateForecasts, validateSettlements, validateMarkets, validateForecastSkill, writeValidationReport } = proxyActivities<ValidateActivities>({
  startToCloseTimeout: '30 minutes',
  retry,
});

/**
 * `wx validate`: checks the data of `cities` for the climate dates from..to against `asOf` (the
 * reference "now" for freshness), flags bad rows in wx.data_flag, writes the JSON and HTML report, and
 * fails with ApplicationFailure type `ValidationFailed` (details[0]: ValidateResult, with the report
 * paths and the crossed thresholds) when a threshold is crossed — the report is written either way.
 */
export async function validateWorkflow(raw: ValidateInput): Promise<ValidateResult> {
  const parsed = ValidateInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `validate input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`,
    });
  }
  const input = parsed.data;
  const { workflowId } = workflowInfo();
  const reportId = input.reportId ?? reportIdFor(workflowId);
  const args = (city: (typeof input.cities)[number]) => ({
    reportId,
    city,
    from: input.from,
    to: input.to,
    asOf: input.asOf,
    thresholds: input.thresholds,
    ...(input.minuteCandlesFrom ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}),
  });

  // Phase 1: everything that flags rows, every city and family at once.
  const flagged = await Promise.all(
    input.cities.flatMap((city) => [validateObservations(args(city)), validateForecasts(args(city)), validateSettlements(args(city)), validateMarkets(args(city))]),
  );
  // Phase 2: skill leaves flagged rows out, so it runs once every flag of this run is written.
  const skill = await Promise.all(input.cities.map((city) => validateForecastSkill(args(city))));

  const result = await writeValidationReport({
    reportId,
    workflowId,
    cities: [...input.cities],
    from: input.from,
    to: input.to,
    asOf: input.asOf,
    thresholds: input.thresholds,
    parts: [...flagged, ...skill],
  });
  if (!result.ok) {
    throw ApplicationFailure.create({
      type: 'ValidationFailed',
      nonRetryable: true,
      // The detail names what crossed (e.g. `chicago candle:1m no data before asOf`), which the value alone may not.
      message: `validation failed: ${result.crossed.map((c) => `${c.name} (${c.message ?? `${c.value ?? 'n/a'} vs limit ${c.limit}`}: ${c.detail && c.detail.length > 140 ? `${c.detail.slice(0, 137)}...` : c.detail})`).join(', ')}; report ${result.htmlPath}`,
      details: [result],
    });
  }
  return result;
}

/**
 * The pipeline's `validate` stage for one city (StageInput carries no reference time): asOf is the
 * earlier of this run's start time (deterministic: it is in the history) and 18:00Z the day after
 * `to` (when the range's last settlement is out), so a historical range is judged as of its end.
 */
export async function validateCityWorkflow(input: StageInput & { minuteCandlesFrom?: string }): Promise<ValidateResult> {
  const started = workflowInfo().runStartTime.getTime();
  const endOfRange = Date.parse(`${input.to}T18:00:00.000Z`) + 86_400_000;
  const asOf = new Date(Number.isFinite(endOfRange) ? Math.min(started, endOfRange) : started).toISOString();
  return validateWorkflow({ cities: [input.city as ValidateInput['cities'][number]], from: input.from, to: input.to, asOf, ...(input.minuteCandlesFrom ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}) });
}
