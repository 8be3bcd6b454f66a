/**
 * Where validation writes: data/reports/validation/<id>.json|.html, and the per-(city, family) partial
 * results under data/reports/validation/parts/<id>/ that the report step merges (so that only paths and
 * counts travel through workflow history).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../../temporal.config';
import type { ValidationThresholds } from '../../domain/validation/thresholds';
import type { CityId } from '../../domain/cities';
import type { GapHistogramBin } from '../../domain/validation/candles';
import type { SkillSums } from '../../domain/validation/skill';
import type { z } from 'zod';
import type {
  CandleGapSchema,
  CandleGapSummarySchema,
  CoverageCellSchema,
  DstFindingSchema,
  FlagCountSchema,
  FlagExampleSchema,
  FreshnessSchema,
  IdleCandleGapsSchema,
  IncompleteLadderSchema,
  SettlementDisagreementSchema,
} from '../../schemas/validation';

export type CheckFamily = 'observations' | 'forecasts' | 'settlements' | 'markets' | 'skill';

/** What each per-city activity receives. */
export interface CityCheckInput {
  reportId: string;
  city: CityId;
  from: string;
  to: string;
  asOf: string;
  thresholds: ValidationThresholds;
  /** 1-minute candles are expected only for events on or after this date (backfilled with hourly candles before it). */
  minuteCandlesFrom?: string;
}

/** What each per-city activity returns through history: the part file and a few counts. */
export interface CityCheckResult {
  city: string;
  family: CheckFamily;
  partPath: string;
  checkedRows: number;
  flaggedRows: number;
  flagsInserted: number;
}

/** The content of a part file; every family fills what it checks. */
export interface ValidationPart {
  city: string;
  family: CheckFamily;
  checkedRows: number;
  flaggedRows: number;
  coverage: Array<z.infer<typeof CoverageCellSchema>>;
  freshness: Array<z.infer<typeof FreshnessSchema>>;
  dst: Array<z.infer<typeof DstFindingSchema>>;
  candleGaps?: {
    summary: Array<z.infer<typeof CandleGapSummarySchema>>;
    histogram: GapHistogramBin[];
    longest: Array<z.infer<typeof CandleGapSchema>>;
    overLimit: number;
    /** Idle stretches (no trade, unchanged quotes) per period: sparse candles, not missing data. */
    idle?: Array<z.infer<typeof IdleCandleGapsSchema>>;
  };
  settlementDisagreements: Array<z.infer<typeof SettlementDisagreementSchema>>;
  flags: Array<z.infer<typeof FlagCountSchema>>;
  flagExamples: Array<z.infer<typeof FlagExampleSchema>>;
  skill: Array<SkillSums & { city: string }>;
  /** Ladder completeness of the city's events (markets family; activities/validate/ladders.ts). */
  ladders?: { checked: number; incomplete: Array<z.infer<typeof IncompleteLadderSchema>> };
}

export function emptyPart(city: string, family: CheckFamily): ValidationPart {
  return { city, family, checkedRows: 0, flaggedRows: 0, coverage: [], freshness: [], dst: [], settlementDisagreements: [], flags: [], flagExamples: [], skill: [] };
}

export function reportsDir(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'reports', 'validation');
}

export function reportPaths(config: Pick<Config, 'dataDir'>, reportId: string): { jsonPath: string; htmlPath: string; partsDir: string } {
  const dir = reportsDir(config);
  return { jsonPath: join(dir, `${reportId}.json`), htmlPath: join(dir, `${reportId}.html`), partsDir: join(dir, 'parts', reportId) };
}

/** Writes via a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

export async function writePart(config: Pick<Config, 'dataDir'>, reportId: string, part: ValidationPart): Promise<string> {
  const path = join(reportPaths(config, reportId).partsDir, `${part.city}.${part.family}.json`);
  await writeFileAtomic(path, JSON.stringify(part));
  return path;
}

export async function readPart(path: string): Promise<ValidationPart> {
  return JSON.parse(await readFile(path, 'utf8')) as ValidationPart;
}

/** Adds per-rule counts into `into`. */
export function addFlagCounts(into: Map<string, { table: string; rule: string; found: number; inserted: number }>, table: string, rule: string, found: number, inserted: number): void {
  const k = `${table}|${rule}`;
  const cur = into.get(k) ?? { table, rule, found: 0, inserted: 0 };
  cur.found += found;
  cur.inserted += inserted;
  into.set(k, cur);
}
