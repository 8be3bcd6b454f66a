/**
 * The dates each backfill source can serve, in one place: a range outside them is refused before
 * anything starts (a generated world would happily invent 1900, the real services have nothing).
 * Lower bounds are the earliest dates the project has a reference for (docs/decisions.md); the upper
 * bound is today, since no source publishes a climate day that has not begun.
 * A recorded world serves its files, not the real archives: its span replaces every source's bound
 * (it holds no Open-Meteo at all, so the 2024 floor of forecasts says nothing about it).
 */
import { z } from 'zod';

export const COVERAGE_SOURCES = ['kalshi', 'observations', 'settlements', 'forecasts'] as const;
export type CoverageSource = (typeof COVERAGE_SOURCES)[number];

export interface SourceCoverage {
  /** First servable climate date, YYYY-MM-DD. */
  from: string;
  /** What the bound is, for the message a refused range prints. */
  why: string;
}

export const SOURCE_COVERAGE: Record<CoverageSource, SourceCoverage> = {
  // Kalshi's daily-high series list six-bracket ladders since 2022-12-11
  // (../shared/reference/kalshi-weather-markets.md §3); later-listed cities simply have no earlier events.
  kalshi: { from: '2022-12-11', why: 'Kalshi lists daily-high (KXHIGH*/HIGH*) events from 2022-12-11' },
  // IEM's ASOS/METAR archive reaches far earlier; 2000 is a conservative floor, not the archive's start.
  observations: { from: '2000-01-01', why: 'observations (IEM ASOS) are served from 2000-01-01' },
  // IEM CLI reports and NCEI GHCN-Daily for these first-order stations: the same conservative floor.
  settlements: { from: '2000-01-01', why: 'settlements (IEM CLI, NCEI GHCN) are served from 2000-01-01' },
  // Open-Meteo's Previous Runs archive (lead-day forecasts) mostly starts in January 2024
  // (../shared/reference/weather-apis.md §4.3).
  forecasts: { from: '2024-01-01', why: 'forecasts (Open-Meteo previous runs) are archived from 2024-01-01' },
};

/** The climate dates a recorded world holds Kalshi events for (the caller reads its files). */
export const WorldSpanSchema = z.object({
  from: z.string(),
  to: z.string(),
  /** What holds them, for the message, e.g. "the recorded world in /data/real". */
  what: z.string(),
});
export type WorldSpan = z.infer<typeof WorldSpanSchema>;

export const CoverageRequestSchema = z.object({
  from: z.string(),
  to: z.string(),
  sources: z.array(z.enum(COVERAGE_SOURCES)).min(1),
  /** Today's date (UTC) from the caller's clock: the domain has none. */
  today: z.string(),
  /** Set for a recorded world: what it serves, instead of the sources' archives and today. */
  world: WorldSpanSchema.optional(),
});

export interface CoverageProblem {
  /** Which end of the range is outside. */
  end: 'from' | 'to';
  value: string;
  /** What is wrong, without naming the flag (the caller knows where the value came from). */
  reason: string;
}

/**
 * Why a range cannot be served (the end it crosses and the bound), or undefined when every chosen
 * source (or, for a recorded world, its files) can serve it. Dates are YYYY-MM-DD, which compare as strings.
 */
export function coverageProblem(req: z.input<typeof CoverageRequestSchema>): CoverageProblem | undefined {
  const { from, to, sources, today, world } = CoverageRequestSchema.parse(req);
  if (world) {
    // The files' span, whatever the real services archive: outside it the world serves nothing.
    const held = `${world.what} holds Kalshi events from ${world.from} to ${world.to}`;
    if (from < world.from) return { end: 'from', value: from, reason: `is before ${world.from}: ${held}` };
    if (to > world.to) return { end: 'to', value: to, reason: `is after ${world.to}: ${held}` };
    return undefined;
  }
  if (to > today) return { end: 'to', value: to, reason: `is after today (${today}): no source has published that climate day` };
  // The latest lower bound among the chosen sources is the one that refuses.
  const binding = sources.map((s) => SOURCE_COVERAGE[s]).filter((c) => from < c.from).sort((a, b) => (a.from < b.from ? 1 : -1))[0];
  if (binding) return { end: 'from', value: from, reason: `is before ${binding.from}: ${binding.why}` };
  return undefined;
}
